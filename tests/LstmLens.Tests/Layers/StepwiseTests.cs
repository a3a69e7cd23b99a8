using LstmLens.Numerics;
using static LstmLens.Tests.Layers.CellTestData;

namespace LstmLens.Tests.Layers;

/// <summary>Running one step at a time with the state carried equals running the whole sequence, for values and gradients.</summary>
public class StepwiseTests
{
    [Theory]
    [MemberData(nameof(CellsAndDepths), MemberType = typeof(CellTestData))]
    public void One_step_at_a_time_equals_whole_sequence(string cell, int layers)
    {
        const int steps = 7, batch = 3, inputSize = 4, hiddenSize = 6;
        var rng = new Rng(3);
        var stack = Stack(cell, layers, inputSize, hiddenSize, rng);
        var store = stack.Layers[0].WeightIH.Store;
        int stateLength = stack.StateLength(batch), stepIn = batch * inputSize, stepOut = batch * hiddenSize;
        double[] input = Random(rng, steps * stepIn), initial = Random(rng, stateLength);
        double[] dOutput = Random(rng, steps * stepOut), dFinal = Random(rng, stateLength);

        // Whole sequence.
        double[] output = new double[steps * stepOut], final = new double[stateLength];
        double[] dInput = new double[input.Length], dInitial = new double[stateLength];
        store.ZeroGradients();
        stack.Forward(input, steps, batch, initial, output, final);
        stack.Backward(dOutput, dFinal, dInput, dInitial);
        double[] wholeGradients = [.. store.Gradients];

        // Forward one step at a time, remembering the state entering each step.
        var states = new double[steps + 1][];
        states[0] = initial;
        double[] stepOutput = new double[steps * stepOut];
        for (int t = 0; t < steps; t++)
        {
            states[t + 1] = new double[stateLength];
            stack.Forward(input.AsSpan(t * stepIn, stepIn), 1, batch, states[t], stepOutput.AsSpan(t * stepOut, stepOut), states[t + 1]);
        }
        Near(output, stepOutput, 1e-14, "outputs");
        Near(final, states[steps], 1e-14, "final state");

        // Backward one step at a time, newest first, re-running each step's forward to refresh the cache.
        store.ZeroGradients();
        double[] dState = [.. dFinal], dStepInput = new double[input.Length], dPrevious = new double[stateLength];
        for (int t = steps - 1; t >= 0; t--)
        {
            stack.Forward(input.AsSpan(t * stepIn, stepIn), 1, batch, states[t], new double[stepOut], []);
            stack.Backward(dOutput.AsSpan(t * stepOut, stepOut), dState, dStepInput.AsSpan(t * stepIn, stepIn), dPrevious);
            dPrevious.CopyTo(dState, 0);
        }
        Near(dInput, dStepInput, 1e-12, "input gradient");
        Near(dInitial, dState, 1e-12, "initial-state gradient");
        Near(wholeGradients, store.Gradients, 1e-12, "parameter gradients");
    }
}
