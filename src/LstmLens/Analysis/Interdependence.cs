// Interdependence (Saphra & Lopez 2020, §2.2): how far the relevant contribution of two disjoint position sets A and B
// together is from the sum of their separate contributions, ‖v_{A∪B} − (v_A + v_B)‖₂ / ‖v_{A∪B}‖₂ at a target step,
// from three contextual-decomposition passes; for every word pair of a sentence in one batched pass (each word's own
// lane is shared by all its pairs, and a pair's lane branches from its left word's), and over a CoNLL-U treebank with
// sequential and syntactic distances and word classes. Not the tables or figures (Experiments/InterdependenceFiles).
using System.Numerics.Tensors;
using LstmLens.Data;

namespace LstmLens.Analysis;

/// <summary>Where the contributions are compared.</summary>
public enum InterdependenceSpace
{
    /// <summary>The logits without decoder bias, v = W_dec β (the paper's choice).</summary>
    Logits,
    /// <summary>The top layer's hidden state β.</summary>
    Hidden,
}

/// <summary>One interdependence value with the norms it is made of and the decomposition's largest errors.</summary>
/// <param name="Value">‖v_{A∪B} − (v_A + v_B)‖ / ‖v_{A∪B}‖ (NaN when v_{A∪B} = 0).</param>
/// <param name="NormA">‖v_A‖.</param>
/// <param name="NormB">‖v_B‖.</param>
/// <param name="NormUnion">‖v_{A∪B}‖.</param>
/// <param name="StateError">Largest ‖β + γ − h‖ / ‖h‖ of the three passes at the target.</param>
/// <param name="LogitError">Largest ‖(v_β + v_γ) − v‖ / ‖v‖ of the three passes at the target.</param>
public readonly record struct InterdependenceResult(double Value, double NormA, double NormB, double NormUnion, double StateError, double LogitError);

/// <summary>What the treebank analysis measures.</summary>
public sealed record InterdependenceOptions
{
    /// <summary>Pairs (l, r) have 1 ≤ r − l &lt; MaxDistance.</summary>
    public int MaxDistance { get; init; } = 5;

    /// <summary>The target step is r + TargetOffset (0: the step that reads r).</summary>
    public int TargetOffset { get; init; }

    /// <summary>Logits or hidden state.</summary>
    public InterdependenceSpace Space { get; init; } = InterdependenceSpace.Logits;

    /// <summary>Carry the state across sentences in file order (default: every sentence starts from zero).</summary>
    public bool CarryState { get; init; }

    /// <summary>Longest sentence accepted, in words (a guard against a file that is not split into sentences).</summary>
    public int MaxLength { get; init; } = 512;

    /// <summary>Threads over sentences (0: <see cref="Numerics.Compute.Threads"/>). Results do not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Checks the settings.</summary>
    public void Validate()
    {
        if (MaxDistance < 2) throw new OptionException($"--max-distance must be at least 2 (pairs have 1 ≤ r − l < max), got {MaxDistance}");
        if (TargetOffset < 0) throw new OptionException($"--target-offset must be 0 or more (the target reads r or a later word), got {TargetOffset}");
        if (Threads < 0) throw new OptionException($"--threads must be positive, got {Threads}");
        if (MaxLength < 2) throw new OptionException($"--max-length must be at least 2, got {MaxLength}");
    }
}

/// <summary>A word pair of a treebank sentence with its interdependence.</summary>
public sealed record WordPairMeasure(
    string SentenceId, int Left, int Right, string LeftWord, string RightWord, string LeftUpos, string RightUpos,
    string LeftClass, string RightClass, int SyntacticDistance, TreeRelation Relation, InterdependenceResult Result)
{
    /// <summary>r − l.</summary>
    public int SequentialDistance => Right - Left;

    /// <summary>"open-open", "open-closed", "closed-open" or "closed-closed" (left word first).</summary>
    public string ClassPair => $"{LeftClass}-{RightClass}";
}

