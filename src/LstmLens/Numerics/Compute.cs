// Chooses the kernel set and thread count in one place and describes the choice for start-up logs.
// Kernel sets: "reference" (the scalar specification), "simd" (managed vector kernels, the matrix
// product at the widest vector width the hardware accelerates), "simd128"/"simd256"/"simd512" (the same
// at a fixed width, which runs in software where the hardware lacks it), "openblas" (simd with Gemm from
// OpenBLAS) and "auto", the default: each matrix product at whichever accelerated simd width a short
// calibration of its shape found fastest on this machine (AutoKernels, choices cached per machine and
// library version; the same bits as "simd"). Not a scheduler: kernels read Threads when they run.
using System.Numerics;

namespace LstmLens.Numerics;

/// <summary>Process-wide choice of kernel set and thread count.</summary>
public static class Compute
{
    internal const string OpenBlasMissingMessage =
        "The 'openblas' kernel set needs OpenBLAS (libopenblas.so.0), which could not be loaded. "
        + "Install the Debian package libopenblas0 (apt-get install libopenblas0), or choose 'simd' or 'auto'.";

    private static int _threads = Environment.ProcessorCount;
    private static KernelChoiceCache? _cache;
    private static Kernels<float> _float = Create<float>("auto");
    private static Kernels<double> _double = Create<double>("auto");

    /// <summary>
    /// Threads a kernel may use (default: all cores); 1 inside a part run by <see cref="ParallelParts"/>, which
    /// already occupies the other threads. Results of the simd kernels do not depend on it.
    /// </summary>
    public static int Threads
    {
        get => t_partThreads > 0 ? t_partThreads : _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _threads = value;
        }
    }

    [ThreadStatic] private static int t_partThreads;

    /// <summary>
    /// Runs <c>body(0..parts-1)</c> on the shared worker team (on this thread alone when the team is busy),
    /// each part seeing <see cref="Threads"/> = 1 so that its kernels stay on its thread. One instance per
    /// caller, so that its delegate is allocated once.
    /// </summary>
    internal sealed class ParallelParts
    {
        private readonly Action<int> _body, _part;

        public ParallelParts(Action<int> body) => (_body, _part) = (body, RunPart);

        public void Run(int parts)
        {
            if (parts == 1 || !WorkerTeam.Shared.TryRun(parts, parts, _part))
                for (int part = 0; part < parts; part++) _body(part);
        }

        private void RunPart(int part) => OnOneThread(_body, part);
    }

    /// <summary>Runs <c>body(argument)</c> with <see cref="Threads"/> = 1 on this thread only (other threads keep their setting).</summary>
    internal static void OnOneThread(Action<int> body, int argument)
    {
        int saved = t_partThreads;
        t_partThreads = 1;
        try
        {
            body(argument);
        }
        finally
        {
            t_partThreads = saved;
        }
    }

    /// <summary>Name of the kernel set in use (one of <see cref="KernelSetNames"/>).</summary>
    public static string KernelSet => _float.Name;

    /// <summary>
    /// Directory of the auto kernels' choice cache (default <see cref="KernelChoiceCache.DefaultDirectory"/>);
    /// setting it re-opens the cache, for kernel sets created afterwards.
    /// </summary>
    public static string CacheDirectory
    {
        get => Path.GetDirectoryName(Cache.FilePath)!;
        set => _cache = new KernelChoiceCache(value);
    }

    private static KernelChoiceCache Cache => _cache ??= new KernelChoiceCache();

    /// <summary>The kernel set in use for <typeparamref name="T"/> (float or double).</summary>
    public static Kernels<T> Kernels<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return (Kernels<T>)(object)_float;
        if (typeof(T) == typeof(double)) return (Kernels<T>)(object)_double;
        throw new NotSupportedException($"Kernels exist for float and double, not {typeof(T).Name}.");
    }

    /// <summary>Names accepted by <see cref="Use"/> and <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> KernelSetNames { get; } = ["auto", "reference", "simd", "simd128", "simd256", "simd512", "openblas"];

    /// <summary>Whether <see cref="Create"/> can build the named kernel set on this machine (the fixed-width simd sets always can).</summary>
    public static bool IsAvailable(string name) => name switch
    {
        "auto" or "reference" or "simd" or "simd128" or "simd256" or "simd512" => true,
        "openblas" => OpenBlasNative.IsAvailable,
        _ => false,
    };

    /// <summary>
    /// A new kernel set by name, without changing the process-wide choice (tests and benchmarks compare
    /// sets side by side). "auto" calibrates among the simd sets of the accelerated widths.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="InvalidOperationException">"openblas" without OpenBLAS installed.</exception>
    public static Kernels<T> Create<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Kernels exist for float and double, not {typeof(T).Name}.");
        return name switch
        {
            "auto" => new AutoKernels<T>(AutoCandidates<T>(), Cache),
            "reference" => new Kernels<T>(),
            "simd" => new SimdKernels<T>(),
            "simd128" => new SimdKernels<T>(128, name),
            "simd256" => new SimdKernels<T>(256, name),
            "simd512" => new SimdKernels<T>(512, name),
            "openblas" => new OpenBlasKernels<T>(),
            _ => throw new ArgumentException(
                $"unknown kernel set '{name}' (expected one of: {string.Join(", ", KernelSetNames)})", nameof(name)),
        };
    }

    /// <summary>The auto kernels' candidates: the simd set at each accelerated width (at least one).</summary>
    private static List<Kernels<T>> AutoCandidates<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var candidates = SimdGemm<T>.Widths.Where(SimdGemm<T>.IsAccelerated).Select(bits => (Kernels<T>)new SimdKernels<T>(bits, $"simd{bits}")).ToList();
        if (candidates.Count == 0) candidates.Add(new SimdKernels<T>(128, "simd128"));
        return candidates;
    }

    /// <summary>Selects the process-wide kernel set by name (see <see cref="Create"/>).</summary>
    public static void Use(string name)
    {
        var single = Create<float>(name);
        var @double = Create<double>(name);
        (_float, _double) = (single, @double);
    }

    /// <summary>
    /// One line for start-up logs: kernel set (for auto: its candidates, how many shapes its cache already
    /// decides and where it is), SIMD width and FMA/AVX-512 use, BLAS library with its build string, threads.
    /// </summary>
    public static string Describe()
    {
        string kernels = _float is AutoKernels<float> auto
            ? $"auto (each product on the fastest of {string.Join("/", auto.Candidates)} for its shape, by calibration; "
              + $"{Cache.Count} shape{(Cache.Count == 1 ? "" : "s")} known in {Cache.FilePath})"
            : KernelSet;
        string simd = _float is SimdKernels<float> simdSet ? SimdSupport.Describe(simdSet.VectorBits) : "none (scalar reference)";
        string blas = _float is OpenBlasKernels<float>
            ? $"{OpenBlasNative.LibraryName} ({OpenBlasNative.Config ?? "no build string"})"
            : OpenBlasNative.IsAvailable ? $"none ({OpenBlasNative.LibraryName} present, not used)" : "none";
        return $"kernels {kernels}, SIMD {simd}, BLAS {blas}, threads {Threads} of {Environment.ProcessorCount}";
    }
}
