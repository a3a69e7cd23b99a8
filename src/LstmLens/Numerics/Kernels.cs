// The numeric kernels every layer is written against. This class is the reference: plain scalar loops
// that stay as the specification. Faster kernel sets derive from it and override only what they speed
// up; tests check every override against this class on odd sizes. Not a tensor library: spans in,
// spans out, row-major, shapes passed explicitly.
using System.Numerics;

namespace LstmLens.Numerics;

/// <summary>
/// Numeric kernels over row-major spans of <typeparamref name="T"/> (float for training, double for
/// analyses and gradient checks). Argument order: inputs, sizes, outputs.
/// </summary>
public class Kernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Kernel set name as reported at start-up ("reference", "simd", "openblas").</summary>
    public virtual string Name => "reference";

    /// <summary>
    /// General matrix product <c>C = alpha · op(A) · op(B) + beta · C</c>, row-major.
    /// op(A) is [m, k] (A stored [m, k] with leading dimension lda, or [k, m] when <paramref name="transA"/>);
    /// op(B) is [k, n] (B stored [k, n], or [n, k] when <paramref name="transB"/>); C is [m, n] with ldc.
    /// When beta is zero, C is overwritten without being read (NaN in C does not propagate).
    /// </summary>
    public virtual void Gemm(bool transA, bool transB, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        int m, int n, int k, T alpha, T beta, Span<T> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[p * lda + i] : a[i * lda + p];
                    T bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                T scaled = alpha * sum;
                c[i * ldc + j] = T.IsZero(beta) ? scaled : scaled + beta * c[i * ldc + j];
            }
        }
    }

    /// <summary><c>y = σ(x) = 1 / (1 + e^{-x})</c>; x and y may alias.</summary>
    public virtual void Sigmoid(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.One / (T.One + T.Exp(-x[i]));
    }

    /// <summary><c>y = tanh(x)</c>; x and y may alias.</summary>
    public virtual void Tanh(ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    /// <summary>Derivative through a sigmoid from its output: <c>dx = dy · y · (1 - y)</c>.</summary>
    public virtual void SigmoidBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * (T.One - y[i]);
    }

    /// <summary>Derivative through a tanh from its output: <c>dx = dy · (1 - y²)</c>.</summary>
    public virtual void TanhBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * (T.One - y[i] * y[i]);
    }

    /// <summary><c>z = x ⊙ y</c>.</summary>
    public virtual void Multiply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
    {
        for (int i = 0; i < x.Length; i++) z[i] = x[i] * y[i];
    }

    /// <summary><c>z += x ⊙ y</c>.</summary>
    public virtual void MultiplyAdd(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
    {
        for (int i = 0; i < x.Length; i++) z[i] += x[i] * y[i];
    }

    /// <summary><c>z = x + y</c>.</summary>
    public virtual void Add(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
    {
        for (int i = 0; i < x.Length; i++) z[i] = x[i] + y[i];
    }

    /// <summary><c>y += alpha · x</c>.</summary>
    public virtual void Axpy(T alpha, ReadOnlySpan<T> x, Span<T> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += alpha * x[i];
    }

    /// <summary><c>x *= alpha</c>.</summary>
    public virtual void Scale(T alpha, Span<T> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= alpha;
    }

    /// <summary><c>Σ x ⊙ y</c>.</summary>
    public virtual T Dot(ReadOnlySpan<T> x, ReadOnlySpan<T> y)
    {
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    /// <summary><c>Σ x</c>.</summary>
    public virtual T Sum(ReadOnlySpan<T> x)
    {
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i++) sum += x[i];
        return sum;
    }

    /// <summary>Adds a row vector to every row: <c>matrix[r, :] += row</c>; matrix is [rows, row.Length].</summary>
    public virtual void AddToRows(ReadOnlySpan<T> row, int rows, Span<T> matrix)
    {
        int n = row.Length;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) matrix[r * n + j] += row[j];
    }

    /// <summary>Column sums accumulated into <paramref name="sums"/>: <c>sums[j] += Σ_r matrix[r, j]</c>; matrix is [rows, sums.Length].</summary>
    public virtual void SumRows(ReadOnlySpan<T> matrix, int rows, Span<T> sums)
    {
        int n = sums.Length;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) sums[j] += matrix[r * n + j];
    }

    /// <summary>
    /// Row-wise softmax of x [rows, cols] into y, returning nothing; each row's log-sum-exp goes to
    /// <paramref name="logSumExp"/> [rows] (needed by cross-entropy). x and y may alias.
    /// </summary>
    public virtual void SoftmaxRows(ReadOnlySpan<T> x, int rows, int cols, Span<T> y, Span<T> logSumExp)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            T max = T.NegativeInfinity;
            for (int j = 0; j < cols; j++) max = T.Max(max, xr[j]);
            T sum = T.Zero;
            for (int j = 0; j < cols; j++)
            {
                yr[j] = T.Exp(xr[j] - max);
                sum += yr[j];
            }
            T inv = T.One / sum;
            for (int j = 0; j < cols; j++) yr[j] *= inv;
            logSumExp[r] = max + T.Log(sum);
        }
    }
}
