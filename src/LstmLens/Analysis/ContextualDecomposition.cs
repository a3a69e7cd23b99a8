// Contextual decomposition (Murdoch et al. 2018, as Saphra & Lopez 2020 use it) of an LSTM stack: every hidden
// and cell state of a sentence split into the part due to a relevant set S of positions (β) and the rest (γ),
// β + γ equal to the true state, in float64. A batched engine follows many relevant sets of one sentence at once
// (the products are matrix products over lanes), starting each lane where its relevant set first matters or
// branching it from a lane that shares its past; a plain one-set reference that the tests hold it to. Not the
// interdependence statistics or any file format (Interdependence, the CLI).
using System.Numerics.Tensors;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Analysis;

/// <summary>Where the bias×bias term i_b ⊙ g_b of a bottom-layer cell update goes (upper layers: always γ).</summary>
public enum BiasPolicy
{
    /// <summary>Relevant at the steps of the relevant set, irrelevant elsewhere (Saphra &amp; Lopez's fix; the default).</summary>
    InPhrase,
    /// <summary>Always irrelevant (the equations of Murdoch et al.).</summary>
    Never,
    /// <summary>Relevant at the steps of the set before its last position (the original code's off-by-one; reproduction only).</summary>
    MurdochExclusive,
}

/// <summary>
/// One relevant set followed up to step <see cref="End"/>, its states kept from <see cref="RecordFrom"/> on. A lane with a
/// <see cref="Parent"/> (index of an earlier lane of the same call) starts from that lane's state at the first step where
/// their relevance differs; the parent must still be running then.
/// </summary>
public sealed class DecompositionLane
{
    /// <summary>A lane over <paramref name="relevant"/> (0-based positions; duplicates count once).</summary>
    public DecompositionLane(IEnumerable<int> relevant, int end, int recordFrom = 0, int parent = -1)
    {
        ArgumentNullException.ThrowIfNull(relevant);
        Relevant = [.. relevant.Distinct().Order()];
        if (Relevant.Length > 0 && Relevant[0] < 0) throw new ArgumentException($"relevant position {Relevant[0]} is negative");
        ArgumentOutOfRangeException.ThrowIfNegative(recordFrom);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, recordFrom);
        End = end;
        RecordFrom = recordFrom;
        Parent = parent;
    }

    /// <summary>The relevant positions, ascending.</summary>
    public int[] Relevant { get; }

    /// <summary>Last step followed.</summary>
    public int End { get; }

    /// <summary>First step whose states are kept.</summary>
    public int RecordFrom { get; }

    /// <summary>Index of the lane this one branches from, or −1.</summary>
    public int Parent { get; }

    /// <summary>Whether the input at step <paramref name="t"/> is relevant.</summary>
    public bool Contains(int t) => Array.BinarySearch(Relevant, t) >= 0;

    /// <summary>Whether the bottom layer's bias×bias term at step <paramref name="t"/> is relevant under <paramref name="policy"/>.</summary>
    public bool BiasRelevant(int t, BiasPolicy policy) => policy switch
    {
        BiasPolicy.InPhrase => Contains(t),
        BiasPolicy.Never => false,
        _ => Contains(t) && t < Relevant[^1],
    };
}

/// <summary>The β and γ of every layer's h and c at the recorded steps of one lane.</summary>
public sealed class Decomposition
{
    private readonly double[] _values; // [step, layer, part (β_h, γ_h, β_c, γ_c), H]
    private readonly int _layers, _hidden;

    internal Decomposition(int firstStep, int lastStep, int layers, int hidden)
    {
        FirstStep = firstStep;
        LastStep = lastStep;
        _layers = layers;
        _hidden = hidden;
        _values = new double[(lastStep - firstStep + 1) * layers * 4 * hidden];
    }

    /// <summary>First recorded step.</summary>
    public int FirstStep { get; }

    /// <summary>Last recorded step.</summary>
    public int LastStep { get; }

    /// <summary>β of <paramref name="state"/> of <paramref name="layer"/> (−1: the top layer) at step <paramref name="t"/>.</summary>
    public ReadOnlySpan<double> Relevant(int t, int layer = -1, StateKind state = StateKind.Hidden) => Slot(t, layer, state == StateKind.Hidden ? 0 : 2);

    /// <summary>γ of <paramref name="state"/> of <paramref name="layer"/> (−1: the top layer) at step <paramref name="t"/>.</summary>
    public ReadOnlySpan<double> Irrelevant(int t, int layer = -1, StateKind state = StateKind.Hidden) => Slot(t, layer, state == StateKind.Hidden ? 1 : 3);

    /// <summary>Part <paramref name="part"/> (0 β_h, 1 γ_h, 2 β_c, 3 γ_c) of <paramref name="layer"/> at step <paramref name="t"/>.</summary>
    internal Span<double> Slot(int t, int layer, int part)
    {
        if (t < FirstStep || t > LastStep) throw new ArgumentOutOfRangeException(nameof(t), $"step {t} is outside the recorded steps {FirstStep}–{LastStep}");
        if (layer < 0) layer += _layers;
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, _layers);
        return _values.AsSpan((((t - FirstStep) * _layers + layer) * 4 + part) * _hidden, _hidden);
    }
}

