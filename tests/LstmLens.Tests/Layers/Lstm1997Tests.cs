// Tests specific to the 1997 memory cell: gradient checks over its options (block size, truncation,
// squashings), a comparison with an independent scalar implementation written from the 1997 equations,
// the staggered gate-bias initialisation and the option validation. The shared theories (gradient
// check, stepwise, tangents) run it through CellTestData.
using LstmLens.Layers;
using LstmLens.Numerics;
using LstmLens.Training;
using static LstmLens.Tests.Layers.CellTestData;

namespace LstmLens.Tests.Layers;

public class Lstm1997Tests
{
    public static TheoryData<int, bool, bool, bool, int> OptionGrid()
    {
        var data = new TheoryData<int, bool, bool, bool, int>();
        foreach (int blockSize in new[] { 1, 2, 3 })
            foreach (bool truncated in new[] { true, false })
                foreach (bool squashInput in new[] { true, false })
                    foreach (bool squashOutput in new[] { true, false })
                        foreach (int layers in new[] { 1, 2 })
                            data.Add(blockSize, truncated, squashInput, squashOutput, layers);
        return data;
    }

    [Theory]
    [MemberData(nameof(OptionGrid))]
    public void Finite_differences_match_analytic_gradients_for_every_option(int blockSize, bool truncated, bool squashInput,
        bool squashOutput, int layers)
    {
        var options = new Lstm1997Options
        {
            BlockSize = blockSize,
            TruncatedGradient = truncated,
            SquashCellInput = squashInput,
            SquashCellOutput = squashOutput,
        };
        var report = RecurrentGradientCheck.Run(CellType.Lstm1997, layers, cDetach: 0.3, seed: 5, hiddenSize: 6, options: options);
        Assert.All(report.Tensors, t => Assert.True(t.MaxRelativeError < 1e-6, $"{t.Name}: {t.MaxRelativeError:E2}"));
        Assert.Equal(layers * 4 + 2, report.Tensors.Count);
    }

