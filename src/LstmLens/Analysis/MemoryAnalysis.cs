// The memory analysis of one model on one text (Verwimp et al. 2019, §4–5), as `lstmlens memory` runs it:
// Ḡ_τ per group by StateGradients, normalised by the embedding covariance (eq. 10; optionally read without it too), and read through the SVD
// (σ1, σ1/Σσ, Σ_{i≤5}σ_i/Σσ); optionally per word with the exponential decay of σ1 (eq. 13, Figure 9) and
// difference vectors between word classes (eqs. 14–20, Figures 10–11, Table 3). Groups that do not fit the
// memory budget together run in several passes over the text; and, when asked, probes on the states (StateProbes)
// with Σσ inside and outside a probe's subspace (Figure 3). Not the file formats (Experiments/MemoryFiles).
using System.Numerics;
using LstmLens.Data;
using LstmLens.Models;

namespace LstmLens.Analysis;

/// <summary>What <see cref="MemoryAnalysis.Run"/> computes.</summary>
public sealed record MemoryOptions
{
    /// <summary>Layer, state, largest delay, threads.</summary>
    public StateGradientOptions Gradient { get; init; } = new();

    /// <summary>Group specs (<see cref="MemoryGroups.Forms"/>).</summary>
    public IReadOnlyList<string> Groups { get; init; } = ["all"];

    /// <summary>Normalise by the embedding covariance (embedding models only; one-hot input is never normalised).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>When normalising, also read the groups' Ḡ_τ without the normalisation, from the same pass (Verwimp et al. Figure 4a).</summary>
    public bool AlsoUnnormalized { get; init; }

    /// <summary>Also every word type with at least <see cref="MinCount"/> occurrences, with its decay fit.</summary>
    public bool PerWord { get; init; }

    /// <summary>Fewest occurrences in the text for a word of the per-word analysis.</summary>
    public int MinCount { get; init; } = 10;

    /// <summary>Difference vectors: pairs of word-class specs (A, B).</summary>
    public IReadOnlyList<(string A, string B)> Differences { get; init; } = [];

    /// <summary>Probe labels (<see cref="StateProbes.Forms"/>), or null for no probes.</summary>
    public string? Probe { get; init; }

    /// <summary>Positions at the end of the text the probes are scored on (null: min(10,000, N/5)).</summary>
    public int? ProbeTest { get; init; }

    /// <summary>The probe whose discriminant directions span the state subspace (null: the last label set, "count" for cycles).</summary>
    public string? SubspaceProbe { get; init; }

    /// <summary>Directions of the state subspace (0: none).</summary>
    public int SubspaceSize { get; init; } = 5;

    /// <summary>Bytes of float64 sums one pass over the text may hold (more groups take more passes).</summary>
    public long MemoryBudget { get; init; } = 2L << 30;
}

/// <summary>One group at one delay.</summary>
public sealed record GroupMemory(string Group, int Delay, long Count, SingularSpectrum Spectrum);

/// <summary>One word type of the per-word analysis: σ1 of its Ḡ_τ at every delay and the fit σ1(τ) = a·e^{−bτ}.</summary>
public sealed record WordMemory(string Word, int Id, int Frequency, IReadOnlyList<long> Counts, IReadOnlyList<double> Sigma1, DecayFitResult Fit);

/// <summary>A log-spaced frequency bin [Low, High) of the per-word analysis: means of σ1 (delay 0) and of the decay rate b.</summary>
public sealed record FrequencyBin(int Low, int High, int Words, double MeanSigma1, double MeanDecay);

/// <summary>Σσ of Ḡ_τ projected onto the probe subspace of the state and onto its complement (Figure 3).</summary>
public sealed record SubspaceMemory(string Group, int Delay, double SubspaceSigmaSum, double ComplementSigmaSum);

