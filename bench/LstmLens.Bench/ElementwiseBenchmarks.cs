// BenchmarkDotNet: the activations on a step's gate block [B = 20, 4H = 1024] and the row softmax on
// an output block [B = 20, V = 10000], for the reference and simd kernel sets (openblas shares simd's
// element-wise kernels).
using BenchmarkDotNet.Attributes;
using LstmLens.Numerics;

namespace LstmLens.Bench;

[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private const int Batch = 20, Gates = 1024, Vocabulary = 10000;
    private Kernels<float> _kernels = null!;
    private float[] _gates = [], _activated = [];   // [Batch, Gates]
    private float[] _logits = [], _probabilities = [];   // [Batch, Vocabulary]
    private float[] _logSumExp = [];   // [Batch]

    [Params("reference", "simd")]
    public string KernelSet { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _kernels = Compute.Create<float>(KernelSet);
        var rng = new Rng(1);
        _gates = new float[Batch * Gates];
        _activated = new float[Batch * Gates];
        _logits = new float[Batch * Vocabulary];
        _probabilities = new float[Batch * Vocabulary];
        _logSumExp = new float[Batch];
        rng.FillUniform<float>(_gates, 4.0);
        rng.FillUniform<float>(_logits, 10.0);
        Console.WriteLine($"// {Compute.Describe()}");
    }

    [Benchmark]
    public void Sigmoid() => _kernels.Sigmoid(_gates, _activated);

    [Benchmark]
    public void Tanh() => _kernels.Tanh(_gates, _activated);

    [Benchmark]
    public void SoftmaxRows() => _kernels.SoftmaxRows(_logits, Batch, Vocabulary, _probabilities, _logSumExp);
}
