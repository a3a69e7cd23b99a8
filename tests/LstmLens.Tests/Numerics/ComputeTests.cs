// Tests that change process-wide state (Compute.Use, Compute.Threads) run in one collection without
// parallelism, and restore what they changed: thread-count independence of the simd product, no
// allocation per product after warm-up, and kernel-set selection and description. OpenBLAS detection
// is checked against NativeLibrary.TryLoad, so the tests assert on machines with and without OpenBLAS.
using System.Runtime.InteropServices;
using LstmLens.Numerics;
using Xunit;
using static LstmLens.Tests.Numerics.KernelSets;

namespace LstmLens.Tests.Numerics;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideComputeState
{
    public const string Name = "Process-wide Compute state";
}

[Collection(ProcessWideComputeState.Name)]
public sealed class ComputeTests : IDisposable
{
    private readonly int _threads = Compute.Threads;

    public void Dispose()
    {
        Compute.Threads = _threads;
        Compute.Use("auto");
    }

    /// <summary>Shapes big enough to be split across threads (m·n·k ≥ 2^20), including the training shapes and odd ones.</summary>
    public static TheoryData<int, int, int, bool, bool> ThreadedShapes => new()
    {
        { 100, 512, 138, false, false },
        { 20, 1024, 264, false, true },
        { 97, 1030, 300, true, false },
        { 601, 45, 530, true, true },
        { 3001, 10, 70, false, true },
    };

    [Theory, MemberData(nameof(ThreadedShapes))]
    public void Simd_gemm_is_bit_identical_for_any_thread_count(int m, int n, int k, bool transA, bool transB)
    {
        Check<float>();
        Check<double>();

        void Check<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var simd = Compute.Create<T>("simd");
            T[] a = Random<T>(m * k, 1), b = Random<T>(k * n, 2), c = Random<T>(m * n, 3);
            T[]? first = null;
            foreach (int threads in new[] { 1, 2, 3, 4, 7, 16 })
            {
                Compute.Threads = threads;
                T[] result = (T[])c.Clone();
                simd.Gemm(transA, transB, a, transA ? m : k, b, transB ? k : n, m, n, k, T.CreateChecked(0.5), T.One, result, n);
                if (first is null) first = result;
                else AssertIdentical<T>(first, result, $"Gemm<{typeof(T).Name}> m={m} n={n} k={k} threads={threads} vs 1");
            }
        }
    }

    [Fact]
    public void Simd_gemm_allocates_nothing_after_warm_up()
    {
        var simd = Compute.Create<float>("simd");
        float[] a = Random<float>(100 * 138, 1), b = Random<float>(138 * 512, 2), c = new float[100 * 512];
        void Multiply() => simd.Gemm(false, true, a, 138, b, 138, 100, 512, 138, 1f, 0f, c, 512);

        Compute.Threads = 1;
        Multiply();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Multiply();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // Several threads: counted process-wide, so the runtime's own background work may add a little,
        // and a helper thread that joins for the first time allocates its pack buffers once; the best of
        // a few batches shows the steady state. Parallel.For would add about 1.8 KB to every call.
        Compute.Threads = 2;
        const int batches = 4, calls = 50;
        long best = long.MaxValue;
        for (int batch = 0; batch < batches; batch++)
        {
            long processBefore = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < calls; i++) Multiply();
            best = Math.Min(best, (GC.GetTotalAllocatedBytes(precise: true) - processBefore) / calls);
        }
        Assert.InRange(best, 0, 100);
    }

    [Fact]
    public void Openblas_is_available_exactly_when_the_library_loads()
    {
        bool loads = OpenBlasNative.LibraryNames.Any(name =>
        {
            if (!NativeLibrary.TryLoad(name, out nint handle)) return false;
            bool exports = NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _);
            NativeLibrary.Free(handle);
            return exports;
        });
        Assert.Equal(loads, Compute.IsAvailable("openblas"));
        if (OperatingSystem.IsLinux()) Assert.Equal(NativeLibrary.TryLoad("libopenblas.so.0", out _), Compute.IsAvailable("openblas"));
        if (loads)
        {
            Assert.Equal("openblas", Compute.Create<float>("openblas").Name);
        }
        else
        {
            var error = Assert.Throws<InvalidOperationException>(() => Compute.Use("openblas"));
            Assert.Contains("libopenblas0", error.Message, StringComparison.Ordinal);
        }
        // auto chooses among widths that round alike; OpenBLAS, which rounds differently, only when named.
        Assert.All(((AutoKernels<double>)Compute.Create<double>("auto")).Candidates, name => Assert.StartsWith("simd", name, StringComparison.Ordinal));
    }

    [Fact]
    public void Use_selects_by_name_and_describe_reports_the_choice()
    {
        foreach (string name in Compute.KernelSetNames.Where(Compute.IsAvailable))
        {
            Compute.Use(name);
            Compute.Threads = 3;
            string expected = name;
            Assert.Equal(expected, Compute.KernelSet);
            Assert.Equal(expected, Compute.Kernels<float>().Name);
            Assert.Equal(expected, Compute.Kernels<double>().Name);
            string description = Compute.Describe();
            Assert.StartsWith($"kernels {expected}", description, StringComparison.Ordinal);
            Assert.Contains("threads 3 of", description, StringComparison.Ordinal);
            if (expected == "openblas") Assert.Contains("OpenBLAS", description, StringComparison.Ordinal);
            if (expected.StartsWith("simd", StringComparison.Ordinal)) Assert.Contains("-bit", description, StringComparison.Ordinal);
            if (expected == "auto") Assert.Contains("by calibration", description, StringComparison.Ordinal);
        }
        Assert.Throws<ArgumentException>(() => Compute.Use("fastest"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Compute.Threads = 0);
    }
}