/// <summary>Interdependence from contextual decomposition.</summary>
public static class Interdependence
{
    /// <summary>The interdependence of the disjoint non-empty sets <paramref name="a"/> and <paramref name="b"/> at step <paramref name="target"/>.</summary>
    public static InterdependenceResult Measure(ContextualDecomposition cd, DecomposedSentence sentence, IEnumerable<int> a, IEnumerable<int> b, int target,
        InterdependenceSpace space = InterdependenceSpace.Logits)
    {
        ArgumentNullException.ThrowIfNull(cd);
        ArgumentNullException.ThrowIfNull(sentence);
        var setA = a.ToHashSet();
        var setB = b.ToHashSet();
        if (setA.Count == 0 || setB.Count == 0) throw new ArgumentException("both position sets need at least one position");
        int overlap = setA.Intersect(setB).DefaultIfEmpty(-1).Min();
        if (overlap >= 0) throw new ArgumentException($"the two position sets overlap at position {overlap}; they must be disjoint");
        if (target < 0 || target >= sentence.Length) throw new ArgumentException($"target step {target} is outside the sentence (steps 0–{sentence.Length - 1})");
        var d = cd.Decompose(sentence,
        [
            new DecompositionLane(setA, target, target), new DecompositionLane(setB, target, target), new DecompositionLane(setA.Union(setB), target, target),
        ]);
        return Combine(cd, sentence, [(d[0], d[1], d[2], target)], space)[0];
    }

    /// <summary>
    /// The interdependence of every word pair (l, r) of <paramref name="pairs"/> at step r + <paramref name="targetOffset"/>,
    /// in one batched pass over the sentence.
    /// </summary>
    public static InterdependenceResult[] Pairs(ContextualDecomposition cd, DecomposedSentence sentence, IReadOnlyList<(int Left, int Right)> pairs,
        int targetOffset = 0, InterdependenceSpace space = InterdependenceSpace.Logits)
    {
        ArgumentNullException.ThrowIfNull(cd);
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(pairs);
        var span = new Dictionary<int, (int From, int To)>(); // each word's own lane records the targets of its pairs
        foreach (var (l, r) in pairs)
        {
            if (l < 0 || r <= l) throw new ArgumentException($"pair ({l}, {r}) needs 0 ≤ l < r");
            int target = r + targetOffset;
            if (target >= sentence.Length) throw new ArgumentException($"pair ({l}, {r}): target step {target} is beyond the sentence's {sentence.Length} steps");
            foreach (int p in new[] { l, r })
                span[p] = span.TryGetValue(p, out var s) ? (Math.Min(s.From, target), Math.Max(s.To, target)) : (target, target);
        }
        var lanes = new List<DecompositionLane>();
        var single = new Dictionary<int, int>();
        foreach (var (p, (from, to)) in span.OrderBy(e => e.Key))
        {
            single[p] = lanes.Count;
            lanes.Add(new DecompositionLane([p], to, from));
        }
        bool branch = cd.Policy != BiasPolicy.MurdochExclusive; // there {l} and {l, r} place the bias term differently at l
        foreach (var (l, r) in pairs)
            lanes.Add(new DecompositionLane([l, r], r + targetOffset, r + targetOffset, branch ? single[l] : -1));
        var d = cd.Decompose(sentence, lanes);
        return Combine(cd, sentence, [.. pairs.Select((p, i) => (d[single[p.Left]], d[single[p.Right]], d[span.Count + i], p.Right + targetOffset))], space);
    }

