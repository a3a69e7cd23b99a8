// Multinomial (softmax) logistic regression with an L2 penalty, fitted full-batch by L-BFGS with a
// backtracking line search from zero weights, so a fit is a deterministic function of its data. It
// checks whether word classes are linearly separable from their embeddings (Verwimp et al. 2019,
// appendix 9, Table 3), with a seeded, stratified held-out split. Not a general optimiser library and
// not a probe on states over time (that is LinearDiscriminantAnalysis's job in §4.2).
using LstmLens.Numerics;

namespace LstmLens.Analysis;

/// <summary>
/// Softmax regression over features [rows, D] standardised per dimension, labels in [0, C).
/// </summary>
/// <remarks>
/// <code>
/// x̃_j = (x_j − mean_j) / std_j             (std_j = 1 where a dimension is constant)
/// z = W x̃ + b       W [K, D], b [K]        (K = classes present in training)
/// L(W, b) = (1/n) Σ_i [logsumexp(z_i) − z_{i, y_i}] + (l2 / 2) ‖W‖²     (b is not penalised)
/// </code>
/// This is scikit-learn's multinomial LogisticRegression with C = 1 / (n · l2). Classes absent from
/// training take no parameters and are never predicted.
/// </remarks>
public sealed class LogisticRegression
{
    private const int Memory = 10;                // L-BFGS correction pairs kept
    private const double GradientTolerance = 1e-7; // converged when max |∂L/∂θ| ≤ this
    private static readonly Kernels<double> Reference = new(); // scalar kernels: the same rounding on every machine

    private readonly LinearClassifier _classifier;

    private LogisticRegression(LinearClassifier classifier, bool converged) => (_classifier, Converged) = (classifier, converged);

    /// <summary>Number of classes C.</summary>
    public int Classes => _classifier.Classes;

    /// <summary>Feature dimension D.</summary>
    public int Dimensions => _classifier.Dimensions;

    /// <summary>Whether L-BFGS reached max |∂L/∂θ| ≤ 1e-7 within the iteration limit.</summary>
    public bool Converged { get; }

    /// <summary>Fits W and b by minimising L (see the remarks) with L-BFGS from zero.</summary>
    /// <param name="features">Training inputs [rows, dimensions], row-major.</param>
    /// <param name="rows">Number of training rows (at least 1).</param>
    /// <param name="dimensions">Feature dimension D.</param>
    /// <param name="labels">Class of each row [rows], in [0, classes).</param>
    /// <param name="classes">Number of classes C.</param>
    /// <param name="l2">Penalty weight on ‖W‖² (on the standardised scale).</param>
    /// <param name="maxIterations">Most L-BFGS iterations.</param>
    public static LogisticRegression Fit(ReadOnlySpan<double> features, int rows, int dimensions, ReadOnlySpan<int> labels,
        int classes, double l2 = 1e-4, int maxIterations = 500)
    {
        LinearClassifier.CheckShapes(features, rows, dimensions, labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegative(l2);
        ArgumentOutOfRangeException.ThrowIfNegative(maxIterations);
        int d = dimensions;
        int[] counts = LinearClassifier.CountClasses(labels, classes);
        int[] present = [.. Enumerable.Range(0, classes).Where(c => counts[c] > 0)];
        int k = present.Length;
        var index = new int[classes];                                   // class → row of W
        for (int p = 0; p < k; p++) index[present[p]] = p;

        var mean = new double[d];
        var scale = new double[d];                                      // std_j, or 1 for a constant dimension
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) mean[j] += features[i * d + j] / rows;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) scale[j] += (features[i * d + j] - mean[j]) * (features[i * d + j] - mean[j]) / rows;
        for (int j = 0; j < d; j++) scale[j] = scale[j] > 0 ? Math.Sqrt(scale[j]) : 1;
        var standardised = new double[rows * d];                        // [n, D] x̃
        var mapped = new int[rows];                                     // [n] labels in [0, K)
        for (int i = 0; i < rows; i++)
        {
            mapped[i] = index[labels[i]];
            for (int j = 0; j < d; j++) standardised[i * d + j] = (features[i * d + j] - mean[j]) / scale[j];
        }

        var (theta, converged) = MinimiseLbfgs(
            (parameters, gradient) => LossAndGradient(parameters, standardised, rows, d, mapped, k, l2, gradient),
            k * d + k, maxIterations);