/// <summary>The true forward pass of one sentence from a given state: every layer's h and c at every step.</summary>
public sealed class DecomposedSentence
{
    internal DecomposedSentence(int[] tokens, double[] inputProjection, double[][] hidden, double[][] cells, double[][] initial)
    {
        Tokens = tokens;
        InputProjection = inputProjection;
        HiddenStates = hidden;
        CellStates = cells;
        InitialStates = initial;
    }

    /// <summary>The token ids read.</summary>
    public int[] Tokens { get; }

    /// <summary>Steps.</summary>
    public int Length => Tokens.Length;

    /// <summary>W_ih x_t of the bottom layer, without biases [T, 4H].</summary>
    internal double[] InputProjection { get; }

    /// <summary>h of each layer [T, H].</summary>
    internal double[][] HiddenStates { get; }

    /// <summary>c of each layer [T, H].</summary>
    internal double[][] CellStates { get; }

    /// <summary>The state the sentence starts from, per layer [2, H] (h then c).</summary>
    internal double[][] InitialStates { get; }

    /// <summary>The true h (or c) of <paramref name="layer"/> (−1: top) at step <paramref name="t"/>.</summary>
    public ReadOnlySpan<double> State(int t, int layer = -1, StateKind state = StateKind.Hidden)
    {
        var states = state == StateKind.Hidden ? HiddenStates : CellStates;
        if (layer < 0) layer += states.Length;
        int h = states[layer].Length / Length;
        return states[layer].AsSpan(t * h, h);
    }

    /// <summary>The final state in the model's layout (per layer h then c), to carry into the next sentence.</summary>
    public double[] FinalState()
    {
        int h = HiddenStates[0].Length / Length;
        var state = new double[HiddenStates.Length * 2 * h];
        for (int l = 0; l < HiddenStates.Length; l++)
        {
            State(Length - 1, l).CopyTo(state.AsSpan(l * 2 * h, h));
            State(Length - 1, l, StateKind.Cell).CopyTo(state.AsSpan((l * 2 + 1) * h, h));
        }
        return state;
    }
}

/// <summary>Contextual decomposition of an LSTM language model, in float64.</summary>
/// <remarks>
/// Per layer and step, with rel_z = W_hz β_{t−1} + [t∈S] W_iz x_t, irr_z = W_hz γ_{t−1} + [t∉S] W_iz x_t (upper layers:
/// W_iz β and W_iz γ of the layer below) and b = b_ih + b_hh, each gate's σ or tanh is split three ways by L3 and
/// <code>
/// β^c_t = i_r(g_r+g_b) + i_b g_r + (f_r+f_b) β^c_{t−1}                              [+ i_b g_b where the policy says]
/// γ^c_t = i_i(g_r+g_i+g_b) + (i_r+i_b) g_i + (f_r+f_i+f_b) γ^c_{t−1} + f_i β^c_{t−1}  [+ i_b g_b otherwise]
/// β_t = o_t ⊙ L2_A(β^c_t, γ^c_t)      γ_t = o_t ⊙ L2_B(β^c_t, γ^c_t),   o_t the true output gate
/// </code>
/// The state a sentence starts from is irrelevant. Thread-safe: the weights are read only.
/// </remarks>
public sealed class ContextualDecomposition
{
    /// <summary>Largest relative ‖β + γ − state‖ accepted before a pass is reported as an internal error.</summary>
    public const double Tolerance = 1e-9;

    private readonly Kernels<double> K;
    private readonly LayerWeights[] _layers;
    private readonly double[]? _embedding;  // [V, E]; null for one-hot input
    private readonly int _inputSize, _hidden;
    private readonly double[] _decoderBias; // [V]
    private readonly PreparedOperand<double> _decoder = new(); // W_decᵀ
    private readonly PreparedOperand<double> _gram = new();    // W_decᵀ W_dec [H, H]

    /// <summary>A layer's weights as the reference reads them (W [4H, in]) and prepared for the products (Wᵀ).</summary>
    private sealed record LayerWeights(double[] InputWeights, double[] RecurrentWeights, double[] Bias, double[] BiasActivation, int InputSize,
        PreparedOperand<double> Input, PreparedOperand<double> Recurrent);

