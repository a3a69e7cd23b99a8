// The "openblas" kernel set: the managed SIMD kernels with Gemm handed to OpenBLAS (cblas_sgemm /
// cblas_dgemm, row-major). Only Compute constructs it, and only after OpenBlasNative found the library.
// Not bit-identical to "simd" or across OpenBLAS builds: OpenBLAS picks its own kernels per CPU.
using System.Numerics;

namespace LstmLens.Numerics;

/// <summary>SIMD kernels with the matrix product computed by OpenBLAS.</summary>
public sealed class OpenBlasKernels<T> : SimdKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal OpenBlasKernels() : base(0, "openblas")
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"OpenBLAS kernels exist for float and double, not {typeof(T).Name}.");
        if (!OpenBlasNative.IsAvailable) throw new InvalidOperationException(Compute.OpenBlasMissingMessage);
    }

    /// <inheritdoc/>
    /// <remarks>A compact copy: OpenBLAS packs its operands itself, inside every call.</remarks>
    public override void Prepare(bool transB, ReadOnlySpan<T> b, int ldb, int k, int n, PreparedOperand<T> prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        prepared.CopyFrom(transB, b, ldb, k, n);
    }

    /// <inheritdoc/>
    /// <remarks>OpenBLAS runs on <see cref="Compute.Threads"/> threads; empty products and k = 0 never reach native code.</remarks>
    public override unsafe void Gemm(bool transA, bool transB, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb,
        int m, int n, int k, T alpha, T beta, Span<T> c, int ldc)
    {
        if (m == 0 || n == 0 || k == 0)
        {
            base.Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc);
            return;
        }
        CheckGemmArguments(transA, transB, a.Length, lda, b.Length, ldb, m, n, k, c.Length, ldc);
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            if (typeof(T) == typeof(float))
            {
                OpenBlasNative.Sgemm(transA, transB, m, n, k, float.CreateTruncating(alpha), (float*)pa, lda, (float*)pb, ldb,
                    float.CreateTruncating(beta), (float*)pc, ldc, Compute.Threads);
            }
            else
            {
                OpenBlasNative.Dgemm(transA, transB, m, n, k, double.CreateTruncating(alpha), (double*)pa, lda, (double*)pb, ldb,
                    double.CreateTruncating(beta), (double*)pc, ldc, Compute.Threads);
            }
        }
    }
}
