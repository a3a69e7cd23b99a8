using LstmLens.Data;
using LstmLens.Numerics;
using LstmLens.Tasks;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Tasks;

public class CycleCorpusTests
{
    private const int CycleLength = 16;

    // The cycles of `lines` in order: (new token, repeated token, index of its line).
    private static List<(string New, string Repeated, int Line)> Cycles(List<Sentence> lines)
    {
        var cycles = new List<(string, string, int)>();
        for (int l = 0; l < lines.Count; l++)
        {
            string[] words = lines[l].Words;
            Assert.Equal(0, words.Length % CycleLength);
            for (int at = 0; at < words.Length; at += CycleLength)
            {
                Assert.All(words[(at + 2)..(at + CycleLength)], w => Assert.Equal(words[at + 1], w));
                cycles.Add((words[at], words[at + 1], l));
            }
        }
        return cycles;
    }

    [Fact]
    public void Cycles_repeat_the_previous_new_token_across_line_ends()
    {
        var corpus = new CycleCorpus();
        var lines = corpus.Lines(new Rng(1)).Take(3000).ToList();
        var cycles = Cycles(lines);
        int crossings = 0;
        for (int k = 1; k < cycles.Count; k++)
        {
            Assert.Equal(cycles[k - 1].New, cycles[k].Repeated);
            Assert.NotEqual(cycles[k].Repeated, cycles[k].New);
            if (k >= 2) Assert.NotEqual(cycles[k - 2].New, cycles[k].New);
            if (cycles[k].Line != cycles[k - 1].Line) crossings++;
        }
        Assert.Equal(2999, crossings);
        var perLine = lines.GroupBy(l => l.Words.Length / CycleLength).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(5, 6), perLine.Keys.Order());
        Assert.All(perLine.Values, count => Assert.InRange(count, 420, 580));
        Assert.All(lines.SelectMany(l => l.Words), w => Assert.Contains(w, corpus.TokenNames));
        Assert.Equal(10, lines.SelectMany(l => l.Words).Distinct().Count());
    }

    [Fact]
    public void Stream_ids_put_eos_after_each_line_and_stop_at_the_limit()
    {
        var corpus = new CycleCorpus();
        var lines = corpus.Lines(new Rng(2)).Take(3).ToList();
        int[] expected = [.. lines.SelectMany(l => l.Words.Select(w => corpus.Vocabulary[w]).Append(corpus.Vocabulary.EndOfSentence))];

        Assert.Equal(expected, SyntheticCorpus.Ids(lines, corpus.Vocabulary));
        Assert.Equal(expected[..100], SyntheticCorpus.Ids(corpus.Lines(new Rng(2)), corpus.Vocabulary, 100)); // an endless stream, cut
        int firstEnd = lines[0].Words.Length + 1;
        Assert.Equal(expected[..firstEnd], SyntheticCorpus.Ids(corpus.Lines(new Rng(2)), corpus.Vocabulary, firstEnd));
        Assert.Equal([corpus.Vocabulary.Unknown, corpus.Vocabulary.EndOfSentence], SyntheticCorpus.Ids([new Sentence(["nowhere"])], corpus.Vocabulary));
    }

    [Fact]
    public void Analytic_minimal_perplexities()
    {
        var corpus = new CycleCorpus();
        Assert.Equal(1.1375, corpus.PaperMinimalPerplexity, 4);   // Appendix 8, eq. 26
        Assert.Equal(1.15454, corpus.MinimalPerplexity, 5);       // with the line ends, which the paper leaves out
    }

    [Fact]
    public void Minimal_perplexity_matches_the_entropy_of_the_generated_data()
    {
        // The optimal predictor knows the two previous new tokens (which fix the repeated token) and, in
        // the paper's reckoning, where the line ends. Estimate from a large sample the entropy of a new
        // token given that context and of the repetitions given theirs, and rebuild both perplexities.
        var corpus = new CycleCorpus();
        var lines = corpus.Lines(new Rng(2)).Take(20000).ToList();
        var cycles = Cycles(lines);
        var newGivenContext = new Dictionary<(string, string), Dictionary<string, int>>();
        var repeatedGivenPrevious = new Dictionary<string, HashSet<string>>();
        for (int k = 2; k < cycles.Count; k++)
        {
            var counts = newGivenContext.TryGetValue((cycles[k - 1].New, cycles[k - 2].New), out var c) ? c : newGivenContext[(cycles[k - 1].New, cycles[k - 2].New)] = [];
            counts[cycles[k].New] = counts.GetValueOrDefault(cycles[k].New) + 1;
            (repeatedGivenPrevious.TryGetValue(cycles[k - 1].New, out var r) ? r : repeatedGivenPrevious[cycles[k - 1].New] = []).Add(cycles[k].Repeated);
        }
        Assert.All(repeatedGivenPrevious.Values, seen => Assert.Single(seen));   // repetitions carry no information
        double newTokens = newGivenContext.Values.Sum(c => c.Values.Sum());
        double entropy = newGivenContext.Values.Sum(counts =>
        {
            double n = counts.Values.Sum();
            return counts.Values.Sum(m => -m * Math.Log(m / n));
        }) / newTokens;
        Assert.Equal(Math.Log(8), entropy, 2);

        var cyclesPerLine = lines.Select(l => l.Words.Length / CycleLength).ToList();
        var frequency = cyclesPerLine.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count() / (double)lines.Count);
        double paper = frequency.Sum(f => f.Value * Math.Exp(f.Key * entropy / (CycleLength * f.Key + 1)));
        Assert.Equal(corpus.PaperMinimalPerplexity, paper, 0.0005);

        double lineEndEntropy = -frequency.Values.Sum(f => f * Math.Log(f));
        double loss = cyclesPerLine.Sum(n => n * entropy) + lines.Count * lineEndEntropy;
        double tokens = cyclesPerLine.Sum(n => CycleLength * n + 1);
        Assert.Equal(corpus.MinimalPerplexity, Math.Exp(loss / tokens), 0.0005);
    }

    [Fact]
    public void Written_text_reads_back_as_the_same_token_stream()
    {
        using var dir = new TempDirectory();
        var corpus = new CycleCorpus();
        var lines = corpus.Lines(new Rng(3)).Take(50).ToList();
        string path = Path.Combine(dir.Path, "train.txt");
        SyntheticCorpus.WriteText(path, lines);
        var read = Corpus.Read(path, CorpusFormat.Text);
        var stream = TokenStream.From(read, corpus.Vocabulary);
        Assert.Equal(TokenStream.From(lines, corpus.Vocabulary).Ids, stream.Ids);
        Assert.Equal(0, stream.UnknownCount);
        Assert.Equal(50, stream.Ids.Count(id => id == corpus.Vocabulary.EndOfSentence));
    }
}