    /// <summary>Reads the weights of <paramref name="model"/> (LSTM cells, embedding or one-hot input).</summary>
    /// <exception cref="NotSupportedException">Another cell or vector input.</exception>
    public ContextualDecomposition(SequenceModel<double> model, BiasPolicy policy = BiasPolicy.InPhrase, Kernels<double>? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = model.Config;
        if (model.Stack.Layers.Any(l => l is not Lstm<double>))
            throw new NotSupportedException($"contextual decomposition covers LSTM cells (with forget gate); this model's cell is {config.Cell}");
        if (config.Input == InputKind.Vectors)
            throw new NotSupportedException("contextual decomposition needs token input (embedding or one-hot); this model reads vectors");
        K = kernels ?? Compute.Kernels<double>();
        Policy = policy;
        _hidden = config.HiddenSize;
        _inputSize = config.InputSize;
        _embedding = model.Embedding?.Weight.Value.ToArray();
        _layers = [.. model.Stack.Layers.Select(l =>
        {
            var bias = new double[4 * _hidden];
            TensorPrimitives.Add(l.BiasIH.Value, l.BiasHH.Value, bias);
            var activation = new double[bias.Length];
            GateActivations(bias, activation);
            return new LayerWeights(l.WeightIH.Value.ToArray(), l.WeightHH.Value.ToArray(), bias, activation, l.InputSize,
                Prepared(l.WeightIH.Value, l.InputSize), Prepared(l.WeightHH.Value, _hidden));
        })];
        var decoder = model.Decoder.Weight.Value;
        _decoderBias = model.Decoder.Bias.Value.ToArray();
        VocabularySize = config.OutputSize;
        K.Prepare(true, decoder, _hidden, _hidden, VocabularySize, _decoder);
        var gram = new double[_hidden * _hidden];
        var w = MatrixView.Of((ReadOnlySpan<double>)decoder, VocabularySize, _hidden);
        K.Gemm(w.T, w, MatrixView.Of(gram.AsSpan(), _hidden, _hidden));
        K.Prepare(false, gram, _hidden, _hidden, _hidden, _gram);
    }

    /// <summary>The bias×bias policy.</summary>
    public BiasPolicy Policy { get; }

    /// <summary>Layers of the stack.</summary>
    public int Layers => _layers.Length;

    /// <summary>Hidden size of every layer.</summary>
    public int HiddenSize => _hidden;

    /// <summary>Rows of the decoder (the logits' length).</summary>
    public int VocabularySize { get; }

    /// <summary>
    /// The true forward pass of <paramref name="tokens"/> from <paramref name="initialState"/> (the model's layout, per
    /// layer h then c; empty = zeros), with no dropout.
    /// </summary>
    public DecomposedSentence Run(ReadOnlySpan<int> tokens, ReadOnlySpan<double> initialState = default)
    {
        if (tokens.IsEmpty) throw new ArgumentException("the sentence is empty", nameof(tokens));
        int steps = tokens.Length, h = _hidden, g = 4 * h;
        if (!initialState.IsEmpty) Checks.Length(initialState.Length, _layers.Length * 2 * h, nameof(initialState));
        foreach (int token in tokens)
            if ((uint)token >= (uint)_inputSize) throw new ArgumentException($"token id {token} is outside the vocabulary of {_inputSize}");

        var input = Encode(tokens);
        var hidden = new double[_layers.Length][];
        var cells = new double[_layers.Length][];
        var initial = new double[_layers.Length][];
        double[] projection = [];
        var z = new double[steps * g];
        var gates = new double[g];
        for (int l = 0; l < _layers.Length; l++)
        {
            var w = _layers[l];
            initial[l] = initialState.IsEmpty ? new double[2 * h] : initialState.Slice(l * 2 * h, 2 * h).ToArray();
            Product(input, steps, w.Input, 0, z);
            if (l == 0) projection = (double[])z.Clone();
            hidden[l] = new double[steps * h];
            cells[l] = new double[steps * h];
            for (int t = 0; t < steps; t++)
            {
                var zt = z.AsSpan(t * g, g);
                var hPrev = t == 0 ? initial[l].AsSpan(0, h) : hidden[l].AsSpan((t - 1) * h, h);
                var cPrev = t == 0 ? initial[l].AsSpan(h, h) : cells[l].AsSpan((t - 1) * h, h);
                Product(hPrev, 1, w.Recurrent, 1, zt);
                TensorPrimitives.Add(zt, w.Bias, gates);
                GateActivations(gates, gates);
                var c = cells[l].AsSpan(t * h, h);
                var ht = hidden[l].AsSpan(t * h, h);
                for (int j = 0; j < h; j++)
                {
                    c[j] = gates[h + j] * cPrev[j] + gates[j] * gates[2 * h + j];
                    ht[j] = gates[3 * h + j] * Math.Tanh(c[j]);
                }
            }
            input = hidden[l];
        }
        return new DecomposedSentence(tokens.ToArray(), projection, hidden, cells, initial);
    }

    /// <summary>The logits of a hidden vector without the decoder bias, v = W_dec x (the model's own logits with <paramref name="withBias"/>).</summary>
    public double[] Logits(ReadOnlySpan<double> x, bool withBias = false)
    {
        Checks.Length(x.Length, _hidden, nameof(x));
        var v = withBias ? (double[])_decoderBias.Clone() : new double[VocabularySize];
        Product(x, 1, _decoder, withBias ? 1 : 0, v);
        return v;
    }

