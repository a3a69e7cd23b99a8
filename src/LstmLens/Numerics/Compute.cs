// Chooses the kernel set and thread count in one place and describes the choice for start-up logs.
// Not a scheduler: kernels read Threads when they run.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace LstmLens.Numerics;

/// <summary>Process-wide choice of kernel set and thread count.</summary>
public static class Compute
{
    private static int _threads = Environment.ProcessorCount;
    private static Kernels<float> _float = new();
    private static Kernels<double> _double = new();

    /// <summary>Threads a kernel may use (default: all cores). Results do not depend on it.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _threads = value;
        }
    }

    /// <summary>Name of the kernel set in use.</summary>
    public static string KernelSet => _float.Name;

    /// <summary>The kernel set in use for <typeparamref name="T"/> (float or double).</summary>
    public static Kernels<T> Kernels<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return (Kernels<T>)(object)_float;
        if (typeof(T) == typeof(double)) return (Kernels<T>)(object)_double;
        throw new NotSupportedException($"Kernels exist for float and double, not {typeof(T).Name}.");
    }

    /// <summary>Names accepted by <see cref="Use"/>.</summary>
    public static IReadOnlyList<string> KernelSetNames { get; } = ["auto", "reference"];

    /// <summary>Selects a kernel set by name; "auto" picks the fastest available.</summary>
    public static void Use(string name)
    {
        switch (name)
        {
            case "auto":
            case "reference":
                _float = new Kernels<float>();
                _double = new Kernels<double>();
                break;
            default:
                throw new ArgumentException(
                    $"unknown kernel set '{name}' (expected one of: {string.Join(", ", KernelSetNames)})", nameof(name));
        }
    }

    /// <summary>One line for start-up logs: kernel set, SIMD width, threads.</summary>
    public static string Describe() =>
        $"kernels {KernelSet}, SIMD {SimdDescription()}, threads {Threads} of {Environment.ProcessorCount}";

    private static string SimdDescription() =>
        Vector512.IsHardwareAccelerated ? "512-bit" :
        Vector256.IsHardwareAccelerated ? "256-bit" :
        Vector128.IsHardwareAccelerated ? "128-bit" : "none";
}
