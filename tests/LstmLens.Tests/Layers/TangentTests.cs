using LstmLens.Layers;
using LstmLens.Numerics;
using static LstmLens.Tests.Layers.CellTestData;

namespace LstmLens.Tests.Layers;

/// <summary>Forward-mode tangents (JVP) equal central finite differences of the forward pass.</summary>
public class TangentTests
{
    [Theory]
    [MemberData(nameof(CellsAndDepths), MemberType = typeof(CellTestData))]
    public void Tangents_equal_finite_differences(string cell, int layers)
    {
        const int steps = 8, batch = 2, inputSize = 3, hiddenSize = 6, span = 5;
        var rng = new Rng(11);
        var stack = Stack(cell, layers, inputSize, hiddenSize, rng);
        double[] input = Random(rng, steps * batch * inputSize), initial = Random(rng, stack.StateLength(batch));
        double[] output = new double[steps * batch * hiddenSize];
        TangentLane[] lanes = [new(0, 1), new(1, 3), new(1, 0)];
        int directions = inputSize, rows = lanes.Length * directions, block = rows * hiddenSize;

        stack.Forward(input, steps, batch, initial, output, []);
        // Unit tangent on each input feature k at the lane's start step.
        double[] tangentIn = new double[rows * inputSize];
        for (int row = 0; row < rows; row++) tangentIn[row * inputSize + row % directions] = 1;
        double[] hidden = [], cells = [];
        ReadOnlySpan<double> fed = tangentIn;
        int fedSteps = 1;
        foreach (var layer in stack.Layers)
        {
            hidden = new double[span * block];
            cells = layer.StateCount == 2 ? new double[span * block] : [];
            layer.PropagateTangents(lanes, directions, span, fed, fedSteps, hidden, cells);
            fed = hidden;
            fedSteps = span;
        }

        var top = stack.Layers[^1];
        double[] expectedH = new double[span * block], expectedC = new double[cells.Length];
        const double h = 1e-6;
        for (int l = 0; l < lanes.Length; l++)
        {
            for (int k = 0; k < directions; k++)
            {
                int at = (lanes[l].Start * batch + lanes[l].Batch) * inputSize + k;
                double original = input[at];
                input[at] = original + h;
                stack.Forward(input, steps, batch, initial, output, []);
                double[] hPlus = [.. top.Hidden], cPlus = [.. top.Cells];
                input[at] = original - h;
                stack.Forward(input, steps, batch, initial, output, []);
                double[] hMinus = [.. top.Hidden], cMinus = [.. top.Cells];
                input[at] = original;
                for (int tau = 0; tau < span; tau++)
                {
                    int src = ((lanes[l].Start + tau) * batch + lanes[l].Batch) * hiddenSize;
                    int dst = tau * block + (l * directions + k) * hiddenSize;
                    for (int j = 0; j < hiddenSize; j++)
                    {
                        expectedH[dst + j] = (hPlus[src + j] - hMinus[src + j]) / (2 * h);
                        if (cells.Length > 0) expectedC[dst + j] = (cPlus[src + j] - cMinus[src + j]) / (2 * h);
                    }
                }
            }
        }
        Near(expectedH, hidden, 1e-8, "hidden tangents");
        Near(expectedC, cells, 1e-8, "cell tangents");
        Assert.Contains(hidden, v => Math.Abs(v) > 1e-3); // the check is not vacuous
    }
}
