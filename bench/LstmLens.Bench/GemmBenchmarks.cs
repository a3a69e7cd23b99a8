// BenchmarkDotNet: the float matrix product of every available kernel set at the training shapes, on
// one thread and on all cores (the scalar reference only where it finishes in benchmark time).
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using LstmLens.Numerics;

namespace LstmLens.Bench;

/// <summary>A kernel set at a shape; its text is the benchmark's parameter column.</summary>
public sealed record GemmCase(string KernelSet, GemmShape Shape)
{
    /// <inheritdoc/>
    public override string ToString() => $"{KernelSet} {Shape}";
}

[MemoryDiagnoser]
[Config(typeof(WideParameterColumn))]
public class GemmBenchmarks
{
    /// <summary>Shows whole case names ("openblas [4000x256]·[256x10000] Bᵀ") instead of truncating them.</summary>
    private sealed class WideParameterColumn : ManualConfig
    {
        public WideParameterColumn() => SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(40);
    }

    private Kernels<float> _kernels = null!;
    private float[] _a = [], _b = [], _c = [];

    private static readonly string[] KernelSets = ["reference", "simd", "openblas"];

    public static IEnumerable<GemmCase> Cases =>
        from shape in GemmShape.Training.SelectMany(s => new[] { s, s with { TransB = true } })
        from set in KernelSets
        where Compute.IsAvailable(set) && (set != "reference" || shape.SmallEnoughForReference)
        select new GemmCase(set, shape);

    public static IEnumerable<int> ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    [ParamsSource(nameof(Cases))]
    public GemmCase Case { get; set; } = null!;

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Compute.Threads = Threads;
        _kernels = Compute.Create<float>(Case.KernelSet);
        (_a, _b, _c) = Case.Shape.Allocate(seed: 1);
        Console.WriteLine($"// {Compute.Describe()}");
    }

    [Benchmark]
    public void Gemm() => Case.Shape.Multiply(_kernels, _a, _b, _c);
}