/// <summary>A difference vector at one delay (eqs. 16, 18, 20).</summary>
public sealed record DifferenceDelay(int Delay, long Count, double RelativeMemory, double Cosine1, double Cosine5, double Sigma1Ratio, double Top5Ratio);

/// <summary>
/// The difference vector d = Z(ē_A − ē_B), unit length, between word classes A and B, measured against Ḡ_τ averaged over
/// the positions of both classes' words; with the classes' linear separability (logistic regression on the input vectors).
/// </summary>
public sealed record DifferenceMemory(string Name, string A, string B, int WordsA, int WordsB, SeparabilityResult Separability, IReadOnlyList<DifferenceDelay> Delays);

/// <summary>Held-out accuracy of logistic regression telling two word classes apart from their input vectors.</summary>
public sealed record SeparabilityResult(double TrainAccuracy, double TestAccuracy, int TrainCount, int TestCount);

/// <summary>Everything one run of the analysis found.</summary>
public sealed record MemoryReport
{
    /// <summary>Per group and delay.</summary>
    public required IReadOnlyList<GroupMemory> Groups { get; init; }

    /// <summary>The normalisation used, or null when Ḡ was not normalised.</summary>
    public EmbeddingNormalization? Normalization { get; init; }

    /// <summary>Why (or how) the gradients were normalised, in words.</summary>
    public required string NormalizationNote { get; init; }

    /// <summary>Per group and delay without the normalisation (empty unless <see cref="MemoryOptions.AlsoUnnormalized"/> and normalised).</summary>
    public IReadOnlyList<GroupMemory> UnnormalizedGroups { get; init; } = [];

    /// <summary>Per word (empty unless asked).</summary>
    public IReadOnlyList<WordMemory> Words { get; init; } = [];

    /// <summary>Per-word means by log-spaced frequency bin.</summary>
    public IReadOnlyList<FrequencyBin> FrequencyBins { get; init; } = [];

    /// <summary>Difference vectors.</summary>
    public IReadOnlyList<DifferenceMemory> Differences { get; init; } = [];

    /// <summary>Probes on the states (null unless asked).</summary>
    public ProbeReport? Probes { get; init; }

    /// <summary>Per group and delay, Σσ inside and outside the probe subspace (empty without one).</summary>
    public IReadOnlyList<SubspaceMemory> Subspaces { get; init; } = [];

    /// <summary>Positions of the text.</summary>
    public required int Tokens { get; init; }

    /// <summary>Passes over the text the groups needed.</summary>
    public required int Passes { get; init; }
}

