// h-/c-detach at the extreme probabilities against plain-loop references written here from the cell
// equations: probability 0 must give plain backprop through time bit for bit, probability 1 the fully
// truncated gradient. The references share nothing with the library but the parameter values. Not a
// finite-difference check (GradientCheckTests does that for intermediate probabilities).
using LstmLens.Layers;
using LstmLens.Numerics;
using static LstmLens.Tests.Layers.CellTestData;

namespace LstmLens.Tests.Layers;

public class DetachTests
{
    private const int Steps = 6, BatchSize = 2, InputSize = 3, HiddenSize = 4;

    private static readonly Dictionary<string, IReferenceStep> References = new()
    {
        ["lstm"] = new LstmStep(),
        ["gru"] = new GruStep(),
        ["rnn"] = new RnnStep(),
    };

    /// <summary>
    /// Cells with a reference step here. LSTM-1997 always truncates h (its 1997 gradient), so its
    /// truncated and full gradients are checked against its own scalar reference in Lstm1997Tests.
    /// </summary>
    private static IEnumerable<string> DetachCells => Cells.Where(References.ContainsKey);

    public static TheoryData<string> AllCells() => [.. DetachCells];

    public static TheoryData<string> CellsWithoutCellState() => [.. DetachCells.Where(c => !HasCellState(c))];

