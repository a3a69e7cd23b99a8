using LstmLens.Analysis;
using LstmLens.Experiments;
using LstmLens.Models;
using LstmLens.Tests.Analysis;

namespace LstmLens.Tests.Experiments;

/// <summary>
/// The synthetic experiment's per-rule measures against independent computations: the model's own forward pass, the
/// one-set reference decomposition, and central differences of the cross-entropy.
/// </summary>
public class ConduitRuleMeasureTests
{
    private const int Open = 2, Close = 3, K = 4;

    // Two rules α q ω: one at the start of the stream, one in running context after background tokens.
    private static readonly int[] Stream = [Open, 5, 6, 7, 8, Close, 9, 10, 4, Open, 11, 5, 6, 7, Close, 8, 9];

    [Fact]
    public void A_rule_at_the_start_with_alpha_and_the_whole_conduit_relevant_gives_the_models_own_probability()
    {
        var model = ContextualDecompositionTests.RandomModel(1, seed: 3);
        var rule = ConduitRuleMeasures.Measure(model, Stream, Open, Close, K, count: 1).Single();

        // Every position up to the target is relevant, so β is the true state: P(ω) is the softmax of the model's logits without the decoder bias.
        model.Forward(new SequenceBatch<double>(K + 1, 1) { Tokens = Stream.AsSpan(0, K + 1), TargetIds = new int[K + 1] }, [], []);
        int v = model.Config.OutputSize;
        var logits = model.Logits.Slice(K * v, v).ToArray();
        for (int i = 0; i < v; i++) logits[i] -= model.Decoder.Bias.Value[i];
        Assert.Equal(Softmax(logits)[Close], rule.PrefixProbability[K], 12);
        Assert.Equal(0, rule.Position);
        Assert.NotEqual(rule.PrefixProbability[0], rule.PrefixProbability[K], 6); // the conduit changes P(ω) in this model
    }

    [Fact]
    public void A_rule_in_running_context_matches_the_one_set_reference_lane_by_lane()
    {
        var model = ContextualDecompositionTests.RandomModel(2, seed: 5);
        var rules = ConduitRuleMeasures.Measure(model, Stream, Open, Close, K, count: 5);
        Assert.Equal([0, 9], rules.Select(r => r.Position));

        var cd = new ContextualDecomposition(model);
        var run = cd.Run(Stream);
        const int a = 9, target = a + K;
        double[] Relevant(IEnumerable<int> set) => cd.Logits(cd.DecomposeReference(run, set).Relevant(target));
        var rule = rules[1];
        for (int i = 0; i <= K; i++)
            Assert.Equal(Softmax(Relevant(Enumerable.Range(a, i + 1)))[Close], rule.PrefixProbability[i], 12);
        Assert.Equal(Softmax(Relevant(Enumerable.Range(a + 1, K)))[Close], rule.ConduitProbability, 12);

        var union = Relevant(Enumerable.Range(a, K + 1));
        var alpha = Relevant([a]);
        var conduit = Relevant(Enumerable.Range(a + 1, K));
        double residual = Math.Sqrt(union.Select((u, j) => Math.Pow(u - alpha[j] - conduit[j], 2)).Sum());
        double expected = residual / Math.Sqrt(union.Sum(u => u * u));
        Assert.Equal(expected, rule.Interdependence, 10);
        Assert.True(double.IsFinite(rule.Interdependence) && rule.Interdependence > 1e-3, $"interdependence {rule.Interdependence}");
    }

    [Fact]
    public void Conduit_gradients_match_central_differences_of_each_conduit_symbols_cross_entropy()
    {
        var model = ContextualDecompositionTests.RandomModel(1, seed: 7);
        var rule = ConduitRuleMeasures.Measure(model, Stream, Open, Close, K, count: 2)[1];
        var run = new ContextualDecomposition(model).Run(Stream);
        var weight = model.Decoder.Weight.Value.ToArray();
        var bias = model.Decoder.Bias.Value.ToArray();
        int hidden = model.Config.HiddenSize;

        double Loss(double[] h, int y)
        {
            var logits = Enumerable.Range(0, bias.Length).Select(r => Enumerable.Range(0, hidden).Sum(j => weight[r * hidden + j] * h[j]) + bias[r]).ToArray();
            double max = logits.Max();
            return max + Math.Log(logits.Sum(z => Math.Exp(z - max))) - logits[y];
        }
        Assert.Equal(K, rule.GradientNorm.Length);
        for (int d = 1; d <= K; d++)
        {
            // Conduit symbol d sits at 9 + d and is predicted at the step that reads position 9 + d − 1.
            var h = run.State(9 + d - 1).ToArray();
            int y = Stream[9 + d];
            const double step = 1e-6;
            double squared = 0;
            for (int j = 0; j < hidden; j++)
            {
                var plus = (double[])h.Clone();
                var minus = (double[])h.Clone();
                plus[j] += step;
                minus[j] -= step;
                squared += Math.Pow((Loss(plus, y) - Loss(minus, y)) / (2 * step), 2);
            }
            double expected = Math.Sqrt(squared);
            Assert.True(Math.Abs(rule.GradientNorm[d - 1] - expected) <= 1e-7 * expected, $"d = {d}: {rule.GradientNorm[d - 1]} against {expected}");
        }
    }

    [Fact]
    public void Means_average_each_column_over_rules_and_leave_out_undefined_interdependence()
    {
        var means = RuleMeans.Of([new RuleMeasure(0, [0.25, 0.5], 0.25, 0.5, [1, 3]), new RuleMeasure(9, [0.75, 1], 0.75, double.NaN, [2, 5])]);
        Assert.Equal([0.5, 0.75], means.PrefixProbability);
        Assert.Equal(0.5, means.AlphaProbability);
        Assert.Equal(0.5, means.ConduitProbability);
        Assert.Equal(0.5, means.Interdependence);
        Assert.Equal([1.5, 4], means.GradientNorm);
        Assert.Equal(2, means.Rules);
    }

    [Fact]
    public void An_open_symbol_without_its_close_symbol_is_refused_with_its_position()
    {
        var model = ContextualDecompositionTests.RandomModel(1, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => ConduitRuleMeasures.Measure(model, [4, Open, 5, 6, 7, 8, 9, Close], Open, Close, K, count: 1));
        Assert.Contains("position 1", e.Message, StringComparison.Ordinal);
    }

    private static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(z => Math.Exp(z - max)).ToArray();
        double sum = e.Sum();
        return [.. e.Select(x => x / sum)];
    }
}
