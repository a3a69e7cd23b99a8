// The modern LSTM cell with forget gate, PyTorch nn.LSTM conventions (gate order i, f, g, o).
// The step recurrences: forward and backward with their element-wise part in one kernel per row
// (Kernels.LstmCellForward/LstmCellBackward, fused in the simd set), and forward-mode tangents. The
// shared input projection, bulk weight gradients and detach draws live in RecurrentLayer.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>LSTM layer with forget gate, packed like PyTorch: W_ih [4H, in], W_hh [4H, H], b_ih [4H], b_hh [4H].</summary>
/// <remarks>
/// <code>
/// z = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
/// i = σ(z_i)  f = σ(z_f)  g = tanh(z_g)  o = σ(z_o)
/// c_t = f ⊙ c_{t-1} + i ⊙ g        h_t = o ⊙ tanh(c_t)
/// </code>
/// h-detach blocks the gradient of step t's gates into h_{t-1}; c-detach blocks f ⊙ dc_t into c_{t-1}.
/// </remarks>
public sealed class Lstm<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly string[] Names = ["i", "f", "g", "o"];
    private T[] _tanhCells = []; // [T, B, H] tanh(c_t)
    private T[] _scratch = [];   // backward: dh, dc, dcPrev [B, H] each; tangents: dz [L·K, 4H]
    private T[] _scales = [];    // Linearize: the row scales of the i, f, g and o blocks [4, H]
    private Compute.ParallelParts? _parts;   // the recurrence over batch parts
    private int _partCount;
    private bool _forwardPass;
    private nint _dOutput;       // BackwardSteps: the pinned dOutput [T, B, H] while the parts run
    private int _dOutputLength;

    /// <summary>Batch rows per thread below which the recurrence stays whole and its products are threaded instead.</summary>
    internal static int MinimumRowsPerPart { get; set; } = 4;

    /// <summary>Creates layer <paramref name="index"/> named <c>{prefix}weight_ih_l{index}</c> etc.</summary>
    public Lstm(ParameterStore<T> store, string prefix, int index, int inputSize, int hiddenSize, Kernels<T>? kernels = null)
        : base(store, prefix, index, inputSize, hiddenSize, 4 * hiddenSize, kernels)
    {
    }

    /// <inheritdoc/>
    public override CellType Cell => CellType.Lstm;

    /// <inheritdoc/>
    public override int StateCount => 2;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames => Names;

    /// <summary>Adds <paramref name="offset"/> to the forget-gate part of b_ih (e.g. 1 for a forget bias of 1).</summary>
    public void AddForgetBias(T offset)
    {
        foreach (ref T b in BiasIH.Value.Slice(HiddenSize, HiddenSize)) b += offset;
    }

    private protected override void ForwardSteps(int steps, int batch)
    {
        int h = HiddenSize, rows = steps * batch;
        Buffers.Grow(ref _tanhCells, rows * h);
        ProjectInputs(rows, addRecurrentBias: true, GateCache); // Z_x for all steps, then += W_hh h_{t-1} per step
        RunRecurrence(forward: true);
    }

    /// <summary>The forward recurrence of batch rows [b0, b1) over all steps (rows never read each other's state).</summary>
    private void ForwardRows(int b0, int b1)
    {
        int steps = Steps, batch = Batch, h = HiddenSize, g = GateWidth, rows = b1 - b0;
        for (int t = 0; t < steps; t++)
        {
            int step = t * batch + b0;
            var z = GateCache.AsSpan(step * g, rows * g);                           // [rows, 4H]
            RecurrentProduct(RecurrentHidden(t).Slice(b0 * h, rows * h), rows, T.One, z);
            var cPrev = CarriedCell(t).Slice(b0 * h, rows * h);                     // [rows, H]
            var c = CellCache.AsSpan(step * h, rows * h);                           // [rows, H]
            var tanhC = _tanhCells.AsSpan(step * h, rows * h);                      // [rows, H]
            var hOut = HiddenCache.AsSpan(step * h, rows * h);                      // [rows, H]
            long start = StepProfile.Start();
            for (int b = 0; b < rows; b++)
            {
                var cells = new Range(b * h, (b + 1) * h);
                K.LstmCellForward(z.Slice(b * g, g), cPrev[cells], c[cells], tanhC[cells], hOut[cells]);
            }
            StepProfile.Stop(StepPhase.CellForward, start);
        }
    }

    private protected override unsafe void BackwardSteps(ReadOnlySpan<T> dOutput)
    {
        Buffers.Grow(ref _scratch, Batch * HiddenSize);
        fixed (T* pinned = dOutput)
        {
            (_dOutput, _dOutputLength) = ((nint)pinned, dOutput.Length);
            RunRecurrence(forward: false);
        }
        _dOutput = 0;
    }

    /// <summary>The backward recurrence of batch rows [b0, b1), from the last step to the first.</summary>
    private unsafe void BackwardRows(int b0, int b1)
    {
        int steps = Steps, batch = Batch, h = HiddenSize, g = GateWidth, rows = b1 - b0, bh = batch * h;
        var dOutput = new ReadOnlySpan<T>((T*)_dOutput, _dOutputLength);        // [T, B, H]
        var own = new Range(b0 * h, b1 * h);
        var dh = HiddenGradient[own];               // [rows, H] gradient reaching h_t
        var dc = CellGradient[own];                 // [rows, H] gradient reaching c_t
        var dcPrev = _scratch.AsSpan(own);          // [rows, H] gradient reaching c_{t-1}
        for (int t = steps - 1; t >= 0; t--)
        {
            long start = StepProfile.Start();
            int step = t * batch + b0;
            K.Add(dh, dOutput.Slice(t * bh + b0 * h, rows * h), dh);
            var gates = GateCache.AsSpan(step * g, rows * g);   // [rows, 4H] activated i, f, g, o
            var dz = GradX.AsSpan(step * g, rows * g);          // [rows, 4H] gradient w.r.t. pre-activations
            var cPrev = PreviousCell(t)[own];
            var tanhC = _tanhCells.AsSpan(step * h, rows * h);
            for (int b = 0; b < rows; b++)
            {
                var cells = new Range(b * h, (b + 1) * h);
                K.LstmCellBackward(gates.Slice(b * g, g), cPrev[cells], tanhC[cells], dh[cells], dc[cells], dz.Slice(b * g, g), dcPrev[cells]);
            }
            if (IsCDetached(t)) dc.Clear();
            else dcPrev.CopyTo(dc);
            StepProfile.Stop(StepPhase.CellBackward, start);
            // dh_{t-1} = dz W_hh, skipped entirely when h-detach blocks this step.
            if (IsHDetached(t)) dh.Clear();
            else RecurrentProduct(dz, rows, T.Zero, dh);
        }
    }

    /// <summary>
    /// Runs the forward or backward recurrence over the whole batch, or — with several threads and enough
    /// rows — over batch parts, one per thread, each owning its rows for the whole sequence: no
    /// synchronisation per step, the element-wise work split too, and each part's products the same
    /// arithmetic per element as the whole batch's (the simd product sums each element of C alone), so the
    /// result does not depend on the split.
    /// </summary>
    private void RunRecurrence(bool forward)
    {
        _forwardPass = forward;
        _parts ??= new Compute.ParallelParts(part =>
        {
            int b0 = part * Batch / _partCount, b1 = (part + 1) * Batch / _partCount;
            if (_forwardPass) ForwardRows(b0, b1);
            else BackwardRows(b0, b1);
        });
        _partCount = Math.Max(1, Math.Min(Compute.Threads, Batch / MinimumRowsPerPart));
        _parts.Run(_partCount);
    }
    /// <inheritdoc/>
    public override int LinearizedWidth => 2 * HiddenSize;

    /// <inheritdoc/>
    public override int LinearizedCarryWidth => 2 * HiddenSize;

    // dc_t = f ⊙ dc_{t-1} + c_{t-1} ⊙ df + g ⊙ di + i ⊙ dg and dh_t = tanh(c_t) ⊙ do + o ⊙ (1 - tanh²c_t) ⊙ dc_t, with
    // dz_k = σ'/tanh' ⊙ (W_hk dh_{t-1} + W_ik dx_t): the c part of the factors is Σ_k diag(α_k) W_k over i, f, g
    // (α_i = g ⊙ i(1 - i), α_f = c_{t-1} ⊙ f(1 - f), α_g = i ⊙ (1 - g²)), the h part diag(tanh c ⊙ o(1 - o)) W_o;
    // the carry is f and a = o ⊙ (1 - tanh²c).
    private protected override void LinearizeStep(int t, int b, Span<T> recurrent, Span<T> input, Span<T> carry)
    {
        int h = HiddenSize, g = GateWidth;
        Buffers.Grow(ref _scales, 4 * h);
        ReadOnlySpan<T> gates = GateCache.AsSpan((t * Batch + b) * g, g), cPrev = PreviousCell(t).Slice(b * h, h),
            tanhC = _tanhCells.AsSpan((t * Batch + b) * h, h);
        ReadOnlySpan<T> i = gates[..h], f = gates.Slice(h, h), gg = gates.Slice(2 * h, h), o = gates.Slice(3 * h, h);
        Span<T> alphaI = _scales.AsSpan(0, h), alphaF = _scales.AsSpan(h, h), alphaG = _scales.AsSpan(2 * h, h), beta = _scales.AsSpan(3 * h, h);
        K.SigmoidBackward(i, gg, alphaI);
        K.SigmoidBackward(f, cPrev, alphaF);
        K.TanhBackward(gg, i, alphaG);
        K.SigmoidBackward(o, tanhC, beta);
        AddScaledWeightRows(0, alphaI, 0, recurrent, input);
        AddScaledWeightRows(h, alphaF, 0, recurrent, input);
        AddScaledWeightRows(2 * h, alphaG, 0, recurrent, input);
        AddScaledWeightRows(3 * h, beta, h, recurrent, input);
        f.CopyTo(carry[..h]);
        K.TanhBackward(tanhC, o, carry[h..]);
    }

    /// <inheritdoc/>
    public override void CompleteLinearizedStep(ReadOnlySpan<T> carry, ReadOnlySpan<T> p, int rows, int ldp, Span<T> dh, Span<T> dc)
    {
        int h = HiddenSize;
        ReadOnlySpan<T> f = carry[..h], a = carry[h..];
        for (int r = 0; r < rows; r++)
        {
            var dcr = dc.Slice(r * h, h);
            var dhr = dh.Slice(r * h, h);
            var pr = p.Slice(r * ldp, 2 * h);
            K.MultiplyAdd(f, dcr, pr[..h], dcr);   // dc_t = f ⊙ dc_{t-1} + P_c
            K.MultiplyAdd(a, dcr, pr[h..], dhr);   // dh_t = a ⊙ dc_t + P_h
        }
    }

    private protected override void PropagateTangentSteps(ReadOnlySpan<TangentLane> lanes, int directions, int steps,
        ReadOnlySpan<T> inputTangents, int inputSteps, Span<T> hiddenTangents, Span<T> cellTangents)
    {
        int h = HiddenSize, g = GateWidth, batch = Batch, rows = lanes.Length * directions, block = rows * h;
        Buffers.Grow(ref _scratch, rows * g + block);
        var dz = _scratch.AsSpan(0, rows * g);           // [L·K, 4H] tangent of the pre-activations
        var dcOwn = _scratch.AsSpan(rows * g, block);    // [L·K, H] tangent of c when the caller skips it
        for (int tau = 0; tau < steps; tau++)
        {
            ProjectTangents(tau, rows, inputTangents, inputSteps, hiddenTangents, dz); // dz = W_ih dx_t + W_hh dh_{t-1}
            var dcOut = cellTangents.IsEmpty ? dcOwn : cellTangents.Slice(tau * block, block);
            var dhOut = hiddenTangents.Slice(tau * block, block);
            for (int l = 0; l < lanes.Length; l++)
            {
                int t = lanes[l].Start + tau, b = lanes[l].Batch;
                var gb = GateCache.AsSpan((t * batch + b) * g, g);
                var i = gb[..h];
                var f = gb.Slice(h, h);
                var gg = gb.Slice(2 * h, h);
                var o = gb.Slice(3 * h, h);
                var cPrev = PreviousCell(t).Slice(b * h, h);
                var tanhC = _tanhCells.AsSpan((t * batch + b) * h, h);
                for (int k = 0; k < directions; k++)
                {
                    int row = l * directions + k;
                    var dzr = dz.Slice(row * g, g);
                    var di = dzr[..h];
                    var df = dzr.Slice(h, h);
                    var dg = dzr.Slice(2 * h, h);
                    var dO = dzr.Slice(3 * h, h);
                    K.SigmoidBackward(gb[..(2 * h)], dzr[..(2 * h)], dzr[..(2 * h)]);
                    K.TanhBackward(gg, dg, dg);
                    K.SigmoidBackward(o, dO, dO);
                    // dc = df ⊙ c_{t-1} + f ⊙ dc_{t-1} + di ⊙ g + i ⊙ dg
                    var dcr = dcOut.Slice(row * h, h);
                    if (tau == 0) dcr.Clear();
                    else
                    {
                        var dcPrev = cellTangents.IsEmpty ? dcr : cellTangents.Slice((tau - 1) * block + row * h, h);
                        K.Multiply(f, dcPrev, dcr);
                    }
                    K.MultiplyAdd(df, cPrev, dcr);
                    K.MultiplyAdd(di, gg, dcr);
                    K.MultiplyAdd(i, dg, dcr);
                    // dh = do ⊙ tanh(c) + o ⊙ (1 - tanh²(c)) ⊙ dc
                    var dhr = dhOut.Slice(row * h, h);
                    K.Multiply(o, dcr, dhr);
                    K.TanhBackward(tanhC, dhr, dhr);
                    K.MultiplyAdd(dO, tanhC, dhr);
                }
            }
        }
    }
}
