using LstmLens.Analysis;
using LstmLens.Data;

namespace LstmLens.Tests.Analysis;

/// <summary>
/// Interdependence: the batched all-pairs pass against three separate passes per pair and against the one-set
/// reference, its bad input, and the dependency-tree distances, relations and pair counts of a hand-made treebank.
/// </summary>
public class InterdependenceTests
{
    private static readonly string Treebank = Path.Combine(AppContext.BaseDirectory, "Fixtures", "conllu", "small.conllu");

    [Theory]
    [InlineData(BiasPolicy.InPhrase, InterdependenceSpace.Logits, 0)]
    [InlineData(BiasPolicy.InPhrase, InterdependenceSpace.Hidden, 2)]
    [InlineData(BiasPolicy.MurdochExclusive, InterdependenceSpace.Logits, 1)]
    [InlineData(BiasPolicy.Never, InterdependenceSpace.Logits, 0)]
    public void All_pairs_in_one_pass_equal_three_separate_passes_per_pair(BiasPolicy policy, InterdependenceSpace space, int offset)
    {
        var cd = new ContextualDecomposition(ContextualDecompositionTests.RandomModel(2, seed: 21), policy);
        var sentence = cd.Run(ContextualDecompositionTests.Tokens(13, seed: 22));
        var pairs = new List<(int, int)>();
        for (int l = 0; l < 13; l++)
            for (int r = l + 1; r < l + 5 && r + offset < 13; r++) pairs.Add((l, r));
        var batched = Interdependence.Pairs(cd, sentence, pairs, offset, space);
        Assert.Equal(pairs.Count, batched.Length);
        for (int i = 0; i < pairs.Count; i++)
        {
            var (l, r) = pairs[i];
            var single = Interdependence.Measure(cd, sentence, [l], [r], r + offset, space);
            Assert.Equal(single.Value, batched[i].Value, 1e-12);
            Assert.Equal(single.NormUnion, batched[i].NormUnion, 1e-12);
            Assert.True(batched[i].Value > 1e-6 && double.IsFinite(batched[i].Value), $"pair ({l}, {r}): {batched[i].Value}");
            Assert.True(batched[i].StateError < 1e-14 && batched[i].LogitError < 1e-13);
        }
    }

    [Fact]
    public void Equals_the_definition_computed_from_the_reference_path()
    {
        var cd = new ContextualDecomposition(ContextualDecompositionTests.RandomModel(2, seed: 23));
        var sentence = cd.Run(ContextualDecompositionTests.Tokens(10, seed: 24));
        int[] a = [1, 2], b = [5];
        const int target = 7;
        var va = cd.Logits(cd.DecomposeReference(sentence, a).Relevant(target));
        var vb = cd.Logits(cd.DecomposeReference(sentence, b).Relevant(target));
        var vab = cd.Logits(cd.DecomposeReference(sentence, [.. a, .. b]).Relevant(target));
        double residual = Math.Sqrt(vab.Select((v, i) => Math.Pow(v - va[i] - vb[i], 2)).Sum());
        double expected = residual / Math.Sqrt(vab.Sum(v => v * v));
        var result = Interdependence.Measure(cd, sentence, a, b, target);
        Assert.Equal(expected, result.Value, 1e-12);
        Assert.Equal(Math.Sqrt(va.Sum(v => v * v)), result.NormA, 1e-12);
        Assert.True(expected > 1e-4, "the random model should not be linear");
    }

