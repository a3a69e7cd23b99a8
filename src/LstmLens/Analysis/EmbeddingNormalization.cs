// The normalisation of state gradients by the embedding covariance (Verwimp et al. 2019, §4.1, eqs. 4–10):
// centre the vocabulary's embedding rows, cov_e = (1/V) Σ_i e_i e_iᵀ = D Dᵀ (Cholesky), Z = D⁻¹, so that the
// whitened embeddings g = Z e have identity covariance and ∂s/∂g = G D. Not for one-hot or vector inputs,
// whose input space has no embedding table to normalise by.
using MathNet.Numerics.LinearAlgebra;

namespace LstmLens.Analysis;

/// <summary>D, Z = D⁻¹ and the checks of one embedding table.</summary>
public sealed class EmbeddingNormalization
{
    private readonly Matrix<double> _d, _z;

    private EmbeddingNormalization(Matrix<double> d, Matrix<double> z, double condition, double covarianceError)
    {
        _d = d;
        _z = z;
        ConditionNumber = condition;
        MaxCovarianceError = covarianceError;
    }

    /// <summary>E, the embedding width.</summary>
    public int Width => _d.RowCount;

    /// <summary>cond(Z) = σ_max(Z) / σ_min(Z) (the paper found 1–43).</summary>
    public double ConditionNumber { get; }

    /// <summary>max |cov(Z e) − I| over the entries, a check that the whitening worked (rounding level when it did).</summary>
    public double MaxCovarianceError { get; }

    /// <summary>D [E, E] row-major, the lower Cholesky factor of cov_e.</summary>
    public double[] D => _d.ToRowMajorArray();

    /// <summary>Z = D⁻¹ [E, E] row-major.</summary>
    public double[] Z => _z.ToRowMajorArray();

    /// <summary>From an embedding table [V, E] row-major (Verwimp et al. eqs. 6–7).</summary>
    /// <exception cref="ArgumentException">The covariance is not positive definite (fewer distinct rows than E, or constant columns).</exception>
    public static EmbeddingNormalization FromTable(ReadOnlySpan<double> table, int vocabulary, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (table.Length != vocabulary * width) throw new ArgumentException($"table has {table.Length} values for {vocabulary} × {width}");
        var e = Matrix<double>.Build.Dense(vocabulary, width);
        for (int i = 0; i < vocabulary; i++)
            for (int j = 0; j < width; j++) e[i, j] = table[i * width + j];
        var means = e.ColumnSums() / vocabulary;
        var centred = e - Matrix<double>.Build.Dense(vocabulary, width, (_, j) => means[j]);
        var covariance = centred.TransposeThisAndMultiply(centred) / vocabulary;   // eq. 6: (1/V) Σ e eᵀ
        Matrix<double> d;
        try
        {
            d = covariance.Cholesky().Factor;                                          // eq. 7: cov_e = D Dᵀ
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"the embedding covariance ({width} × {width} over {vocabulary} rows) is not positive definite, so it cannot be normalised; use --no-normalize");
        }
        var z = d.Inverse();                                                           // Z = D⁻¹
        var singular = z.Svd(computeVectors: false).S;
        var whitened = z * covariance * z.Transpose();                                 // cov(Z e) = Z cov_e Zᵀ
        double error = (whitened - Matrix<double>.Build.DenseIdentity(width)).Enumerate().Max(Math.Abs);
        return new EmbeddingNormalization(d, z, singular.Maximum() / singular.Minimum(), error);
    }

    /// <summary>Ḡ_norm = Ḡ D (eq. 10) for <paramref name="gradient"/> [rows, E] row-major.</summary>
    public double[] Normalize(ReadOnlySpan<double> gradient, int rows)
    {
        if (gradient.Length != rows * Width) throw new ArgumentException($"gradient has {gradient.Length} values for {rows} × {Width}");
        return (Matrix<double>.Build.DenseOfRowMajor(rows, Width, gradient.ToArray()) * _d).ToRowMajorArray();
    }

    /// <summary>Z v for a vector v in embedding space (eq. 14's whitening of a difference of class means).</summary>
    public double[] Whiten(ReadOnlySpan<double> vector)
    {
        if (vector.Length != Width) throw new ArgumentException($"vector has {vector.Length} values for width {Width}");
        return (_z * Vector<double>.Build.DenseOfArray(vector.ToArray())).ToArray();
    }
}
