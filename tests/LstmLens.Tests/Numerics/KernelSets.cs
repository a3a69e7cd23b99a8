// Shared pieces of the kernel tests: which kernel sets to check, random operands, and closeness checks
// that report the worst element. Not a test class.
using System.Numerics;
using LstmLens.Numerics;
using Xunit;

namespace LstmLens.Tests.Numerics;

internal static class KernelSets
{
    /// <summary>
    /// Every kernel set other than the reference that this machine can build: simd at its default width and at
    /// each fixed width (those the hardware lacks run in software), auto, and openblas where it loads.
    /// </summary>
    public static TheoryData<string> Fast
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (string name in Compute.KernelSetNames.Where(n => n != "reference" && Compute.IsAvailable(n))) data.Add(name);
            return data;
        }
    }

    /// <summary>Machine epsilon of T (the gap between 1 and the next value; T.Epsilon is the smallest subnormal).</summary>
    public static T MachineEpsilon<T>() where T : IFloatingPointIeee754<T> => T.BitIncrement(T.One) - T.One;

    /// <summary>Uniform values in [-range, range) from a fixed seed.</summary>
    public static T[] Random<T>(int length, ulong seed, double range = 1.0) where T : IFloatingPointIeee754<T>
    {
        var values = new T[length];
        new Rng(seed).FillUniform<T>(values, range);
        return values;
    }

    /// <summary>
    /// Asserts <c>|actual - expected| ≤ tolerance[i]</c> element by element (NaN never passes), naming the
    /// worst element and the context when it fails.
    /// </summary>
    public static void AssertClose<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, ReadOnlySpan<T> tolerance, string context)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = double.CreateChecked(T.Abs(actual[i] - expected[i]));
            double allowed = double.CreateChecked(tolerance[i]);
            double ratio = double.IsNaN(difference) ? double.PositiveInfinity : difference / Math.Max(allowed, double.Epsilon);
            if (difference > allowed || double.IsNaN(difference))
            {
                if (ratio > worstRatio) (worst, worstRatio) = (i, ratio);
            }
        }
        Assert.True(worst < 0, worst < 0 ? "" :
            $"{context}: element {worst} is {actual[worst]}, expected {expected[worst]} ± {tolerance[worst]}");
    }

    /// <summary>Asserts the two spans hold the same bits (so NaN equals NaN and -0 differs from +0).</summary>
    public static void AssertIdentical<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string context)
        where T : unmanaged
    {
        Assert.Equal(expected.Length, actual.Length);
        var expectedBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected);
        var actualBytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(actual);
        int size = expectedBytes.Length / Math.Max(1, expected.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!expectedBytes.Slice(i * size, size).SequenceEqual(actualBytes.Slice(i * size, size)))
                Assert.Fail($"{context}: element {i} is {actual[i]}, expected exactly {expected[i]}");
        }
    }
}
