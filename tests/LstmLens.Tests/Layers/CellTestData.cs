using LstmLens.Layers;
using LstmLens.Numerics;

namespace LstmLens.Tests.Layers;

/// <summary>Cells under test and small random double-precision stacks of them.</summary>
internal static class CellTestData
{
    public static readonly string[] Cells = ["lstm", "gru", "rnn"];

    /// <summary>True when the cell carries a cell state c beside h (so c-detach applies).</summary>
    public static bool HasCellState(string cell) => Stack(cell, 1, 1, 1, new Rng(0)).Layers[0].StateCount == 2;

    public static TheoryData<string, int> CellsAndDepths()
    {
        var data = new TheoryData<string, int>();
        foreach (string cell in Cells)
        {
            data.Add(cell, 1);
            data.Add(cell, 2);
        }
        return data;
    }

    public static RecurrentStack<double> Stack(string cell, int layers, int inputSize, int hiddenSize, Rng rng)
    {
        var store = new ParameterStore<double>();
        var stack = RecurrentLayers.CreateStack(RecurrentLayers.ParseCell(cell), store, "rnn.", layers, inputSize, hiddenSize,
            kernels: new Kernels<double>());
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
