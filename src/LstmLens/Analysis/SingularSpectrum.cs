// The singular values of a (normalised) average state-gradient matrix and the measures the state-gradients
// paper reads from them (Verwimp et al. 2019, eq. 1, §4.3.2): σ1 (average memory), σ1/Σσ and Σ_{i≤5}σ_i/Σσ
// (selectiveness), Σσ, and the right singular vectors (directions in input space, eqs. 15–16). Not the
// averaging (StateGradients) or the normalisation (EmbeddingNormalization).
using MathNet.Numerics.LinearAlgebra;

namespace LstmLens.Analysis;

/// <summary>Ḡ = U Σ Vᵀ of one matrix [H, E]: every σ_i in decreasing order and V.</summary>
public sealed class SingularSpectrum
{
    private readonly Matrix<double>? _v;

    private SingularSpectrum(double[] sigmas, Matrix<double>? v)
    {
        Sigmas = sigmas;
        _v = v;
        Sum = sigmas.Sum();
    }

    /// <summary>σ_1 ≥ σ_2 ≥ … ≥ σ_r, r = min(H, E).</summary>
    public IReadOnlyList<double> Sigmas { get; }

    /// <summary>σ1, the largest singular value.</summary>
    public double Sigma1 => Sigmas.Count > 0 ? Sigmas[0] : 0;

    /// <summary>Σσ.</summary>
    public double Sum { get; }

    /// <summary>σ1/Σσ (0 for a zero matrix).</summary>
    public double Sigma1Ratio => Sum > 0 ? Sigma1 / Sum : 0;

    /// <summary>Σ_{i≤5}σ_i/Σσ (0 for a zero matrix).</summary>
    public double Top5Ratio => Sum > 0 ? Sigmas.Take(5).Sum() / Sum : 0;

    /// <summary>E, the length of the right singular vectors.</summary>
    public int Width => Vectors.RowCount;

    private Matrix<double> Vectors => _v ?? throw new InvalidOperationException("this spectrum was computed without singular vectors");

    /// <summary>
    /// The SVD of <paramref name="matrix"/> [rows, columns] row-major; with <paramref name="vectors"/> false only the singular
    /// values (much cheaper; <see cref="RightVector"/> and <see cref="SubspaceCosine"/> then throw).
    /// </summary>
    public static SingularSpectrum Of(ReadOnlySpan<double> matrix, int rows, int columns, bool vectors = true)
    {
        if (matrix.Length != rows * columns) throw new ArgumentException($"matrix has {matrix.Length} values for {rows} × {columns}");
        var svd = Matrix<double>.Build.DenseOfRowMajor(rows, columns, matrix.ToArray()).Svd(computeVectors: vectors);
        return new SingularSpectrum([.. svd.S], vectors ? svd.VT.Transpose() : null);
    }

    /// <summary>The right singular vector v_i (0-based i) [E].</summary>
    public double[] RightVector(int i) => Vectors.Column(i).ToArray();

    /// <summary>‖V_nᵀ d‖ (eq. 16): the cosine between a unit vector d and the span of the first n right singular vectors.</summary>
    public double SubspaceCosine(ReadOnlySpan<double> direction, int n)
    {
        if (direction.Length != Width) throw new ArgumentException($"direction has {direction.Length} values for width {Width}");
        var d = Vector<double>.Build.DenseOfArray(direction.ToArray());
        return Vectors.SubMatrix(0, Width, 0, Math.Min(n, Vectors.ColumnCount)).TransposeThisAndMultiply(d).L2Norm();
    }
}
