// The contract every recurrent cell (LSTM, LSTM-1997, GRU, Elman RNN) fulfils, and the work they all
// share: the input projection of all time steps as one matrix product, the bulk weight-gradient
// products after the backward sweep, the cache of per-step values, and the h-/c-detach draws.
// Each cell writes only its step recurrence (forward, backward, forward-mode tangents).
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>The kind of recurrent cell.</summary>
public enum CellType
{
    /// <summary>LSTM with forget gate (PyTorch nn.LSTM).</summary>
    Lstm,
    /// <summary>The 1997 memory-cell LSTM (no forget gate, cell blocks, truncated gradient).</summary>
    Lstm1997,
    /// <summary>Gated recurrent unit (PyTorch nn.GRU).</summary>
    Gru,
    /// <summary>Elman RNN with tanh (PyTorch nn.RNN).</summary>
    Rnn,
}

/// <summary>One stream of forward-mode tangents: batch element <c>Batch</c>, perturbed at step <c>Start</c>.</summary>
public readonly record struct TangentLane(int Batch, int Start);

/// <summary>
/// A recurrent layer over sequences laid out [T, B, features]. Parameters follow PyTorch:
/// <c>weight_ih_l{k}</c> [G, in], <c>weight_hh_l{k}</c> [G, H], <c>bias_ih_l{k}</c> [G], <c>bias_hh_l{k}</c> [G],
/// with G the packed gate width of the cell.
/// </summary>
/// <remarks>
/// State is [S, B, H]: S = 2 for LSTM cells (h then c), 1 for GRU and RNN. <see cref="Forward"/> caches
/// what <see cref="Backward"/> and <see cref="PropagateTangents"/> need and every per-step value
/// (<see cref="Gates"/>, <see cref="Cells"/>, <see cref="Hidden"/>) for analyses.
/// </remarks>
public abstract class RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private protected readonly Kernels<T> K;
    private bool[] _hDetached = [];
    private bool[] _cDetached = [];
    private bool _replayDetached;     // forward reuses the masks and frozen values below (gradient checks)
    private T[] _frozenHidden = [];   // [T, B, H] h_{t-1} as seen by step t when the masks were frozen
    private T[] _frozenCell = [];     // [T, B, H] c_{t-1} likewise
    private readonly PreparedOperand<T> _recurrentWeights = new(); // W_hhᵀ during Forward, W_hh during Backward
    private T[] _gateRow = [];        // [G] b_ih (+ b_hh) for the input projection; Σ over rows of dZ in Backward

    private protected T[] InputCache = [];   // [T, B, in]
    private protected T[] InitialState = []; // [S, B, H]
    private protected T[] GateCache = [];    // [T, B, GateCacheWidth] activated gates (cell-specific layout)
    private protected T[] CellCache = [];    // [T, B, H] cell states (LSTM cells only)
    private protected T[] HiddenCache = [];  // [T, B, H]
    private protected T[] GradX = [];        // [T, B, G] gradient w.r.t. the input projection W_ih x + b_ih
    private protected T[] GradH = [];        // [T, B, G] gradient w.r.t. the recurrent projection W_hh h + b_hh
    private protected T[] StateGradient = []; // [S, B, H] gradient reaching the state: of the final state when
                                               // BackwardSteps starts, of the initial state when it returns

    private protected RecurrentLayer(ParameterStore<T> store, string prefix, int index, int inputSize, int hiddenSize,
        int gateWidth, Kernels<T>? kernels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        K = kernels ?? Compute.Kernels<T>();
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        GateWidth = gateWidth;
        WeightIH = store.Add($"{prefix}weight_ih_l{index}", gateWidth, inputSize);
        WeightHH = store.Add($"{prefix}weight_hh_l{index}", gateWidth, hiddenSize);
        BiasIH = store.Add($"{prefix}bias_ih_l{index}", gateWidth);
        BiasHH = store.Add($"{prefix}bias_hh_l{index}", gateWidth);
    }

    /// <summary>The cell kind.</summary>
    public abstract CellType Cell { get; }

    /// <summary>The kernel set this layer computes with.</summary>
    internal Kernels<T> KernelSet => K;

    /// <summary>Features per input step.</summary>
    public int InputSize { get; }

    /// <summary>Units in h (and c).</summary>
    public int HiddenSize { get; }

    /// <summary>Rows of the packed weight matrices.</summary>
    public int GateWidth { get; }

    /// <summary>State vectors per batch element: 2 (h, c) for LSTM cells, 1 otherwise.</summary>
    public abstract int StateCount { get; }

    /// <summary>Names of the gate blocks stored in <see cref="Gates"/>, in order.</summary>
    public abstract IReadOnlyList<string> GateNames { get; }

    /// <summary>Input weights [G, in].</summary>
    public Parameter<T> WeightIH { get; }

    /// <summary>Recurrent weights [G, H].</summary>
    public Parameter<T> WeightHH { get; }

    /// <summary>Input bias [G].</summary>
    public Parameter<T> BiasIH { get; }

    /// <summary>Recurrent bias [G].</summary>
    public Parameter<T> BiasHH { get; }

    /// <summary>W_ih as a matrix operand [G, in].</summary>
    private protected ReadOnlyMatrixView<T> InputWeights => MatrixView.Of<T>(WeightIH.Value, GateWidth, InputSize);

    /// <summary>W_hh as a matrix operand [G, H].</summary>
    private protected ReadOnlyMatrixView<T> RecurrentWeights => MatrixView.Of<T>(WeightHH.Value, GateWidth, HiddenSize);

    /// <summary>Parameters of this layer in PyTorch order.</summary>
    public IReadOnlyList<Parameter<T>> Parameters => [WeightIH, WeightHH, BiasIH, BiasHH];

    /// <summary>When true, forward passes draw h-/c-detach masks (and stacks apply dropout).</summary>
    public bool Training { get; set; }

    /// <summary>
    /// h-detach: probability that, at a time step, the gradient through h(t-1) into that step's gates is
    /// blocked (one draw per step shared by the batch; Kanuparthi et al. Algorithm 1).
    /// </summary>
    public double HDetachProbability { get; set; }

    /// <summary>
    /// c-detach: probability that the gradient through c(t-1) into c(t) is blocked (LSTM cells only: a training
    /// forward pass of a GRU or RNN with a positive value throws).
    /// </summary>
    public double CDetachProbability { get; set; }

    /// <summary>Generator for detach draws; required when a detach probability is set.</summary>
    public Rng? DetachRng { get; set; }

    /// <summary>Steps of the last forward pass.</summary>
    public int Steps { get; private set; }

    /// <summary>Batch size of the last forward pass.</summary>
    public int Batch { get; private set; }

    /// <summary>Per step of the last forward pass: was the h(t-1) gradient path blocked.</summary>
    public ReadOnlySpan<bool> HDetachedSteps => _hDetached.AsSpan(0, Steps);

    /// <summary>Per step of the last forward pass: was the c(t-1) gradient path blocked.</summary>
    public ReadOnlySpan<bool> CDetachedSteps => _cDetached.AsSpan(0, Steps);

    /// <summary>Activated gates of the last forward pass [T, B, width], blocks as in <see cref="GateNames"/>.</summary>
    public ReadOnlySpan<T> Gates => GateCache.AsSpan(0, Steps * Batch * GateCacheWidth);

    /// <summary>Width of one step's row in <see cref="Gates"/>.</summary>
    public virtual int GateCacheWidth => GateWidth;

    /// <summary>Cell states c of the last forward pass [T, B, H]; empty for GRU and RNN.</summary>
    public ReadOnlySpan<T> Cells => StateCount == 2 ? CellCache.AsSpan(0, Steps * Batch * HiddenSize) : [];

    /// <summary>Hidden states h of the last forward pass [T, B, H].</summary>
    public ReadOnlySpan<T> Hidden => HiddenCache.AsSpan(0, Steps * Batch * HiddenSize);

    /// <summary>Initialises every parameter uniformly in [-range, range) (PyTorch default: range = 1/√H).</summary>
    public virtual void InitializeUniform(Rng rng, double range)
    {
        foreach (var p in Parameters) rng.FillUniform(p.Value, range);
    }

    /// <summary>
    /// Runs the sequence. <paramref name="input"/> [T, B, in]; <paramref name="initialState"/> [S, B, H]
    /// (empty = zeros); writes <paramref name="output"/> [T, B, H] and <paramref name="finalState"/> [S, B, H]
    /// (may be empty).
    /// </summary>
    public void Forward(ReadOnlySpan<T> input, int steps, int batch, ReadOnlySpan<T> initialState, Span<T> output, Span<T> finalState)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int h = HiddenSize, rows = steps * batch, stateLength = StateCount * batch * h;
        Checks.Length(input.Length, rows * InputSize, nameof(input));
        Checks.Length(output.Length, rows * h, nameof(output));
        if (!initialState.IsEmpty) Checks.Length(initialState.Length, stateLength, nameof(initialState));
        if (!finalState.IsEmpty) Checks.Length(finalState.Length, stateLength, nameof(finalState));

        Reserve(steps, batch);
        DrawDetachMasks(steps);
        Steps = steps;
        Batch = batch;
        input.CopyTo(InputCache);
        if (initialState.IsEmpty) InitialState.AsSpan(0, stateLength).Clear();
        else initialState.CopyTo(InitialState);

        K.Prepare(true, WeightHH.Value, HiddenSize, HiddenSize, GateWidth, _recurrentWeights);
        ForwardSteps(steps, batch);

        Hidden.CopyTo(output);
        if (!finalState.IsEmpty)
        {
            int last = (steps - 1) * batch * h;
            HiddenCache.AsSpan(last, batch * h).CopyTo(finalState);
            if (StateCount == 2) CellCache.AsSpan(last, batch * h).CopyTo(finalState[(batch * h)..]);
        }
    }

    /// <summary>
    /// Back-propagates through the last forward pass. <paramref name="dOutput"/> [T, B, H] and
    /// <paramref name="dFinalState"/> [S, B, H] (empty = zero) are gradients of the loss; writes (overwrites)
    /// <paramref name="dInput"/> [T, B, in] and <paramref name="dInitialState"/> [S, B, H] (either may be
    /// empty to skip it) and adds the parameter gradients into the store.
    /// </summary>
    public void Backward(ReadOnlySpan<T> dOutput, ReadOnlySpan<T> dFinalState, Span<T> dInput, Span<T> dInitialState)
    {
        int steps = Steps, batch = Batch, h = HiddenSize, g = GateWidth, rows = steps * batch;
        if (steps == 0) throw new InvalidOperationException("Backward called before Forward");
        Checks.Length(dOutput.Length, rows * h, nameof(dOutput));
        if (!dFinalState.IsEmpty) Checks.Length(dFinalState.Length, StateCount * batch * h, nameof(dFinalState));
        if (!dInitialState.IsEmpty) Checks.Length(dInitialState.Length, StateCount * batch * h, nameof(dInitialState));
        if (!dInput.IsEmpty) Checks.Length(dInput.Length, rows * InputSize, nameof(dInput));

        var stateGradient = StateGradient.AsSpan(0, StateCount * batch * h);
        if (dFinalState.IsEmpty) stateGradient.Clear();
        else dFinalState.CopyTo(stateGradient);
        K.Prepare(false, WeightHH.Value, HiddenSize, GateWidth, HiddenSize, _recurrentWeights);
        BackwardSteps(dOutput);
        if (!dInitialState.IsEmpty) stateGradient.CopyTo(dInitialState);

        // Weight gradients of all steps at once: dW_ih += dZx^T X, dW_hh += dZh^T H_prev, biases += column sums.
        long start = StepProfile.Start();
        var gradX = GradX.AsSpan(0, rows * g);
        var gradH = SharesProjectionGradient ? gradX : GradH.AsSpan(0, rows * g);
        var dWih = MatrixView.Of(WeightIH.Gradient, g, InputSize);
        var dWhh = MatrixView.Of(WeightHH.Gradient, g, h);
        K.GemmAdd(MatrixView.Of<T>(gradX, rows, g).T, MatrixView.Of<T>(InputCache, rows, InputSize), dWih);              // dW_ih += dZxᵀ X
        K.GemmAdd(MatrixView.Of<T>(gradH, batch, g).T, MatrixView.Of<T>(InitialState, batch, h), dWhh);                // dW_hh += dZh[0]ᵀ h_{-1}
        if (steps > 1)
            K.GemmAdd(MatrixView.Of<T>(gradH[(batch * g)..], rows - batch, g).T, MatrixView.Of<T>(HiddenCache, rows - batch, h), dWhh); // + dZh[1:]ᵀ H[:-1]
        // One pass over dZ serves both biases when they share it (summed from zero, so a bias gradient that was
        // zero gets the plain column sums).
        Buffers.Grow(ref _gateRow, g);
        var sums = _gateRow.AsSpan(0, g);
        sums.Clear();
        K.SumRows(gradX, rows, sums);
        K.Add(BiasIH.Gradient, sums, BiasIH.Gradient);
        if (SharesProjectionGradient) K.Add(BiasHH.Gradient, sums, BiasHH.Gradient);
        else K.SumRows(gradH, rows, BiasHH.Gradient);
        StepProfile.Stop(StepPhase.WeightGradients, start);
        if (dInput.IsEmpty) return;
        start = StepProfile.Start();
        K.Gemm(MatrixView.Of<T>(gradX, rows, g), InputWeights, MatrixView.Of(dInput, rows, InputSize));   // dX = dZx W_ih
        StepProfile.Stop(StepPhase.InputProjection, start);
    }

    /// <summary>
    /// Forward-mode derivatives through the last forward pass (its cached activations). Lane j follows
    /// batch element <c>lanes[j].Batch</c> from step <c>lanes[j].Start</c> for <paramref name="steps"/> steps
    /// with <paramref name="directions"/> tangent directions K at once; the state before the start has
    /// zero tangent.
    /// </summary>
    /// <param name="lanes">L lanes; each needs Start + steps ≤ the forward pass's T.</param>
    /// <param name="directions">K, tangent directions per lane.</param>
    /// <param name="steps">Steps to propagate.</param>
    /// <param name="inputTangents">[inputSteps, L, K, in]: input tangents at the first inputSteps steps (later steps: zero).</param>
    /// <param name="inputSteps">1 to perturb one input; <paramref name="steps"/> for a layer fed by the tangents of the layer below.</param>
    /// <param name="hiddenTangents">Output [steps, L, K, H]: tangent of h.</param>
    /// <param name="cellTangents">Output [steps, L, K, H]: tangent of c (LSTM cells; empty for GRU/RNN or to skip).</param>
    public void PropagateTangents(ReadOnlySpan<TangentLane> lanes, int directions, int steps, ReadOnlySpan<T> inputTangents,
        int inputSteps, Span<T> hiddenTangents, Span<T> cellTangents)
    {
        int laneRows = lanes.Length * directions, h = HiddenSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(directions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (inputSteps < 1 || inputSteps > steps) throw new ArgumentOutOfRangeException(nameof(inputSteps));
        Checks.Length(inputTangents.Length, inputSteps * laneRows * InputSize, nameof(inputTangents));
        Checks.Length(hiddenTangents.Length, steps * laneRows * h, nameof(hiddenTangents));
        if (StateCount == 2 && !cellTangents.IsEmpty) Checks.Length(cellTangents.Length, steps * laneRows * h, nameof(cellTangents));
        foreach (var lane in lanes)
        {
            if (lane.Batch < 0 || lane.Batch >= Batch || lane.Start < 0 || lane.Start + steps > Steps)
                throw new ArgumentOutOfRangeException(nameof(lanes), $"lane {lane} does not fit a forward pass of {Steps} steps × {Batch}");
        }
        PropagateTangentSteps(lanes, directions, steps, inputTangents, inputSteps, hiddenTangents, cellTangents);
    }

    /// <summary>
    /// Rows W of the factors <see cref="Linearize"/> writes: 2H for LSTM (the c part, then the h part), H for GRU
    /// and RNN; 0 for cells without a factored step (LSTM-1997), whose tangents come from
    /// <see cref="PropagateTangents"/> alone.
    /// </summary>
    public virtual int LinearizedWidth => 0;

    /// <summary>Length of the diagonal terms <see cref="Linearize"/> writes: 2H for LSTM (f, then o ⊙ (1 - tanh²c)), H for GRU (z), 0 for RNN.</summary>
    public virtual int LinearizedCarryWidth => 0;

    /// <summary>
    /// The Jacobian of step <paramref name="t"/> (batch element <paramref name="b"/>) of the last forward pass in
    /// factored form, shared by every tangent that passes through that step: for tangent rows dh_{t-1} [n, H],
    /// dc_{t-1} [n, H] (LSTM) and dx_t [n, in], the product <c>P = dh_{t-1} · recurrentᵀ + dx_t · inputᵀ</c> [n, W]
    /// followed by <see cref="CompleteLinearizedStep"/> gives dh_t and dc_t. The state's own diagonal paths
    /// (f ⊙ dc_{t-1} in LSTM, z ⊙ dh_{t-1} in GRU) stay out of the dense factors, so one step costs W·H
    /// multiply-adds per tangent column rather than the G·H of <c>W_hh dh_{t-1}</c> (LSTM: 2H·H against 4H·H).
    /// </summary>
    /// <param name="t">Step of the last forward pass.</param>
    /// <param name="b">Batch element.</param>
    /// <param name="recurrent">Output [W, H], W = <see cref="LinearizedWidth"/>.</param>
    /// <param name="input">Output [W, in].</param>
    /// <param name="carry">Output [<see cref="LinearizedCarryWidth"/>].</param>
    public void Linearize(int t, int b, Span<T> recurrent, Span<T> input, Span<T> carry)
    {
        int w = LinearizedWidth;
        if (w == 0) throw new NotSupportedException($"{Cell} layers have no factored step Jacobian; use PropagateTangents");
        if ((uint)t >= (uint)Steps || (uint)b >= (uint)Batch)
            throw new ArgumentOutOfRangeException(nameof(t), $"step {t}, element {b} is outside the last forward pass ({Steps} steps × {Batch})");
        Checks.Length(recurrent.Length, w * HiddenSize, nameof(recurrent));
        Checks.Length(input.Length, w * InputSize, nameof(input));
        Checks.Length(carry.Length, LinearizedCarryWidth, nameof(carry));
        recurrent.Clear();
        input.Clear();
        LinearizeStep(t, b, recurrent, input, carry);
    }

    /// <summary>
    /// Finishes a linearised step for <paramref name="rows"/> tangent rows: <paramref name="p"/> [rows, W] (leading
    /// dimension <paramref name="ldp"/> ≥ W) holds the products of <see cref="Linearize"/>'s factors; <paramref name="dh"/> [rows, H] holds dh_{t-1} on entry
    /// and dh_t on return, <paramref name="dc"/> [rows, H] likewise for c (LSTM; empty otherwise).
    /// </summary>
    public virtual void CompleteLinearizedStep(ReadOnlySpan<T> carry, ReadOnlySpan<T> p, int rows, int ldp, Span<T> dh, Span<T> dc) =>
        throw new NotSupportedException($"{Cell} layers have no factored step Jacobian; use PropagateTangents");

    /// <summary>Writes the factors of step t (buffers validated and zeroed by <see cref="Linearize"/>).</summary>
    private protected virtual void LinearizeStep(int t, int b, Span<T> recurrent, Span<T> input, Span<T> carry) =>
        throw new NotSupportedException($"{Cell} layers have no factored step Jacobian");

    /// <summary>
    /// Adds the row-scaled block of both weight matrices to the factors: row j of <paramref name="recurrent"/> gets
    /// <c>scales[j] · W_hh[firstRow + j]</c> and row j of <paramref name="input"/> gets <c>scales[j] · W_ih[firstRow + j]</c>,
    /// for j below scales.Length; the factors' rows start at <paramref name="outputRow"/>.
    /// </summary>
    private protected void AddScaledWeightRows(int firstRow, ReadOnlySpan<T> scales, int outputRow, Span<T> recurrent, Span<T> input)
    {
        int h = HiddenSize, n = InputSize;
        ReadOnlySpan<T> whh = WeightHH.Value, wih = WeightIH.Value;
        for (int j = 0; j < scales.Length; j++)
        {
            K.Axpy(scales[j], whh.Slice((firstRow + j) * h, h), recurrent.Slice((outputRow + j) * h, h));
            K.Axpy(scales[j], wih.Slice((firstRow + j) * n, n), input.Slice((outputRow + j) * n, n));
        }
    }

    /// <summary>True when the input and recurrent projections have the same gradient (all cells but GRU).</summary>
    private protected virtual bool SharesProjectionGradient => true;

    /// <summary>
    /// The recurrence. On entry <see cref="InputCache"/>, <see cref="InitialState"/> and the detach masks
    /// are set; fill <see cref="GateCache"/>, <see cref="CellCache"/> (LSTM cells) and <see cref="HiddenCache"/>.
    /// </summary>
    private protected abstract void ForwardSteps(int steps, int batch);

    /// <summary>
    /// Backward through the recurrence: fill <see cref="GradX"/> (and <see cref="GradH"/> when not shared)
    /// for every step, carrying the state gradient in <see cref="HiddenGradient"/> and <see cref="CellGradient"/>
    /// (they hold the final state's gradient on entry and must hold the initial state's on return).
    /// Weight gradients are added by the caller.
    /// </summary>
    private protected abstract void BackwardSteps(ReadOnlySpan<T> dOutput);

    /// <summary>[B, H] gradient reaching h_t during <see cref="BackwardSteps"/>.</summary>
    private protected Span<T> HiddenGradient => StateGradient.AsSpan(0, Batch * HiddenSize);

    /// <summary>[B, H] gradient reaching c_t during <see cref="BackwardSteps"/> (LSTM cells).</summary>
    private protected Span<T> CellGradient => StateGradient.AsSpan(Batch * HiddenSize, Batch * HiddenSize);

    /// <summary>The forward-mode recurrence; arguments validated by <see cref="PropagateTangents"/>.</summary>
    private protected abstract void PropagateTangentSteps(ReadOnlySpan<TangentLane> lanes, int directions, int steps,
        ReadOnlySpan<T> inputTangents, int inputSteps, Span<T> hiddenTangents, Span<T> cellTangents);

    /// <summary>
    /// The recurrent product of one step over <paramref name="rows"/> rows: <c>c = a W_hhᵀ + beta c</c>
    /// ([rows, H] → [rows, G]) inside ForwardSteps, <c>c = a W_hh + beta c</c> ([rows, G] → [rows, H])
    /// inside BackwardSteps, with W_hh prepared once per pass.
    /// </summary>
    private protected void RecurrentProduct(ReadOnlySpan<T> a, int rows, T beta, Span<T> c)
    {
        long start = StepProfile.Start();
        K.Gemm(MatrixView.Of(a, rows, _recurrentWeights.K), _recurrentWeights, beta, MatrixView.Of(c, rows, _recurrentWeights.N));
        StepProfile.Stop(StepPhase.RecurrentProducts, start);
    }

    /// <summary>True when the gradient through h(t-1) into step t is blocked in the last forward pass.</summary>
    private protected bool IsHDetached(int t) => _hDetached[t];

    /// <summary>True when the gradient through c(t-1) into step t is blocked in the last forward pass.</summary>
    private protected bool IsCDetached(int t) => _cDetached[t];

    /// <summary>
    /// h_{t-1} as the recurrent input of step t's gates: the previous hidden state, except while detached
    /// paths are frozen (<see cref="FreezeDetachedPaths"/>) and step t is h-detached, when it is the value
    /// frozen then — a constant, which is exactly what stop-gradient means.
    /// </summary>
    private protected Span<T> RecurrentHidden(int t) =>
        _replayDetached && _hDetached[t] ? _frozenHidden.AsSpan(t * Batch * HiddenSize, Batch * HiddenSize) : PreviousHidden(t);

    /// <summary>c_{t-1} as carried into c_t; frozen like <see cref="RecurrentHidden"/> when step t is c-detached.</summary>
    private protected Span<T> CarriedCell(int t) =>
        _replayDetached && _cDetached[t] ? _frozenCell.AsSpan(t * Batch * HiddenSize, Batch * HiddenSize) : PreviousCell(t);

    /// <summary>
    /// Makes the detach surrogate an ordinary function for finite differences: later forward passes keep the
    /// current masks and feed detached steps the current h_{t-1} / c_{t-1} as constants. Undo with
    /// <see cref="ThawDetachedPaths"/>.
    /// </summary>
    internal void FreezeDetachedPaths()
    {
        int bh = Batch * HiddenSize;
        Buffers.Grow(ref _frozenHidden, Steps * bh);
        Buffers.Grow(ref _frozenCell, Steps * bh);
        for (int t = 0; t < Steps; t++)
        {
            PreviousHidden(t).CopyTo(_frozenHidden.AsSpan(t * bh, bh));
            if (StateCount == 2) PreviousCell(t).CopyTo(_frozenCell.AsSpan(t * bh, bh));
        }
        _replayDetached = true;
    }

    /// <summary>Ends <see cref="FreezeDetachedPaths"/>: masks are drawn again on each forward pass.</summary>
    internal void ThawDetachedPaths() => _replayDetached = false;

    /// <summary>Previous hidden state [B, H] for step t (the initial state at t = 0).</summary>
    private protected Span<T> PreviousHidden(int t) =>
        t == 0 ? InitialState.AsSpan(0, Batch * HiddenSize) : HiddenCache.AsSpan((t - 1) * Batch * HiddenSize, Batch * HiddenSize);

    /// <summary>Previous cell state [B, H] for step t (the initial state at t = 0).</summary>
    private protected Span<T> PreviousCell(int t) =>
        t == 0 ? InitialState.AsSpan(Batch * HiddenSize, Batch * HiddenSize) : CellCache.AsSpan((t - 1) * Batch * HiddenSize, Batch * HiddenSize);

    /// <summary>
    /// Input projection for all steps: <c>Z[t, b] = W_ih x[t, b] + (b_ih + b_hh)</c> (b_hh only when
    /// <paramref name="addRecurrentBias"/>), into <paramref name="z"/> [T·B, G]: the bias rows are written
    /// first and the product adds into them, one pass over Z instead of one per bias.
    /// </summary>
    private protected void ProjectInputs(int rows, bool addRecurrentBias, Span<T> z)
    {
        int g = GateWidth;
        long start = StepProfile.Start();
        Buffers.Grow(ref _gateRow, g);
        var biases = _gateRow.AsSpan(0, g);                                   // [G]
        if (addRecurrentBias) K.Add(BiasIH.Value, BiasHH.Value, biases);
        else BiasIH.Value.CopyTo(biases);
        for (int r = 0; r < rows; r++) biases.CopyTo(z.Slice(r * g, g));
        K.GemmAdd(MatrixView.Of<T>(InputCache, rows, InputSize), InputWeights.T, MatrixView.Of(z, rows, g));   // Z += X W_ihᵀ
        StepProfile.Stop(StepPhase.InputProjection, start);
    }

    /// <summary>
    /// Tangent of the pre-activations at tangent step <paramref name="tau"/> of
    /// <see cref="PropagateTangentSteps"/>: <c>dz = W_ih dx_tau + W_hh dh_{tau-1}</c> into <paramref name="dz"/>
    /// [rows, G], where dx is zero from step <paramref name="inputSteps"/> on and dh_{-1} is zero.
    /// <paramref name="inputTangents"/> is [inputSteps, rows, in], <paramref name="hiddenTangents"/> [steps, rows, H].
    /// </summary>
    private protected void ProjectTangents(int tau, int rows, ReadOnlySpan<T> inputTangents, int inputSteps,
        ReadOnlySpan<T> hiddenTangents, Span<T> dz)
    {
        int g = GateWidth, h = HiddenSize;
        bool haveInput = tau < inputSteps;
        if (haveInput)
            K.Gemm(MatrixView.Of(inputTangents.Slice(tau * rows * InputSize, rows * InputSize), rows, InputSize), InputWeights.T, MatrixView.Of(dz, rows, g));
        if (tau > 0)
            K.Gemm(T.One, MatrixView.Of(hiddenTangents.Slice((tau - 1) * rows * h, rows * h), rows, h), RecurrentWeights.T,
                haveInput ? T.One : T.Zero, MatrixView.Of(dz, rows, g));
        else if (!haveInput)
            dz.Clear();
    }

    private void Reserve(int steps, int batch)
    {
        int rows = steps * batch, h = HiddenSize;
        Buffers.Grow(ref InputCache, rows * InputSize);
        Buffers.Grow(ref InitialState, StateCount * batch * h);
        Buffers.Grow(ref GateCache, rows * GateCacheWidth);
        if (StateCount == 2) Buffers.Grow(ref CellCache, rows * h);
        Buffers.Grow(ref HiddenCache, rows * h);
        Buffers.Grow(ref GradX, rows * GateWidth);
        Buffers.Grow(ref StateGradient, StateCount * batch * h);
        if (!SharesProjectionGradient) Buffers.Grow(ref GradH, rows * GateWidth);
        if (_hDetached.Length < steps)
        {
            _hDetached = new bool[steps];
            _cDetached = new bool[steps];
        }
    }

    private void DrawDetachMasks(int steps)
    {
        if (_replayDetached)
        {
            if (steps != Steps) throw new InvalidOperationException("frozen detach masks replayed on a sequence of another length");
            return;
        }
        bool drawH = Training && HDetachProbability > 0, drawC = Training && CDetachProbability > 0;
        if (drawC && StateCount == 1)
            throw new InvalidOperationException($"c-detach needs a cell state c, which a {Cell} layer does not have; set CDetachProbability to 0");
        if ((drawH || drawC) && DetachRng is null)
            throw new InvalidOperationException("h-/c-detach needs DetachRng to be set");
        for (int t = 0; t < steps; t++)
        {
            _hDetached[t] = (drawH && DetachRng!.Bernoulli(HDetachProbability)) || AlwaysDetachHidden;
            _cDetached[t] = drawC && DetachRng!.Bernoulli(CDetachProbability);
        }
    }

    /// <summary>True for cells whose gradient never flows back in time through h (the 1997 truncation).</summary>
    private protected virtual bool AlwaysDetachHidden => false;
}
