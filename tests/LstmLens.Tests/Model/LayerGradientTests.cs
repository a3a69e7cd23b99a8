using LstmLens.Layers;
using LstmLens.Numerics;
using LstmLens.Training;
using static LstmLens.Tests.Layers.CellTestData;

namespace LstmLens.Tests.Model;

/// <summary>Finite-difference checks (float64) of the embedding, linear layer and losses, plus their argument checks.</summary>
public class LayerGradientTests
{
    private static readonly Kernels<double> Reference = new();

    [Fact]
    public void Embedding_gradient_matches_finite_differences_with_repeated_tokens()
    {
        var rng = new Rng(21);
        var store = new ParameterStore<double>();
        var embedding = new Embedding<double>(store, "encoder.", 6, 3, Reference);
        rng.FillUniform(embedding.Weight.Value, 1.0);
        int[] tokens = [0, 5, 2, 5, 5, 1, 0];
        double[] weights = Random(rng, tokens.Length * 3), output = new double[tokens.Length * 3];

        double Loss()
        {
            embedding.Forward(tokens, output);
            return Reference.Dot(output, weights);
        }

        store.ZeroGradients();
        Loss();
        embedding.Backward(tokens, weights);
        var report = GradientCheck.Run([CheckTarget.Of(embedding.Weight)], Loss);
        Assert.True(report.MaxRelativeError < 1e-6, $"encoder.weight: {report.MaxRelativeError:E2}");
        Assert.All(embedding.Weight.Gradient.Slice(3 * 3, 3 * 2).ToArray(), g => Assert.Equal(0.0, g)); // tokens 3, 4 unused
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_rejected_with_their_position()
    {
        var embedding = new Embedding<double>(new ParameterStore<double>(), "encoder.", 4, 2);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward([1, 4], new double[4]));
        Assert.Contains("token id 4 at position 1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward([-1], new double[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => OneHot.Forward<double>([0, 9], 4, new double[8]));
    }

    [Fact]
    public void One_hot_rows_are_unit_vectors()
    {
        var output = new double[3 * 4];
        output.AsSpan().Fill(7);
        OneHot.Forward<double>([2, 0, 3], 4, output);
        Assert.Equal([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1], output);
    }

    [Fact]
    public void Linear_gradients_match_finite_differences()
    {
        const int rows = 4, inputs = 3, outputs = 5;
        var rng = new Rng(22);
        var store = new ParameterStore<double>();
        var linear = new Linear<double>(store, "decoder.", inputs, outputs, Reference);
        linear.InitializeDefault(rng);
        double[] x = Random(rng, rows * inputs), weights = Random(rng, rows * outputs), y = new double[rows * outputs];
        double[] dx = new double[x.Length];
        dx.AsSpan().Fill(double.NaN); // overwritten, never read

        double Loss()
        {
            linear.Forward(x, rows, y);
            return Reference.Dot(y, weights);
        }

        store.ZeroGradients();
        Loss();
        linear.Backward(x, weights, rows, dx);
        var report = GradientCheck.Run(
            [CheckTarget.Of(linear.Weight), CheckTarget.Of(linear.Bias), new CheckTarget("x", x, dx, 0, x.Length)], Loss);
        Assert.All(report.Tensors, t => Assert.True(t.MaxRelativeError < 1e-6, $"{t.Name}: {t.MaxRelativeError:E2}"));
        Assert.Equal(["decoder.weight", "decoder.bias"], store.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_matches_finite_differences_and_skips_ignored_rows()
    {
        const int rows = 6, classes = 5;
        var rng = new Rng(23);
        double[] logits = Random(rng, rows * classes, 3.0), dLogits = new double[logits.Length], scratch = new double[logits.Length];
        int[] targets = [4, Losses.IgnoreIndex, 0, 2, Losses.IgnoreIndex, 4];

        double loss = Losses.SoftmaxCrossEntropy(logits, targets, rows, classes, dLogits, kernels: Reference);
        var report = GradientCheck.Run([new CheckTarget("logits", logits, dLogits, 0, logits.Length)],
            () => Losses.SoftmaxCrossEntropy(logits, targets, rows, classes, scratch, kernels: Reference));
        Assert.True(report.MaxRelativeError < 1e-6, $"logits: {report.MaxRelativeError:E2}");
        Assert.All(dLogits.AsSpan(1 * classes, classes).ToArray(), g => Assert.Equal(0.0, g));

        double expected = 0;
        foreach (int r in new[] { 0, 2, 3, 5 })
        {
            double sum = 0;
            for (int j = 0; j < classes; j++) sum += Math.Exp(logits[r * classes + j]);
            expected += Math.Log(sum) - logits[r * classes + targets[r]];
        }
        Assert.Equal(expected / 4, loss, 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Losses.SoftmaxCrossEntropy(logits, [0, 1, 2, 3, 4, 5], rows, classes, scratch, kernels: Reference));
    }

    [Fact]
    public void Squared_error_is_half_the_mean_row_distance_and_its_gradient_matches()
    {
        const int rows = 3, width = 2;
        var rng = new Rng(24);
        double[] predictions = Random(rng, rows * width), targets = Random(rng, rows * width);
        double[] dPredictions = new double[predictions.Length], scratch = new double[predictions.Length];

        double loss = Losses.SquaredError<double>(predictions, targets, rows, width, dPredictions);
        var report = GradientCheck.Run([new CheckTarget("predictions", predictions, dPredictions, 0, predictions.Length)],
            () => Losses.SquaredError<double>(predictions, targets, rows, width, scratch));
        Assert.True(report.MaxRelativeError < 1e-6, $"predictions: {report.MaxRelativeError:E2}");
        double expected = predictions.Zip(targets, (p, t) => (p - t) * (p - t)).Sum() / (2 * rows);
        Assert.Equal(expected, loss, 1e-14);
    }

    [Fact]
    public void Sigmoid_cross_entropy_sums_units_averages_rows_and_its_gradient_matches()
    {
        const int rows = 4, width = 3;
        var rng = new Rng(25);
        double[] logits = Random(rng, rows * width, 4.0), dLogits = new double[logits.Length], scratch = new double[logits.Length];
        double[] targets = [.. Enumerable.Range(0, rows * width).Select(i => (double)(i * 7 % 3 == 0 ? 1 : 0))];

        double loss = Losses.SigmoidCrossEntropy(logits, targets, rows, width, dLogits, Reference);
        var report = GradientCheck.Run([new CheckTarget("logits", logits, dLogits, 0, logits.Length)],
            () => Losses.SigmoidCrossEntropy(logits, targets, rows, width, scratch, Reference));
        Assert.True(report.MaxRelativeError < 1e-6, $"logits: {report.MaxRelativeError:E2}");
        double expected = logits.Zip(targets, (x, t) =>
        {
            double s = 1 / (1 + Math.Exp(-x));
            return -t * Math.Log(s) - (1 - t) * Math.Log(1 - s);
        }).Sum() / rows;
        Assert.Equal(expected, loss, 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Losses.SigmoidCrossEntropy(logits, [.. targets.Select(t => t * 2)], rows, width, scratch, Reference));
    }
}