/// <summary>Runs the memory analysis.</summary>
public static class MemoryAnalysis
{
    /// <summary>
    /// Analyses <paramref name="stream"/> (read with <paramref name="vocabulary"/>, the model's) from a zero state, reset after
    /// every position marked in <paramref name="resetAfter"/> (null: one continuous stream). <paramref name="progress"/> gets
    /// (positions done, positions in all passes).
    /// </summary>
    public static MemoryReport Run<T>(SequenceModel<T> model, Vocabulary vocabulary, TokenStream stream, bool[]? resetAfter,
        MemoryOptions options, Action<long, long>? progress = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (model.Config.Input == InputKind.Vectors) throw new InvalidDataException("the model reads real-valued vectors, not text; use the library's StateGradients with vector input");
        if (vocabulary.Count != model.Config.InputSize)
            throw new InvalidDataException($"the vocabulary has {vocabulary.Count} words but the model reads {model.Config.InputSize}");
        StateGradients.CheckOptions(model, options.Gradient, stream.Count);
        var (inputs, width) = InputVectors(model);
        var (normalization, note) = Normalization(model, options.Normalize, inputs, width);
        var input = StateGradientInput.FromTokens(stream.Ids, resetAfter);
        int delays = options.Gradient.MaxDelay + 1;

        var mainGroups = options.Groups.Select(spec => MemoryGroups.Parse(spec, stream, vocabulary)).ToArray();
        ProbeReport? probes = null;
        if (options.Probe is string probe)
        {
            var labels = StateProbes.Labels(probe, stream, vocabulary);
            probes = StateProbes.Run(model, input, options.Gradient.Layer, options.Gradient.State, labels,
                options.ProbeTest ?? Math.Max(1, Math.Min(10_000, stream.Count / 5)), options.SubspaceProbe, options.SubspaceSize, mainGroups, options.Gradient.MaxDelay);
        }

        var jobs = new List<(PositionGroup Group, Action<StateGradientResult, int> Reduce)>();
        var groups = new List<GroupMemory>[mainGroups.Length];
        var unnormalized = new List<GroupMemory>[mainGroups.Length];
        bool alsoUnnormalized = options.AlsoUnnormalized && normalization is not null;
        var subspaces = new List<SubspaceMemory>[mainGroups.Length];
        for (int i = 0; i < mainGroups.Length; i++)
        {
            int slot = i;
            jobs.Add((mainGroups[i], (result, g) =>
            {
                groups[slot] = [.. Enumerable.Range(0, delays).AsParallel().AsOrdered()
                    .Select(tau => new GroupMemory(result.Groups[g], tau, result.Count(g, tau), Spectrum(result, g, tau, normalization)))];
                if (alsoUnnormalized)
                {
                    unnormalized[slot] = [.. Enumerable.Range(0, delays).AsParallel().AsOrdered()
                        .Select(tau => new GroupMemory(result.Groups[g], tau, result.Count(g, tau), Spectrum(result, g, tau, null)))];
                }
                if (probes?.Subspace is not double[] basis) return;
                var complement = LinearDiscriminantAnalysis.Complement(basis, result.StateSize, probes.SubspaceSize);
                subspaces[slot] = [.. Enumerable.Range(0, delays).AsParallel().AsOrdered().Select(tau =>
                {
                    var gradient = Normalized(result, g, tau, normalization);
                    return new SubspaceMemory(result.Groups[g], tau,
                        StateProbes.ProjectedSigmaSum(gradient, result.StateSize, result.InputSize, basis, probes.SubspaceSize),
                        StateProbes.ProjectedSigmaSum(gradient, result.StateSize, result.InputSize, complement, result.StateSize - probes.SubspaceSize));
                })];
            }));
        }

        var differences = new DifferenceMemory[options.Differences.Count];
        for (int i = 0; i < options.Differences.Count; i++)
        {
            var (a, b) = options.Differences[i];
            int[] wordsA = MemoryGroups.WordClass(a, stream, vocabulary), wordsB = MemoryGroups.WordClass(b, stream, vocabulary);
            if (wordsA.Intersect(wordsB).Any()) throw new OptionException($"--difference {a} {b}: the classes share words ({vocabulary.Tokens[wordsA.Intersect(wordsB).First()]})");
            var direction = DifferenceVector(inputs, width, wordsA, wordsB, normalization);
            var separability = Separability(inputs, width, wordsA, wordsB);
            var members = wordsA.Concat(wordsB).ToHashSet();
            string name = $"{a} - {b}";
            int slot = i;
            jobs.Add((new PositionGroup(name, [.. Enumerable.Range(0, stream.Count).Where(u => members.Contains(stream.Ids[u]))]), (result, g) =>
                differences[slot] = new DifferenceMemory(name, a, b, wordsA.Length, wordsB.Length, separability, [.. Enumerable.Range(0, delays)
                    .AsParallel().AsOrdered().Select(tau => Difference(result, g, tau, normalization, direction))])));
        }

        var words = new List<WordMemory>();
        if (options.PerWord)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(options.MinCount, 1);
            var positions = Enumerable.Range(0, stream.Count).GroupBy(u => stream.Ids[u]).Where(p => p.Count() >= options.MinCount).OrderBy(p => p.Key);
            foreach (var occurrences in positions)
            {
                int id = occurrences.Key, frequency = occurrences.Count();
                jobs.Add((new PositionGroup($"word:{vocabulary.Tokens[id]}", [.. occurrences]), (result, g) =>
                {
                    long[] counts = [.. Enumerable.Range(0, delays).Select(tau => result.Count(g, tau))];
                    double[] sigma1 = [.. Enumerable.Range(0, delays).Select(tau => counts[tau] == 0 ? 0 : Spectrum(result, g, tau, normalization, vectors: false).Sigma1)];
                    double[] fitted = [.. Enumerable.Range(0, delays).Where(tau => counts[tau] > 0).Select(tau => (double)tau)];
                    var fit = DecayFit.Fit(fitted, [.. fitted.Select(tau => sigma1[(int)tau])]);
                    lock (words) words.Add(new WordMemory(vocabulary.Tokens[id], id, frequency, counts, sigma1, fit));
                }));
            }
        }

