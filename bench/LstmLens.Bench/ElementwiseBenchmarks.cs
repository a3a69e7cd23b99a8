// BenchmarkDotNet: the activations on a step's gate block [B = 20, 4H = 1024], the fused LSTM cell
// kernels on the same step (forward and backward over the 20 rows), and the row softmax on an output
// block [B = 20, V = 10000], for the reference set and the simd set at each vector width (simd is the
// widest accelerated one; openblas and auto share simd's element-wise kernels).
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
    private float[] _previousCells = [], _cells = [], _tanhCells = [], _hidden = [], _cellGradient = [], _previousCellGradient = [];   // [Batch, H]
    private float[] _gateGradient = [];   // [Batch, Gates]

    [Params("reference", "simd128", "simd256", "simd512")]
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
        int units = Batch * Gates / 4;
        (_previousCells, _cells, _tanhCells, _hidden) = (new float[units], new float[units], new float[units], new float[units]);
        (_cellGradient, _previousCellGradient, _gateGradient) = (new float[units], new float[units], new float[Batch * Gates]);
        rng.FillUniform<float>(_previousCells, 1.0);
        rng.FillUniform<float>(_hidden, 1.0);
        LstmCellForward();
        Console.WriteLine($"// {Compute.Describe()}");
    }

    [Benchmark]
    public void Sigmoid() => _kernels.Sigmoid(_gates, _activated);

    [Benchmark]
    public void Tanh() => _kernels.Tanh(_gates, _activated);

    /// <summary>One step's element-wise LSTM forward over the batch (gates activated in a copy of the pre-activations).</summary>
    [Benchmark]
    public void LstmCellForward()
    {
        int h = Gates / 4;
        _gates.CopyTo(_activated);
        for (int b = 0; b < Batch; b++)
        {
            var cells = new Range(b * h, (b + 1) * h);
            _kernels.LstmCellForward(_activated.AsSpan(b * Gates, Gates), _previousCells.AsSpan(cells), _cells.AsSpan(cells),
                _tanhCells.AsSpan(cells), _hidden.AsSpan(cells));
        }
    }

    /// <summary>One step's element-wise LSTM backward over the batch, from the forward's gates, with dh = the forward's h.</summary>
    [Benchmark]
    public void LstmCellBackward()
    {
        int h = Gates / 4;
        for (int b = 0; b < Batch; b++)
        {
            var cells = new Range(b * h, (b + 1) * h);
            _kernels.LstmCellBackward(_activated.AsSpan(b * Gates, Gates), _previousCells.AsSpan(cells), _tanhCells.AsSpan(cells),
                _hidden.AsSpan(cells), _cellGradient.AsSpan(cells), _gateGradient.AsSpan(b * Gates, Gates), _previousCellGradient.AsSpan(cells));
        }
    }

    [Benchmark]
    public void SoftmaxRows() => _kernels.SoftmaxRows(_logits, Batch, Vocabulary, _probabilities, _logSumExp);
}