    /// <summary>softmax(<paramref name="logits"/>): P(Y | x_β) of relevant logits, or the model's distribution of its own.</summary>
    public static double[] Softmax(ReadOnlySpan<double> logits)
    {
        var p = new double[logits.Length];
        TensorPrimitives.SoftMax(logits, p);
        return p;
    }

    /// <summary>‖W_dec x‖₂ through the Gram matrix W_decᵀW_dec (no V-sized product per vector).</summary>
    public double LogitNorm(ReadOnlySpan<double> x)
    {
        Span<double> norm = stackalloc double[1];
        LogitNorms(x, norm);
        return norm[0];
    }

    /// <summary>‖W_dec x_i‖₂ of every row x_i of <paramref name="rows"/> [n, H] into <paramref name="norms"/> [n], in one product with the Gram matrix.</summary>
    public void LogitNorms(ReadOnlySpan<double> rows, Span<double> norms)
    {
        int n = norms.Length;
        Checks.Length(rows.Length, n * _hidden, nameof(rows));
        if (n == 0) return;
        var products = new double[n * _hidden];
        K.Gemm(MatrixView.Of(rows, n, _hidden), _gram, 0.0, MatrixView.Of(products.AsSpan(), n, _hidden));
        for (int i = 0; i < n; i++)
            norms[i] = Math.Sqrt(Math.Max(0, TensorPrimitives.Dot(rows.Slice(i * _hidden, _hidden), products.AsSpan(i * _hidden, _hidden))));
    }

