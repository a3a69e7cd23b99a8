// The managed fast kernel set ("simd"): every reference kernel overridden with vector code. Element-wise
// kernels and reductions call System.Numerics.Tensors.TensorPrimitives where it has the operation and
// is accurate (its vector paths reach 512 bits); tanh (TensorPrimitives' is inaccurate near zero) and
// the two activation derivatives run through one small Vector<T> driver here; Gemm runs through
// SimdGemm. The arithmetic kernels (Multiply, MultiplyAdd, Add, Axpy, Scale, the derivatives,
// AddToRows, SumRows) equal the reference bit for bit: same operations in the same order. Sigmoid,
// Tanh, SoftmaxRows, Dot, Sum and Gemm differ from it by rounding only (vectorised transcendentals,
// reassociated sums, fused multiply-adds).
// Not a place for new operations: a kernel appears here only as an override of a reference kernel.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace LstmLens.Numerics;

/// <summary>What the managed SIMD kernels use on this machine.</summary>
internal static class SimdSupport
{
    /// <summary>Width of <see cref="Vector{T}"/>, which the tanh/derivative driver uses.</summary>
    public static int VectorBits => Vector<byte>.Count * 8;

    /// <summary>Whether the hardware fuses multiply and add (x64 FMA3 or Arm64 AdvSimd); without, the products use the exact software fusion.</summary>
    public static bool FusedMultiplyAdd => Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>One phrase for start-up logs, e.g. "GEMM 512-bit with FMA, element-wise up to 512-bit (AVX-512)".</summary>
    public static string Describe(int gemmBits)
    {
        if (!Vector.IsHardwareAccelerated) return "none (vector types not accelerated)";
        string gemm = $"GEMM {gemmBits}-bit {(FusedMultiplyAdd ? "with" : "without")} FMA";
        return Vector512.IsHardwareAccelerated
            ? $"{gemm}, element-wise up to 512-bit (AVX-512)"
            : $"{gemm}, AVX-512 {(Avx512F.IsSupported ? "present, not used" : "not available")}";
    }
}

