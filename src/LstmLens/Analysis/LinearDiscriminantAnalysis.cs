// Linear discriminant analysis with one shared (pooled within-class) covariance, as scikit-learn's
// LinearDiscriminantAnalysis with solver 'eigen' (priors = class frequencies), for the probes of
// Verwimp et al. (2019) §4.2, Table 1: classify a property (e.g. a count) from LSTM states, take the top
// discriminant directions as a "counting subspace", and probe again inside it and in its orthogonal
// complement. Also the subspace helpers those probes need (orthonormal basis, complement, projection).
// Not a dimensionality-reduction pipeline and not a quadratic (per-class covariance) discriminant.
using LstmLens.Numerics;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace LstmLens.Analysis;

/// <summary>
/// LDA classifier and discriminant directions, fitted on features [rows, D] with labels in [0, C).
/// </summary>
/// <remarks>
/// <code>
/// π_c = n_c / n      μ_c = mean of class c      μ = Σ_c π_c μ_c
/// Σ_w = (1/n) Σ_i (x_i − μ_{y_i})(x_i − μ_{y_i})ᵀ + shrinkage · mean(diag Σ_w) · I
/// Σ_b = Σ_c π_c (μ_c − μ)(μ_c − μ)ᵀ
/// predict(x) = argmax_c  xᵀ Σ_w⁻¹ μ_c − ½ μ_cᵀ Σ_w⁻¹ μ_c + ln π_c
/// directions: Σ_b v = λ Σ_w v, λ descending, vᵀ Σ_w v = 1 (scikit-learn's scalings_)
/// </code>
/// </remarks>
public sealed class LinearDiscriminantAnalysis
{
    private static readonly Kernels<double> Reference = new(); // scalar kernels: the same rounding on every machine
    private readonly LinearClassifier _classifier;
    private readonly double[] _directions; // [D, D] generalised eigenvectors as columns, eigenvalues descending

    private LinearDiscriminantAnalysis(LinearClassifier classifier, double[] directions, double[] explainedVarianceRatio)
    {
        (_classifier, _directions, ExplainedVarianceRatio) = (classifier, directions, explainedVarianceRatio);
    }

    /// <summary>Number of classes C (the largest training label + 1); classes absent from training are never predicted.</summary>
    public int Classes => _classifier.Classes;

    /// <summary>Feature dimension D.</summary>
    public int Dimensions => _classifier.Dimensions;

    /// <summary>
    /// The leading eigenvalues λ of Σ_b v = λ Σ_w v divided by the sum of all of them, largest first
    /// [min(present classes − 1, D)], as scikit-learn's explained_variance_ratio_; it sums to 1 up to the
    /// rounding left in the eigenvalues beyond the rank of Σ_b (which is at most present classes − 1).
    /// </summary>
    public double[] ExplainedVarianceRatio { get; }

    /// <summary>Fits class means, priors and the pooled within-class covariance.</summary>
    /// <param name="features">Training inputs [rows, dimensions], row-major.</param>
    /// <param name="rows">Number of training rows (at least 1).</param>
    /// <param name="dimensions">Feature dimension D.</param>
    /// <param name="labels">Class of each row [rows], in [0, C); C is the largest label + 1.</param>
    /// <param name="shrinkage">
    /// Ridge added to Σ_w as a fraction of its mean diagonal (an absolute ridge when that is zero), so a
    /// singular covariance, e.g. from constant dimensions, still factors. Zero needs Σ_w positive definite.
    /// </param>
    public static LinearDiscriminantAnalysis Fit(ReadOnlySpan<double> features, int rows, int dimensions,
        ReadOnlySpan<int> labels, double shrinkage = 1e-6)
    {
        LinearClassifier.CheckShapes(features, rows, dimensions, labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(shrinkage);
        int d = dimensions, classes = 0;
        foreach (int label in labels) classes = Math.Max(classes, label + 1);
        int[] counts = LinearClassifier.CountClasses(labels, classes);

        var means = Matrix<double>.Build.Dense(classes, d);     // [C, D] μ_c
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) means[labels[i], j] += features[i * d + j];
        for (int c = 0; c < classes; c++)
            if (counts[c] > 0) means.SetRow(c, means.Row(c) / counts[c]);

        var centred = Matrix<double>.Build.Dense(rows, d);      // [n, D] x_i − μ_{y_i}
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < d; j++) centred[i, j] = features[i * d + j] - means[labels[i], j];
        var within = centred.TransposeThisAndMultiply(centred) / rows; // [D, D] Σ_w
        double meanDiagonal = within.Diagonal().Sum() / d;
        double ridge = shrinkage * (meanDiagonal > 0 ? meanDiagonal : 1);
        for (int j = 0; j < d; j++) within[j, j] += ridge;

