using LstmLens.Layers;
using LstmLens.Numerics;

namespace LstmLens.Tests.Layers;

/// <summary>Cells under test, LSTM-1997 option variants, and small random double-precision stacks of them.</summary>
internal static class CellTestData
{
    public static readonly string[] Cells = ["lstm", "gru", "rnn", "lstm1997"];

    /// <summary>True when the cell carries a cell state c beside h (so c-detach applies).</summary>
    public static bool HasCellState(string cell) => Stack(cell, 1, 1, 1, new Rng(0)).Layers[0].StateCount == 2;

    /// <summary>LSTM-1997 configurations besides the default, by name; their block sizes divide the hidden size 6.</summary>
    public static readonly IReadOnlyDictionary<string, Lstm1997Options> Lstm1997Variants = new Dictionary<string, Lstm1997Options>
    {
        ["lstm1997 S=2 full gradient"] = new() { BlockSize = 2, TruncatedGradient = false, InputGateBias = new(-1, -2) },
        ["lstm1997 S=3 identity g and h"] = new() { BlockSize = 3, SquashCellInput = false, SquashCellOutput = false },
    };

    /// <summary>Every cell with its defaults, then every LSTM-1997 variant, at depths 1 and 2.</summary>
    public static TheoryData<string, int> CellsAndDepths()
    {
        var data = new TheoryData<string, int>();
        foreach (string cell in Cells.Concat(Lstm1997Variants.Keys))
        {
            data.Add(cell, 1);
            data.Add(cell, 2);
        }
        return data;
    }

    public static RecurrentStack<double> Stack(string cell, int layers, int inputSize, int hiddenSize, Rng rng)
    {
        var store = new ParameterStore<double>();
        var (type, options) = Lstm1997Variants.TryGetValue(cell, out var variant)
            ? (CellType.Lstm1997, variant)
            : (RecurrentLayers.ParseCell(cell), null);
        var stack = RecurrentLayers.CreateStack(type, store, "rnn.", layers, inputSize, hiddenSize, kernels: new Kernels<double>(),
            options: options);
        foreach (var layer in stack.Layers) layer.InitializeUniform(rng, 0.6);
        return stack;
    }

    public static double[] Random(Rng rng, int n, double range = 1.0)
    {
        var values = new double[n];
        rng.FillUniform<double>(values, range);
        return values;
    }

    public static void Near(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= tolerance, $"{what}: max difference {worst:E3} > {tolerance:E1}");
    }
}
