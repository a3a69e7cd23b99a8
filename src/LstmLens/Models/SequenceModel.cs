// The model every task and language model trains: input encoding → recurrent stack → dropout →
// linear decoder → loss, with forward and backward written side by side. Parameters carry PyTorch's
// names (encoder.weight, rnn.weight_ih_l0 …, decoder.weight, decoder.bias) in one store, so a
// PyTorch nn.Embedding + nn.LSTM/GRU/RNN + nn.Linear checkpoint maps onto it tensor for tensor.
// Not a training loop: no optimiser, clipping, schedule or state carrying between batches.
using System.Numerics;
using LstmLens.Layers;
using LstmLens.Numerics;

namespace LstmLens.Models;

/// <summary>A recurrent sequence model with one of the <see cref="HeadKind"/> heads.</summary>
/// <remarks>
/// <code>
/// x_t = E[token_t] | onehot(token_t) | v_t          (then input dropout)
/// h_t = stack(x_1..x_t; state_0)                     (dropout between layers and on h_t)
/// y   = W_dec h + b_dec                              (every step, or each sequence's last step only)
/// L   = softmax CE | squared error | sigmoid CE      (see <see cref="Losses"/>)
/// </code>
/// State layout: the stack's, layer by layer, each [S, B, H] (h, then c for LSTM cells).
/// </remarks>
public sealed class SequenceModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Kernels<T> K;
    private readonly Dropout<T> _inputDropout;
    private readonly Dropout<T> _outputDropout;
    private int[] _tokens = [];       // [T, B] token ids of the last forward pass (embedding backward)
    private T[] _stackInput = [];     // [T, B, in_rnn] encoded inputs after input dropout
    private T[] _hidden = [];         // [T, B, H] top-layer output; the decoder's rows after output dropout
    private T[] _logits = [];         // [rows, out]
    private T[] _dLogits = [];        // [rows, out] written by the loss during Forward
    private T[] _dHidden = [];        // [T, B, H]
    private T[] _dStackInput = [];    // [T, B, E] (embedding input only)
    private T[] _logSumExp = [];      // [rows] by-product of the softmax in Outputs
    private int[] _lastRows = [];     // [B] row t·B + b of each sequence's last step (last-step heads)
    private T[] _headInput = [];      // [B, H] the hidden rows at _lastRows, then output dropout (last-step heads)
    private T[] _dHeadInput = [];     // [B, H]
    private int[] _maskedTargetIds = []; // [T, B] per-step class targets with padding steps ignored
    private bool[] _scoredRows = [];  // [T, B] false on padding steps (per-step sigmoid head)
    private bool _lossComputed;

    /// <summary>
    /// Builds the model with zero parameters (call <see cref="Initialize"/>). <paramref name="rng"/> feeds the
    /// dropout masks.
    /// </summary>
    public SequenceModel(ModelConfig config, Rng rng, Kernels<T>? kernels = null)
    {
        config.Validate();
        Config = config;
        K = kernels ?? Compute.Kernels<T>();
        if (config.Input == InputKind.Embedding)
            Embedding = new Embedding<T>(Store, "encoder.", config.InputSize, config.EmbeddingSize, K);
        Stack = RecurrentLayers.CreateStack(config.Cell, Store, "rnn.", config.NumLayers, config.RecurrentInputSize,
            config.HiddenSize, config.Dropout, rng, K, config.Lstm1997);
        Decoder = new Linear<T>(Store, "decoder.", config.HiddenSize, config.OutputSize, K);
        _inputDropout = new Dropout<T>(config.InputDropout, rng.Split());
        _outputDropout = new Dropout<T>(config.Dropout, rng.Split());
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; }

    /// <summary>All parameters and gradients, in PyTorch's state_dict order.</summary>
    public ParameterStore<T> Store { get; } = new();

    /// <summary>The embedding table; null unless the input is <see cref="InputKind.Embedding"/>.</summary>
    public Embedding<T>? Embedding { get; }

    /// <summary>The recurrent layers.</summary>
    public RecurrentStack<T> Stack { get; }

    /// <summary>The output layer.</summary>
    public Linear<T> Decoder { get; }

    /// <summary>Every generator the model draws from during training, in a fixed order, for checkpoints.</summary>
    public IEnumerable<Rng> Generators => new[] { _inputDropout.Rng, _outputDropout.Rng }.Concat(Stack.Generators);

    /// <summary>Training mode: dropout and h-/c-detach draws are active.</summary>
    public bool Training
    {
        get => Stack.Training;
        set => Stack.Training = value;
    }

    /// <summary>Steps of the last forward pass.</summary>
    public int Steps { get; private set; }

    /// <summary>Batch size of the last forward pass.</summary>
    public int Batch { get; private set; }

    /// <summary>Rows scored by the head for a batch of <paramref name="steps"/> × <paramref name="batch"/>: T·B per step, B at the last step.</summary>
    public int ScoredRows(int steps, int batch) => Config.ScoresEveryStep ? steps * batch : batch;

    /// <summary>Logits (or predictions) of the last forward pass [rows, out], rows as in <see cref="ScoredRows"/>.</summary>
    public ReadOnlySpan<T> Logits => _logits.AsSpan(0, ScoredRows(Steps, Batch) * Config.OutputSize);

    /// <summary>
    /// The head's outputs of the last forward pass as the task reads them, into <paramref name="outputs"/>
    /// [rows, out]: softmax probabilities for softmax heads, sigmoid probabilities for the multi-label head,
    /// the raw values for regression.
    /// </summary>
    public void Outputs(Span<T> outputs)
    {
        var logits = Logits;
        int rows = ScoredRows(Steps, Batch);
        switch (Config.Head)
        {
            case HeadKind.PerStepSoftmax or HeadKind.LastStepSoftmax:
                K.SoftmaxRows(logits, rows, Config.OutputSize, outputs, _logSumExp.AsSpan(0, rows));
                break;
            case HeadKind.PerStepSigmoid:
                K.Sigmoid(logits, outputs);
                break;
            default:
                logits.CopyTo(outputs);
                break;
        }
    }

    /// <summary>Length of the recurrent state for <paramref name="batch"/> sequences.</summary>
    public int StateLength(int batch) => Stack.StateLength(batch);

    /// <summary>
    /// Draws all parameters: uniform [-a, a) when <see cref="ModelConfig.InitRange"/> is set, otherwise PyTorch's
    /// defaults (embedding N(0, 1), recurrent layers uniform ±1/√H, decoder uniform ±1/√H_in); then adds
    /// <see cref="ModelConfig.ForgetBias"/> to each LSTM forget gate.
    /// </summary>
    public void Initialize(Rng rng)
    {
        if (Config.InitRange is double range)
        {
            if (Embedding is not null) rng.FillUniform(Embedding.Weight.Value, range);
            foreach (var layer in Stack.Layers) layer.InitializeUniform(rng, range);
            rng.FillUniform(Decoder.Weight.Value, range);
            rng.FillUniform(Decoder.Bias.Value, range);
        }
        else
        {
            Embedding?.InitializeDefault(rng);
            foreach (var layer in Stack.Layers) layer.InitializeUniform(rng, 1 / Math.Sqrt(layer.HiddenSize));
            Decoder.InitializeDefault(rng);
        }
        if (Config.ForgetBias != 0)
            foreach (var lstm in Stack.Layers.OfType<Lstm<T>>()) lstm.AddForgetBias(T.CreateChecked(Config.ForgetBias));
    }

    /// <summary>
    /// Runs the batch and returns the mean loss (NaN when the batch has no targets; then only
    /// <see cref="Logits"/> and the final state are produced). <paramref name="initialState"/>
    /// [<see cref="StateLength"/>] (empty = zeros); writes <paramref name="finalState"/> (may be empty).
    /// The loss gradient is computed here, ready for <see cref="Backward"/>.
    /// </summary>
    public double Forward(in SequenceBatch<T> batch, ReadOnlySpan<T> initialState, Span<T> finalState)
    {
        int steps = batch.Steps, size = batch.Batch, n = steps * size;
        int inputWidth = Stack.InputSize, h = Config.HiddenSize, outputs = Config.OutputSize, rows = ScoredRows(steps, size);
        Reserve(n, rows);
        _lossComputed = false;
        Steps = steps;
        Batch = size;

        var x = _stackInput.AsSpan(0, n * inputWidth);                // [T, B, in_rnn]
        switch (Config.Input)
        {
            case InputKind.Embedding:
                Checks.Length(batch.Tokens.Length, n, "tokens");
                batch.Tokens.CopyTo(_tokens);
                Embedding!.Forward(batch.Tokens, x);
                break;
            case InputKind.OneHot:
                Checks.Length(batch.Tokens.Length, n, "tokens");
                OneHot.Forward(batch.Tokens, Config.InputSize, x);
                break;
            default:
                Checks.Length(batch.Vectors.Length, n * inputWidth, "vectors");
                batch.Vectors.CopyTo(x);
                break;
        }
        _inputDropout.Forward(x, x, Training);

        var hidden = _hidden.AsSpan(0, n * h);                         // [T, B, H]
        Stack.Forward(x, steps, size, initialState, hidden, finalState);
        var decoderInput = DecoderInput(hidden, batch.Lengths, steps, size); // [rows, H]
        _outputDropout.Forward(decoderInput, decoderInput, Training);
        var logits = _logits.AsSpan(0, rows * outputs);                // [rows, out]
        Decoder.Forward(decoderInput, rows, logits);

        bool hasTargets = Config.HasClassTargets ? !batch.TargetIds.IsEmpty : !batch.TargetValues.IsEmpty;
        if (!hasTargets) return double.NaN;
        var dLogits = _dLogits.AsSpan(0, rows * outputs);              // [rows, out]
        bool padded = Config.ScoresEveryStep && !batch.Lengths.IsEmpty;
        var scoredRows = padded ? ScoredSteps(batch.Lengths, steps, size) : [];        // [T, B]
        long start = StepProfile.Start();
        double loss = Config.Head switch
        {
            HeadKind.PerStepSoftmax or HeadKind.LastStepSoftmax =>
                Losses.SoftmaxCrossEntropy(logits, padded ? Unpadded(batch.TargetIds, scoredRows) : batch.TargetIds, rows, outputs, dLogits, kernels: K),
            HeadKind.LastStepSquaredError => Losses.SquaredError(logits, batch.TargetValues, rows, outputs, dLogits),
            _ => Losses.SigmoidCrossEntropy(logits, batch.TargetValues, rows, outputs, dLogits, K, scoredRows),
        };
        StepProfile.Stop(StepPhase.DecoderAndSoftmax, start);
        _lossComputed = true;
        return loss;
    }

    /// <summary>
    /// Back-propagates the loss of the last forward pass: adds every parameter's gradient into
    /// <see cref="Store"/> (zero it first with <see cref="ParameterStore{T}.ZeroGradients"/>) and overwrites
    /// <paramref name="dInitialState"/> [<see cref="StateLength"/>] unless it is empty.
    /// </summary>
    public void Backward(Span<T> dInitialState = default)
    {
        if (!_lossComputed) throw new InvalidOperationException("Backward needs a Forward pass with targets");
        int n = Steps * Batch, h = Config.HiddenSize, rows = ScoredRows(Steps, Batch);
        var hidden = _hidden.AsSpan(0, n * h);
        var dHidden = _dHidden.AsSpan(0, n * h);                       // [T, B, H]
        var dLogits = _dLogits.AsSpan(0, rows * Config.OutputSize);    // [rows, out]
        if (Config.ScoresEveryStep)
        {
            Decoder.Backward(hidden, dLogits, rows, dHidden);
            _outputDropout.Backward(dHidden, dHidden);
        }
        else
        {
            var dHeadInput = _dHeadInput.AsSpan(0, Batch * h);         // [B, H]
            Decoder.Backward(_headInput.AsSpan(0, Batch * h), dLogits, rows, dHeadInput);
            _outputDropout.Backward(dHeadInput, dHeadInput);
            dHidden.Clear();                                           // steps the head does not read get no gradient from it
            for (int b = 0; b < Batch; b++)
                dHeadInput.Slice(b * h, h).CopyTo(dHidden.Slice(_lastRows[b] * h, h));
        }

        var dx = Embedding is null ? [] : _dStackInput.AsSpan(0, n * Embedding.EmbeddingSize); // [T, B, E]
        Stack.Backward(dHidden, [], dx, dInitialState);
        if (Embedding is null) return;
        _inputDropout.Backward(dx, dx);
        Embedding.Backward(_tokens.AsSpan(0, n), dx);
    }

    /// <summary>
    /// Makes the last training forward pass's random draws a fixed function for finite differences: later forward
    /// passes reuse its dropout masks and detach masks, with detached values held constant (the 1997 truncated
    /// gradient included), so they compute the surrogate that <see cref="Backward"/> differentiated. Undo with
    /// <see cref="ThawRandomDraws"/>.
    /// </summary>
    internal void FreezeRandomDraws()
    {
        Stack.FreezeRandomDraws();
        _inputDropout.FreezeMask();
        _outputDropout.FreezeMask();
    }

    /// <summary>Ends <see cref="FreezeRandomDraws"/>.</summary>
    internal void ThawRandomDraws()
    {
        Stack.ThawRandomDraws();
        _inputDropout.ThawMask();
        _outputDropout.ThawMask();
    }

    /// <summary>
    /// The decoder's input rows: every step of <paramref name="hidden"/> [T, B, H] for per-step heads; for last-step
    /// heads each sequence's last step (step <paramref name="lengths"/>[b] − 1, or T − 1 when lengths are empty)
    /// gathered into [B, H].
    /// </summary>
    private Span<T> DecoderInput(Span<T> hidden, ReadOnlySpan<int> lengths, int steps, int batch)
    {
        if (Config.ScoresEveryStep) return hidden;
        if (!lengths.IsEmpty) Checks.Length(lengths.Length, batch, "lengths");
        int h = Config.HiddenSize;
        var headInput = _headInput.AsSpan(0, batch * h);               // [B, H]
        for (int b = 0; b < batch; b++)
        {
            int length = lengths.IsEmpty ? steps : lengths[b];
            if (length < 1 || length > steps) throw new ArgumentOutOfRangeException(nameof(lengths), $"sequence {b} has length {length}; lengths must be in [1, {steps}]");
            _lastRows[b] = (length - 1) * batch + b;
            hidden.Slice(_lastRows[b] * h, h).CopyTo(headInput.Slice(b * h, h));
        }
        return headInput;
    }

    /// <summary>[T, B] true where step t is inside sequence b (t &lt; <paramref name="lengths"/>[b]).</summary>
    private ReadOnlySpan<bool> ScoredSteps(ReadOnlySpan<int> lengths, int steps, int batch)
    {
        Checks.Length(lengths.Length, batch, "lengths");
        var scored = _scoredRows.AsSpan(0, steps * batch);
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
                scored[t * batch + b] = t < lengths[b];
        return scored;
    }

    /// <summary>Per-step class targets with every padding step (not <paramref name="scored"/>) set to ignored.</summary>
    private ReadOnlySpan<int> Unpadded(ReadOnlySpan<int> targets, ReadOnlySpan<bool> scored)
    {
        Checks.Length(targets.Length, scored.Length, "targets");
        var masked = _maskedTargetIds.AsSpan(0, targets.Length);
        for (int r = 0; r < masked.Length; r++) masked[r] = scored[r] ? targets[r] : Losses.IgnoreIndex;
        return masked;
    }

    private void Reserve(int n, int rows)
    {
        int h = Config.HiddenSize, inputWidth = Stack.InputSize, outputs = Config.OutputSize;
        Buffers.Grow(ref _stackInput, n * inputWidth);
        Buffers.Grow(ref _hidden, n * h);
        Buffers.Grow(ref _dHidden, n * h);
        Buffers.Grow(ref _logits, rows * outputs);
        Buffers.Grow(ref _dLogits, rows * outputs);
        Buffers.Grow(ref _logSumExp, rows);
        Buffers.Grow(ref _scoredRows, n);
        Buffers.Grow(ref _maskedTargetIds, n);
        if (!Config.ScoresEveryStep)
        {
            Buffers.Grow(ref _lastRows, rows);
            Buffers.Grow(ref _headInput, rows * h);
            Buffers.Grow(ref _dHeadInput, rows * h);
        }
        if (Embedding is null) return;
        Buffers.Grow(ref _tokens, n);
        Buffers.Grow(ref _dStackInput, n * inputWidth);
    }
}
