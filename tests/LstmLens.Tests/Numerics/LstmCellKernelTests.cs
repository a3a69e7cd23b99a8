// The fused LSTM cell kernels of each fast set against the reference composition, at every hidden size
// 0..256 (each vector tail at every width), in float and double: within a few roundings after the
// activations; bit for bit against the set's own element-wise kernels composed (forward) and against the
// reference (backward, plain arithmetic); and the same bits at 128, 256 and 512 bits.
using System.Numerics;
using LstmLens.Numerics;
using Xunit;
using static LstmLens.Tests.Numerics.KernelSets;

namespace LstmLens.Tests.Numerics;

public class LstmCellKernelTests
{
    public static TheoryData<int> Sizes { get; } = [.. Enumerable.Range(0, 257)];

    [Theory, MemberData(nameof(Sizes))]
    public void Fused_cell_kernels_match_the_reference(int n)
    {
        foreach (string set in Fast)
        {
            Check<float>(set, n);
            Check<double>(set, n);
        }

        static void Check<T>(string set, int n) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var reference = Compute.Create<T>("reference");
            var fast = Compute.Create<T>(set);
            var (z, cPrev, dh, dc) = Inputs<T>(n);
            var expected = Run(reference, z, cPrev, dh, dc, n);
            var actual = Run(fast, z, cPrev, dh, dc, n);
            string[] names = ["gates", "c", "tanh c", "h", "dz", "dc", "dcPrev"];
            for (int i = 0; i < names.Length; i++)
            {
                var tolerance = expected[i].Select(e => T.CreateChecked(64) * MachineEpsilon<T>() * T.Max(T.One, T.Abs(e))).ToArray();
                AssertClose<T>(expected[i], actual[i], tolerance, $"{names[i]}<{typeof(T).Name}> [{set}] n={n}");
            }
        }
    }

    [Theory, MemberData(nameof(Sizes))]
    public void Fused_cell_kernels_do_the_element_wise_kernels_operations_bit_for_bit(int n)
    {
        foreach (string set in Fast)
        {
            Check<float>(set, n);
            Check<double>(set, n);
        }

        static void Check<T>(string set, int n) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var fast = Compute.Create<T>(set);
            var (z, cPrev, dh, dc) = Inputs<T>(n);
            var fused = Run(fast, z, cPrev, dh, dc, n);

            // Forward composed of the set's own kernels, in the reference's order.
            T[] gates = (T[])z.Clone(), c = new T[n], tanhC = new T[n], h = new T[n];
            Span<T> i = gates.AsSpan(0, n), f = gates.AsSpan(n, n), g = gates.AsSpan(2 * n, n), o = gates.AsSpan(3 * n, n);
            fast.Sigmoid(gates.AsSpan(0, 2 * n), gates.AsSpan(0, 2 * n));
            fast.Tanh(g, g);
            fast.Sigmoid(o, o);
            fast.Multiply(f, cPrev, c);
            fast.MultiplyAdd(i, g, c);
            fast.Tanh(c, tanhC);
            fast.Multiply(o, tanhC, h);
            string context = $"<{typeof(T).Name}> [{set}] n={n}";
            AssertIdentical<T>(gates, fused[0], $"gates{context}");
            AssertIdentical<T>(c, fused[1], $"c{context}");
            AssertIdentical<T>(tanhC, fused[2], $"tanh c{context}");
            AssertIdentical<T>(h, fused[3], $"h{context}");

            // Backward is plain arithmetic: from the same gates, the reference's bits.
            T[] dz = new T[4 * n], dcPrev = new T[n], dcOut = (T[])dc.Clone();
            Compute.Create<T>("reference").LstmCellBackward(fused[0], cPrev, fused[2], dh, dcOut, dz, dcPrev);
            AssertIdentical<T>(dz, fused[4], $"dz{context}");
            AssertIdentical<T>(dcOut, fused[5], $"dc{context}");
            AssertIdentical<T>(dcPrev, fused[6], $"dcPrev{context}");
        }
    }

    [Theory, MemberData(nameof(Sizes))]
    public void Fused_cell_kernels_give_the_same_bits_at_every_vector_width(int n)
    {
        Check<float>(n);
        Check<double>(n);

        static void Check<T>(int n) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (z, cPrev, dh, dc) = Inputs<T>(n);
            var expected = Run(Compute.Create<T>("simd128"), z, cPrev, dh, dc, n);
            string[] names = ["gates", "c", "tanh c", "h", "dz", "dc", "dcPrev"];
            foreach (string set in new[] { "simd256", "simd512" })
            {
                var actual = Run(Compute.Create<T>(set), z, cPrev, dh, dc, n);
                for (int i = 0; i < names.Length; i++)
                    AssertIdentical<T>(expected[i], actual[i], $"{names[i]}<{typeof(T).Name}> [{set} vs simd128] n={n}");
            }
        }
    }

    [Fact]
    public void Reference_cell_kernels_compute_the_lstm_equations()
    {
        var kernels = Compute.Create<double>("reference");
        double[] z = [0.5, -1.0, 2.0, 0.25], cPrev = [0.75];
        double[] c = new double[1], tanhC = new double[1], h = new double[1];
        kernels.LstmCellForward(z, cPrev, c, tanhC, h);
        double i = 1 / (1 + Math.Exp(-0.5)), f = 1 / (1 + Math.Exp(1.0)), g = Math.Tanh(2.0), o = 1 / (1 + Math.Exp(-0.25));
        AssertNear([i, f, g, o], z);
        Assert.Equal(f * 0.75 + i * g, c[0], 1e-15);
        Assert.Equal(o * Math.Tanh(c[0]), h[0], 1e-15);

        double[] dc = [0.3], dz = new double[4], dcPrev = new double[1];
        kernels.LstmCellBackward(z, cPrev, tanhC, [2.0], dc, dz, dcPrev);
        double total = 0.3 + 2.0 * o * (1 - tanhC[0] * tanhC[0]);
        Assert.Equal(total, dc[0], 1e-15);
        AssertNear([total * g * i * (1 - i), total * 0.75 * f * (1 - f), total * i * (1 - g * g), 2.0 * tanhC[0] * o * (1 - o)], dz);
        Assert.Equal(total * f, dcPrev[0], 1e-15);
    }

    private static void AssertNear(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-15);
    }

    /// <summary>Pre-activations z [4n] (wide enough to reach both branches of tanh), cPrev, dh and dc [n].</summary>
    private static (T[] Z, T[] CPrev, T[] Dh, T[] Dc) Inputs<T>(int n) where T : unmanaged, IFloatingPointIeee754<T> =>
        (Random<T>(4 * n, (ulong)n, range: 4), Random<T>(n, (ulong)n + 1, range: 2), Random<T>(n, (ulong)n + 2), Random<T>(n, (ulong)n + 3));

    /// <summary>Forward then backward through one row; returns gates, c, tanh c, h, dz, dc, dcPrev.</summary>
    private static T[][] Run<T>(Kernels<T> kernels, T[] z, T[] cPrev, T[] dh, T[] dc, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] gates = (T[])z.Clone(), c = new T[n], tanhC = new T[n], h = new T[n], dz = new T[4 * n], dcPrev = new T[n];
        T[] dcOut = (T[])dc.Clone();
        kernels.LstmCellForward(gates, cPrev, c, tanhC, h);
        kernels.LstmCellBackward(gates, cPrev, tanhC, dh, dcOut, dz, dcPrev);
        return [gates, c, tanhC, h, dz, dcOut, dcPrev];
    }
}