        var grandMean = Vector<double>.Build.Dense(d);          // [D] μ = Σ_c π_c μ_c
        for (int c = 0; c < classes; c++) grandMean += means.Row(c) * ((double)counts[c] / rows);
        var between = Matrix<double>.Build.Dense(d, d);         // [D, D] Σ_b
        for (int c = 0; c < classes; c++)
        {
            if (counts[c] == 0) continue;
            var offset = means.Row(c) - grandMean;
            between += offset.OuterProduct(offset) * ((double)counts[c] / rows);
        }

        var cholesky = within.Cholesky();                       // Σ_w = L Lᵀ
        var weights = cholesky.Solve(means.Transpose()).Transpose(); // [C, D] rows Σ_w⁻¹ μ_c
        var biases = new double[classes];
        for (int c = 0; c < classes; c++)
            biases[c] = counts[c] == 0 ? double.NegativeInfinity
                : -0.5 * means.Row(c).DotProduct(weights.Row(c)) + Math.Log((double)counts[c] / rows);

        // Σ_b v = λ Σ_w v  ⇔  (L⁻¹ Σ_b L⁻ᵀ) u = λ u with v = L⁻ᵀ u, so vᵀ Σ_w v = uᵀ u = 1.
        var lowerInverse = cholesky.Factor.Inverse();
        var reduced = lowerInverse * between * lowerInverse.Transpose();
        var evd = ((reduced + reduced.Transpose()) / 2).Evd(Symmetricity.Symmetric);
        var vectors = lowerInverse.TransposeThisAndMultiply(evd.EigenVectors); // [D, D]
        int[] order = [.. Enumerable.Range(0, d).OrderByDescending(j => evd.EigenValues[j].Real).ThenBy(j => j)];
        double[] eigenvalues = [.. order.Select(j => Math.Max(evd.EigenValues[j].Real, 0))];
        var directions = new double[d * d];
        for (int k = 0; k < d; k++)
        {
            var v = vectors.Column(order[k]);
            double sign = v[v.AbsoluteMaximumIndex()] < 0 ? -1 : 1; // fixes the eigenvector's sign: largest entry positive
            for (int j = 0; j < d; j++) directions[j * d + k] = sign * v[j];
        }