    [Fact]
    public void Overlapping_or_empty_sets_and_targets_outside_the_sentence_are_refused()
    {
        var cd = new ContextualDecomposition(ContextualDecompositionTests.RandomModel(1, seed: 25));
        var sentence = cd.Run(ContextualDecompositionTests.Tokens(6, seed: 26));
        Assert.Contains("overlap at position 2", Assert.Throws<ArgumentException>(() => Interdependence.Measure(cd, sentence, [1, 2], [2, 3], 4)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Interdependence.Measure(cd, sentence, [], [2], 4));
        Assert.Throws<ArgumentException>(() => Interdependence.Measure(cd, sentence, [1], [2], 6));
        Assert.Throws<ArgumentException>(() => Interdependence.Pairs(cd, sentence, [(3, 2)]));
        Assert.Throws<ArgumentException>(() => Interdependence.Pairs(cd, sentence, [(3, 5)], targetOffset: 1));
    }

    [Fact]
    public void Tree_distances_and_relations_of_a_hand_made_sentence()
    {
        // the(0) → cat(1) → sat(2, root) ← mat(5) ← on(3), the(4); .(6) → sat
        var tree = new DependencyTree([2, 3, 0, 6, 6, 3, 3]);
        Assert.Equal(1, tree.Distance(0, 1));
        Assert.Equal(TreeRelation.RightHead, tree.Relation(0, 1));
        Assert.Equal(2, tree.Distance(0, 2));
        Assert.Equal(TreeRelation.RightAncestor, tree.Relation(0, 2));
        Assert.Equal(2, tree.Distance(3, 4));
        Assert.Equal(TreeRelation.Siblings, tree.Relation(3, 4));
        Assert.Equal(2, tree.Distance(1, 5));
        Assert.Equal(TreeRelation.Siblings, tree.Relation(1, 5));
        Assert.Equal(3, tree.Distance(0, 5));
        Assert.Equal(TreeRelation.Other, tree.Relation(0, 5));
        Assert.Equal(1, tree.Distance(2, 5));
        Assert.Equal(TreeRelation.LeftHead, tree.Relation(2, 5));
        Assert.Equal(2, tree.Distance(2, 3));
        Assert.Equal(TreeRelation.LeftAncestor, tree.Relation(2, 3));
        Assert.Equal(4, tree.Distance(0, 3));
        Assert.Equal(tree.Distance(3, 0), tree.Distance(0, 3));

        // Two words attached to the root: the path runs through it.
        Assert.Equal(2, new DependencyTree([0, 0]).Distance(0, 1));
        Assert.Contains("cycle", Assert.Throws<ArgumentException>(() => new DependencyTree([2, 3, 1])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DependencyTree([0, 5]));
        Assert.Throws<ArgumentException>(() => new DependencyTree([1]));
    }

    [Fact]
    public void Multiword_tokens_and_empty_nodes_are_skipped_and_heads_still_refer_to_words()
    {
        var sentences = Corpus.Read(Treebank, CorpusFormat.Conllu);
        Assert.Equal(["s1", "s2", "s3"], sentences.Select(s => s.Id));
        var s2 = sentences[1];
        Assert.Equal(["the", "dog", "ran", "on", "the", "mat"], s2.Words);
        Assert.Equal($"{Treebank}:14", s2.Location);
        var tree = new DependencyTree(s2.Heads!);
        Assert.Equal(TreeRelation.LeftHead, tree.Relation(2, 5)); // ran → mat across the multiword token and the empty node
        Assert.Equal(2, tree.Distance(3, 4));
    }

    [Fact]
    public void The_pair_count_of_a_treebank_equals_an_independent_count()
    {
        var sentences = Corpus.Read(Treebank, CorpusFormat.Conllu);
        var options = new InterdependenceOptions();
        // Counted by hand: s1 has six eligible words in a row (14 pairs within distance 4), s2 six (14), s3 four around a comma (6).
        Assert.Equal([14, 14, 6], sentences.Select(s => Interdependence.SentencePairs(s, options).Count));
        Assert.Equal(34, IndependentCount(File.ReadAllLines(Treebank), maxDistance: 5));
        Assert.Equal(IndependentCount(File.ReadAllLines(Treebank), maxDistance: 3),
            sentences.Sum(s => Interdependence.SentencePairs(s, options with { MaxDistance = 3 }).Count));
        Assert.Empty(Interdependence.SentencePairs(sentences[2], options with { TargetOffset = 5 }));
    }

    [Fact]
    public void Treebank_results_do_not_depend_on_threads_and_carry_the_state_when_asked()
    {
        var sentences = Corpus.Read(Treebank, CorpusFormat.Conllu);
        var model = ContextualDecompositionTests.RandomModel(2, seed: 27);
        var cd = new ContextualDecomposition(model);
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        int[] Ids(Sentence s) => [.. s.Words.Select(w => words.TryGetValue(w, out int id) ? id : words[w] = words.Count % 12)];
        var options = new InterdependenceOptions();
        var one = Interdependence.Treebank(cd, sentences, Ids, options with { Threads = 1 });
        var two = Interdependence.Treebank(cd, sentences, Ids, options with { Threads = 2 });
        Assert.Equal(34, one.Count);
        Assert.Equal(one.Select(p => p.Result.Value), two.Select(p => p.Result.Value));

        var carried = Interdependence.Treebank(cd, sentences, Ids, options with { CarryState = true });
        var first = cd.Run(Ids(sentences[0]));
        var second = cd.Run(Ids(sentences[1]), first.FinalState());
        var expected = Interdependence.Pairs(cd, second, Interdependence.SentencePairs(sentences[1], options));
        Assert.Equal(expected.Select(r => r.Value), carried.Where(p => p.SentenceId == "s2").Select(p => p.Result.Value));
        Assert.NotEqual(one.Where(p => p.SentenceId == "s2").Select(p => p.Result.Value), carried.Where(p => p.SentenceId == "s2").Select(p => p.Result.Value));
        Assert.Equal(one.Where(p => p.SentenceId == "s1").Select(p => p.Result.Value), carried.Where(p => p.SentenceId == "s1").Select(p => p.Result.Value));
    }

    [Fact]
    public void Word_classes_follow_the_UPOS_lists()
    {
        Assert.Equal("open", WordClasses.Of("PROPN"));
        Assert.Equal("closed", WordClasses.Of("AUX"));
        Assert.Null(WordClasses.Of("PUNCT"));
        Assert.Null(WordClasses.Of("X"));
        Assert.Null(WordClasses.Of("SYM"));
    }

    /// <summary>Pairs counted from the raw lines: integer IDs only, UPOS column outside PUNCT/SYM/X, distance below the maximum.</summary>
    private static int IndependentCount(string[] lines, int maxDistance)
    {
        int count = 0;
        var positions = new List<int>();
        foreach (string line in lines.Append(""))
        {
            if (line.Length == 0)
            {
                count += positions.SelectMany(l => positions.Where(r => r > l && r - l < maxDistance)).Count();
                positions.Clear();
                continue;
            }
            if (line[0] == '#') continue;
            var columns = line.Split('\t');
            if (!int.TryParse(columns[0], out int id)) continue;
            if (columns[3] is not ("PUNCT" or "SYM" or "X")) positions.Add(id);
        }
        return count;
    }
}
