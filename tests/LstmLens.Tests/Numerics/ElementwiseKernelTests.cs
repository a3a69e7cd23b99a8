// Every element-wise kernel and reduction of each fast kernel set against the reference, at every
// length 0..256 so that each vector tail runs, in float and double. Kernels that do the reference's
// arithmetic must match it bit for bit; transcendental kernels and reductions within a few roundings.
// Outputs are slices of longer buffers, so a write past the end shows up as a changed tail. The simd
// sets at 128, 256 and 512 bits give the same bits for every element-wise kernel, special values included.
using System.Numerics;
using LstmLens.Numerics;
using Xunit;
using static LstmLens.Tests.Numerics.KernelSets;

namespace LstmLens.Tests.Numerics;

public class ElementwiseKernelTests
{
    private const int MaxLength = 256;
    private const int Tail = 9;

    /// <summary>z-style kernel under test: reads x [n] and y [n], updates or writes z [n].</summary>
    private delegate void Elementwise<T>(Kernels<T> kernels, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z)
        where T : unmanaged, IFloatingPointIeee754<T>;

    [Theory, MemberData(nameof(Fast), MemberType = typeof(KernelSets))]
    public void Arithmetic_kernels_match_the_reference_bit_for_bit(string set)
    {
        CheckAll<float>(set);
        CheckAll<double>(set);

        static void CheckAll<T>(string set) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T alpha = T.CreateChecked(-0.37);
            Exact<T>(set, "Multiply", (k, x, y, z) => k.Multiply(x, y, z));
            Exact<T>(set, "MultiplyAdd", (k, x, y, z) => k.MultiplyAdd(x, y, z));
            Exact<T>(set, "MultiplyAdd with addend", (k, x, y, z) => k.MultiplyAdd(x, y, x, z));
            Exact<T>(set, "MultiplyAdd with addend in place", (k, x, y, z) => k.MultiplyAdd(x, y, z, z));
            Exact<T>(set, "Add", (k, x, y, z) => k.Add(x, y, z));
            Exact<T>(set, "Axpy", (k, x, _, z) => k.Axpy(alpha, x, z));
            Exact<T>(set, "Scale", (k, _, _, z) => k.Scale(alpha, z));
            Exact<T>(set, "SigmoidBackward", (k, x, y, z) => k.SigmoidBackward(x, y, z));
            Exact<T>(set, "TanhBackward", (k, x, y, z) => k.TanhBackward(x, y, z));
            Exact<T>(set, "SigmoidBackward in place", (k, x, _, z) => k.SigmoidBackward(x, z, z));
            Exact<T>(set, "TanhBackward in place", (k, x, _, z) => k.TanhBackward(x, z, z));
        }
    }

    [Theory, MemberData(nameof(Fast), MemberType = typeof(KernelSets))]
    public void Activations_match_the_reference_within_a_few_roundings(string set)
    {
        CheckAll<float>(set);
        CheckAll<double>(set);

        static void CheckAll<T>(string set) where T : unmanaged, IFloatingPointIeee754<T>
        {
            Close<T>(set, "Sigmoid", (k, x, _, z) => k.Sigmoid(x, z));
            Close<T>(set, "Tanh", (k, x, _, z) => k.Tanh(x, z));
            Close<T>(set, "Sigmoid in place", (k, _, _, z) => k.Sigmoid(z, z));
            Close<T>(set, "Tanh in place", (k, _, _, z) => k.Tanh(z, z));
        }
    }

    [Fact]
    public void Every_vector_width_gives_the_same_bits()
    {
        CheckAll<float>();
        CheckAll<double>();

        static void CheckAll<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            Same<T>("Sigmoid", (k, x, _, z) => k.Sigmoid(x, z));
            Same<T>("Tanh", (k, x, _, z) => k.Tanh(x, z));
            Same<T>("SigmoidBackward", (k, x, y, z) => k.SigmoidBackward(x, y, z));
            Same<T>("TanhBackward", (k, x, y, z) => k.TanhBackward(x, y, z));
        }

        static void Same<T>(string name, Elementwise<T> kernel) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var widths = new[] { "simd128", "simd256", "simd512" }.Select(Compute.Create<T>).ToList();
            T[] special = [T.Zero, T.NegativeZero, T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.Epsilon, T.CreateChecked(3e38),
                T.CreateChecked(-100), T.CreateChecked(100), T.CreateChecked(0.625), T.CreateChecked(-0.625), T.CreateChecked(1e-20)];
            for (int n = 0; n <= MaxLength; n++)
            {
                var (x, y, z) = Operands<T>(n);
                for (int i = 0; i < n; i += 5) x[i] = special[(i / 5 + n) % special.Length];   // at every position a vector can hold
                T[]? first = null;
                foreach (var kernels in widths)
                {
                    T[] actual = (T[])z.Clone();
                    kernel(kernels, x, y, actual.AsSpan(0, n));
                    if (first is null) first = actual;
                    else AssertIdentical<T>(first, actual, $"{name}<{typeof(T).Name}> [{kernels.Name} vs simd128] n={n}");
                }
            }
        }
    }

    [Theory, MemberData(nameof(Fast), MemberType = typeof(KernelSets))]
    public void Tanh_is_odd_and_exact_at_zero(string set)
    {
        var fast = Compute.Create<float>(set);
        float[] x = [0f, -0f, 1e-30f, -1e-30f, 0.3f, -0.3f, 20f, -20f, 100f, float.PositiveInfinity, float.NegativeInfinity];
        var y = new float[x.Length];
        fast.Tanh(x, y);
        AssertIdentical<float>([0f, -0f, 1e-30f, -1e-30f, y[4], -y[4], 1f, -1f, 1f, 1f, -1f], y, $"Tanh [{set}]");
        Assert.InRange(y[4], MathF.BitDecrement(MathF.Tanh(0.3f)), MathF.BitIncrement(MathF.Tanh(0.3f)));
        float[] nan = [float.NaN];
        fast.Tanh(nan, nan);
        Assert.True(float.IsNaN(nan[0]));
    }

    [Theory, MemberData(nameof(Fast), MemberType = typeof(KernelSets))]
    public void Reductions_match_the_reference_within_the_summation_error(string set)
    {
        Check<float>(set);
        Check<double>(set);

        static void Check<T>(string set) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var reference = Compute.Create<T>("reference");
            var fast = Compute.Create<T>(set);
            for (int n = 0; n <= MaxLength; n++)
            {
                T[] x = Random<T>(n, (ulong)n);
                T[] y = Random<T>(n, (ulong)n + 1000);
                T magnitude = T.Zero;
                for (int i = 0; i < n; i++) magnitude += T.Abs(x[i] * y[i]) + T.Abs(x[i]);
                T tolerance = T.CreateChecked(n + 1) * MachineEpsilon<T>() * magnitude;
                AssertClose<T>([reference.Dot(x, y)], [fast.Dot(x, y)], [tolerance], $"Dot<{typeof(T).Name}> [{set}] n={n}");
                AssertClose<T>([reference.Sum(x)], [fast.Sum(x)], [tolerance], $"Sum<{typeof(T).Name}> [{set}] n={n}");
            }
        }
    }

    [Theory, MemberData(nameof(Fast), MemberType = typeof(KernelSets))]
    public void Row_kernels_match_the_reference_bit_for_bit(string set)
    {
        Check<float>(set);
        Check<double>(set);

        static void Check<T>(string set) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var reference = Compute.Create<T>("reference");
            var fast = Compute.Create<T>(set);
            const int rows = 3;
            for (int n = 0; n <= MaxLength; n++)
            {
                T[] row = Random<T>(n, (ulong)n);
                T[] matrix = Random<T>(rows * n + Tail, (ulong)n + 7);   // [rows, n] then a tail
                T[] expected = (T[])matrix.Clone(), actual = (T[])matrix.Clone();
                reference.AddToRows(row, rows, expected);
                fast.AddToRows(row, rows, actual);
                AssertIdentical<T>(expected, actual, $"AddToRows<{typeof(T).Name}> [{set}] n={n}");

                T[] sums = Random<T>(n + Tail, (ulong)n + 11);
                T[] expectedSums = (T[])sums.Clone(), actualSums = (T[])sums.Clone();
                reference.SumRows(matrix, rows, expectedSums.AsSpan(0, n));
                fast.SumRows(matrix, rows, actualSums.AsSpan(0, n));
                AssertIdentical<T>(expectedSums, actualSums, $"SumRows<{typeof(T).Name}> [{set}] n={n}");
            }
        }
    }

    private static (T[] X, T[] Y, T[] Z) Operands<T>(int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] z = Random<T>(n + Tail, (ulong)n + 2000, range: 12);
        z.AsSpan(n).Fill(T.NaN);
        return (Random<T>(n, (ulong)n, range: 12), Random<T>(n, (ulong)n + 1000, range: 3), z);
    }

    private static void Exact<T>(string set, string name, Elementwise<T> kernel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var reference = Compute.Create<T>("reference");
        var fast = Compute.Create<T>(set);
        for (int n = 0; n <= MaxLength; n++)
        {
            var (x, y, z) = Operands<T>(n);
            T[] expected = (T[])z.Clone(), actual = (T[])z.Clone();
            kernel(reference, x, y, expected.AsSpan(0, n));
            kernel(fast, x, y, actual.AsSpan(0, n));
            AssertIdentical<T>(expected, actual, $"{name}<{typeof(T).Name}> [{set}] n={n}");
        }
    }

    private static void Close<T>(string set, string name, Elementwise<T> kernel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var reference = Compute.Create<T>("reference");
        var fast = Compute.Create<T>(set);
        for (int n = 0; n <= MaxLength; n++)
        {
            var (x, y, z) = Operands<T>(n);
            T[] expected = (T[])z.Clone(), actual = (T[])z.Clone();
            kernel(reference, x, y, expected.AsSpan(0, n));
            kernel(fast, x, y, actual.AsSpan(0, n));
            // Each side is within 4 ulp of the exact value (measured: reference ≤ 2.5, simd ≤ 3.7), so they
            // differ by at most 8 ulp ≤ 8·ε·|y|; the NaN tail must be untouched.
            var tolerance = new T[n];
            for (int i = 0; i < n; i++) tolerance[i] = T.CreateChecked(8) * MachineEpsilon<T>() * T.Abs(expected[i]);
            AssertClose<T>(expected.AsSpan(0, n), actual.AsSpan(0, n), tolerance, $"{name}<{typeof(T).Name}> [{set}] n={n}");
            AssertIdentical<T>(expected.AsSpan(n), actual.AsSpan(n), $"{name}<{typeof(T).Name}> [{set}] n={n} tail");
        }
    }
}