        // Pack the groups into passes that fit the budget; each pass's result is reduced and dropped before the next.
        long perGroup = (long)delays * model.Stack.InputSize * model.Stack.Layers[options.Gradient.Layer].HiddenSize * sizeof(double);
        int perPass = (int)Math.Clamp(options.MemoryBudget / Math.Max(1, perGroup), 1, int.MaxValue);
        var passes = jobs.Chunk(perPass).ToArray();
        long total = (long)passes.Length * stream.Count;
        for (int p = 0; p < passes.Length; p++)
        {
            var pass = passes[p];
            long done = (long)p * stream.Count;
            var result = StateGradients.Compute(model, input, [.. pass.Select(j => j.Group)], options.Gradient, at => progress?.Invoke(done + at, total));
            Parallel.For(0, pass.Length, g => pass[g].Reduce(result, g));
        }

        words.Sort((x, y) => x.Id.CompareTo(y.Id));
        return new MemoryReport
        {
            Groups = [.. groups.SelectMany(g => g)],
            Normalization = normalization,
            NormalizationNote = note,
            UnnormalizedGroups = alsoUnnormalized ? [.. unnormalized.SelectMany(g => g)] : [],
            Words = words,
            FrequencyBins = Bins(words, options.MinCount),
            Differences = differences,
            Probes = probes,
            Subspaces = [.. subspaces.Where(x => x is not null).SelectMany(x => x)],
            Tokens = stream.Count,
            Passes = passes.Length,
        };
    }

    /// <summary>The input vector of every word type [V, E]: the embedding table, or the identity for one-hot input.</summary>
    private static (double[] Vectors, int Width) InputVectors<T>(SequenceModel<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vocabulary = model.Config.InputSize;
        if (model.Embedding is null)
        {
            var identity = new double[vocabulary * vocabulary];
            for (int i = 0; i < vocabulary; i++) identity[i * vocabulary + i] = 1;
            return (identity, vocabulary);
        }
        ReadOnlySpan<T> table = model.Embedding.Weight.Value;
        var vectors = new double[table.Length];
        for (int i = 0; i < vectors.Length; i++) vectors[i] = double.CreateChecked(table[i]);
        return (vectors, model.Embedding.EmbeddingSize);
    }

    private static (EmbeddingNormalization?, string) Normalization<T>(SequenceModel<T> model, bool normalize, double[] inputs, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (model.Embedding is null) return (null, "not normalised: one-hot input is never normalised (every direction already has the same variance)");
        if (!normalize) return (null, "not normalised (--no-normalize)");
        var normalization = EmbeddingNormalization.FromTable(inputs, model.Config.InputSize, width);
        return (normalization, "normalised by the embedding covariance: G_norm = G D, cov_e = D Dᵀ (Verwimp et al. eq. 10)");
    }

    private static double[] Normalized(StateGradientResult result, int g, int tau, EmbeddingNormalization? normalization)
    {
        var mean = result.Mean(g, tau);
        return normalization?.Normalize(mean, result.StateSize) ?? mean;
    }

    private static SingularSpectrum Spectrum(StateGradientResult result, int g, int tau, EmbeddingNormalization? normalization, bool vectors = true) =>
        SingularSpectrum.Of(Normalized(result, g, tau, normalization), result.StateSize, result.InputSize, vectors);

    // Eq. 14 with the unit length taken after whitening: d = Z(ē_A − ē_B) / ‖Z(ē_A − ē_B)‖.
    private static double[] DifferenceVector(double[] inputs, int width, int[] wordsA, int[] wordsB, EmbeddingNormalization? normalization)
    {
        double[] Mean(int[] words)
        {
            var mean = new double[width];
            foreach (int w in words)
                for (int j = 0; j < width; j++) mean[j] += inputs[w * width + j] / words.Length;
            return mean;
        }
        double[] a = Mean(wordsA), b = Mean(wordsB);
        double[] difference = [.. a.Zip(b, (x, y) => x - y)];
        double[] d = normalization?.Whiten(difference) ?? difference;
        double norm = Math.Sqrt(d.Sum(v => v * v));
        if (norm == 0) throw new OptionException("the two classes have the same mean input vector, so they define no direction");
        return [.. d.Select(v => v / norm)];
    }

    // m = ‖Ḡ_τ d‖ / σ1 (eqs. 18, 20) and ‖V_nᵀ d‖ for n = 1, 5 (eq. 16).
    private static DifferenceDelay Difference(StateGradientResult result, int g, int tau, EmbeddingNormalization? normalization, double[] d)
    {
        var gradient = Normalized(result, g, tau, normalization);
        var spectrum = SingularSpectrum.Of(gradient, result.StateSize, result.InputSize);
        int e = result.InputSize;
        double r = 0;
        for (int i = 0; i < result.StateSize; i++)
        {
            double dot = 0;
            for (int j = 0; j < e; j++) dot += gradient[i * e + j] * d[j];
            r += dot * dot;
        }
        double relative = spectrum.Sigma1 > 0 ? Math.Sqrt(r) / spectrum.Sigma1 : 0;
        return new DifferenceDelay(tau, result.Count(g, tau), relative, spectrum.SubspaceCosine(d, 1), spectrum.SubspaceCosine(d, 5), spectrum.Sigma1Ratio, spectrum.Top5Ratio);
    }

    private static SeparabilityResult Separability(double[] inputs, int width, int[] wordsA, int[] wordsB)
    {
        int[] words = [.. wordsA, .. wordsB];
        var features = new double[words.Length * width];
        for (int i = 0; i < words.Length; i++) Array.Copy(inputs, words[i] * width, features, i * width, width);
        int[] labels = [.. words.Select((_, i) => i < wordsA.Length ? 0 : 1)];
        var (train, test, trainCount, testCount) = LogisticRegression.HeldOut(features, words.Length, width, labels, 2);
        return new SeparabilityResult(train, test, trainCount, testCount);
    }

    // Bins [10^k, 10^(k+1)) from the bin holding the smallest frequency allowed; empty bins are left out.
    private static FrequencyBin[] Bins(List<WordMemory> words, int minCount)
    {
        if (words.Count == 0) return [];
        var bins = new List<FrequencyBin>();
        for (long low = (long)Math.Pow(10, Math.Floor(Math.Log10(minCount))); low <= words.Max(w => w.Frequency); low *= 10)
        {
            long high = low * 10;
            var inBin = words.Where(w => w.Frequency >= low && w.Frequency < high).ToArray();
            if (inBin.Length == 0) continue;
            var fitted = inBin.Where(w => w.Fit.Converged).ToArray();
            bins.Add(new FrequencyBin((int)low, (int)Math.Min(high, int.MaxValue), inBin.Length, inBin.Average(w => w.Sigma1[0]),
                fitted.Length > 0 ? fitted.Average(w => w.Fit.B) : double.NaN));
        }
        return [.. bins];
    }
}