        int present = counts.Count(n => n > 0);
        double total = eigenvalues.Sum();
        double[] ratio = [.. eigenvalues.Take(Math.Min(present - 1, d)).Select(l => total > 0 ? l / total : 0)];
        return new LinearDiscriminantAnalysis(new LinearClassifier(weights.ToRowMajorArray(), biases, d), directions, ratio);
    }

    /// <summary>The predicted class of x [D].</summary>
    public int Predict(ReadOnlySpan<double> x) => _classifier.Predict(x);

    /// <summary>Fraction of rows of features [rows, D] predicted as their label [rows]; NaN for no rows.</summary>
    public double Accuracy(ReadOnlySpan<double> features, int rows, ReadOnlySpan<int> labels) =>
        _classifier.Accuracy(features, rows, labels);

    /// <summary>
    /// The top-<paramref name="k"/> discriminant directions as columns of a [D, k] row-major matrix,
    /// largest eigenvalue first, each scaled so that vᵀ Σ_w v = 1 and signed so that its largest entry
    /// is positive. Beyond the rank of Σ_b (present classes − 1) the eigenvalues are zero and the
    /// directions only complete a basis.
    /// </summary>
    public double[] Directions(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, Dimensions);
        int d = Dimensions;
        var result = new double[d * k];
        for (int j = 0; j < d; j++) _directions.AsSpan(j * d, k).CopyTo(result.AsSpan(j * k, k));
        return result;
    }

    /// <summary>
    /// Orthonormalises the columns of directions [D, k] in order (modified Gram–Schmidt, applied twice),
    /// so column j of the result spans the same space as directions' first j + 1 columns; returns [D, k].
    /// Throws when the columns are linearly dependent.
    /// </summary>
    public static double[] OrthonormalBasis(ReadOnlySpan<double> directions, int dimensions, int k)
    {
        CheckBasis(directions, dimensions, k, nameof(directions));
        int d = dimensions;
        var columns = new double[k][];
        for (int c = 0; c < k; c++)
        {
            var v = new double[d];
            for (int j = 0; j < d; j++) v[j] = directions[j * k + c];
            double original = Math.Sqrt(Reference.Dot(v, v));
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < c; p++) Reference.Axpy(-Reference.Dot(columns[p], v), columns[p], v);
            double norm = Math.Sqrt(Reference.Dot(v, v));
            if (!(norm > 1e-10 * original))
                throw new ArgumentException($"column {c} is linearly dependent on the columns before it.", nameof(directions));
            Reference.Scale(1 / norm, v);
            columns[c] = v;
        }
        var basis = new double[d * k];
        for (int c = 0; c < k; c++)
            for (int j = 0; j < d; j++) basis[j * k + c] = columns[c][j];
        return basis;
    }

    /// <summary>
    /// An orthonormal basis [D, D − k] of the orthogonal complement of the span of basis [D, k] (its
    /// columns need only be independent): the last D − k columns of the Householder QR factor Q.
    /// </summary>
    /// <remarks>
    /// Projecting onto this complement removes the class-mean differences only when they lie in the
    /// span of the removed directions; LDA directions are Σ_w⁻¹(μ_c − μ), which contain them when Σ_w is
    /// isotropic but not in general, so a probe can still succeed in the complement of a
    /// discriminative subspace.
    /// </remarks>
    public static double[] Complement(ReadOnlySpan<double> basis, int dimensions, int k)
    {
        CheckBasis(basis, dimensions, k, nameof(basis));
        if (k == 0) return Matrix<double>.Build.DenseIdentity(dimensions).ToRowMajorArray();
        if (k == dimensions) return [];
        var q = Matrix<double>.Build.DenseOfRowMajor(dimensions, k, basis.ToArray()).QR(QRMethod.Full).Q; // [D, D]
        return q.SubMatrix(0, dimensions, k, dimensions - k).ToRowMajorArray();
    }

    /// <summary>Coordinates [rows, k] = features [rows, D] · basis [D, k] (for an orthonormal basis, the coordinates in the subspace).</summary>
    public static double[] Project(ReadOnlySpan<double> features, int rows, int dimensions, ReadOnlySpan<double> basis, int k)
    {
        CheckBasis(basis, dimensions, k, nameof(basis));
        LinearClassifier.CheckFeatures(features, rows, dimensions);
        var result = new double[rows * k];
        Reference.Gemm(MatrixView.Of(features, rows, dimensions), MatrixView.Of(basis, dimensions, k), MatrixView.Of(result.AsSpan(), rows, k));
        return result;
    }

    /// <summary>Throws unless basis is [dimensions, k] with 0 ≤ k ≤ dimensions.</summary>
    private static void CheckBasis(ReadOnlySpan<double> basis, int dimensions, int k, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, dimensions);
        if (basis.Length != dimensions * k)
            throw new ArgumentException($"{name} has {basis.Length} values, not dimensions·k = {dimensions}·{k}.", name);
    }
}
