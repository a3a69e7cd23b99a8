// Chooses the kernel set and thread count in one place and describes the choice for start-up logs.
// Kernel sets: "reference" (the scalar specification), "simd" (managed vector kernels), "openblas"
// (simd with Gemm from OpenBLAS) and "auto", the default at start-up: simd where its matrix product
// runs on 512-bit vectors (about twice the GFLOP/s of Debian's OpenBLAS 0.3.21, whose kernels stop at
// AVX2: bench/results), otherwise openblas when the library loads, otherwise simd. Not a scheduler: kernels read Threads when they run.
using System.Numerics;

namespace LstmLens.Numerics;

/// <summary>Process-wide choice of kernel set and thread count.</summary>
public static class Compute
{
    internal const string OpenBlasMissingMessage =
        "The 'openblas' kernel set needs OpenBLAS (libopenblas.so.0), which could not be loaded. "
        + "Install the Debian package libopenblas0 (apt-get install libopenblas0), or choose 'simd' or 'auto'.";

    private static int _threads = Environment.ProcessorCount;
    private static string _requested = "auto";
    private static Kernels<float> _float = Create<float>("auto");
    private static Kernels<double> _double = Create<double>("auto");

    /// <summary>Threads a kernel may use (default: all cores). Results of the simd kernels do not depend on it.</summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _threads = value;
        }
    }

    /// <summary>Name of the kernel set in use ("reference", "simd" or "openblas"; never "auto").</summary>
    public static string KernelSet => _float.Name;

    /// <summary>The kernel set in use for <typeparamref name="T"/> (float or double).</summary>
    public static Kernels<T> Kernels<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return (Kernels<T>)(object)_float;
        if (typeof(T) == typeof(double)) return (Kernels<T>)(object)_double;
        throw new NotSupportedException($"Kernels exist for float and double, not {typeof(T).Name}.");
    }

    /// <summary>Names accepted by <see cref="Use"/> and <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> KernelSetNames { get; } = ["auto", "reference", "simd", "openblas"];

    /// <summary>Whether <see cref="Create"/> can build the named kernel set on this machine.</summary>
    public static bool IsAvailable(string name) => name switch
    {
        "auto" or "reference" or "simd" => true,
        "openblas" => OpenBlasNative.IsAvailable,
        _ => false,
    };

    /// <summary>
    /// A new kernel set by name, without changing the process-wide choice (tests and benchmarks compare
    /// sets side by side). "auto" gives simd where its GEMM uses AVX-512, otherwise openblas when OpenBLAS
    /// loads, otherwise simd.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="InvalidOperationException">"openblas" without OpenBLAS installed.</exception>
    public static Kernels<T> Create<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Kernels exist for float and double, not {typeof(T).Name}.");
        return name switch
        {
            "auto" => OpenBlasNative.IsAvailable && !SimdGemm<T>.Wide ? new OpenBlasKernels<T>() : new SimdKernels<T>(),
            "reference" => new Kernels<T>(),
            "simd" => new SimdKernels<T>(),
            "openblas" => new OpenBlasKernels<T>(),
            _ => throw new ArgumentException(
                $"unknown kernel set '{name}' (expected one of: {string.Join(", ", KernelSetNames)})", nameof(name)),
        };
    }

    /// <summary>Selects the process-wide kernel set by name (see <see cref="Create"/>).</summary>
    public static void Use(string name)
    {
        var single = Create<float>(name);
        var @double = Create<double>(name);
        (_float, _double, _requested) = (single, @double, name);
    }

    /// <summary>
    /// One line for start-up logs: kernel set (and whether "auto" chose it), SIMD width and FMA/AVX-512
    /// use, BLAS library with its build string, threads.
    /// </summary>
    public static string Describe()
    {
        string kernels = _requested == "auto" ? $"{KernelSet} (auto)" : KernelSet;
        string simd = KernelSet == "reference" ? "none (scalar reference)" : SimdSupport.Describe();
        string blas = KernelSet == "openblas"
            ? $"{OpenBlasNative.LibraryName} ({OpenBlasNative.Config ?? "no build string"})"
            : OpenBlasNative.IsAvailable ? $"none ({OpenBlasNative.LibraryName} present, not used)" : "none";
        return $"kernels {kernels}, SIMD {simd}, BLAS {blas}, threads {Threads} of {Environment.ProcessorCount}";
    }
}