    /// <summary>
    /// Follows every lane of <paramref name="sentence"/> in one batched pass: lanes start where their relevance first
    /// differs from zero (or from their parent's) and leave after their last step.
    /// </summary>
    public Decomposition[] Decompose(DecomposedSentence sentence, IReadOnlyList<DecompositionLane> lanes)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(lanes);
        var starts = LaneStarts(sentence, lanes);
        var results = lanes.Select(l => new Decomposition(l.RecordFrom, l.End, _layers.Length, _hidden)).ToArray();
        var order = Enumerable.Range(0, lanes.Count).Where(i => starts[i] <= lanes[i].End).OrderBy(i => starts[i]).ToArray();
        new LaneBatch(this, sentence, lanes, starts, results).Run(order);
        for (int i = 0; i < lanes.Count; i++) // in index order: a parent's steps are complete before its children copy them
            for (int t = lanes[i].RecordFrom; t <= lanes[i].End && t < starts[i]; t++) RecordUnstarted(sentence, lanes[i], i, results, t);
        return results;
    }

    /// <summary>
    /// The plain reference: one relevant set followed from step 0 to the end of the sentence, lane by lane with
    /// matrix-vector loops and scalar functions. Slow; the tests hold <see cref="Decompose"/> to it.
    /// </summary>
    public Decomposition DecomposeReference(DecomposedSentence sentence, IEnumerable<int> relevant)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        var lane = new DecompositionLane(relevant, sentence.Length - 1);
        CheckPositions(sentence, lane);
        int steps = sentence.Length, h = _hidden, g = 4 * h;
        var result = new Decomposition(0, steps - 1, _layers.Length, h);
        var rel = new double[g];
        var irr = new double[g];
        for (int l = 0; l < _layers.Length; l++)
        {
            var w = _layers[l];
            var betaH = new double[h];
            var gammaH = sentence.InitialStates[l].AsSpan(0, h).ToArray();
            var betaC = new double[h];
            var gammaC = sentence.InitialStates[l].AsSpan(h, h).ToArray();
            for (int t = 0; t < steps; t++)
            {
                for (int r = 0; r < g; r++)
                {
                    rel[r] = RowDot(w.RecurrentWeights, r, betaH);
                    irr[r] = RowDot(w.RecurrentWeights, r, gammaH);
                    if (l == 0)
                    {
                        double x = sentence.InputProjection[t * g + r];
                        if (lane.Contains(t)) rel[r] += x;
                        else irr[r] += x;
                    }
                    else
                    {
                        rel[r] += RowDot(w.InputWeights, r, result.Slot(t, l - 1, 0));
                        irr[r] += RowDot(w.InputWeights, r, result.Slot(t, l - 1, 1));
                    }
                }
                bool biasRelevant = l == 0 && lane.BiasRelevant(t, Policy);
                for (int j = 0; j < h; j++)
                {
                    var (ir, ii, ib) = SplitThree(rel[j], irr[j], w.Bias[j], Sigmoid);
                    var (fr, fi, fb) = SplitThree(rel[h + j], irr[h + j], w.Bias[h + j], Sigmoid);
                    var (gr, gi, gb) = SplitThree(rel[2 * h + j], irr[2 * h + j], w.Bias[2 * h + j], Math.Tanh);
                    double o = Sigmoid(rel[3 * h + j] + irr[3 * h + j] + w.Bias[3 * h + j]);
                    double beta = ir * (gr + gb) + ib * gr + (fr + fb) * betaC[j];
                    double gamma = ii * (gr + gi + gb) + (ir + ib) * gi + (fr + fi + fb) * gammaC[j] + fi * betaC[j];
                    if (biasRelevant) beta += ib * gb;
                    else gamma += ib * gb;
                    betaC[j] = beta;
                    gammaC[j] = gamma;
                    betaH[j] = o * 0.5 * (Math.Tanh(beta) + Math.Tanh(beta + gamma) - Math.Tanh(gamma));
                    gammaH[j] = o * 0.5 * (Math.Tanh(gamma) + Math.Tanh(beta + gamma) - Math.Tanh(beta));
                }
                betaH.CopyTo(result.Slot(t, l, 0));
                gammaH.CopyTo(result.Slot(t, l, 1));
                betaC.CopyTo(result.Slot(t, l, 2));
                gammaC.CopyTo(result.Slot(t, l, 3));
            }
        }
        return result;
    }

    /// <summary>‖β + γ − s‖ / ‖s‖ of the top layer's h at step <paramref name="t"/> (0 when s = 0 and β + γ = 0).</summary>
    public static double StateError(DecomposedSentence sentence, Decomposition d, int t, int layer = -1, StateKind state = StateKind.Hidden)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(d);
        var truth = sentence.State(t, layer, state);
        var residual = Residual(truth, d.Relevant(t, layer, state), d.Irrelevant(t, layer, state));
        return RelativeNorm(TensorPrimitives.Norm(residual), TensorPrimitives.Norm(truth));
    }

    /// <summary>‖(v_β + v_γ) − v‖ / ‖v‖ at the logits (no decoder bias) at step <paramref name="t"/>.</summary>
    public double LogitError(DecomposedSentence sentence, Decomposition d, int t)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(d);
        var truth = sentence.State(t);
        return RelativeNorm(LogitNorm(Residual(truth, d.Relevant(t), d.Irrelevant(t))), LogitNorm(truth));
    }

    /// <summary>
    /// Both errors of the top layer at step <paramref name="t"/>; throws when either exceeds <see cref="Tolerance"/> (a bug,
    /// never bad input: with these equations the parts sum to the state up to rounding).
    /// </summary>
    public (double State, double Logits) Check(DecomposedSentence sentence, Decomposition d, int t) => Check(sentence, [(d, t)])[0];

    /// <summary><see cref="Check(DecomposedSentence, Decomposition, int)"/> of many (decomposition, step) items, with one product for all logit norms.</summary>
    public (double State, double Logits)[] Check(DecomposedSentence sentence, IReadOnlyList<(Decomposition Parts, int Step)> items)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(items);
        int n = items.Count, h = _hidden;
        var rows = new double[2 * n * h]; // the residuals β + γ − h, then the true states
        var state = new double[n];
        for (int i = 0; i < n; i++)
        {
            var (d, t) = items[i];
            var truth = sentence.State(t);
            var residual = rows.AsSpan(i * h, h);
            TensorPrimitives.Add(d.Relevant(t), d.Irrelevant(t), residual);
            TensorPrimitives.Subtract(residual, truth, residual);
            truth.CopyTo(rows.AsSpan((n + i) * h, h));
            state[i] = RelativeNorm(TensorPrimitives.Norm(residual), TensorPrimitives.Norm(truth));
        }
        var norms = new double[2 * n];
        LogitNorms(rows, norms);
        var errors = new (double State, double Logits)[n];
        for (int i = 0; i < n; i++)
        {
            errors[i] = (state[i], RelativeNorm(norms[i], norms[n + i]));
            if (!(errors[i].State <= Tolerance) || !(errors[i].Logits <= Tolerance))
                throw new InvalidOperationException(
                    $"contextual decomposition does not sum to the true state at step {items[i].Step}: relative error {errors[i].State:G3} (h), {errors[i].Logits:G3} (logits)");
        }
        return errors;
    }

    internal static void CheckPositions(DecomposedSentence sentence, DecompositionLane lane)
    {
        if (lane.End >= sentence.Length) throw new ArgumentException($"lane end {lane.End} is beyond the sentence's {sentence.Length} steps");
        if (lane.Relevant.Length > 0 && lane.Relevant[^1] >= sentence.Length)
            throw new ArgumentException($"relevant position {lane.Relevant[^1]} is outside the sentence (positions 0–{sentence.Length - 1})");
    }

    private static double[] Residual(ReadOnlySpan<double> truth, ReadOnlySpan<double> beta, ReadOnlySpan<double> gamma)
    {
        var residual = new double[truth.Length];
        TensorPrimitives.Add(beta, gamma, residual);
        TensorPrimitives.Subtract(residual, truth, residual);
        return residual;
    }

    private static double RelativeNorm(double residual, double scale) => residual == 0 ? 0 : residual / scale;

    /// <summary>The first step each lane computes: where its relevance first differs from the zero lane's or its parent's.</summary>
    private int[] LaneStarts(DecomposedSentence sentence, IReadOnlyList<DecompositionLane> lanes)
    {
        var starts = new int[lanes.Count];
        for (int i = 0; i < lanes.Count; i++)
        {
            var lane = lanes[i];
            CheckPositions(sentence, lane);
            if (lane.Parent < 0)
            {
                int start = lane.End + 1;
                for (int t = 0; t <= lane.End && start > lane.End; t++)
                    if (lane.Contains(t) || lane.BiasRelevant(t, Policy)) start = t;
                starts[i] = start;
                continue;
            }
            if (lane.Parent >= i) throw new ArgumentException($"lane {i}'s parent {lane.Parent} is not an earlier lane");
            var parent = lanes[lane.Parent];
            int first = lane.End + 1;
            for (int t = 0; t <= lane.End && first > lane.End; t++)
                if (lane.Contains(t) != parent.Contains(t) || lane.BiasRelevant(t, Policy) != parent.BiasRelevant(t, Policy)) first = t;
            if (first <= starts[lane.Parent] || first - 1 > parent.End)
                throw new ArgumentException($"lane {i} cannot branch from lane {lane.Parent}: they differ at step {first}, where the parent is not running");
            starts[i] = first;
        }
        return starts;
    }

    private void RecordUnstarted(DecomposedSentence sentence, DecompositionLane lane, int index, Decomposition[] results, int t)
    {
        var target = results[index];
        if (lane.Parent >= 0)
        {
            // Before it branches, a lane is its parent.
            var parent = results[lane.Parent];
            if (t < parent.FirstStep || t > parent.LastStep)
                throw new ArgumentException($"lane {index} records step {t}, before it branches from lane {lane.Parent}, which does not record it");
            for (int l = 0; l < _layers.Length; l++)
                for (int part = 0; part < 4; part++) parent.Slot(t, l, part).CopyTo(target.Slot(t, l, part));
            return;
        }
        for (int l = 0; l < _layers.Length; l++)
        {
            target.Slot(t, l, 0).Clear();
            target.Slot(t, l, 2).Clear();
            sentence.State(t, l).CopyTo(target.Slot(t, l, 1));
            sentence.State(t, l, StateKind.Cell).CopyTo(target.Slot(t, l, 3));
        }
    }

    /// <summary>The active lanes of one sentence, each with rows 2j (β) and 2j + 1 (γ) of every per-layer matrix.</summary>
    private sealed class LaneBatch
    {
        private readonly ContextualDecomposition _cd;
        private readonly DecomposedSentence _sentence;
        private readonly IReadOnlyList<DecompositionLane> _lanes;
        private readonly int[] _starts;
        private readonly Decomposition[] _results;
        private readonly double[][] _h, _c;          // per layer [2·capacity, H]: β/γ rows of h and c
        private readonly double[] _z, _sum, _rel, _irr; // [2·capacity, 4H] products; [capacity, 4H] activations
        private readonly double[] _ta, _tb, _tab;    // [capacity, H] tanh of β^c, γ^c, β^c + γ^c
        private readonly List<int> _active = [];     // lane index of row pair j

        public LaneBatch(ContextualDecomposition cd, DecomposedSentence sentence, IReadOnlyList<DecompositionLane> lanes, int[] starts, Decomposition[] results)
        {
            _cd = cd;
            _sentence = sentence;
            _lanes = lanes;
            _starts = starts;
            _results = results;
            int capacity = MaxConcurrent(lanes, starts), h = cd._hidden, g = 4 * h;
            _h = [.. cd._layers.Select(_ => new double[2 * capacity * h])];
            _c = [.. cd._layers.Select(_ => new double[2 * capacity * h])];
            _z = new double[2 * capacity * g];
            _sum = new double[capacity * g];
            _rel = new double[capacity * g];
            _irr = new double[capacity * g];
            _ta = new double[capacity * h];
            _tb = new double[capacity * h];
            _tab = new double[capacity * h];
        }

        private static int MaxConcurrent(IReadOnlyList<DecompositionLane> lanes, int[] starts)
        {
            int steps = lanes.Count == 0 ? 0 : lanes.Max(l => l.End) + 3;
            var change = new int[steps];
            for (int i = 0; i < lanes.Count; i++)
            {
                if (starts[i] > lanes[i].End) continue;
                change[starts[i]]++;
                change[lanes[i].End + 2]--; // a lane leaves only after the next step's lanes have entered (they may branch from it)
            }
            int running = 0, most = 1;
            foreach (int c in change) most = Math.Max(most, running += c);
            return most;
        }

        public void Run(int[] order)
        {
            if (order.Length == 0) return;
            int next = 0, h = _cd._hidden;
            int last = order.Max(i => _lanes[i].End);
            for (int t = _starts[order[0]]; t <= last; t++)
            {
                for (; next < order.Length && _starts[order[next]] == t; next++) Enter(order[next], t);
                for (int j = _active.Count - 1; j >= 0; j--)
                    if (_lanes[_active[j]].End < t) Leave(j);
                if (_active.Count == 0) continue;
                for (int l = 0; l < _cd._layers.Length; l++) Step(l, t);
                foreach (var (lane, j) in _active.Select((lane, j) => (lane, j)))
                {
                    if (t < _lanes[lane].RecordFrom) continue;
                    var result = _results[lane];
                    for (int l = 0; l < _cd._layers.Length; l++)
                    {
                        _h[l].AsSpan(2 * j * h, h).CopyTo(result.Slot(t, l, 0));
                        _h[l].AsSpan((2 * j + 1) * h, h).CopyTo(result.Slot(t, l, 1));
                        _c[l].AsSpan(2 * j * h, h).CopyTo(result.Slot(t, l, 2));
                        _c[l].AsSpan((2 * j + 1) * h, h).CopyTo(result.Slot(t, l, 3));
                    }
                }
            }
        }

        private void Enter(int lane, int t)
        {
            int j = _active.Count, h = _cd._hidden, parent = _lanes[lane].Parent;
            _active.Add(lane);
            int parentRow = parent >= 0 ? _active.IndexOf(parent) : -1;
            for (int l = 0; l < _cd._layers.Length; l++)
            {
                if (parentRow >= 0)
                {
                    _h[l].AsSpan(2 * parentRow * h, 2 * h).CopyTo(_h[l].AsSpan(2 * j * h));
                    _c[l].AsSpan(2 * parentRow * h, 2 * h).CopyTo(_c[l].AsSpan(2 * j * h));
                    continue;
                }
                _h[l].AsSpan(2 * j * h, h).Clear();
                _c[l].AsSpan(2 * j * h, h).Clear();
                var hPrev = t == 0 ? _sentence.InitialStates[l].AsSpan(0, h) : _sentence.State(t - 1, l);
                var cPrev = t == 0 ? _sentence.InitialStates[l].AsSpan(h, h) : _sentence.State(t - 1, l, StateKind.Cell);
                hPrev.CopyTo(_h[l].AsSpan((2 * j + 1) * h, h));
                cPrev.CopyTo(_c[l].AsSpan((2 * j + 1) * h, h));
            }
        }

        private void Leave(int j)
        {
            int last = _active.Count - 1, h = _cd._hidden;
            if (j != last)
            {
                foreach (var states in _h.Concat(_c)) states.AsSpan(2 * last * h, 2 * h).CopyTo(states.AsSpan(2 * j * h));
                _active[j] = _active[last];
            }
            _active.RemoveAt(last);
        }

        private void Step(int l, int t)
        {
            var w = _cd._layers[l];
            int n = _active.Count, h = _cd._hidden, g = 4 * h;
            var z = _z.AsSpan(0, 2 * n * g);
            _cd.Product(_h[l].AsSpan(0, 2 * n * h), 2 * n, w.Recurrent, 0, z);
            if (l == 0)
            {
                var x = _sentence.InputProjection.AsSpan(t * g, g);
                for (int j = 0; j < n; j++)
                {
                    int row = _lanes[_active[j]].Contains(t) ? 2 * j : 2 * j + 1;
                    TensorPrimitives.Add(z.Slice(row * g, g), x, z.Slice(row * g, g));
                }
            }
            else
            {
                _cd.Product(_h[l - 1].AsSpan(0, 2 * n * w.InputSize), 2 * n, w.Input, 1, z);
            }

            // The three arguments of L3 per gate: a + c, b + c and a + b + c (a relevant, b irrelevant, c the bias).
            var rel = _rel.AsSpan(0, n * g);
            var irr = _irr.AsSpan(0, n * g);
            var sum = _sum.AsSpan(0, n * g);
            for (int j = 0; j < n; j++)
            {
                var a = z.Slice(2 * j * g, g);
                var b = z.Slice((2 * j + 1) * g, g);
                TensorPrimitives.Add(a, w.Bias, rel.Slice(j * g, g));
                TensorPrimitives.Add(b, w.Bias, irr.Slice(j * g, g));
                TensorPrimitives.Add(a, irr.Slice(j * g, g), sum.Slice(j * g, g));
            }
            _cd.GateActivations(rel, rel);
            _cd.GateActivations(irr, irr);
            _cd.GateActivations(sum, sum);

            var cStates = _c[l];
            var bias = w.BiasActivation;
            for (int j = 0; j < n; j++)
            {
                bool biasRelevant = l == 0 && _lanes[_active[j]].BiasRelevant(t, _cd.Policy);
                var pa = rel.Slice(j * g, g);   // φ(a + c)
                var pb = irr.Slice(j * g, g);   // φ(b + c)
                var pab = sum.Slice(j * g, g);  // φ(a + b + c)
                var betaC = cStates.AsSpan(2 * j * h, h);
                var gammaC = cStates.AsSpan((2 * j + 1) * h, h);
                for (int k = 0; k < h; k++)
                {
                    int i = k, f = h + k, q = 2 * h + k;
                    double ir = 0.5 * ((pa[i] - bias[i]) + (pab[i] - pb[i])), ii = 0.5 * ((pb[i] - bias[i]) + (pab[i] - pa[i])), ib = bias[i];
                    double fr = 0.5 * ((pa[f] - bias[f]) + (pab[f] - pb[f])), fi = 0.5 * ((pb[f] - bias[f]) + (pab[f] - pa[f])), fb = bias[f];
                    double gr = 0.5 * ((pa[q] - bias[q]) + (pab[q] - pb[q])), gi = 0.5 * ((pb[q] - bias[q]) + (pab[q] - pa[q])), gb = bias[q];
                    double beta = ir * (gr + gb) + ib * gr + (fr + fb) * betaC[k];
                    double gamma = ii * (gr + gi + gb) + (ir + ib) * gi + (fr + fi + fb) * gammaC[k] + fi * betaC[k];
                    if (biasRelevant) beta += ib * gb;
                    else gamma += ib * gb;
                    betaC[k] = beta;
                    gammaC[k] = gamma;
                }
            }
            var ta = _ta.AsSpan(0, n * h);
            var tb = _tb.AsSpan(0, n * h);
            var tab = _tab.AsSpan(0, n * h);
            for (int j = 0; j < n; j++)
            {
                TensorPrimitives.Add(cStates.AsSpan(2 * j * h, h), cStates.AsSpan((2 * j + 1) * h, h), tab.Slice(j * h, h));
                cStates.AsSpan(2 * j * h, h).CopyTo(ta.Slice(j * h, h));
                cStates.AsSpan((2 * j + 1) * h, h).CopyTo(tb.Slice(j * h, h));
            }
            _cd.K.Tanh(ta, ta);
            _cd.K.Tanh(tb, tb);
            _cd.K.Tanh(tab, tab);
            var hStates = _h[l];
            for (int j = 0; j < n; j++)
            {
                var o = sum.Slice(j * g + 3 * h, h);  // σ(rel_o + irr_o + b_o): the true output gate
                var betaH = hStates.AsSpan(2 * j * h, h);
                var gammaH = hStates.AsSpan((2 * j + 1) * h, h);
                for (int k = 0; k < h; k++)
                {
                    double a = ta[j * h + k], b = tb[j * h + k], ab = tab[j * h + k];
                    betaH[k] = o[k] * 0.5 * (a + ab - b);
                    gammaH[k] = o[k] * 0.5 * (b + ab - a);
                }
            }
        }
    }

    private double[] Encode(ReadOnlySpan<int> tokens)
    {
        int e = _embedding is null ? _inputSize : _embedding.Length / _inputSize;
        var x = new double[tokens.Length * e];
        for (int t = 0; t < tokens.Length; t++)
        {
            if (_embedding is null) x[t * e + tokens[t]] = 1;
            else _embedding.AsSpan(tokens[t] * e, e).CopyTo(x.AsSpan(t * e, e));
        }
        return x;
    }

    /// <summary>σ on the i, f and o blocks and tanh on the g block of every [4H] row of <paramref name="z"/>.</summary>
    private void GateActivations(ReadOnlySpan<double> z, Span<double> y)
    {
        int h = _hidden, g = 4 * h;
        for (int row = 0; row < z.Length; row += g)
        {
            K.Sigmoid(z.Slice(row, 2 * h), y.Slice(row, 2 * h));
            K.Tanh(z.Slice(row + 2 * h, h), y.Slice(row + 2 * h, h));
            K.Sigmoid(z.Slice(row + 3 * h, h), y.Slice(row + 3 * h, h));
        }
    }

    /// <summary>W [n, k] prepared as the right operand Wᵀ [k, n].</summary>
    private PreparedOperand<double> Prepared(ReadOnlySpan<double> weights, int k)
    {
        var prepared = new PreparedOperand<double>();
        K.Prepare(true, weights, k, k, weights.Length / k, prepared);
        return prepared;
    }

    /// <summary>C [m, n] = A Wᵀ + beta·C for rows A [m, k] and a prepared weight matrix Wᵀ [k, n].</summary>
    private void Product(ReadOnlySpan<double> a, int m, PreparedOperand<double> weights, double beta, Span<double> c)
    {
        K.Gemm(MatrixView.Of(a, m, weights.K), weights, beta, MatrixView.Of(c, m, weights.N));
    }

    private static double RowDot(double[] matrix, int row, ReadOnlySpan<double> x)
    {
        double sum = 0;
        for (int j = 0; j < x.Length; j++) sum += matrix[row * x.Length + j] * x[j];
        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>L3(a, b, c; φ): the relevant, irrelevant and bias parts of φ(a + b + c).</summary>
    private static (double Relevant, double Irrelevant, double Bias) SplitThree(double a, double b, double c, Func<double, double> phi)
    {
        double pc = phi(c), pac = phi(a + c), pbc = phi(b + c), pabc = phi(a + b + c);
        return (0.5 * ((pac - pc) + (pabc - pbc)), 0.5 * ((pbc - pc) + (pabc - pac)), pc);
    }
}