    /// <summary>
    /// Every eligible word pair of a CoNLL-U treebank: both words open or closed class, 1 ≤ r − l &lt; MaxDistance, the
    /// target inside the sentence. <paramref name="tokenIds"/> maps each sentence's words to model tokens;
    /// <paramref name="progress"/> receives the pairs done so far and their total.
    /// </summary>
    public static List<WordPairMeasure> Treebank(ContextualDecomposition cd, IReadOnlyList<Sentence> sentences, Func<Sentence, int[]> tokenIds,
        InterdependenceOptions options, Action<long, long>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(cd);
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(tokenIds);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var plans = sentences.Select(s => SentencePairs(s, options)).ToArray();
        var trees = sentences.Select(s =>
        {
            if (s.Words.Length > options.MaxLength)
                throw new InvalidDataException($"{s.Location ?? "a sentence"}: sentence {s.Id} has {s.Words.Length} words, more than --max-length {options.MaxLength}");
            try
            {
                return new DependencyTree(s.Heads!);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{s.Location ?? "a sentence"}: {e.Message}", e);
            }
        }).ToArray();
        long total = plans.Sum(p => (long)p.Count), done = 0;
        var tokens = sentences.Select(tokenIds).ToArray();
        double[][]? initial = null;
        if (options.CarryState)
        {
            initial = new double[sentences.Count][];
            double[] state = [];
            for (int i = 0; i < sentences.Count; i++)
            {
                initial[i] = state;
                state = cd.Run(tokens[i], state).FinalState();
            }
        }
        var results = new List<WordPairMeasure>[sentences.Count];
        int threads = options.Threads > 0 ? options.Threads : Numerics.Compute.Threads;
        // One thread per sentence. The process-wide thread count is left alone (other work may be reading it): a product
        // that finds the kernels' worker team busy runs on its caller, with the same result.
        Parallel.For(0, sentences.Count, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var sentence = sentences[i];
            var pairs = plans[i];
            results[i] = [];
            if (pairs.Count == 0) return;
            var run = cd.Run(tokens[i], initial is null ? [] : initial[i]);
            var values = Pairs(cd, run, [.. pairs.Select(p => (p.Left, p.Right))], options.TargetOffset, options.Space);
            var tree = trees[i];
            for (int k = 0; k < pairs.Count; k++)
            {
                var (l, r) = pairs[k];
                results[i].Add(new WordPairMeasure(sentence.Id ?? $"{i + 1}", l, r, sentence.Words[l], sentence.Words[r], sentence.Tags![l], sentence.Tags[r],
                    WordClasses.Of(sentence.Tags[l])!, WordClasses.Of(sentence.Tags[r])!, tree.Distance(l, r), tree.Relation(l, r), values[k]));
            }
            progress?.Invoke(Interlocked.Add(ref done, pairs.Count), total);
        });
        return [.. results.SelectMany(r => r)];
    }

    /// <summary>The eligible pairs of one sentence, left word first.</summary>
    public static List<(int Left, int Right)> SentencePairs(Sentence sentence, InterdependenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(options);
        if (sentence.Tags is null || sentence.Heads is null)
            throw new InvalidDataException($"{sentence.Location ?? "a sentence"}: interdependence needs UPOS tags and dependency heads (a CoNLL-U file)");
        var pairs = new List<(int, int)>();
        int n = sentence.Words.Length;
        for (int l = 0; l < n; l++)
        {
            if (WordClasses.Of(sentence.Tags[l]) is null) continue;
            for (int r = l + 1; r < n && r - l < options.MaxDistance && r + options.TargetOffset < n; r++)
                if (WordClasses.Of(sentence.Tags[r]) is not null) pairs.Add((l, r));
        }
        return pairs;
    }

    /// <summary>The interdependence of each (A, B, A ∪ B, target) item, after checking every pass at its target.</summary>
    private static InterdependenceResult[] Combine(ContextualDecomposition cd, DecomposedSentence sentence,
        IReadOnlyList<(Decomposition A, Decomposition B, Decomposition Union, int Target)> items, InterdependenceSpace space)
    {
        int n = items.Count, h = cd.HiddenSize;
        var checks = items.SelectMany(x => new[] { (x.A, x.Target), (x.B, x.Target), (x.Union, x.Target) }).Distinct().ToList();
        var errors = cd.Check(sentence, checks);
        var index = checks.Select((c, k) => (c, k)).ToDictionary(e => e.c, e => e.k);
        var vectors = new double[4 * n * h]; // per item: v_A, v_B, v_{A∪B}, v_{A∪B} − v_A − v_B (before W_dec)
        for (int i = 0; i < n; i++)
        {
            var (a, b, union, t) = items[i];
            a.Relevant(t).CopyTo(vectors.AsSpan(4 * i * h, h));
            b.Relevant(t).CopyTo(vectors.AsSpan((4 * i + 1) * h, h));
            union.Relevant(t).CopyTo(vectors.AsSpan((4 * i + 2) * h, h));
            var residual = vectors.AsSpan((4 * i + 3) * h, h);
            TensorPrimitives.Subtract(union.Relevant(t), a.Relevant(t), residual);
            TensorPrimitives.Subtract(residual, b.Relevant(t), residual);
        }
        var norms = new double[4 * n];
        if (space == InterdependenceSpace.Logits) cd.LogitNorms(vectors, norms);
        else for (int k = 0; k < norms.Length; k++) norms[k] = TensorPrimitives.Norm(vectors.AsSpan(k * h, h));
        var results = new InterdependenceResult[n];
        for (int i = 0; i < n; i++)
        {
            var (a, b, u, t) = items[i];
            var passes = new[] { errors[index[(a, t)]], errors[index[(b, t)]], errors[index[(u, t)]] };
            double union = norms[4 * i + 2];
            results[i] = new InterdependenceResult(union == 0 ? double.NaN : norms[4 * i + 3] / union, norms[4 * i], norms[4 * i + 1], union,
                passes.Max(e => e.State), passes.Max(e => e.Logits));
        }
        return results;
    }
}
