// Softmax regression as a separability check (Verwimp et al. appendix 9): its loss gradient matches
// finite differences; separable classes score 1 on held-out rows, XOR does not (until its product
// feature is added); the split is stratified and seeded; features are standardised internally.
using LstmLens.Layers;
using LstmLens.Analysis;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Tests.Analysis;

public class LogisticRegressionTests
{
    /// <summary>XOR corners (±1, ±1) with N(0, 0.2²) noise; class 1 where the signs differ. features [rows, 2].</summary>
    private static (double[] Features, int[] Labels) Xor(int rows, Rng rng)
    {
        var features = new double[rows * 2];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            double sx = i % 2 == 0 ? 1 : -1, sy = i / 2 % 2 == 0 ? 1 : -1;
            (features[2 * i], features[2 * i + 1]) = (sx + 0.2 * rng.Normal(), sy + 0.2 * rng.Normal());
            labels[i] = sx == sy ? 0 : 1;
        }
        return (features, labels);
    }

    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(3, 0.1)]
    public void Loss_gradient_matches_finite_differences(int classes, double l2)
    {
        const int rows = 7, d = 5;
        var rng = new Rng(11);
        var features = new double[rows * d];
        var labels = new int[rows];
        var parameters = new double[classes * d + classes];
        var gradient = new double[parameters.Length];
        var scratch = new double[parameters.Length];
        for (int i = 0; i < features.Length; i++) features[i] = rng.Normal();
        for (int i = 0; i < rows; i++) labels[i] = rng.NextInt(classes);
        for (int i = 0; i < parameters.Length; i++) parameters[i] = rng.Normal();
        LogisticRegression.LossAndGradient(parameters, features, rows, d, labels, classes, l2, gradient);
        var report = GradientCheck.Run([new CheckTarget("theta", parameters, gradient, 0, parameters.Length)],
            () => LogisticRegression.LossAndGradient(parameters, features, rows, d, labels, classes, l2, scratch));
        Assert.True(report.MaxRelativeError < 1e-8, $"max relative error {report.MaxRelativeError:E2}");
    }

    [Fact]
    public void Loss_at_zero_is_log_of_the_class_count()
    {
        var features = new double[] { 1, 2, -1, 0.5, 3, 3 }; // [3, 2]
        var gradient = new double[3 * 2 + 3];
        double loss = LogisticRegression.LossAndGradient(new double[9], features, 3, 2, [0, 1, 2], 3, 1.0, gradient);
        Assert.Equal(Math.Log(3), loss, 1e-15);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Separable_classes_score_one_on_held_out_rows(int classes)
    {
        double[][] centres = [.. Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, 6).Select(j => j == c ? 5.0 : 0.0).ToArray())];
        var (x, labels) = Blobs.Sample(centres, 50, new Rng(12));
        var (train, test, trainCount, testCount) = LogisticRegression.HeldOut(x, labels.Length, 6, labels, classes);
        Assert.Equal(1.0, train);
        Assert.Equal(1.0, test);
        Assert.Equal(classes * 10, testCount); // round(0.2 · 50) per class
        Assert.Equal(classes * 40, trainCount);
    }

    [Fact]
    public void Xor_is_not_linearly_separable_but_is_with_the_product_feature()
    {
        var (x, labels) = Xor(400, new Rng(13));
        var fit = LogisticRegression.Fit(x, 400, 2, labels, 2);
        Assert.True(fit.Converged);
        Assert.True(fit.Accuracy(x, 400, labels) < 0.8);
        var (_, test, _, _) = LogisticRegression.HeldOut(x, 400, 2, labels, 2);
        Assert.True(test < 0.8, $"test accuracy {test}");

        var withProduct = new double[400 * 3];
        for (int i = 0; i < 400; i++) (withProduct[3 * i], withProduct[3 * i + 1], withProduct[3 * i + 2]) = (x[2 * i], x[2 * i + 1], x[2 * i] * x[2 * i + 1]);
        var (_, separable, _, _) = LogisticRegression.HeldOut(withProduct, 400, 3, labels, 2);
        Assert.Equal(1.0, separable);
    }

    [Fact]
    public void Fits_converge_and_do_not_depend_on_the_scale_of_the_features()
    {
        var (x, labels) = Blobs.Sample([[0, 0, 0], [1, 0.5, 0], [0, 1, -1]], 100, new Rng(14));
        double[] scaled = [.. x.Select((v, i) => i % 3 == 0 ? 1000 * v + 50 : v)];
        var fit = LogisticRegression.Fit(x, 300, 3, labels, 3);
        var fitScaled = LogisticRegression.Fit(scaled, 300, 3, labels, 3);
        Assert.True(fit.Converged && fitScaled.Converged);
        Assert.InRange(fit.Accuracy(x, 300, labels), 0.6, 0.95); // overlapping blobs: neither chance nor perfect
        for (int i = 0; i < 300; i++) Assert.Equal(fit.Predict(x.AsSpan(3 * i, 3)), fitScaled.Predict(scaled.AsSpan(3 * i, 3)));
    }

    [Fact]
    public void Lbfgs_converges_in_few_iterations_on_correlated_features()
    {
        // Dimension 1 nearly repeats dimension 0: an ill-conditioned loss where steepest descent crawls.
        var (x, labels) = Blobs.Sample([[0, 0, 0, 0], [1, 1, 0.5, 0], [0, 0.5, 1, 1]], 100, new Rng(17));
        for (int i = 0; i < 300; i++) x[4 * i + 1] = x[4 * i] + 0.05 * x[4 * i + 1];
        Assert.True(LogisticRegression.Fit(x, 300, 4, labels, 3, maxIterations: 100).Converged);
        Assert.False(LogisticRegression.Fit(x, 300, 4, labels, 3, maxIterations: 3).Converged);
    }

    [Fact]
    public void Held_out_split_is_stratified_and_fixed_by_the_seed()
    {
        double[][] centres = [[0, 0], [1.5, 0], [0, 1.5]];
        var (x, labels) = Blobs.Sample(centres, 40, new Rng(15));
        int[] skewed = [.. labels.Select((l, i) => i < 90 ? l : 0)]; // class sizes 60, 30, 30
        var first = LogisticRegression.HeldOut(x, 120, 2, skewed, 3, testFraction: 0.25, seed: 7);
        Assert.Equal(first, LogisticRegression.HeldOut(x, 120, 2, skewed, 3, testFraction: 0.25, seed: 7));
        Assert.Equal(15 + 8 + 8, first.TestCount);   // round(0.25 · n_c), halves away from zero
        Assert.Equal(120 - 31, first.TrainCount);
        var others = Enumerable.Range(8, 6).Select(s => LogisticRegression.HeldOut(x, 120, 2, skewed, 3, testFraction: 0.25, seed: (ulong)s).TestAccuracy);
        Assert.Contains(others, a => a != first.TestAccuracy); // other seeds hold out other rows
    }

    [Fact]
    public void Classes_absent_from_training_are_never_predicted()
    {
        var (x, labels) = Blobs.Sample([[0, 0], [4, 4], [8, 0]], 30, new Rng(16));
        int[] without1 = [.. labels.Select(l => l == 1 ? 2 : l)];
        var fit = LogisticRegression.Fit(x, 90, 2, without1, 3);
        Assert.Equal(3, fit.Classes);
        Assert.Equal(2, fit.Dimensions);
        for (int i = 0; i < 90; i++) Assert.NotEqual(1, fit.Predict(x.AsSpan(2 * i, 2)));
    }

    [Fact]
    public void Bad_arguments_throw()
    {
        double[] x = [0, 1, 2, 3];
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(x, 2, 2, [0, 2], 2));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(x, 2, 3, [0, 1], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => LogisticRegression.HeldOut(x, 2, 2, [0, 1], 2, testFraction: 1));
    }
}
