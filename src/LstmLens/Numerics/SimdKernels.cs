// The managed fast kernel set ("simd", "simd128", "simd256", "simd512"): every reference kernel
// overridden with vector code at the set's width (VectorBits). The activations (sigmoid, tanh), their
// derivatives and the fused LSTM cell kernels run through SimdElementwise, one driver over the width;
// Gemm runs through SimdGemm; the plain arithmetic kernels and the reductions call
// System.Numerics.Tensors.TensorPrimitives (at its own width, up to 512 bits, the same in every set).
// The arithmetic kernels (Multiply, MultiplyAdd, Add, Axpy, Scale, the derivatives, AddToRows, SumRows)
// equal the reference bit for bit: same operations in the same order. Sigmoid, Tanh, the cell kernels,
// SoftmaxRows, Dot, Sum and Gemm differ from it by rounding only (vectorised transcendentals,
// reassociated sums, fused multiply-adds); Sigmoid, Tanh, the cell kernels and Gemm give the same bits
// at every width.
// Not a place for new operations: a kernel appears here only as an override of a reference kernel.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LstmLens.Numerics;

/// <summary>What the managed SIMD kernels use on this machine.</summary>
internal static class SimdSupport
{
    /// <summary>Whether the hardware fuses multiply and add (x64 FMA3 or Arm64 AdvSimd); without, the products use the exact software fusion.</summary>
    public static bool FusedMultiplyAdd => Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>One phrase for start-up logs, e.g. "512-bit vectors (products and element-wise) with FMA, AVX-512".</summary>
    public static string Describe(int bits)
    {
        if (!Vector.IsHardwareAccelerated) return "none (vector types not accelerated)";
        string vectors = $"{bits}-bit vectors (products and element-wise){(SimdGemm<float>.IsAccelerated(bits) ? "" : " in software")} "
            + $"{(FusedMultiplyAdd ? "with" : "without")} FMA";
        return Vector512.IsHardwareAccelerated
            ? $"{vectors}, AVX-512"
            : $"{vectors}, AVX-512 {(Avx512F.IsSupported ? "present, not used" : "not available")}";
    }
}

