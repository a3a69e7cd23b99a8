// The matrix product of each fast kernel set against the reference: all four transpose combinations,
// odd and empty shapes, shapes that span several k, row and column blocks, leading dimensions larger
// than the rows, several alpha/beta pairs, in float and double. The tolerance is the classic bound for
// a k-term dot product, 2(k + 2)·ε·(|alpha|·(|A||B|)_ij + |beta|·|C_ij|), since the reference and the
// blocked, fused product round differently. Also: beta = 0 never reads C (NaN in C stays out), and
// the padding between n and ldc is never written.
using System.Numerics;
using LstmLens.Numerics;
using Xunit;
using static LstmLens.Tests.Numerics.KernelSets;

namespace LstmLens.Tests.Numerics;

public class GemmTests
{
    /// <summary>(m, n, k): empty, tiny, odd, and large enough for several k blocks (k &gt; 256), row blocks and column blocks, and threads.</summary>
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (0, 3, 5), (3, 0, 5), (3, 5, 0), (1, 1, 1), (7, 13, 5), (2, 33, 3), (13, 7, 17), (33, 65, 17),
        (100, 138, 64), (20, 264, 40), (5, 17, 800), (130, 70, 400), (200, 31, 9), (160, 31, 700), (3, 2100, 800),
        (300, 10, 70), (250, 5, 400),
    ];

    private static readonly (double Alpha, double Beta)[] Scalings = [(1, 0), (-1.5, 0), (1, 1), (0.75, -0.5)];

    public static TheoryData<string, bool, bool> Cases
    {
        get
        {
            var data = new TheoryData<string, bool, bool>();
            foreach (string set in Fast)
                foreach (bool transA in new[] { false, true })
                    foreach (bool transB in new[] { false, true })
                        data.Add(set, transA, transB);
            return data;
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Gemm_matches_the_reference(string set, bool transA, bool transB)
    {
        Check<float>(set, transA, transB);
        Check<double>(set, transA, transB);
    }

    [Fact]
    public void Gemm_rejects_spans_too_short_for_the_shape()
    {
        var simd = Compute.Create<float>("simd");
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Throws<ArgumentException>(() => simd.Gemm(false, false, a, 3, b, 2, 3, 2, 3, 1f, 0f, c, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => simd.Gemm(false, false, a, 2, b, 2, 2, 2, 3, 1f, 0f, c, 2));
    }

    private static void Check<T>(string set, bool transA, bool transB) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var reference = Compute.Create<T>("reference");
        var fast = Compute.Create<T>(set);
        ulong seed = 1;
        foreach (var (m, n, k) in Shapes)
        {
            foreach (int padding in new[] { 0, 3 })
            {
                foreach (var (alphaValue, betaValue) in Scalings)
                {
                    T alpha = T.CreateChecked(alphaValue), beta = T.CreateChecked(betaValue);
                    // Stored shapes: A [m, k] or [k, m], B [k, n] or [n, k]; each leading dimension padded.
                    int aRows = transA ? k : m, aColumns = transA ? m : k;
                    int bRows = transB ? n : k, bColumns = transB ? k : n;
                    int lda = aColumns + padding, ldb = bColumns + 2 * padding, ldc = n + padding;
                    T[] a = Random<T>(Math.Max(0, aRows * lda), seed++);
                    T[] b = Random<T>(Math.Max(0, bRows * ldb), seed++);
                    T[] c = Random<T>(m * ldc, seed++);
                    if (T.IsZero(beta)) c.AsSpan().Fill(T.NaN);   // beta = 0 must not read C
                    T[] expected = (T[])c.Clone(), actual = (T[])c.Clone();
                    reference.Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, expected, ldc);
                    fast.Gemm(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, actual, ldc);

                    string context = $"Gemm<{typeof(T).Name}> [{set}] transA={transA} transB={transB} m={m} n={n} k={k} "
                        + $"padding={padding} alpha={alphaValue} beta={betaValue}";
                    var tolerance = Tolerance(transA, transB, a, lda, b, ldb, m, n, k, alpha, beta, c, ldc);
                    for (int i = 0; i < m; i++)
                    {
                        AssertClose<T>(expected.AsSpan(i * ldc, n), actual.AsSpan(i * ldc, n), tolerance.AsSpan(i * ldc, n), $"{context} row {i}");
                        AssertIdentical<T>(expected.AsSpan(i * ldc + n, padding), actual.AsSpan(i * ldc + n, padding), $"{context} row {i} padding");
                    }
                }
            }
        }
    }

    /// <summary>[m, ldc] bound 2(k + 2)·ε·(|alpha|·(|op(A)||op(B)|)_ij + |beta|·|C_ij|), using the reference on absolute values.</summary>
    private static T[] Tolerance<T>(bool transA, bool transB, T[] a, int lda, T[] b, int ldb, int m, int n, int k,
        T alpha, T beta, T[] c, int ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var reference = Compute.Create<T>("reference");
        T[] absA = Array.ConvertAll(a, T.Abs), absB = Array.ConvertAll(b, T.Abs);
        T[] bound = Array.ConvertAll(c, x => T.IsNaN(x) ? T.Zero : T.Abs(x));
        reference.Gemm(transA, transB, absA, lda, absB, ldb, m, n, k, T.Abs(alpha), T.Abs(beta), bound, ldc);
        T scale = T.CreateChecked(2 * (k + 2)) * MachineEpsilon<T>();
        return Array.ConvertAll(bound, x => x * scale);
    }
}