        // Fold the standardisation into the scores: w_c·x̃ + b_c = (w_c / std)·x + (b_c − Σ_j w_cj mean_j / std_j).
        var weights = new double[classes * d];                          // [C, D]
        var biases = new double[classes];                               // [C]
        Array.Fill(biases, double.NegativeInfinity);
        for (int p = 0; p < k; p++)
        {
            int c = present[p];
            biases[c] = theta[k * d + p];
            for (int j = 0; j < d; j++)
            {
                weights[c * d + j] = theta[p * d + j] / scale[j];
                biases[c] -= weights[c * d + j] * mean[j];
            }
        }
        return new LogisticRegression(new LinearClassifier(weights, biases, d), converged);
    }

    /// <summary>The predicted class of x [D].</summary>
    public int Predict(ReadOnlySpan<double> x) => _classifier.Predict(x);

    /// <summary>Fraction of rows of features [rows, D] predicted as their label [rows]; NaN for no rows.</summary>
    public double Accuracy(ReadOnlySpan<double> features, int rows, ReadOnlySpan<int> labels) =>
        _classifier.Accuracy(features, rows, labels);

    /// <summary>
    /// Splits the rows into train and test parts, stratified by class, fits on the train part with the
    /// default l2 and iteration limit, and scores both parts.
    /// </summary>
    /// <remarks>
    /// Each class's rows are shuffled by one <see cref="Rng"/> seeded with <paramref name="seed"/> (classes
    /// in order) and round(testFraction · n_c) of them go to the test part, capped so every class keeps
    /// at least one training row. TestAccuracy is NaN when the test part is empty.
    /// </remarks>
    /// <param name="features">Inputs [rows, dimensions], row-major.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="dimensions">Feature dimension D.</param>
    /// <param name="labels">Class of each row [rows], in [0, classes).</param>
    /// <param name="classes">Number of classes C.</param>
    /// <param name="testFraction">Fraction of each class held out, in (0, 1).</param>
    /// <param name="seed">Seed of the shuffle.</param>
    public static (double TrainAccuracy, double TestAccuracy, int TrainCount, int TestCount) HeldOut(
        ReadOnlySpan<double> features, int rows, int dimensions, ReadOnlySpan<int> labels, int classes,
        double testFraction = 0.2, ulong seed = 1)
    {
        LinearClassifier.CheckShapes(features, rows, dimensions, labels);
        if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "must lie in (0, 1).");
        LinearClassifier.CountClasses(labels, classes);
        var rng = new Rng(seed);
        var isTest = new bool[rows];
        for (int c = 0; c < classes; c++)
        {
            var members = new List<int>();
            for (int i = 0; i < rows; i++)
                if (labels[i] == c) members.Add(i);
            if (members.Count == 0) continue;
            var shuffled = members.ToArray();
            rng.Shuffle(shuffled.AsSpan());
            int testCount = Math.Min((int)Math.Round(testFraction * shuffled.Length, MidpointRounding.AwayFromZero), shuffled.Length - 1);
            foreach (int i in shuffled[..testCount]) isTest[i] = true;
        }

        var (trainFeatures, trainLabels) = Gather(features, dimensions, labels, isTest, wanted: false);
        var (testFeatures, testLabels) = Gather(features, dimensions, labels, isTest, wanted: true);
        var model = Fit(trainFeatures, trainLabels.Length, dimensions, trainLabels, classes);
        return (model.Accuracy(trainFeatures, trainLabels.Length, trainLabels), model.Accuracy(testFeatures, testLabels.Length, testLabels),
            trainLabels.Length, testLabels.Length);
    }

    /// <summary>The rows i with isTest[i] == wanted, in order: features [m, D] and labels [m].</summary>
    private static (double[] Features, int[] Labels) Gather(ReadOnlySpan<double> features, int dimensions, ReadOnlySpan<int> labels,
        bool[] isTest, bool wanted)
    {
        int m = isTest.Count(t => t == wanted), row = 0;
        var selectedFeatures = new double[m * dimensions];
        var selectedLabels = new int[m];
        for (int i = 0; i < isTest.Length; i++)
        {
            if (isTest[i] != wanted) continue;
            features.Slice(i * dimensions, dimensions).CopyTo(selectedFeatures.AsSpan(row * dimensions, dimensions));
            selectedLabels[row++] = labels[i];
        }
        return (selectedFeatures, selectedLabels);
    }

    /// <summary>
    /// The loss L of the remarks and its gradient. parameters and gradient are [K·D + K]: W [K, D] then
    /// b [K]; features [rows, D] (already standardised), labels [rows] in [0, K). Overwrites gradient.
    /// </summary>
    /// <remarks>∂L/∂z_i = (softmax(z_i) − onehot(y_i)) / n;  ∂L/∂W = Σ_i ∂L/∂z_i x̃_iᵀ + l2 W;  ∂L/∂b = Σ_i ∂L/∂z_i.</remarks>
    internal static double LossAndGradient(ReadOnlySpan<double> parameters, ReadOnlySpan<double> features, int rows, int dimensions,
        ReadOnlySpan<int> labels, int classes, double l2, Span<double> gradient)
    {
        int d = dimensions, k = classes;
        ReadOnlySpan<double> w = parameters[..(k * d)], b = parameters.Slice(k * d, k);
        Span<double> dW = gradient[..(k * d)], dB = gradient.Slice(k * d, k);
        var z = new double[rows * k];                                   // [n, K] logits, then softmax, then ∂L/∂z
        var logSumExp = new double[rows];                               // [n]
        var x = MatrixView.Of(features, rows, d);
        Reference.Gemm(x, MatrixView.Of(w, k, d).T, MatrixView.Of(z.AsSpan(), rows, k));                   // z = x Wᵀ
        Reference.AddToRows(b, rows, z);
        double loss = 0;
        for (int i = 0; i < rows; i++) loss -= z[i * k + labels[i]];
        Reference.SoftmaxRows(z, rows, k, z, logSumExp);
        loss = (loss + Reference.Sum(logSumExp)) / rows + 0.5 * l2 * Reference.Dot(w, w);
        for (int i = 0; i < rows; i++) z[i * k + labels[i]] -= 1;
        Reference.Scale(1.0 / rows, z);
        Reference.Gemm(MatrixView.Of((ReadOnlySpan<double>)z, rows, k).T, x, MatrixView.Of(dW, k, d)); // dW = ∂L/∂zᵀ x
        dB.Clear();
        Reference.SumRows(z, rows, dB);
        Reference.Axpy(l2, w, dW);
        return loss;
    }

    /// <summary>
    /// Minimises objective(θ, gradient) → value from θ = 0 by L-BFGS (two-loop recursion, the last
    /// <see cref="Memory"/> pairs, initial scaling sᵀy / yᵀy) with a backtracking Armijo line search
    /// (c₁ = 1e-4, halving from step 1). Pairs with sᵀy ≤ 0 are skipped; a non-descent direction
    /// restarts from steepest descent.
    /// </summary>
    private static (double[] Theta, bool Converged) MinimiseLbfgs(Func<double[], double[], double> objective, int size, int maxIterations)
    {
        var x = new double[size];
        var g = new double[size];
        double f = objective(x, g);
        var pairs = new List<(double[] S, double[] Y, double Rho)>();
        var direction = new double[size];
        var alpha = new double[Memory];
        for (int iteration = 0; ; iteration++)
        {
            if (MaxAbs(g) <= GradientTolerance) return (x, true);
            if (iteration == maxIterations) return (x, false);

            for (int p = 0; p < size; p++) direction[p] = -g[p];        // direction = −H g
            for (int m = pairs.Count - 1; m >= 0; m--)
            {
                alpha[m] = pairs[m].Rho * Reference.Dot(pairs[m].S, direction);
                Reference.Axpy(-alpha[m], pairs[m].Y, direction);
            }
            Reference.Scale(pairs.Count > 0
                ? Reference.Dot(pairs[^1].S, pairs[^1].Y) / Reference.Dot(pairs[^1].Y, pairs[^1].Y)
                : 1 / Math.Sqrt(Reference.Dot(g, g)), direction);       // the first step has length 1
            for (int m = 0; m < pairs.Count; m++)
                Reference.Axpy(alpha[m] - pairs[m].Rho * Reference.Dot(pairs[m].Y, direction), pairs[m].S, direction);
            double slope = Reference.Dot(g, direction);
            if (!(slope < 0))
            {
                pairs.Clear();
                double norm = Math.Sqrt(Reference.Dot(g, g));
                for (int p = 0; p < size; p++) direction[p] = -g[p] / norm;
                slope = -norm;
            }

            var xNew = new double[size];
            var gNew = new double[size];
            double step = 1, fNew;
            while (true)
            {
                for (int p = 0; p < size; p++) xNew[p] = x[p] + step * direction[p];
                fNew = objective(xNew, gNew);
                if (fNew <= f + 1e-4 * step * slope) break;
                step /= 2;
                if (step < 1e-20) return (x, false);
            }

            var s = new double[size];
            var y = new double[size];
            for (int p = 0; p < size; p++) (s[p], y[p]) = (xNew[p] - x[p], gNew[p] - g[p]);
            double sy = Reference.Dot(s, y);
            if (sy > 0)
            {
                if (pairs.Count == Memory) pairs.RemoveAt(0);
                pairs.Add((s, y, 1 / sy));
            }
            (x, g, f) = (xNew, gNew, fNew);
        }
    }

    private static double MaxAbs(double[] x)
    {
        double max = 0;
        foreach (double v in x) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