/// <summary>Fast managed kernels: vectorised element-wise kernels and a blocked, multi-threaded SIMD GEMM.</summary>
public class SimdKernels<T> : Kernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string _name;

    /// <summary>
    /// Constructed by <see cref="Compute"/>, the one place that chooses kernels: the matrix product on
    /// vectors of <paramref name="vectorBits"/> (128, 256 or 512; 0 for the widest the hardware accelerates).
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

    /// <summary>Width of the matrix product's vectors (its register tile is 6 rows × 2 vectors).</summary>
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
    /// <remarks>TensorPrimitives.Sigmoid rejects empty input; an empty sigmoid is a no-op, as in the reference.</remarks>
    public override void Sigmoid(ReadOnlySpan<T> x, Span<T> y)
    {
        CheckElementwise(x.Length, x.Length, y.Length);
        if (!x.IsEmpty) TensorPrimitives.Sigmoid(x, y);
    }

    /// <inheritdoc/>
    /// <remarks>Own vector code rather than TensorPrimitives.Tanh, which loses relative precision near zero.</remarks>
    public override void Tanh(ReadOnlySpan<T> x, Span<T> y) => Map<TanhOperator>(x, x, y);

    /// <inheritdoc/>
    public override void SigmoidBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) =>
        Map<SigmoidDerivative>(y, dy, dx);

    /// <inheritdoc/>
    public override void TanhBackward(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) =>
        Map<TanhDerivative>(y, dy, dx);

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
    /// The activations block by block (the vectorised sigmoid and tanh), then one pass for c, tanh c and h
    /// with every intermediate in registers; the same operations as the reference composition.
    /// </remarks>
    public override void LstmCellForward(Span<T> z, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> h)
    {
        int n = c.Length, w = Vector<T>.Count, j = 0;
        CheckCell(4 * n, z.Length, nameof(z), n, cPrev.Length, tanhC.Length, h.Length);
        Span<T> i = z[..n], f = z.Slice(n, n), g = z.Slice(2 * n, n), o = z.Slice(3 * n, n);
        Sigmoid(z[..(2 * n)], z[..(2 * n)]);
        Tanh(g, g);
        Sigmoid(o, o);
        for (; j <= n - w; j += w)
        {
            var cv = Vector.Create<T>(f[j..]) * Vector.Create<T>(cPrev[j..]) + Vector.Create<T>(i[j..]) * Vector.Create<T>(g[j..]);
            var tc = TanhOperator.Invoke(cv, cv);
            cv.CopyTo(c[j..]);
            tc.CopyTo(tanhC[j..]);
            (Vector.Create<T>(o[j..]) * tc).CopyTo(h[j..]);
        }
        if (j == n) return;
        var tail = new Range(j, n);
        Multiply(f[tail], cPrev[tail], c[tail]);
        MultiplyAdd(i[tail], g[tail], c[tail]);
        Tanh(c[tail], tanhC[tail]);
        Multiply(o[tail], tanhC[tail], h[tail]);
    }

    /// <inheritdoc/>
    /// <remarks>One pass over the row, every intermediate in registers; the same operations as the reference composition.</remarks>
    public override void LstmCellBackward(ReadOnlySpan<T> gates, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> tanhC,
        ReadOnlySpan<T> dh, Span<T> dc, Span<T> dz, Span<T> dcPrev)
    {
        int n = dc.Length, w = Vector<T>.Count, j = 0;
        CheckCell(4 * n, gates.Length, nameof(gates), n, cPrev.Length, tanhC.Length, dh.Length);
        CheckCell(4 * n, dz.Length, nameof(dz), n, dcPrev.Length, n, n);
        var one = Vector<T>.One;
        for (; j <= n - w; j += w)
        {
            var i = Vector.Create<T>(gates[j..]);
            var f = Vector.Create<T>(gates[(n + j)..]);
            var g = Vector.Create<T>(gates[(2 * n + j)..]);
            var o = Vector.Create<T>(gates[(3 * n + j)..]);
            var tc = Vector.Create<T>(tanhC[j..]);
            var dhv = Vector.Create<T>(dh[j..]);
            var dcv = Vector.Create<T>(dc[j..]) + dhv * o * (one - tc * tc);
            dcv.CopyTo(dc[j..]);
            (dcv * g * i * (one - i)).CopyTo(dz[j..]);
            (dcv * Vector.Create<T>(cPrev[j..]) * f * (one - f)).CopyTo(dz[(n + j)..]);
            (dcv * i * (one - g * g)).CopyTo(dz[(2 * n + j)..]);
            (dhv * tc * o * (one - o)).CopyTo(dz[(3 * n + j)..]);
            (dcv * f).CopyTo(dcPrev[j..]);
        }
        if (j < n) LstmCellBackwardFrom(gates, cPrev, tanhC, dh, dc, dz, dcPrev, j);
    }

    private static void CheckCell(int gateLength, int actualGates, string gatesName, int n, int a, int b, int c)
    {
        if (actualGates < gateLength) throw new ArgumentException($"{gatesName} has {actualGates} elements; expected {gateLength}", gatesName);
        if (a < n || b < n || c < n) throw new ArgumentException($"every per-unit span needs {n} elements");
    }

    /// <summary>An element-wise operation on vectors; the driver <see cref="Map"/> owns loops and tails.</summary>
    private interface IVectorOperator
    {
        static abstract Vector<T> Invoke(Vector<T> x, Vector<T> y);
    }

    /// <summary>Sigmoid derivative from y = σ(x) and dy: <c>dy · y · (1 - y)</c>, evaluated left to right as in the reference.</summary>
    private readonly struct SigmoidDerivative : IVectorOperator
    {
        public static Vector<T> Invoke(Vector<T> y, Vector<T> dy) => dy * y * (Vector<T>.One - y);
    }

    /// <summary>Tanh derivative from y = tanh(x) and dy: <c>dy · (1 - y²)</c>, evaluated as in the reference.</summary>
    private readonly struct TanhDerivative : IVectorOperator
    {
        public static Vector<T> Invoke(Vector<T> y, Vector<T> dy) => dy * (Vector<T>.One - y * y);
    }

    /// <summary>
    /// tanh x (the second operand is ignored). For |x| ≥ 0.625, <c>sign(x) · (1 - 2 / (e^{2|x|} + 1))</c>;
    /// below, where that form loses relative precision (TensorPrimitives.Tanh is 7 ulp off at 0.09 and
    /// non-zero at 0), <c>x + x³ · Q(x²)</c> with Q a degree-5 (float) or degree-11 (double) Chebyshev fit of
    /// (tanh(√u)/√u - 1)/u on [0, 0.625²], fitted for this file with mpmath.chebyfit; fit error 1.6e-9 and
    /// 3.9e-18, below half an ulp of the result.
    /// </summary>
    private readonly struct TanhOperator : IVectorOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<T> Invoke(Vector<T> x, Vector<T> y)
        {
            // tanh |x| on the magnitude, then x's sign bit OR-ed back (keeps tanh(-0) = -0 and NaN).
            Vector<T> magnitude = Vector.Abs(x);
            Vector<T> large = Vector<T>.One - Vector.Create(T.CreateTruncating(2)) / (Exp(magnitude + magnitude) + Vector<T>.One);
            Vector<T> u = x * x;
            Vector<T> small = magnitude + magnitude * u * SmallArgumentPolynomial(u);
            Vector<T> result = Vector.ConditionalSelect(Vector.LessThan(magnitude, Vector.Create(T.CreateTruncating(0.625))), small, large);
            return result | (x & Vector.Create(T.NegativeZero));
        }

        /// <summary>Q(u) by Horner's rule, coefficients from the highest degree down.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector<T> SmallArgumentPolynomial(Vector<T> u)
        {
            static Vector<T> Step(Vector<T> sum, Vector<T> u, double coefficient) => sum * u + Vector.Create(T.CreateTruncating(coefficient));

            if (typeof(T) == typeof(float))
            {
                var q = Vector.Create(T.CreateTruncating(0.0022927448161781423));
                q = Step(q, u, -0.0083439455158391520);
                q = Step(q, u, 0.021768918651028210);
                q = Step(q, u, -0.053959259577204543);
                q = Step(q, u, 0.13333303556915742);
                return Step(q, u, -0.33333333172140362);
            }
            var d = Vector.Create(T.CreateTruncating(6.48516348279311315e-6));
            d = Step(d, u, -0.000031201101425797400);
            d = Step(d, u, 0.000092571161295567683);
            d = Step(d, u, -0.00023759064960555620);
            d = Step(d, u, 0.00058966065777570433);
            d = Step(d, u, -0.0014557754120478055);
            d = Step(d, u, 0.0035921217511549623);
            d = Step(d, u, -0.0088632351032408779);
            d = Step(d, u, 0.021869488519008306);
            d = Step(d, u, -0.053968253967896992);
            d = Step(d, u, 0.13333333333333041602);
            return Step(d, u, -0.33333333333333332938);
        }

    }

    /// <summary>
    /// e^x for tanh: in float, <see cref="ExpSingle"/>; in double, the runtime's vector exp (whose float
    /// version at this width computes in double and costs about 7 times as much as ExpSingle).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Exp(Vector<T> x)
    {
        if (typeof(T) == typeof(float)) return ExpSingle(x.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector.Exp(x.As<T, double>()).As<double, T>();
        throw new NotSupportedException($"Vector exp exists for float and double, not {typeof(T).Name}.");
    }

    /// <summary>
    /// Float e^x within 2 ulp: x = n ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so r is exact),
    /// e^r = 1 + r + r² P(r) with P the degree-5 minimax fit of the Cephes library's expf, times 2^n as two
    /// powers of two (each a normal float, so overflow to +∞ and underflow through subnormals to 0 come
    /// out of the products). NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ExpSingle(Vector<float> x)
    {
        var clamped = Vector.Min(Vector.Max(x, Vector.Create(-104f)), Vector.Create(89f));
        var n = Vector.Round(clamped * Vector.Create(1.44269504088896341f));
        var r = clamped - n * Vector.Create(0.693359375f) - n * Vector.Create(-2.12194440e-4f);
        var p = Vector.Create(1.9875691500e-4f);
        p = p * r + Vector.Create(1.3981999507e-3f);
        p = p * r + Vector.Create(8.3334519073e-3f);
        p = p * r + Vector.Create(4.1665795894e-2f);
        p = p * r + Vector.Create(1.6666665459e-1f);
        p = p * r + Vector.Create(5.0000001201e-1f);
        var e = p * (r * r) + r + Vector<float>.One;
        var exponent = Vector.ConvertToInt32(n);
        var half = Vector.ShiftRightArithmetic(exponent, 1);
        var bias = Vector.Create(127);
        var result = e * Vector.ShiftLeft(half + bias, 23).As<int, float>() * Vector.ShiftLeft(exponent - half + bias, 23).As<int, float>();
        return Vector.ConditionalSelect(Vector.Equals(x, x), result, x);
    }

    /// <summary>
    /// <c>z[i] = TOperator(x[i], y[i])</c> for i &lt; x.Length. The last partial vector goes through the
    /// same vector code via a zero-padded copy, so an element's result never depends on its position.
    /// z may alias x or y (each vector is read before it is written).
    /// </summary>
    private static void Map<TOperator>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
        where TOperator : struct, IVectorOperator
    {
        int n = x.Length, width = Vector<T>.Count;
        CheckElementwise(n, y.Length, z.Length);
        z = z[..n];
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T yRef = ref MemoryMarshal.GetReference(y);
        ref T zRef = ref MemoryMarshal.GetReference(z);
        int i = 0;
        for (; i <= n - width; i += width)
            TOperator.Invoke(Vector.LoadUnsafe(ref xRef, (nuint)i), Vector.LoadUnsafe(ref yRef, (nuint)i)).StoreUnsafe(ref zRef, (nuint)i);
        if (i == n) return;
        Span<T> tail = stackalloc T[3 * width];
        tail.Clear();
        x[i..].CopyTo(tail);
        y[i..].CopyTo(tail[width..]);
        TOperator.Invoke(Vector.Create<T>(tail[..width]), Vector.Create<T>(tail.Slice(width, width))).CopyTo(tail[(2 * width)..]);
        tail.Slice(2 * width, n - i).CopyTo(z[i..]);
    }
}
