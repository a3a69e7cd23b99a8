// The matrix-product shapes of LstmLens training and analysis, shared by the BenchmarkDotNet benchmarks and the
// GFLOP/s report so that both measure the same thing. Not a test fixture.
using LstmLens.Numerics;

namespace LstmLens.Bench;

/// <summary>One product <c>C [M, N] = op(A) [M, K] · op(B) [K, N]</c>; TransB stores B as [N, K] (x · Wᵀ).</summary>
public sealed record GemmShape(int M, int K, int N, bool TransB)
{
    /// <summary>
    /// The training shapes (recurrent step, input projection, output projection) and the state-gradient tangent step of
    /// the memory benchmark (51 delays × 64 tangent columns through the factored [2H × H] step of an LSTM 256).
    /// </summary>
    public static IReadOnlyList<GemmShape> Training { get; } =
    [
        new(100, 138, 512, false),
        new(4000, 256, 10000, false),
        new(20, 264, 1024, false),
        new(3264, 256, 512, false),
    ];

    /// <summary>Floating-point operations of one product (a multiply and an add per term).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>Whether the scalar reference finishes in benchmark time (it runs at about 1 GFLOP/s).</summary>
    public bool SmallEnoughForReference => Flops < 1e8;

    /// <summary>Operands filled from a fixed seed, and C [M, N].</summary>
    public (float[] A, float[] B, float[] C) Allocate(ulong seed)
    {
        var rng = new Rng(seed);
        var a = new float[M * K];
        var b = new float[K * N];
        rng.FillUniform<float>(a, 1.0);
        rng.FillUniform<float>(b, 1.0);
        return (a, b, new float[M * N]);
    }

    /// <summary>Runs <c>C = op(A) · op(B)</c> with the given kernels.</summary>
    public void Multiply(Kernels<float> kernels, float[] a, float[] b, float[] c) =>
        kernels.Gemm(MatrixView.Of<float>(a, M, K), TransB ? MatrixView.Of<float>(b, N, K).T : MatrixView.Of<float>(b, K, N), MatrixView.Of(c.AsSpan(), M, N));

    /// <inheritdoc/>
    public override string ToString() => $"[{M}x{K}]·[{K}x{N}]{(TransB ? " Bᵀ" : "")}";
}
