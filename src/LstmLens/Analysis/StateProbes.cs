// Probes on recurrent states (Verwimp et al. 2019, §4.2, Table 1 and Figures 2–3): the states c and h of one
// layer recorded at every position of a text, linear discriminant analysis (one shared covariance) trained on
// all but the last K positions and scored on the last K, for labels from the token id, a label file or the
// cycles corpus's own structure (new token, count within the cycle); a probe's top-k discriminant directions
// as a subspace of the state ("counting subspace") and its complement, with the probes retrained on each; and
// how well the input at a start position can be read from the state τ steps later. Not the state gradients
// (StateGradients) and not the LDA itself (LinearDiscriminantAnalysis).
using System.Numerics;
using LstmLens.Data;
using LstmLens.Models;

namespace LstmLens.Analysis;

/// <summary>Labels of every position for one probe: class ids and their names.</summary>
public sealed record ProbeLabels(string Name, int[] Labels, IReadOnlyList<string> Classes);

/// <summary>The accuracy of one probe on one representation of the states.</summary>
/// <param name="Probe">Label set (token, new, count, or the label file's name).</param>
/// <param name="State">c or h.</param>
/// <param name="Representation">"state", or "subspace" / "complement" of the subspace probe's directions.</param>
/// <param name="Dimensions">Features the LDA saw.</param>
/// <param name="Classes">Classes present in training.</param>
/// <param name="Train">Training positions.</param>
/// <param name="Test">Test positions.</param>
/// <param name="Accuracy">Test accuracy.</param>
public sealed record ProbeResult(string Probe, string State, string Representation, int Dimensions, int Classes, int Train, int Test, double Accuracy);

/// <summary>LDA accuracy of reading the token at a start position of a group from the state τ steps later (Figure 3, right axis).</summary>
public sealed record InputRecall(string Group, string State, int Delay, int Train, int Test, double Accuracy);

/// <summary>The recorded states and the probes' results.</summary>
public sealed record ProbeReport
{
    /// <summary>Every probe on every representation.</summary>
    public required IReadOnlyList<ProbeResult> Results { get; init; }

    /// <summary>Orthonormal basis [H, k] of the subspace probe's top-k discriminant directions in the analysed state (null without one).</summary>
    public double[]? Subspace { get; init; }

    /// <summary>k, the subspace's dimension.</summary>
    public int SubspaceSize { get; init; }

    /// <summary>The probe whose directions span the subspace.</summary>
    public string? SubspaceProbe { get; init; }

    /// <summary>Input recall by delay, per group other than all.</summary>
    public IReadOnlyList<InputRecall> Recall { get; init; } = [];
}

/// <summary>Runs the probes.</summary>
public static class StateProbes
{
    /// <summary>The forms of a probe spec.</summary>
    public const string Forms = "token, cycles or a label FILE";