    public static TheoryData<int, bool, bool, bool> ReferenceCases() => new()
    {
        { 1, true, true, true },
        { 2, true, true, true },
        { 3, true, false, false },
        { 2, true, true, false },
        { 3, false, true, true },
        { 2, false, false, true },
    };

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Matches_an_independent_scalar_implementation(int blockSize, bool squashInput, bool squashOutput, bool truncated)
    {
        const int steps = 5, batch = 2, inputSize = 3, hiddenSize = 6;
        var options = new Lstm1997Options
        {
            BlockSize = blockSize,
            SquashCellInput = squashInput,
            SquashCellOutput = squashOutput,
            TruncatedGradient = truncated,
            InputGateBias = new(-1, -1),
        };
        var rng = new Rng(21);
        var store = new ParameterStore<double>();
        var layer = new Lstm1997<double>(store, "rnn.", 0, inputSize, hiddenSize, options, new Kernels<double>());
        layer.InitializeUniform(rng, 0.8);
        int stateLength = 2 * batch * hiddenSize, outLength = steps * batch * hiddenSize;
        double[] input = Random(rng, steps * batch * inputSize), initial = Random(rng, stateLength);
        double[] dOutput = Random(rng, outLength), dFinal = Random(rng, stateLength);

        double[] output = new double[outLength], final = new double[stateLength];
        double[] dInput = new double[input.Length], dInitial = new double[stateLength];
        store.ZeroGradients();
        layer.Forward(input, steps, batch, initial, output, final);
        layer.Backward(dOutput, dFinal, dInput, dInitial);

        var reference = new ScalarLstm1997(layer.WeightIH.Value.ToArray(), layer.WeightHH.Value.ToArray(), layer.BiasIH.Value.ToArray(),
            layer.BiasHH.Value.ToArray(), inputSize, hiddenSize, blockSize, squashInput, squashOutput, truncated);
        var expected = reference.Run(input, steps, batch, initial, dOutput, dFinal);

        Near(expected.Output, output, 1e-13, "outputs");
        Near(expected.FinalState, final, 1e-13, "final state");
        Near(expected.DInput, dInput, 1e-12, "input gradient");
        Near(expected.DInitialState, dInitial, 1e-12, "initial-state gradient");
        Near(expected.DWeightIH, layer.WeightIH.Gradient, 1e-12, "weight_ih gradient");
        Near(expected.DWeightHH, layer.WeightHH.Gradient, 1e-12, "weight_hh gradient");
        Near(expected.DBiasIH, layer.BiasIH.Gradient, 1e-12, "bias_ih gradient");
        Near(expected.DBiasHH, layer.BiasHH.Gradient, 1e-12, "bias_hh gradient");
        Assert.Contains(expected.DWeightHH, v => Math.Abs(v) > 1e-3); // the comparison is not vacuous
        if (truncated) Assert.All(dInitial.AsSpan(0, batch * hiddenSize).ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Staggered_gate_biases_are_the_effective_initial_biases()
    {
        const int hiddenSize = 6, blockSize = 2, blocks = 3;
        var options = new Lstm1997Options { BlockSize = blockSize, InputGateBias = new(-1, -2), OutputGateBias = new(-2, -2) };
        var store = new ParameterStore<double>();
        var layer = new Lstm1997<double>(store, "rnn.", 0, 4, hiddenSize, options, new Kernels<double>());
        layer.InitializeUniform(new Rng(1), 0.1);
        Assert.Equal(hiddenSize + 2 * blocks, layer.GateWidth);
        double[] expectedInput = [-1, -3, -5], expectedOutput = [-2, -4, -6]; // H&S 1997 experiment 3
        for (int k = 0; k < blocks; k++)
        {
            int inputRow = k, outputRow = blocks + hiddenSize + k;
            Assert.Equal(expectedInput[k], layer.BiasIH.Value[inputRow] + layer.BiasHH.Value[inputRow]);
            Assert.Equal(expectedOutput[k], layer.BiasIH.Value[outputRow] + layer.BiasHH.Value[outputRow]);
        }
        for (int j = 0; j < hiddenSize; j++)
        {
            double cellInputBias = layer.BiasIH.Value[blocks + j];
            Assert.InRange(cellInputBias, -0.1, 0.1);
            Assert.NotEqual(0.0, cellInputBias);
        }
    }

    [Fact]
    public void Without_a_schedule_gate_biases_keep_the_uniform_draw()
    {
        var store = new ParameterStore<double>();
        var layer = new Lstm1997<double>(store, "rnn.", 0, 2, 3, kernels: new Kernels<double>());
        layer.InitializeUniform(new Rng(2), 0.1);
        Assert.Equal(9, layer.GateWidth);
        Assert.All(store.Values, v => Assert.InRange(v, -0.1, 0.1));
        Assert.All(store.Values, v => Assert.NotEqual(0.0, v));
    }

    [Fact]
    public void Hidden_size_must_be_a_multiple_of_the_block_size()
    {
        var store = new ParameterStore<double>();
        Assert.Throws<ArgumentException>(() => new Lstm1997<double>(store, "rnn.", 0, 2, 5, new Lstm1997Options { BlockSize = 2 }));
        Assert.Throws<ArgumentException>(() =>
            RecurrentLayers.Create(CellType.Lstm, store, "rnn.", 0, 2, 4, options: new Lstm1997Options()));
    }

    [Fact]
    public void Factory_passes_the_options()
    {
        var store = new ParameterStore<float>();
        var stack = RecurrentLayers.CreateStack(CellType.Lstm1997, store, "rnn.", 2, 3, 6, options: new Lstm1997Options { BlockSize = 3 });
        Assert.All(stack.Layers, l =>
        {
            var layer = Assert.IsType<Lstm1997<float>>(l);
            Assert.Equal(2, layer.BlockCount);
            Assert.Equal(10, layer.GateWidth);
        });
        Assert.Equal(10 * 3, store["rnn.weight_ih_l0"].Length);
    }

    /// <summary>Values and gradients of <see cref="ScalarLstm1997.Run"/>, laid out like the layer's.</summary>
    private sealed record ScalarResult(double[] Output, double[] FinalState, double[] DInput, double[] DInitialState,
        double[] DWeightIH, double[] DWeightHH, double[] DBiasIH, double[] DBiasHH);

    /// <summary>
    /// The 1997 memory cell written from the paper's equations, one unit and one batch element at a time,
    /// sharing nothing with the library but the parameter values and their documented row layout
    /// ([input gates NB][cells H][output gates NB]). Gradients by hand-written backprop through time; with
    /// truncation, the errors at the nets are not sent back to h(t-1).
    /// </summary>
    private sealed class ScalarLstm1997(double[] weightIH, double[] weightHH, double[] biasIH, double[] biasHH, int inputSize,
        int hiddenSize, int blockSize, bool squashInput, bool squashOutput, bool truncated)
    {
        private readonly int _blocks = hiddenSize / blockSize;
        private int Rows => hiddenSize + 2 * _blocks;
        private static int InputGateRow(int block) => block;
        private int CellRow(int cell) => _blocks + cell;
        private int OutputGateRow(int block) => _blocks + hiddenSize + block;

        private static double Logistic(double x) => 1 / (1 + Math.Exp(-x));
        private double CellInput(double net) => squashInput ? 4 * Logistic(net) - 2 : net;                       // g, range [-2, 2]
        private double CellInputSlope(double net) => squashInput ? 4 * Logistic(net) * (1 - Logistic(net)) : 1;
        private double CellOutput(double state) => squashOutput ? 2 * Logistic(state) - 1 : state;                // h, range [-1, 1]
        private double CellOutputSlope(double state) => squashOutput ? 2 * Logistic(state) * (1 - Logistic(state)) : 1;

        private double Net(int row, double[] x, double[] hPrevious)
        {
            double net = biasIH[row] + biasHH[row];
            for (int i = 0; i < inputSize; i++) net += weightIH[row * inputSize + i] * x[i];
            for (int j = 0; j < hiddenSize; j++) net += weightHH[row * hiddenSize + j] * hPrevious[j];
            return net;
        }

        public ScalarResult Run(double[] input, int steps, int batch, double[] initial, double[] dOutput, double[] dFinal)
        {
            int rows = Rows, bh = batch * hiddenSize;
            var result = new ScalarResult(new double[steps * bh], new double[2 * bh], new double[input.Length], new double[2 * bh],
                new double[rows * inputSize], new double[rows * hiddenSize], new double[rows], new double[rows]);
            for (int b = 0; b < batch; b++)
            {
                var x = new double[steps][];
                var h = new double[steps + 1][];  // h[t + 1] = h_t; h[0] the initial state
                var s = new double[steps + 1][];  // internal states s_c, likewise
                var net = new double[steps][];    // [rows] nets of each unit
                h[0] = new double[hiddenSize];
                s[0] = new double[hiddenSize];
                for (int j = 0; j < hiddenSize; j++)
                {
                    h[0][j] = initial[b * hiddenSize + j];
                    s[0][j] = initial[bh + b * hiddenSize + j];
                }
                for (int t = 0; t < steps; t++)
                {
                    x[t] = new double[inputSize];
                    for (int i = 0; i < inputSize; i++) x[t][i] = input[(t * batch + b) * inputSize + i];
                    net[t] = new double[rows];
                    for (int r = 0; r < rows; r++) net[t][r] = Net(r, x[t], h[t]);
                    h[t + 1] = new double[hiddenSize];
                    s[t + 1] = new double[hiddenSize];
                    for (int j = 0; j < hiddenSize; j++)
                    {
                        int block = j / blockSize;
                        double yIn = Logistic(net[t][InputGateRow(block)]), yOut = Logistic(net[t][OutputGateRow(block)]);
                        s[t + 1][j] = s[t][j] + yIn * CellInput(net[t][CellRow(j)]);
                        h[t + 1][j] = yOut * CellOutput(s[t + 1][j]);
                        result.Output[(t * batch + b) * hiddenSize + j] = h[t + 1][j];
                    }
                }
                for (int j = 0; j < hiddenSize; j++)
                {
                    result.FinalState[b * hiddenSize + j] = h[steps][j];
                    result.FinalState[bh + b * hiddenSize + j] = s[steps][j];
                }

                var dh = new double[hiddenSize];  // error arriving at h_t from step t + 1's nets (zero when truncated)
                var ds = new double[hiddenSize];  // error arriving at s_t from s_{t+1}
                for (int j = 0; j < hiddenSize; j++)
                {
                    dh[j] = dFinal[b * hiddenSize + j];
                    ds[j] = dFinal[bh + b * hiddenSize + j];
                }
                for (int t = steps - 1; t >= 0; t--)
                {
                    var dNet = new double[rows];
                    for (int j = 0; j < hiddenSize; j++)
                    {
                        int block = j / blockSize;
                        double yIn = Logistic(net[t][InputGateRow(block)]), yOut = Logistic(net[t][OutputGateRow(block)]);
                        double dHidden = dh[j] + dOutput[(t * batch + b) * hiddenSize + j];
                        ds[j] += dHidden * yOut * CellOutputSlope(s[t + 1][j]);
                        dNet[OutputGateRow(block)] += dHidden * CellOutput(s[t + 1][j]) * yOut * (1 - yOut);
                        dNet[InputGateRow(block)] += ds[j] * CellInput(net[t][CellRow(j)]) * yIn * (1 - yIn);
                        dNet[CellRow(j)] = ds[j] * yIn * CellInputSlope(net[t][CellRow(j)]);
                    }
                    Array.Clear(dh);
                    for (int r = 0; r < rows; r++)
                    {
                        result.DBiasIH[r] += dNet[r];
                        result.DBiasHH[r] += dNet[r];
                        for (int i = 0; i < inputSize; i++)
                        {
                            result.DWeightIH[r * inputSize + i] += dNet[r] * x[t][i];
                            result.DInput[(t * batch + b) * inputSize + i] += dNet[r] * weightIH[r * inputSize + i];
                        }
                        for (int j = 0; j < hiddenSize; j++)
                        {
                            result.DWeightHH[r * hiddenSize + j] += dNet[r] * h[t][j];
                            if (!truncated) dh[j] += dNet[r] * weightHH[r * hiddenSize + j];
                        }
                    }
                }
                for (int j = 0; j < hiddenSize; j++)
                {
                    result.DInitialState[b * hiddenSize + j] = dh[j];
                    result.DInitialState[bh + b * hiddenSize + j] = ds[j];
                }
            }
            return result;
        }
    }
}