    /// <summary>(cell, h-detach, c-detach) with every probability 0 or 1 and at least one 1; c-detach only for cells with c.</summary>
    public static TheoryData<string, double, double> TruncationCases()
    {
        var data = new TheoryData<string, double, double>();
        foreach (string cell in DetachCells)
        {
            data.Add(cell, 1, 0);
            if (!HasCellState(cell)) continue;
            data.Add(cell, 0, 1);
            data.Add(cell, 1, 1);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCells))]
    public void Probability_zero_in_training_gives_plain_backprop_through_time(string cell)
    {
        var problem = new Problem(cell);
        var plain = problem.LibraryGradients(training: false, hDetach: 0, cDetach: 0);
        var zero = problem.LibraryGradients(training: true, hDetach: 0, cDetach: 0);
        Assert.All(problem.Layer.HDetachedSteps.ToArray(), Assert.False);
        plain.AssertIdentical(zero);
        problem.ReferenceGradients(detachHidden: false, detachCell: false).AssertNear(plain, 1e-12);
    }

    [Theory]
    [MemberData(nameof(TruncationCases))]
    public void Probability_one_equals_truncated_reference(string cell, double hDetach, double cDetach)
    {
        var problem = new Problem(cell);
        var truncated = problem.LibraryGradients(training: true, hDetach, cDetach);
        Assert.All(problem.Layer.HDetachedSteps.ToArray(), d => Assert.Equal(hDetach == 1, d));
        Assert.All(problem.Layer.CDetachedSteps.ToArray(), d => Assert.Equal(cDetach == 1, d));
        var reference = problem.ReferenceGradients(detachHidden: hDetach == 1, detachCell: cDetach == 1);
        reference.AssertNear(truncated, 1e-12);
        // Not vacuous: the truncation changes the gradient.
        var full = problem.ReferenceGradients(detachHidden: false, detachCell: false);
        Assert.Contains(Enumerable.Range(0, full.WeightHH.Length), k => Math.Abs(full.WeightHH[k] - reference.WeightHH[k]) > 1e-3);
    }

    [Theory]
    [MemberData(nameof(CellsWithoutCellState))]
    public void C_detach_is_rejected_without_a_cell_state(string cell)
    {
        var problem = new Problem(cell);
        var error = Assert.Throws<InvalidOperationException>(() => problem.LibraryGradients(training: true, hDetach: 0, cDetach: 0.5));
        Assert.Contains("c-detach", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Gradients of one layer: parameters in PyTorch order, then input [T, B, in] and initial state [S, B, H].</summary>
    private sealed record Gradients(double[] WeightIH, double[] WeightHH, double[] BiasIH, double[] BiasHH, double[] Input, double[] InitialState)
    {
        private IEnumerable<(string Name, double[] Values)> Named =>
        [
            ("weight_ih", WeightIH), ("weight_hh", WeightHH), ("bias_ih", BiasIH), ("bias_hh", BiasHH),
            ("input", Input), ("initial_state", InitialState),
        ];

        public void AssertIdentical(Gradients other)
        {
            foreach (var ((name, expected), (_, actual)) in Named.Zip(other.Named)) Assert.True(expected.SequenceEqual(actual), $"{name} differs");
        }

        public void AssertNear(Gradients other, double tolerance)
        {
            foreach (var ((name, expected), (_, actual)) in Named.Zip(other.Named)) Near(expected, actual, tolerance, name);
        }
    }

    /// <summary>One random single-layer problem: layer, input, initial state and the loss gradients dOutput, dFinalState.</summary>
    private sealed class Problem
    {
        private readonly string _cell;
        private readonly double[] _input, _initial, _dOutput, _dFinal;

        public Problem(string cell)
        {
            _cell = cell;
            var rng = new Rng(21);
            Layer = RecurrentLayers.Create(RecurrentLayers.ParseCell(cell), new ParameterStore<double>(), "rnn.", 0, InputSize, HiddenSize,
                new Kernels<double>());
            Layer.InitializeUniform(rng, 0.6);
            Layer.DetachRng = rng.Split();
            int stateLength = Layer.StateCount * BatchSize * HiddenSize;
            _input = Random(rng, Steps * BatchSize * InputSize);
            _initial = Random(rng, stateLength);
            _dOutput = Random(rng, Steps * BatchSize * HiddenSize);
            _dFinal = Random(rng, stateLength);
        }

        public RecurrentLayer<double> Layer { get; }

        public Gradients LibraryGradients(bool training, double hDetach, double cDetach)
        {
            Layer.Training = training;
            Layer.HDetachProbability = hDetach;
            Layer.CDetachProbability = cDetach;
            Layer.WeightIH.Store.ZeroGradients();
            double[] dInput = new double[_input.Length], dInitial = new double[_initial.Length];
            Layer.Forward(_input, Steps, BatchSize, _initial, new double[_dOutput.Length], new double[_dFinal.Length]);
            Layer.Backward(_dOutput, _dFinal, dInput, dInitial);
            return new Gradients([.. Layer.WeightIH.Gradient], [.. Layer.WeightHH.Gradient], [.. Layer.BiasIH.Gradient],
                [.. Layer.BiasHH.Gradient], dInput, dInitial);
        }

        /// <summary>
        /// Backprop through time in scalar loops. <paramref name="detachHidden"/>: no gradient flows from any step into
        /// h(t-1) (for LSTM it still flows along c); <paramref name="detachCell"/>: none flows from c(t) into c(t-1).
        /// </summary>
        public Gradients ReferenceGradients(bool detachHidden, bool detachCell)
        {
            Assert.True(References.TryGetValue(_cell, out var step), $"no reference step for cell '{_cell}': add one to {nameof(DetachTests)}");
            int h = HiddenSize, g = Layer.GateWidth, stateCount = Layer.StateCount;
            double[] wIH = [.. Layer.WeightIH.Value], wHH = [.. Layer.WeightHH.Value], bIH = [.. Layer.BiasIH.Value], bHH = [.. Layer.BiasHH.Value];
            var result = new Gradients(new double[g * InputSize], new double[g * h], new double[g], new double[g],
                new double[_input.Length], new double[_initial.Length]);
            for (int b = 0; b < BatchSize; b++)
            {
                // Forward, keeping x_t, the projections and the state entering every step.
                var x = new double[Steps][];
                var ax = new double[Steps][];
                var ah = new double[Steps][];
                var states = new double[Steps + 1][][];
                states[0] = [.. Enumerable.Range(0, stateCount).Select(s => _initial.AsSpan((s * BatchSize + b) * h, h).ToArray())];
                for (int t = 0; t < Steps; t++)
                {
                    x[t] = _input.AsSpan((t * BatchSize + b) * InputSize, InputSize).ToArray();
                    ax[t] = Affine(wIH, bIH, x[t]);
                    ah[t] = Affine(wHH, bHH, states[t][0]);
                    states[t + 1] = step.Forward(ax[t], ah[t], states[t]);
                }

                var dState = Enumerable.Range(0, stateCount).Select(s => _dFinal.AsSpan((s * BatchSize + b) * h, h).ToArray()).ToArray();
                for (int t = Steps - 1; t >= 0; t--)
                {
                    for (int j = 0; j < h; j++) dState[0][j] += _dOutput[(t * BatchSize + b) * h + j];
                    var (dAx, dAh, dPrevious) = step.Backward(ax[t], ah[t], states[t], dState);
                    AffineBackward(wIH, x[t], dAx, result.WeightIH, result.BiasIH, result.Input.AsSpan((t * BatchSize + b) * InputSize, InputSize));
                    AffineBackward(wHH, states[t][0], dAh, result.WeightHH, result.BiasHH, dPrevious[0]);
                    if (detachHidden) Array.Clear(dPrevious[0]);
                    if (detachCell) Array.Clear(dPrevious[1]);
                    dState = dPrevious;
                }
                for (int s = 0; s < stateCount; s++) dState[s].CopyTo(result.InitialState, (s * BatchSize + b) * h);
            }
            return result;
        }

        /// <summary><c>W v + bias</c> with W [rows, v.Length].</summary>
        private static double[] Affine(double[] w, double[] bias, double[] v)
        {
            var y = new double[bias.Length];
            for (int i = 0; i < y.Length; i++)
            {
                y[i] = bias[i];
                for (int k = 0; k < v.Length; k++) y[i] += w[i * v.Length + k] * v[k];
            }
            return y;
        }

        /// <summary>Backward of <c>y = W v + bias</c> given dy: dW += dy vᵀ, dBias += dy, dv += Wᵀ dy.</summary>
        private static void AffineBackward(double[] w, double[] v, double[] dy, double[] dW, double[] dBias, Span<double> dv)
        {
            for (int i = 0; i < dy.Length; i++)
            {
                dBias[i] += dy[i];
                for (int k = 0; k < v.Length; k++)
                {
                    dW[i * v.Length + k] += dy[i] * v[k];
                    dv[k] += w[i * v.Length + k] * dy[i];
                }
            }
        }
    }

    /// <summary>
    /// One step of a cell from the projections ax = W_ih x + b_ih and ah = W_hh h_{t-1} + b_hh: the new state
    /// (h, then c for LSTM), and backward: gradients of ax and ah and the gradient into the previous state
    /// that does not pass through ah.
    /// </summary>
    private interface IReferenceStep
    {
        double[][] Forward(double[] ax, double[] ah, double[][] previous);

        (double[] DAx, double[] DAh, double[][] DPrevious) Backward(double[] ax, double[] ah, double[][] previous, double[][] dState);
    }

    private static double Sigmoid(double a) => 1 / (1 + Math.Exp(-a));

    /// <summary>i, f, g, o; c = f c_prev + i g; h = o tanh(c).</summary>
    private sealed class LstmStep : IReferenceStep
    {
        public double[][] Forward(double[] ax, double[] ah, double[][] previous)
        {
            int n = previous[0].Length;
            double[] h = new double[n], c = new double[n];
            for (int j = 0; j < n; j++)
            {
                var (i, f, g, o) = Gates(ax, ah, n, j);
                c[j] = f * previous[1][j] + i * g;
                h[j] = o * Math.Tanh(c[j]);
            }
            return [h, c];
        }

        public (double[] DAx, double[] DAh, double[][] DPrevious) Backward(double[] ax, double[] ah, double[][] previous, double[][] dState)
        {
            int n = previous[0].Length;
            double[] da = new double[4 * n], dcPrev = new double[n];
            for (int j = 0; j < n; j++)
            {
                var (i, f, g, o) = Gates(ax, ah, n, j);
                double c = f * previous[1][j] + i * g, tanhC = Math.Tanh(c);
                double dh = dState[0][j], dc = dState[1][j] + dh * o * (1 - tanhC * tanhC);
                da[j] = dc * g * i * (1 - i);
                da[n + j] = dc * previous[1][j] * f * (1 - f);
                da[2 * n + j] = dc * i * (1 - g * g);
                da[3 * n + j] = dh * tanhC * o * (1 - o);
                dcPrev[j] = dc * f;
            }
            return (da, [.. da], [new double[n], dcPrev]);
        }

        private static (double I, double F, double G, double O) Gates(double[] ax, double[] ah, int n, int j) =>
            (Sigmoid(ax[j] + ah[j]), Sigmoid(ax[n + j] + ah[n + j]), Math.Tanh(ax[2 * n + j] + ah[2 * n + j]), Sigmoid(ax[3 * n + j] + ah[3 * n + j]));
    }

    /// <summary>r, z, n with n = tanh(ax_n + r ah_n); h = (1 - z) n + z h_prev.</summary>
    private sealed class GruStep : IReferenceStep
    {
        public double[][] Forward(double[] ax, double[] ah, double[][] previous)
        {
            int n = previous[0].Length;
            var h = new double[n];
            for (int j = 0; j < n; j++)
            {
                var (_, z, candidate) = Gates(ax, ah, n, j);
                h[j] = (1 - z) * candidate + z * previous[0][j];
            }
            return [h];
        }

        public (double[] DAx, double[] DAh, double[][] DPrevious) Backward(double[] ax, double[] ah, double[][] previous, double[][] dState)
        {
            int n = previous[0].Length;
            double[] dAx = new double[3 * n], dAh = new double[3 * n], dhPrev = new double[n];
            for (int j = 0; j < n; j++)
            {
                var (r, z, candidate) = Gates(ax, ah, n, j);
                double dh = dState[0][j];
                double dCandidate = dh * (1 - z) * (1 - candidate * candidate);
                double dr = dCandidate * ah[2 * n + j] * r * (1 - r);
                double dz = dh * (previous[0][j] - candidate) * z * (1 - z);
                dAx[j] = dAh[j] = dr;
                dAx[n + j] = dAh[n + j] = dz;
                dAx[2 * n + j] = dCandidate;
                dAh[2 * n + j] = dCandidate * r;
                dhPrev[j] = dh * z;
            }
            return (dAx, dAh, [dhPrev]);
        }

        private static (double R, double Z, double N) Gates(double[] ax, double[] ah, int n, int j)
        {
            double r = Sigmoid(ax[j] + ah[j]), z = Sigmoid(ax[n + j] + ah[n + j]);
            return (r, z, Math.Tanh(ax[2 * n + j] + r * ah[2 * n + j]));
        }
    }

    /// <summary>h = tanh(ax + ah).</summary>
    private sealed class RnnStep : IReferenceStep
    {
        public double[][] Forward(double[] ax, double[] ah, double[][] previous) => [[.. Enumerable.Range(0, ax.Length).Select(j => Math.Tanh(ax[j] + ah[j]))]];

        public (double[] DAx, double[] DAh, double[][] DPrevious) Backward(double[] ax, double[] ah, double[][] previous, double[][] dState)
        {
            var da = new double[ax.Length];
            for (int j = 0; j < da.Length; j++)
            {
                double h = Math.Tanh(ax[j] + ah[j]);
                da[j] = dState[0][j] * (1 - h * h);
            }
            return (da, [.. da], [new double[ax.Length]]);
        }
    }
}
