// LDA probes (Verwimp et al. §4.2): separable blobs are classified perfectly and shuffled labels at
// chance; the directions are the generalised eigenvectors of (Σ_b, Σ_w) recomputed here from the data,
// the first one of two classes ∥ Σ_w⁻¹(μ1 − μ0); the complement of the discriminative direction holds
// no class information; the subspace helpers return orthonormal bases and plain coordinates.
using LstmLens.Analysis;
using LstmLens.Numerics;

namespace LstmLens.Tests.Analysis;

public class LinearDiscriminantAnalysisTests
{
    private static readonly double[][] FarCentres = [[0, 0, 0, 0], [10, 0, 0, 0], [0, 10, 0, 0]];

    // Correlated, anisotropic noise: Σ_w = A Aᵀ is far from a multiple of I.
    private static readonly double[,] Mixing = { { 2.0, 0.0, 0.0, 0.0 }, { 1.5, 0.5, 0.0, 0.0 }, { 0.0, 0.3, 1.0, 0.0 }, { 0.4, 0.0, -0.8, 0.2 } };

    /// <summary>Σ_w [D, D] (pooled, divided by n), Σ_b [D, D] and the class means [C][D], computed plainly.</summary>
    private static (double[,] Within, double[,] Between, double[][] Means) Scatter(double[] x, int[] labels, int d, int classes)
    {
        int n = labels.Length;
        var means = Enumerable.Range(0, classes).Select(_ => new double[d]).ToArray();
        var counts = new int[classes];
        for (int i = 0; i < n; i++)
        {
            counts[labels[i]]++;
            for (int j = 0; j < d; j++) means[labels[i]][j] += x[i * d + j];
        }
        for (int c = 0; c < classes; c++)
            for (int j = 0; j < d; j++) means[c][j] /= counts[c];
        var grand = new double[d];
        for (int c = 0; c < classes; c++)
            for (int j = 0; j < d; j++) grand[j] += means[c][j] * counts[c] / n;
        double[,] within = new double[d, d], between = new double[d, d];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < d; p++)
                for (int q = 0; q < d; q++)
                    within[p, q] += (x[i * d + p] - means[labels[i]][p]) * (x[i * d + q] - means[labels[i]][q]) / n;
        for (int c = 0; c < classes; c++)
            for (int p = 0; p < d; p++)
                for (int q = 0; q < d; q++)
                    between[p, q] += (double)counts[c] / n * (means[c][p] - grand[p]) * (means[c][q] - grand[q]);
        return (within, between, means);
    }

    private static double[] Times(double[,] m, double[] v) =>
        [.. Enumerable.Range(0, v.Length).Select(p => Enumerable.Range(0, v.Length).Sum(q => m[p, q] * v[q]))];

    private static double[] Column(double[] matrix, int rows, int columns, int c) =>
        [.. Enumerable.Range(0, rows).Select(j => matrix[j * columns + c])];

    [Fact]
    public void Separable_blobs_are_classified_perfectly_and_shuffled_labels_at_chance()
    {
        var rng = new Rng(1);
        var (train, trainLabels) = Blobs.Sample(FarCentres, 200, rng);
        var (test, testLabels) = Blobs.Sample(FarCentres, 300, rng);
        var lda = LinearDiscriminantAnalysis.Fit(train, 600, 4, trainLabels);
        Assert.Equal(3, lda.Classes);
        Assert.Equal(4, lda.Dimensions);
        Assert.Equal(1.0, lda.Accuracy(train, 600, trainLabels));
        Assert.Equal(1.0, lda.Accuracy(test, 900, testLabels));

        // Labels shuffled in both parts carry no information about the rows: a probe fits them at about 1/3.
        int[] shuffledTrain = [.. trainLabels], shuffledTest = [.. testLabels];
        rng.Shuffle(shuffledTrain.AsSpan());
        rng.Shuffle(shuffledTest.AsSpan());
        var chance = LinearDiscriminantAnalysis.Fit(train, 600, 4, shuffledTrain);
        Assert.InRange(chance.Accuracy(train, 600, shuffledTrain), 0.28, 0.42);
        Assert.InRange(chance.Accuracy(test, 900, shuffledTest), 0.28, 0.39);
    }

    [Fact]
    public void The_two_class_direction_is_the_inverse_covariance_times_the_mean_difference()
    {
        var (x, labels) = Blobs.Sample([[0, 0, 0, 0], [1, 1, 1, 1]], 500, new Rng(2), Mixing);
        var lda = LinearDiscriminantAnalysis.Fit(x, 1000, 4, labels, shrinkage: 0);
        var (within, _, means) = Scatter(x, labels, 4, 2);
        double[] direction = lda.Directions(1);
        double[] difference = [.. means[1].Zip(means[0], (m1, m0) => m1 - m0)];
        // Σ_w v ∥ μ1 − μ0 ⇔ v ∥ Σ_w⁻¹(μ1 − μ0).
        Assert.Equal(1.0, Math.Abs(Blobs.Cosine(Times(within, direction), difference)), 1e-12);
        Assert.True(Math.Abs(Blobs.Cosine(direction, difference)) < 0.7, "the test needs Σ_w⁻¹Δμ to differ from Δμ");
        Assert.Single(lda.ExplainedVarianceRatio);
        Assert.Equal(1.0, lda.ExplainedVarianceRatio[0], 1e-12);
    }

    [Fact]
    public void Priors_move_the_decision_threshold_as_the_discriminant_says()
    {
        // One dimension, 900 rows at 0 and 100 at 1.5: the boundary of δ_c(x) = x μ_c / s² − μ_c² / 2s² + ln π_c
        // lies at x* = (μ0 + μ1) / 2 + s² ln(π0 / π1) / (μ1 − μ0), right of the midpoint.
        var rng = new Rng(9);
        double[] x = [.. Enumerable.Range(0, 1000).Select(i => (i < 900 ? 0 : 1.5) + rng.Normal())];
        int[] labels = [.. Enumerable.Range(0, 1000).Select(i => i < 900 ? 0 : 1)];
        var (within, _, means) = Scatter(x, labels, 1, 2);
        double threshold = (means[0][0] + means[1][0]) / 2 + within[0, 0] * Math.Log(9.0) / (means[1][0] - means[0][0]);
        var lda = LinearDiscriminantAnalysis.Fit(x, 1000, 1, labels, shrinkage: 0);
        Assert.Equal(0, lda.Predict([threshold - 1e-9]));
        Assert.Equal(1, lda.Predict([threshold + 1e-9]));
        Assert.True(threshold > (means[0][0] + means[1][0]) / 2 + 0.5);
    }

    [Fact]
    public void Directions_are_generalised_eigenvectors_in_descending_order_with_their_variance_ratios()
    {
        double[][] centres = [[0, 0, 0, 0], [3, 1, 0, 0], [0, 2, 1, 0], [1, 1, 1, 4]];
        var (x, labels) = Blobs.Sample(centres, 150, new Rng(3), Mixing);
        var lda = LinearDiscriminantAnalysis.Fit(x, 600, 4, labels, shrinkage: 0);
        var (within, between, _) = Scatter(x, labels, 4, 4);
        double[] directions = lda.Directions(4);
        var eigenvalues = new double[4];
        for (int k = 0; k < 4; k++)
        {
            double[] v = Column(directions, 4, 4, k), wv = Times(within, v), bv = Times(between, v);
            Assert.Equal(1.0, v.Zip(wv, (a, b) => a * b).Sum(), 1e-10);  // vᵀ Σ_w v = 1
            eigenvalues[k] = v.Zip(bv, (a, b) => a * b).Sum();            // λ = vᵀ Σ_b v
            for (int j = 0; j < 4; j++) Assert.Equal(eigenvalues[k] * wv[j], bv[j], 1e-10);
        }
        Assert.True(eigenvalues[0] > eigenvalues[1] && eigenvalues[1] > eigenvalues[2] && eigenvalues[2] > 1e-3);
        Assert.Equal(0.0, eigenvalues[3], 1e-10); // rank Σ_b = classes − 1
        Assert.Equal(3, lda.ExplainedVarianceRatio.Length);
        Assert.Equal(1.0, lda.ExplainedVarianceRatio.Sum(), 1e-12);
        for (int k = 0; k < 3; k++) Assert.Equal(eigenvalues[k] / eigenvalues.Sum(), lda.ExplainedVarianceRatio[k], 1e-10);
        Assert.Equal(Column(directions, 4, 4, 1), Column(lda.Directions(2), 4, 2, 1));
    }

    [Fact]
    public void Collinear_class_means_put_all_variance_in_the_first_direction()
    {
        var (x, labels) = Blobs.Sample([[0, 0, 0], [2, 2, 0], [4, 4, 0]], 300, new Rng(4));
        var lda = LinearDiscriminantAnalysis.Fit(x, 900, 3, labels);
        Assert.True(lda.ExplainedVarianceRatio[0] > 0.995, $"ratio {lda.ExplainedVarianceRatio[0]}");
    }

    [Fact]
    public void The_complement_of_the_discriminative_direction_holds_no_class_information()
    {
        // Isotropic noise: the LDA direction is (nearly) the mean difference, which its complement then lacks.
        double[][] centres = [[-2, 1.5, 1, 0, 1], [2, -1.5, -1, 0, -1]];
        var rng = new Rng(5);
        var (train, trainLabels) = Blobs.Sample(centres, 1000, rng);
        var (test, testLabels) = Blobs.Sample(centres, 1000, rng);
        var lda = LinearDiscriminantAnalysis.Fit(train, 2000, 5, trainLabels);
        Assert.True(lda.Accuracy(test, 2000, testLabels) > 0.99);

        double[] basis = LinearDiscriminantAnalysis.OrthonormalBasis(lda.Directions(1), 5, 1);
        double[] complement = LinearDiscriminantAnalysis.Complement(basis, 5, 1);
        double Probe(double[] subspace, int k)
        {
            double[] trainInside = LinearDiscriminantAnalysis.Project(train, 2000, 5, subspace, k);
            double[] testInside = LinearDiscriminantAnalysis.Project(test, 2000, 5, subspace, k);
            return LinearDiscriminantAnalysis.Fit(trainInside, 2000, k, trainLabels).Accuracy(testInside, 2000, testLabels);
        }
        Assert.True(Probe(basis, 1) > 0.99);
        Assert.InRange(Probe(complement, 4), 0.44, 0.56);
    }

    [Fact]
    public void Orthonormal_basis_spans_the_directions_and_the_complement_completes_it()
    {
        var rng = new Rng(6);
        const int d = 6, k = 3;
        var directions = new double[d * k];
        for (int i = 0; i < directions.Length; i++) directions[i] = rng.Normal();
        double[] basis = LinearDiscriminantAnalysis.OrthonormalBasis(directions, d, k);
        double[] complement = LinearDiscriminantAnalysis.Complement(basis, d, k);
        var all = Enumerable.Range(0, k).Select(c => Column(basis, d, k, c))
            .Concat(Enumerable.Range(0, d - k).Select(c => Column(complement, d, d - k, c))).ToArray();
        for (int p = 0; p < d; p++)
            for (int q = 0; q < d; q++)
                Assert.Equal(p == q ? 1.0 : 0.0, all[p].Zip(all[q], (a, b) => a * b).Sum(), 1e-12);
        for (int c = 0; c < k; c++)
        {
            // Each direction is its own projection onto the basis; the complement sees none of it.
            double[] v = Column(directions, d, k, c);
            double[] inside = LinearDiscriminantAnalysis.Project(v, 1, d, basis, k);
            double[] outside = LinearDiscriminantAnalysis.Project(v, 1, d, complement, d - k);
            for (int j = 0; j < d; j++) Assert.Equal(v[j], Enumerable.Range(0, k).Sum(b => inside[b] * all[b][j]), 1e-12);
            Assert.All(outside, o => Assert.Equal(0.0, o, 1e-12));
        }
        Assert.Equal(1.0, Blobs.Cosine(Column(basis, d, k, 0), Column(directions, d, k, 0)), 1e-14);
        Assert.Equal(d * d, LinearDiscriminantAnalysis.Complement([], d, 0).Length);
        Assert.Empty(LinearDiscriminantAnalysis.Complement(LinearDiscriminantAnalysis.OrthonormalBasis(
            Enumerable.Range(0, d * d).Select(i => i % (d + 1) == 0 ? 1.0 : 0.0).ToArray(), d, d), d, d));
    }

    [Fact]
    public void Dependent_directions_are_rejected()
    {
        double[] directions = [1, 2, 0, 0, 3, 6]; // [3, 2], second column = 2 · first
        Assert.Throws<ArgumentException>(() => LinearDiscriminantAnalysis.OrthonormalBasis(directions, 3, 2));
    }

    [Fact]
    public void Project_multiplies_features_by_the_basis()
    {
        double[] features = [1, 2, 3, 4, 5, 6];  // [2, 3]
        double[] basis = [1, 0, 0, 1, 1, -1];     // [3, 2]
        Assert.Equal([4.0, -1.0, 10.0, -1.0], LinearDiscriminantAnalysis.Project(features, 2, 3, basis, 2));
    }

    [Fact]
    public void Constant_dimensions_are_handled_by_the_shrinkage()
    {
        var (x, labels) = Blobs.Sample(FarCentres, 100, new Rng(7));
        double[] padded = new double[300 * 6];   // [300, 6]: the blobs, a constant and a copy of dimension 0
        for (int i = 0; i < 300; i++)
        {
            x.AsSpan(i * 4, 4).CopyTo(padded.AsSpan(i * 6, 4));
            (padded[i * 6 + 4], padded[i * 6 + 5]) = (3.0, x[i * 4]);
        }
        var lda = LinearDiscriminantAnalysis.Fit(padded, 300, 6, labels);
        Assert.Equal(1.0, lda.Accuracy(padded, 300, labels));
        Assert.Equal(1.0, lda.ExplainedVarianceRatio.Sum(), 1e-9);
    }

    [Fact]
    public void Classes_absent_from_training_are_never_predicted()
    {
        var (x, labels) = Blobs.Sample([[0, 0], [5, 5], [10, 0]], 50, new Rng(8));
        var (kept, keptLabels) = (x.Where((_, i) => labels[i / 2] != 1).ToArray(), labels.Where(l => l != 1).ToArray());
        var lda = LinearDiscriminantAnalysis.Fit(kept, keptLabels.Length, 2, keptLabels);
        Assert.Equal(3, lda.Classes);
        Assert.Single(lda.ExplainedVarianceRatio);
        for (int i = 0; i < 150; i++) Assert.NotEqual(1, lda.Predict(x.AsSpan(i * 2, 2)));
        Assert.Equal(2.0 / 3, lda.Accuracy(x, 150, labels), 1e-12);
    }
}