    /// <summary>
    /// The label sets of <paramref name="spec"/>: <c>token</c> (the token id), <c>cycles</c> (token id, new token and
    /// count of the cycles corpus: a new token is one that differs from both neighbouring tokens, the count is 0 there
    /// and grows by one each position until the next new token; &lt;eos&gt; is a class of its own), or a file with one
    /// whitespace-separated label per position.
    /// </summary>
    public static IReadOnlyList<ProbeLabels> Labels(string spec, TokenStream stream, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var token = new ProbeLabels("token", stream.Ids, vocabulary.Tokens);
        if (spec == "token") return [token];
        if (spec == "cycles")
        {
            var (isNew, count) = CycleStructure(stream.Ids, vocabulary.EndOfSentence);
            int eos = vocabulary.EndOfSentence, longest = count.Max();
            int[] newLabels = [.. stream.Ids.Select((id, u) => id == eos ? 2 : isNew[u] ? 1 : 0)];
            int[] countLabels = [.. stream.Ids.Select((id, u) => id == eos ? longest + 1 : count[u])];
            return [token, new("new", newLabels, ["other", "new token", "<eos>"]),
                new("count", countLabels, [.. Enumerable.Range(0, longest + 1).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), "<eos>"])];
        }
        if (!File.Exists(spec)) throw new FileNotFoundException($"--probe {spec}: expected {Forms}, and there is no such file", spec);
        var labels = File.ReadAllText(spec).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (labels.Length < stream.Count)
            throw new InvalidDataException($"{spec}: {labels.Length} labels for a text of {stream.Count} positions (one label per position, <eos> included)");
        var names = labels.Take(stream.Count).Distinct().Order(StringComparer.Ordinal).ToArray();
        var ids = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        return [new(Path.GetFileName(spec), [.. labels.Take(stream.Count).Select(l => ids[l])], names)];
    }

    /// <summary>Positions of the cycles corpus's new tokens (token-x-1 in the paper), for groups and recall.</summary>
    public static int[] NewTokenPositions(int[] ids, int endOfSentence)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var (isNew, _) = CycleStructure(ids, endOfSentence);
        return [.. Enumerable.Range(0, ids.Length).Where(u => isNew[u])];
    }

    /// <summary>
    /// Records the states of <paramref name="layer"/>, trains each label set's LDA on all but the last <paramref name="test"/>
    /// positions and scores it on them, for c and h; retrains on the subspace of the <paramref name="subspaceProbe"/>'s top
    /// <paramref name="subspaceSize"/> directions in <paramref name="state"/> and on its complement; and, for each group
    /// other than "all", reads the token at its positions from the state τ = 0 … <paramref name="maxDelay"/> steps later.
    /// </summary>
    public static ProbeReport Run<T>(SequenceModel<T> model, StateGradientInput input, int layer, StateKind state, IReadOnlyList<ProbeLabels> labels,
        int test, string? subspaceProbe, int subspaceSize, IReadOnlyList<PositionGroup> groups, int maxDelay) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(groups);
        int n = input.Count;
        if (test < 1 || test >= n) throw new OptionException($"--probe-test {test}: must leave training positions in a text of {n} (1 to {n - 1})");
        var states = Record(model, input, layer);
        int h = model.Stack.Layers[layer].HiddenSize, train = n - test;
        var results = new List<ProbeResult>();
        foreach (var (name, values) in states)
            foreach (var probe in labels)
                results.Add(Score(probe, name, "state", values, h, train, n));

        double[]? basis = null;
        string key = state == StateKind.Cell ? "c" : "h";
        var probeForSubspace = subspaceProbe is null ? labels[^1] : labels.FirstOrDefault(l => l.Name == subspaceProbe)
            ?? throw new OptionException($"--probe-subspace {subspaceProbe}: no such probe (have {string.Join(", ", labels.Select(l => l.Name))})");
        var analysed = states.First(s => s.Name == key).Values;
        if (subspaceSize > 0)
        {
            if (subspaceSize >= h) throw new OptionException($"the subspace of {subspaceSize} directions leaves no complement in a state of {h}");
            var lda = LinearDiscriminantAnalysis.Fit(analysed.AsSpan(0, train * h), train, h, probeForSubspace.Labels.AsSpan(0, train));
            basis = LinearDiscriminantAnalysis.OrthonormalBasis(lda.Directions(subspaceSize), h, subspaceSize);
            var complement = LinearDiscriminantAnalysis.Complement(basis, h, subspaceSize);
            foreach (var (representation, projector, k) in new[] { ("subspace", basis, subspaceSize), ("complement", complement, h - subspaceSize) })
            {
                var projected = LinearDiscriminantAnalysis.Project(analysed, n, h, projector, k);
                foreach (var probe in labels) results.Add(Score(probe, key, representation, projected, k, train, n));
            }
        }

        var recall = new List<InputRecall>();
        var tokens = input.Tokens;
        var segmentEnd = new int[n];
        foreach (var (start, end) in input.Segments())
            for (int u = start; u < end; u++) segmentEnd[u] = end;
        foreach (var group in groups.Where(g => g.Name != "all" && tokens is not null))
            foreach (var (name, values) in states)
                for (int tau = 0; tau <= maxDelay; tau++)
                {
                    int[] starts = [.. group.Positions.Distinct().Where(u => u + tau < segmentEnd[u])];
                    int[] trainStarts = [.. starts.Where(u => u + tau < train)], testStarts = [.. starts.Where(u => u + tau >= train)];
                    if (trainStarts.Length == 0 || testStarts.Length == 0) continue;
                    double[] Features(int[] us) => [.. us.SelectMany(u => values.AsSpan((u + tau) * h, h).ToArray())];
                    var lda = LinearDiscriminantAnalysis.Fit(Features(trainStarts), trainStarts.Length, h, [.. trainStarts.Select(u => tokens![u])]);
                    recall.Add(new InputRecall(group.Name, name, tau, trainStarts.Length, testStarts.Length,
                        lda.Accuracy(Features(testStarts), testStarts.Length, [.. testStarts.Select(u => tokens![u])])));
                }

        return new ProbeReport { Results = results, Subspace = basis, SubspaceSize = basis is null ? 0 : subspaceSize, SubspaceProbe = basis is null ? null : probeForSubspace.Name, Recall = recall };
    }

    /// <summary>Σσ of Bᵀ Ḡ [k, E] for an orthonormal basis B [H, k] of a state subspace and Ḡ [H, E] (Figure 3).</summary>
    public static double ProjectedSigmaSum(ReadOnlySpan<double> gradient, int stateSize, int inputSize, ReadOnlySpan<double> basis, int k)
    {
        var projected = new double[k * inputSize];
        for (int i = 0; i < stateSize; i++)
            for (int a = 0; a < k; a++)
            {
                double scale = basis[i * k + a];
                for (int j = 0; j < inputSize; j++) projected[a * inputSize + j] += scale * gradient[i * inputSize + j];
            }
        return SingularSpectrum.Of(projected, k, inputSize, vectors: false).Sum;
    }

    private static ProbeResult Score(ProbeLabels probe, string state, string representation, double[] features, int dimensions, int train, int n)
    {
        var lda = LinearDiscriminantAnalysis.Fit(features.AsSpan(0, train * dimensions), train, dimensions, probe.Labels.AsSpan(0, train));
        double accuracy = lda.Accuracy(features.AsSpan(train * dimensions), n - train, probe.Labels.AsSpan(train));
        return new ProbeResult(probe.Name, state, representation, dimensions, probe.Labels.Take(train).Distinct().Count(), train, n - train, accuracy);
    }

    /// <summary>c (LSTM cells) and h of <paramref name="layer"/> at every position, [N, H] each, in float64.</summary>
    private static List<(string Name, double[] Values)> Record<T>(SequenceModel<T> model, StateGradientInput input, int layer)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var target = model.Stack.Layers[layer];
        int h = target.HiddenSize, n = input.Count;
        var hidden = new double[n * h];
        var cells = target.StateCount == 2 ? new double[n * h] : null;
        StateGradients.ForwardStream(model, input, input.Segments(), (start, steps, _) =>
        {
            Widen(target.Hidden, hidden.AsSpan(start * h, steps * h));
            if (cells is not null) Widen(target.Cells, cells.AsSpan(start * h, steps * h));
        });
        return cells is null ? [("h", hidden)] : [("c", cells), ("h", hidden)];
    }

    private static void Widen<T>(ReadOnlySpan<T> values, Span<double> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = double.CreateChecked(values[i]);
    }

    // New token: differs from both neighbouring tokens (<eos> skipped); the count restarts at 0 there and grows by one per token.
    private static (bool[] IsNew, int[] Count) CycleStructure(int[] ids, int endOfSentence)
    {
        int[] order = [.. Enumerable.Range(0, ids.Length).Where(u => ids[u] != endOfSentence)];
        var isNew = new bool[ids.Length];
        var count = new int[ids.Length];
        for (int i = 0; i < order.Length; i++)
        {
            int u = order[i], id = ids[u];
            bool differsBefore = i == 0 || ids[order[i - 1]] != id, differsAfter = i == order.Length - 1 || ids[order[i + 1]] != id;
            isNew[u] = differsBefore && differsAfter;
            count[u] = isNew[u] ? 0 : i == 0 ? 1 : count[order[i - 1]] + 1;
        }
        return (isNew, count);
    }
}