/// <summary>Fast managed kernels: vectorised element-wise kernels and a blocked, multi-threaded SIMD GEMM, at one vector width.</summary>
public class SimdKernels<T> : Kernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string _name;

    /// <summary>
    /// Constructed by <see cref="Compute"/>, the one place that chooses kernels: the matrix product and the
    /// element-wise kernels on vectors of <paramref name="vectorBits"/> (128, 256 or 512; 0 for the widest
    /// the hardware accelerates).
    /// </summary>
    internal SimdKernels(int vectorBits = 0, string name = "simd")
    {
        if (vectorBits != 0 && !SimdGemm<T>.Widths.Contains(vectorBits))
            throw new ArgumentOutOfRangeException(nameof(vectorBits), vectorBits, "expected 128, 256 or 512");
        VectorBits = vectorBits == 0 ? SimdGemm<T>.WidestAccelerated : vectorBits;
        _name = name;
    }

    /// <inheritdoc/>
    public override string Name => _name;

    /// <summary>Width of the vectors of the matrix product (its register tile is 6 rows × 2 vectors) and of the element-wise kernels.</summary>
    public int VectorBits { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// Blocked SIMD product over <see cref="Compute.Threads"/> threads; the result does not depend on the
    /// thread count (each element of C is summed by one thread in a fixed order). k = 0 leaves only the
    /// scaling of C, which the reference does.
    /// </remarks>
    public override unsafe void Gemm(bool transA, bool transB, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        int m, int n, int k, T alpha, T beta, Span<T> c, int ldc)
    {
        CheckGemmArguments(transA, transB, a.Length, lda, b.Length, ldb, m, n, k, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            base.Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc);
            return;
        }
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            SimdGemm<T>.Run(VectorBits, transA, transB, pa, lda, pb, ldb, m, n, k, alpha, beta, pc, ldc, Compute.Threads);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Packs op(B) into the micro-panels the blocked product reads, so products with it skip packing.</remarks>
    public override unsafe void Prepare(bool transB, ReadOnlySpan<T> b, int ldb, int k, int n, PreparedOperand<T> prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        CheckGemmArguments(false, transB, k, Math.Max(k, 1), b.Length, ldb, 1, n, k, n, Math.Max(n, 1));
        var data = prepared.Reserve(SimdGemm<T>.PackedLength(VectorBits, k, n), k, n, transB, packedBits: VectorBits);
        if (k == 0 || n == 0) return;
        fixed (T* pb = b)
        fixed (T* packed = data)
        {
            SimdGemm<T>.Pack(VectorBits, transB, pb, ldb, k, n, packed);
        }
    }

    /// <inheritdoc/>
    public override unsafe void Gemm(bool transA, ReadOnlySpan<T> a, int lda, PreparedOperand<T> b, int m, T alpha, T beta, Span<T> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.PackedBits == 0)
        {
            base.Gemm(transA, a, lda, b, m, alpha, beta, c, ldc);
            return;
        }
        if (b.PackedBits != VectorBits) throw new ArgumentException($"operand was packed for {b.PackedBits}-bit vectors, this kernel set uses {VectorBits}", nameof(b));
        if (m == 0 || b.N == 0) return;
        if (b.K == 0)
        {
            base.Gemm(transA, false, a, lda, [], b.N, m, b.N, 0, alpha, beta, c, ldc); // C = beta · C
            return;
        }
        CheckGemmArguments(transA, false, a.Length, lda, b.K * b.N, b.N, m, b.N, b.K, c.Length, ldc);
        fixed (T* pa = a)
        fixed (T* pb = b.Data)
        fixed (T* pc = c)
        {
            SimdGemm<T>.Run(VectorBits, transA, false, pa, lda, pb, b.N, m, b.N, b.K, alpha, beta, pc, ldc, Compute.Threads, prepacked: true);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Own vector code on Tanh's exp rather than TensorPrimitives.Sigmoid, whose double results for equal
    /// inputs in two arrays differed by an ulp (its paths mix vector widths by length and alignment, and the
    /// runtime's double exp differs between widths). Measured: within 2 ulp of the exact sigmoid in float
    /// (TensorPrimitives' 3.2), and about a third slower than it at 512 bits.
    /// </remarks>
    public override void Sigmoid(ReadOnlySpan<T> x, Span<T> y) => Map<SimdElementwise<T>.SigmoidOperator>(x, x, y);

    /// <inheritdoc/>
    /// <remarks>Own vector code rather than TensorPrimitives.Tanh, which loses relative precision near zero.</remarks>
    public override void Tanh(ReadOnlySpan<T> x, Span<T> y) => Map<SimdElementwise<T>.TanhOperator>(x, x, y);

    /// <inheritdoc/>
    public override void SigmoidBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) =>
        Map<SimdElementwise<T>.SigmoidDerivative>(y, dy, dx);

    /// <inheritdoc/>
    public override void TanhBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) =>
        Map<SimdElementwise<T>.TanhDerivative>(y, dy, dx);

    /// <inheritdoc/>
    public override void Multiply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) => TensorPrimitives.Multiply(x, y, z);

    /// <inheritdoc/>
    public override void MultiplyAdd(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
    {
        CheckElementwise(x.Length, y.Length, z.Length);
        TensorPrimitives.MultiplyAdd(x, y, z[..x.Length], z);
    }

    /// <inheritdoc/>
    public override void MultiplyAdd(ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> w, Span<T> z) =>
        TensorPrimitives.MultiplyAdd(x, y, w, z);

    /// <inheritdoc/>
    public override void Add(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) => TensorPrimitives.Add(x, y, z);

    /// <inheritdoc/>
    public override void Axpy(T alpha, ReadOnlySpan<T> x, Span<T> y)
    {
        CheckElementwise(x.Length, x.Length, y.Length);
        TensorPrimitives.MultiplyAdd(x, alpha, y[..x.Length], y);
    }

    /// <inheritdoc/>
    public override void Scale(T alpha, Span<T> x) => TensorPrimitives.Multiply(x, alpha, x);

    /// <inheritdoc/>
    public override T Dot(ReadOnlySpan<T> x, ReadOnlySpan<T> y) => TensorPrimitives.Dot(x, y);

    /// <inheritdoc/>
    public override T Sum(ReadOnlySpan<T> x) => TensorPrimitives.Sum(x);

    /// <inheritdoc/>
    public override void AddToRows(ReadOnlySpan<T> row, int rows, Span<T> matrix)
    {
        int n = row.Length;
        CheckElementwise(rows * n, rows * n, matrix.Length);
        for (int r = 0; r < rows; r++)
        {
            var target = matrix.Slice(r * n, n);
            TensorPrimitives.Add(target, row, target);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Rows are added one after another, as in the reference, so the sums are the same bits.</remarks>
    public override void SumRows(ReadOnlySpan<T> matrix, int rows, Span<T> sums)
    {
        int n = sums.Length;
        CheckElementwise(rows * n, rows * n, matrix.Length);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, matrix.Slice(r * n, n), sums);
    }

    /// <inheritdoc/>
    public override void SoftmaxRows(ReadOnlySpan<T> x, int rows, int cols, Span<T> y, Span<T> logSumExp)
    {
        if (cols == 0)
        {
            base.SoftmaxRows(x, rows, cols, y, logSumExp);
            return;
        }
        CheckElementwise(rows * cols, rows * cols, Math.Min(x.Length, y.Length));
        CheckElementwise(rows, rows, logSumExp.Length);
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            // y = e^{x - max} / Σ e^{x - max}; log Σ e^x = max + log Σ e^{x - max}.
            T max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            T sum = TensorPrimitives.Sum(yr);
            TensorPrimitives.Multiply(yr, T.One / sum, yr);
            logSumExp[r] = max + T.Log(sum);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The activations block by block (this set's Sigmoid and Tanh), then one pass at <see cref="VectorBits"/>
    /// for c, tanh c and h with every intermediate in registers; each element sees the same operations as
    /// this set's kernels composed as in the reference.
    /// </remarks>
    public override void LstmCellForward(Span<T> z, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> h)
    {
        int n = c.Length;
        CheckCell(4 * n, z.Length, nameof(z), n, cPrev.Length, tanhC.Length, h.Length);
        Sigmoid(z[..(2 * n)], z[..(2 * n)]);
        Tanh(z.Slice(2 * n, n), z.Slice(2 * n, n));
        Sigmoid(z.Slice(3 * n, n), z.Slice(3 * n, n));
        SimdElementwise<T>.LstmCellState(VectorBits, z, cPrev, c, tanhC, h);
    }

    /// <inheritdoc/>
    /// <remarks>One pass over the row at <see cref="VectorBits"/>, every intermediate in registers; the same operations as the reference composition.</remarks>
    public override void LstmCellBackward(ReadOnlySpan<T> gates, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> tanhC,
        ReadOnlySpan<T> dh, Span<T> dc, Span<T> dz, Span<T> dcPrev)
    {
        int n = dc.Length;
        CheckCell(4 * n, gates.Length, nameof(gates), n, cPrev.Length, tanhC.Length, dh.Length);
        CheckCell(4 * n, dz.Length, nameof(dz), n, dcPrev.Length, n, n);
        SimdElementwise<T>.LstmCellBackward(VectorBits, gates, cPrev, tanhC, dh, dc, dz, dcPrev);
    }

    private static void CheckCell(int gateLength, int actualGates, string gatesName, int n, int a, int b, int c)
    {
        if (actualGates < gateLength) throw new ArgumentException($"{gatesName} has {actualGates} elements; expected {gateLength}", gatesName);
        if (a < n || b < n || c < n) throw new ArgumentException($"every per-unit span needs {n} elements");
    }

    /// <summary><c>z[i] = TOperator(x[i], y[i])</c> for i &lt; x.Length at <see cref="VectorBits"/>; z may alias x or y.</summary>
    private void Map<TOperator>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) where TOperator : struct, SimdElementwise<T>.IOperator
    {
        CheckElementwise(x.Length, y.Length, z.Length);
        SimdElementwise<T>.Map<TOperator>(VectorBits, x, y, z);
    }
}
