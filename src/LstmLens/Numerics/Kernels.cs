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
    /// <summary>Kernel set name as reported at start-up (one of <see cref="Compute.KernelSetNames"/>).</summary>
    public virtual string Name => "reference";

    /// <summary><c>C = A · B</c>: A [m, k], B [k, n], C [m, n] (operands transposed with <see cref="ReadOnlyMatrixView{T}.T"/>).</summary>
    /// <exception cref="ArgumentException">The shapes do not chain.</exception>
    public void Gemm(ReadOnlyMatrixView<T> a, ReadOnlyMatrixView<T> b, MatrixView<T> c) => Gemm(T.One, a, b, T.Zero, c);

    /// <summary><c>C += A · B</c>: A [m, k], B [k, n], C [m, n].</summary>
    /// <exception cref="ArgumentException">The shapes do not chain.</exception>
    public void GemmAdd(ReadOnlyMatrixView<T> a, ReadOnlyMatrixView<T> b, MatrixView<T> c) => Gemm(T.One, a, b, T.One, c);

    /// <summary><c>C = alpha · A · B + beta · C</c>: A [m, k], B [k, n], C [m, n]; with beta zero C is not read.</summary>
    /// <exception cref="ArgumentException">The shapes do not chain.</exception>
    public void Gemm(T alpha, ReadOnlyMatrixView<T> a, ReadOnlyMatrixView<T> b, T beta, MatrixView<T> c)
    {
        if (a.Columns != b.Rows || c.Rows != a.Rows || c.Columns != b.Columns)
            throw new ArgumentException($"a [{a.Rows}, {a.Columns}] times b [{b.Rows}, {b.Columns}] does not give c [{c.Rows}, {c.Columns}]");
        Gemm(a.Transposed, b.Transposed, a.Data, a.Stride, b.Data, b.Stride, a.Rows, b.Columns, a.Columns, alpha, beta, c.Data, c.Stride);
    }

    /// <summary><c>C = A · B + beta · C</c> with B prepared by <see cref="Prepare"/>: A [m, B.K], C [m, B.N].</summary>
    /// <exception cref="ArgumentException">The shapes do not chain.</exception>
    public void Gemm(ReadOnlyMatrixView<T> a, PreparedOperand<T> b, T beta, MatrixView<T> c)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (a.Columns != b.K || c.Rows != a.Rows || c.Columns != b.N)
            throw new ArgumentException($"a [{a.Rows}, {a.Columns}] times the prepared [{b.K}, {b.N}] does not give c [{c.Rows}, {c.Columns}]");
        Gemm(a.Transposed, a.Data, a.Stride, b, a.Rows, T.One, beta, c.Data, c.Stride);
    }

    /// <summary>
    /// General matrix product <c>C = alpha · op(A) · op(B) + beta · C</c>, row-major, in positional form (the
    /// operand forms above are the ones to call; kernel sets override this one).
    /// op(A) is [m, k] (A stored [m, k] with leading dimension lda, or [k, m] when <paramref name="transA"/>);
    /// op(B) is [k, n] (B stored [k, n], or [n, k] when <paramref name="transB"/>); C is [m, n] with ldc.
    /// When beta is zero, C is overwritten without being read (NaN in C does not propagate).
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short for its matrix, or a leading dimension below its row length.</exception>
    public virtual void Gemm(bool transA, bool transB, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        int m, int n, int k, T alpha, T beta, Span<T> c, int ldc)
    {
        CheckGemmArguments(transA, transB, a.Length, lda, b.Length, ldb, m, n, k, c.Length, ldc);
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

    /// <summary>
    /// Throws unless the spans hold the matrices the sizes describe: op(A) [m, k], op(B) [k, n], C [m, n],
    /// each row-major with a leading dimension of at least its stored row length. Native and pointer-based
    /// products rely on this instead of bounds checks.
    /// </summary>
    private protected static void CheckGemmArguments(bool transA, bool transB, int aLength, int lda, int bLength, int ldb,
        int m, int n, int k, int cLength, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckMatrix("a", aLength, transA ? k : m, transA ? m : k, lda);
        CheckMatrix("b", bLength, transB ? n : k, transB ? k : n, ldb);
        CheckMatrix("c", cLength, m, n, ldc);
    }

    private static void CheckMatrix(string name, int length, int rows, int columns, int leadingDimension)
    {
        if (rows == 0 || columns == 0) return;
        if (leadingDimension < columns)
            throw new ArgumentOutOfRangeException($"ld{name}", leadingDimension,
                $"The leading dimension of {name} must be at least its stored row length {columns}.");
        long needed = (long)(rows - 1) * leadingDimension + columns;
        if (length < needed)
            throw new ArgumentException(
                $"{name} holds {length} elements; a [{rows}, {columns}] matrix with leading dimension {leadingDimension} needs {needed}.",
                name);
    }

    /// <summary>
    /// The span checks of System.Numerics.Tensors.TensorPrimitives, shared by every kernel set: the inputs of an
    /// element-wise kernel have one length, and its destination holds at least that many elements.
    /// </summary>
    private protected static void CheckElementwise(int length, int otherInput, int destination)
    {
        if (otherInput != length) throw new ArgumentException($"Input spans must have the same length ({length} and {otherInput}).");
        if (destination < length) throw new ArgumentException($"Destination is too short ({destination} elements for {length}).", nameof(destination));
    }

    /// <summary>
    /// Prepares op(B) [k, n] (B stored as for <see cref="Gemm(bool, bool, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, int, int, int, T, T, Span{T}, int)"/>)
    /// for many products with different left operands; <paramref name="prepared"/> keeps a snapshot.
    /// </summary>
    public virtual void Prepare(bool transB, ReadOnlySpan<T> b, int ldb, int k, int n, PreparedOperand<T> prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        prepared.CopyFrom(transB, b, ldb, k, n);
    }

    /// <summary><c>C = alpha · op(A) · B + beta · C</c> with B prepared by <see cref="Prepare"/>; op(A) is [m, B.K].</summary>
    public virtual void Gemm(bool transA, ReadOnlySpan<T> a, int lda, PreparedOperand<T> b, int m, T alpha, T beta, Span<T> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.PackedBits != 0 || b.HasCompanions) throw new ArgumentException("operand was prepared by another kernel set", nameof(b));
        Gemm(transA, b.TransB, a, lda, b.Data, b.TransB ? b.K : b.N, m, b.N, b.K, alpha, beta, c, ldc);
    }

    /// <summary>
    /// The element-wise part of one LSTM step for one row, gate order i, f, g, o (n = c.Length): on entry
    /// z [4n] holds the pre-activations, on return the gates i = σ(z_i), f = σ(z_f), g = tanh(z_g),
    /// o = σ(z_o); then <c>c = f ⊙ cPrev + i ⊙ g</c>, <c>tanhC = tanh(c)</c>, <c>h = o ⊙ tanhC</c>.
    /// </summary>
    public virtual void LstmCellForward(Span<T> z, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> h)
    {
        int n = c.Length;
        Span<T> i = z[..n], f = z.Slice(n, n), g = z.Slice(2 * n, n), o = z.Slice(3 * n, n);
        Sigmoid(z[..(2 * n)], z[..(2 * n)]);
        Tanh(g, g);
        Sigmoid(o, o);
        Multiply(f, cPrev, c);
        MultiplyAdd(i, g, c);
        Tanh(c, tanhC);
        Multiply(o, tanhC, h);
    }

    /// <summary>
    /// Backward through <see cref="LstmCellForward"/> for one row, from its gates [4n], cPrev and tanhC:
    /// given dh (reaching h) and dc (reaching c from the next step), adds <c>dh ⊙ o ⊙ (1 - tanh²c)</c> to
    /// dc and writes dz [4n] (gradient w.r.t. the pre-activations) and <c>dcPrev = dc ⊙ f</c>.
    /// </summary>
    public virtual void LstmCellBackward(ReadOnlySpan<T> gates, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> tanhC,
        ReadOnlySpan<T> dh, Span<T> dc, Span<T> dz, Span<T> dcPrev)
    {
        int n = dc.Length;
        ReadOnlySpan<T> i = gates[..n], f = gates.Slice(n, n), g = gates.Slice(2 * n, n), o = gates.Slice(3 * n, n);
        Span<T> di = dz[..n], df = dz.Slice(n, n), dg = dz.Slice(2 * n, n), dO = dz.Slice(3 * n, n);
        ReadOnlySpan<T> tc = tanhC[..n], dhs = dh[..n];
        Span<T> scratch = dcPrev[..n];
        Multiply(dhs, tc, dO);               // h = o ⊙ tanh(c)
        Multiply(dhs, o, scratch);
        TanhBackward(tc, scratch, scratch);
        Add(dc, scratch, dc);
        Multiply(dc, g, di);                 // c = f ⊙ c_{t-1} + i ⊙ g
        Multiply(dc, cPrev[..n], df);
        Multiply(dc, i, dg);
        Multiply(dc, f, scratch);            // dcPrev
        SigmoidBackward(i, di, di);
        SigmoidBackward(f, df, df);
        TanhBackward(g, dg, dg);
        SigmoidBackward(o, dO, dO);
    }

    /// <summary><c>y = σ(x) = 1 / (1 + e^{-x})</c>; x and y may alias.</summary>
    public virtual void Sigmoid(ReadOnlySpan<T> x, Span<T> y)
    {
        CheckElementwise(x.Length, x.Length, y.Length);
        for (int i = 0; i < x.Length; i++) y[i] = T.One / (T.One + T.Exp(-x[i]));
    }

    /// <summary><c>y = tanh(x)</c>; x and y may alias.</summary>
    public virtual void Tanh(ReadOnlySpan<T> x, Span<T> y)
    {
        CheckElementwise(x.Length, x.Length, y.Length);
        for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    /// <summary>Derivative through a sigmoid from its output: <c>dx = dy · y · (1 - y)</c>.</summary>
    public virtual void SigmoidBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        CheckElementwise(y.Length, dy.Length, dx.Length);
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * (T.One - y[i]);
    }

    /// <summary>Derivative through a tanh from its output: <c>dx = dy · (1 - y²)</c>.</summary>
    public virtual void TanhBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx)
    {
        CheckElementwise(y.Length, dy.Length, dx.Length);
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * (T.One - y[i] * y[i]);
    }

    /// <summary><c>z = x ⊙ y</c>.</summary>
    public virtual void Multiply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
    {
        CheckElementwise(x.Length, y.Length, z.Length);
        for (int i = 0; i < x.Length; i++) z[i] = x[i] * y[i];
    }

    /// <summary><c>z += x ⊙ y</c>.</summary>
    public virtual void MultiplyAdd(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
    {
        CheckElementwise(x.Length, y.Length, z.Length);
        for (int i = 0; i < x.Length; i++) z[i] += x[i] * y[i];
    }

    /// <summary><c>z = x ⊙ y + w</c> (one rounding per operation, not fused); <paramref name="w"/> and z may alias.</summary>
    public virtual void MultiplyAdd(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> w, Span<T> z)
    {
        CheckElementwise(x.Length, y.Length, z.Length);
        CheckElementwise(x.Length, w.Length, z.Length);
        for (int i = 0; i < x.Length; i++) z[i] = x[i] * y[i] + w[i];
    }

    /// <summary><c>z = x + y</c>.</summary>
    public virtual void Add(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
    {
        CheckElementwise(x.Length, y.Length, z.Length);
        for (int i = 0; i < x.Length; i++) z[i] = x[i] + y[i];
    }

    /// <summary><c>y += alpha · x</c>.</summary>
    public virtual void Axpy(T alpha, ReadOnlySpan<T> x, Span<T> y)
    {
        CheckElementwise(x.Length, x.Length, y.Length);
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
        CheckElementwise(x.Length, y.Length, y.Length);
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
        CheckElementwise(rows * n, rows * n, matrix.Length);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) matrix[r * n + j] += row[j];
    }

    /// <summary>Column sums accumulated into <paramref name="sums"/>: <c>sums[j] += Σ_r matrix[r, j]</c>; matrix is [rows, sums.Length].</summary>
    public virtual void SumRows(ReadOnlySpan<T> matrix, int rows, Span<T> sums)
    {
        int n = sums.Length;
        CheckElementwise(rows * n, rows * n, matrix.Length);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) sums[j] += matrix[r * n + j];
    }

    /// <summary>
    /// Row-wise softmax of x [rows, cols] into y, returning nothing; each row's log-sum-exp goes to
    /// <paramref name="logSumExp"/> [rows] (needed by cross-entropy). x and y may alias.
    /// </summary>
    public virtual void SoftmaxRows(ReadOnlySpan<T> x, int rows, int cols, Span<T> y, Span<T> logSumExp)
    {
        CheckElementwise(rows * cols, rows * cols, Math.Min(x.Length, y.Length));
        CheckElementwise(rows, rows, logSumExp.Length);
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
