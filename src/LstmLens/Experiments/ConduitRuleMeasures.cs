// The contextual-decomposition measures of Saphra & Lopez's synthetic experiment (§3.2.1, Appendices A and B) on one
// model and one test stream of the conduit-rule corpus. For each rule α q ω (q of k symbols), at the step that reads
// q's last symbol and predicts ω: P(ω) from the relevant logits of α with the first i conduit symbols, i = 0 … k
// (Figures 4 and 5), and of the conduit alone (Figure 10); the interdependence of α and the conduit (Figure 6); and
// the error gradient at each conduit step (Figure 11). The stream runs from a zero state, so each rule is decomposed
// in its running context: everything before α is irrelevant, as the state carried into a sentence is. Not the
// training, the tables or the figures (SaphraRulesRecipe).
using System.Numerics.Tensors;
using LstmLens.Analysis;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Experiments;

/// <summary>The measures of one rule α q ω whose α is at <paramref name="Position"/> of the stream.</summary>
/// <param name="Position">α's position; ω is at Position + k + 1 and is predicted at step Position + k.</param>
/// <param name="PrefixProbability">[k + 1] P(ω) = softmax(v_β)_ω with α and the first i conduit symbols relevant (i = 0: α alone).</param>
/// <param name="ConduitProbability">P(ω) with the k conduit symbols relevant.</param>
/// <param name="Interdependence">Of A = {α} and B = the conduit at the step predicting ω, at the logits.</param>
/// <param name="GradientNorm">[k] ‖∂E_s/∂h_s‖₂ for conduit symbol d = 1 … k, E_s the cross-entropy of predicting it at step s = Position + d − 1.</param>
public sealed record RuleMeasure(int Position, double[] PrefixProbability, double ConduitProbability, double Interdependence, double[] GradientNorm);

/// <summary>Means over the measured rules of one model and stream.</summary>
/// <param name="PrefixProbability">[k + 1] mean P(ω | α and the first i conduit symbols).</param>
/// <param name="ConduitProbability">Mean P(ω | conduit).</param>
/// <param name="Interdependence">Mean interdependence of α and the conduit (rules where it is undefined left out).</param>
/// <param name="GradientNorm">[k] mean error-gradient norm at conduit symbol d = 1 … k.</param>
/// <param name="Rules">Rules measured.</param>
public sealed record RuleMeans(double[] PrefixProbability, double ConduitProbability, double Interdependence, double[] GradientNorm, int Rules)
{
    /// <summary>Mean P(ω | α alone) (Figure 4).</summary>
    public double AlphaProbability => PrefixProbability[0];

    /// <summary>The means of <paramref name="rules"/> (at least one).</summary>
    public static RuleMeans Of(IReadOnlyList<RuleMeasure> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0) throw new ArgumentException("no rules to average");
        double[] Columns(Func<RuleMeasure, double[]> pick) =>
            [.. Enumerable.Range(0, pick(rules[0]).Length).Select(i => rules.Average(r => pick(r)[i]))];
        var defined = rules.Where(r => !double.IsNaN(r.Interdependence)).ToArray();
        return new RuleMeans(Columns(r => r.PrefixProbability), rules.Average(r => r.ConduitProbability),
            defined.Length == 0 ? double.NaN : defined.Average(r => r.Interdependence), Columns(r => r.GradientNorm), rules.Count);
    }
}

/// <summary>The per-rule measures of the synthetic experiment.</summary>
public static class ConduitRuleMeasures
{
    /// <summary>
    /// Measures the first <paramref name="count"/> rules of <paramref name="ids"/> (fewer when the stream holds fewer), found by
    /// their open symbol <paramref name="open"/>, each followed by <paramref name="conduitLength"/> symbols and
    /// <paramref name="close"/>. The stream, up to the last measured rule, runs through <paramref name="model"/> from a zero state.
    /// </summary>
    /// <exception cref="ArgumentException">An open symbol without its close symbol k + 1 tokens later.</exception>
    public static RuleMeasure[] Measure(SequenceModel<double> model, int[] ids, int open, int close, int conduitLength, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfLessThan(conduitLength, 1);
        int k = conduitLength;
        var starts = new List<int>();
        for (int p = 0; p < ids.Length && starts.Count < count; p++)
        {
            if (ids[p] != open) continue;
            if (p + k + 1 >= ids.Length || ids[p + k + 1] != close)
                throw new ArgumentException($"the open symbol at position {p} is not closed {k + 1} tokens later");
            starts.Add(p);
        }
        if (starts.Count == 0) return [];

        var cd = new ContextualDecomposition(model, BiasPolicy.InPhrase);
        var run = cd.Run(ids.AsSpan(0, starts[^1] + k + 1)); // up to the step that predicts the last ω
        var decoder = model.Decoder.Weight.Value.ToArray();    // [V, H]
        var bias = model.Decoder.Bias.Value.ToArray();         // [V]
        return [.. starts.Select(a => MeasureRule(cd, run, decoder, bias, ids, a, k, close))];
    }

    private static RuleMeasure MeasureRule(ContextualDecomposition cd, DecomposedSentence run, double[] decoder, double[] bias, int[] ids, int a, int k, int close)
    {
        int target = a + k;
        // Lanes 0 … k: α and the first i conduit symbols, each branching from the one before (they agree up to a + i − 1); lane k + 1: the conduit.
        var lanes = new List<DecompositionLane>();
        for (int i = 0; i <= k; i++) lanes.Add(new DecompositionLane(Enumerable.Range(a, i + 1), target, target, parent: i - 1));
        var conduit = Enumerable.Range(a + 1, k).ToArray();
        lanes.Add(new DecompositionLane(conduit, target, target));
        var parts = cd.Decompose(run, lanes);
        double Probability(Decomposition d)
        {
            cd.Check(run, d, target);
            return Softmax(cd.Logits(d.Relevant(target)))[close];
        }

        var prefix = parts[..(k + 1)].Select(Probability).ToArray();
        double interdependence = Interdependence.Measure(cd, run, [a], conduit, target).Value;
        var gradient = new double[k];
        for (int d = 1; d <= k; d++) gradient[d - 1] = ErrorGradientNorm(run.State(a + d - 1), decoder, bias, ids[a + d]);
        return new RuleMeasure(a, prefix, Probability(parts[k + 1]), interdependence, gradient);
    }

    /// <summary>
    /// ‖∂E/∂h‖₂ of the cross-entropy E = −log softmax(W h + b)_y: the error signal that backpropagation through time
    /// receives at that step, ∂E/∂h = Wᵀ (softmax(W h + b) − e_y) (W [V, H], b [V]).
    /// </summary>
    internal static double ErrorGradientNorm(ReadOnlySpan<double> hidden, ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, int target)
    {
        int v = bias.Length, h = hidden.Length;
        var logits = new double[v];
        for (int r = 0; r < v; r++) logits[r] = TensorPrimitives.Dot(weight.Slice(r * h, h), hidden) + bias[r];
        var dLogits = new double[v];
        Losses.SoftmaxCrossEntropy<double>(logits, [target], 1, v, dLogits);
        var gradient = new double[h];
        for (int r = 0; r < v; r++) TensorPrimitives.MultiplyAdd(weight.Slice(r * h, h), dLogits[r], gradient, gradient);
        return TensorPrimitives.Norm(gradient);
    }

    private static double[] Softmax(double[] logits)
    {
        var p = new double[logits.Length];
        Compute.Kernels<double>().SoftmaxRows(logits, 1, logits.Length, p, stackalloc double[1]);
        return p;
    }
}
