// The original LSTM memory cell of Hochreiter & Schmidhuber (1997): no forget gate, memory cell blocks
// sharing one input and one output gate, squashed cell input g and cell output h, optional staggered
// negative initial gate biases and the truncated gradient. Forward, backward and forward-mode tangents
// of one step, written out side by side like Lstm.cs. Not the modern LSTM (Lstm.cs), and not the
// paper's RTRL-style online learning: the truncated gradient of a sequence is computed here by backprop
// through time with the h path cut, which gives the same gradient; when to update is the trainer's business.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>
/// LSTM layer with the 1997 memory cell: H cells in NB = H / S blocks of size S. The G = H + 2·NB rows of
/// W_ih [G, in], W_hh [G, H], b_ih [G], b_hh [G] are packed [input gates NB][cell inputs H][output gates NB];
/// the rows of block k's gates are k and NB + H + k, its cells are rows NB + k·S … NB + k·S + S − 1.
/// </summary>
/// <remarks>
/// <code>
/// z = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
/// in = σ(z_in) [NB]   g = 4σ(z_g) − 2 [H]   out = σ(z_out) [NB]
/// c_t = c_{t-1} + in_{k(j)} · g_j          h_t = out_{k(j)} · (2σ(c_t) − 1)      for cell j in block k(j) = ⌊j / S⌋
/// </code>
/// H&amp;S 1997 eqs. for s_{c_j}(t) and y^{c_j}(t). g and h can be switched to the identity
/// (<see cref="Lstm1997Options"/>). <see cref="RecurrentLayer{T}.Gates"/> holds per step and batch element
/// the activated in [NB], g [H], out [NB]. With the truncated gradient (default) the gradient of step t's
/// nets never reaches h_{t-1}; it flows back in time only along c (the constant error carousel), where
/// c-detach can still block it. Forward-mode tangents are those of the true (untruncated) function.
/// </remarks>
public sealed class Lstm1997<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly string[] Names = ["in", "g", "out"];
    private readonly Squash _cellInput;   // g
    private readonly Squash _cellOutput;  // h
    private T[] _squashedCells = [];      // [T, B, H] h(c_t), the cell outputs before the output gate
    private T[] _scratch = [];            // backward: u [H]; tangents: dz [L·K, G], dc [L·K, H], u [H]

    /// <summary>
    /// Creates layer <paramref name="index"/> named <c>{prefix}weight_ih_l{index}</c> etc.; <paramref name="options"/>
    /// gives block size, squashings, truncation and gate biases (null: <see cref="Lstm1997Options.Default"/>).
    /// </summary>
    public Lstm1997(ParameterStore<T> store, string prefix, int index, int inputSize, int hiddenSize, Lstm1997Options? options = null,
        Kernels<T>? kernels = null)
        : base(store, prefix, index, inputSize, hiddenSize, PackedWidth(hiddenSize, options ?? Lstm1997Options.Default), kernels)
    {
        Options = options ?? Lstm1997Options.Default;
        BlockSize = Options.BlockSize;
        BlockCount = hiddenSize / BlockSize;
        _cellInput = new Squash(Options.SquashCellInput, range: 2);
        _cellOutput = new Squash(Options.SquashCellOutput, range: 1);
    }

    /// <summary>The options this layer was built with.</summary>
    public Lstm1997Options Options { get; }

    /// <summary>Cells per block, S.</summary>
    public int BlockSize { get; }

    /// <summary>Blocks, NB = H / S: the number of input gates and of output gates.</summary>
    public int BlockCount { get; }

    /// <inheritdoc/>
    public override CellType Cell => CellType.Lstm1997;

    /// <inheritdoc/>
    public override int StateCount => 2;

    /// <summary>"in" [NB], "g" [H], "out" [NB]: the blocks of a <see cref="RecurrentLayer{T}.Gates"/> row (widths differ).</summary>
    public override IReadOnlyList<string> GateNames => Names;

    /// <summary>
    /// Uniform draw in [-range, range), then the staggered gate biases of <see cref="Options"/>: for each
    /// gate with a schedule, b_ih is set to the block's bias and b_hh to zero, so the effective bias
    /// b_ih + b_hh is exactly the scheduled value (as in 1997, where only gate biases are exempt from the
    /// uniform draw). Cell-input biases and unscheduled gates keep the uniform draw.
    /// </summary>
    public override void InitializeUniform(Rng rng, double range)
    {
        base.InitializeUniform(rng, range);
        SetGateBiases(Options.InputGateBias, firstRow: 0);
        SetGateBiases(Options.OutputGateBias, firstRow: BlockCount + HiddenSize);
    }

    private void SetGateBiases(StaggeredBias? schedule, int firstRow)
    {
        if (schedule is not { } bias) return;
        for (int k = 0; k < BlockCount; k++)
        {
            BiasIH.Value[firstRow + k] = T.CreateChecked(bias.ForBlock(k));
            BiasHH.Value[firstRow + k] = T.Zero;
        }
    }

    private protected override bool AlwaysDetachHidden => Options.TruncatedGradient;

    private static int PackedWidth(int hiddenSize, Lstm1997Options options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, 1, nameof(options));
        if (hiddenSize % options.BlockSize != 0)
            throw new ArgumentException($"hidden size {hiddenSize} is not a multiple of the block size {options.BlockSize}", nameof(options));
        return hiddenSize + 2 * (hiddenSize / options.BlockSize);
    }

    private protected override void ForwardSteps(int steps, int batch)
    {
        int h = HiddenSize, g = GateWidth, nb = BlockCount, s = BlockSize, rows = steps * batch;
        Buffers.Grow(ref _squashedCells, rows * h);
        ProjectInputs(rows, addRecurrentBias: true, GateCache); // Z_x for all steps, then += W_hh h_{t-1} per step
        for (int t = 0; t < steps; t++)
        {
            var z = GateCache.AsSpan(t * batch * g, batch * g);                // [B, G]
            RecurrentProduct(RecurrentHidden(t), batch, T.One, z);
            var cPrev = CarriedCell(t);                                         // [B, H]
            var c = CellCache.AsSpan(t * batch * h, batch * h);                 // [B, H]
            var squashedC = _squashedCells.AsSpan(t * batch * h, batch * h);   // [B, H]
            var hOut = HiddenCache.AsSpan(t * batch * h, batch * h);            // [B, H]
            for (int b = 0; b < batch; b++)
            {
                var zb = z.Slice(b * g, g);
                var input = zb[..nb];
                var cellInput = zb.Slice(nb, h);
                var output = zb.Slice(nb + h, nb);
                K.Sigmoid(input, input);
                _cellInput.Apply(K, cellInput);
                K.Sigmoid(output, output);
                var cb = c.Slice(b * h, h);
                cPrev.Slice(b * h, h).CopyTo(cb);
                for (int k = 0; k < nb; k++) K.Axpy(input[k], cellInput.Slice(k * s, s), cb.Slice(k * s, s)); // c = c_{t-1} + in ⊙ g
                var sb = squashedC.Slice(b * h, h);
                cb.CopyTo(sb);
                _cellOutput.Apply(K, sb);
                var hb = hOut.Slice(b * h, h);
                sb.CopyTo(hb);
                for (int k = 0; k < nb; k++) K.Scale(output[k], hb.Slice(k * s, s));                           // h = out ⊙ h(c)
            }
        }
    }

    private protected override void BackwardSteps(ReadOnlySpan<T> dOutput)
    {
        int steps = Steps, batch = Batch, h = HiddenSize, g = GateWidth, nb = BlockCount, s = BlockSize, bh = batch * h;
        Buffers.Grow(ref _scratch, h);
        var dh = HiddenGradient;                // [B, H] gradient reaching h_t
        var dc = CellGradient;                  // [B, H] gradient reaching c_t
        var u = _scratch.AsSpan(0, h);          // [H] squash derivative workspace

        for (int t = steps - 1; t >= 0; t--)
        {
            K.Add(dh, dOutput.Slice(t * bh, bh), dh);
            var gates = GateCache.AsSpan(t * batch * g, batch * g);    // [B, G] activated in, g, out
            var dz = GradX.AsSpan(t * batch * g, batch * g);           // [B, G] gradient w.r.t. the nets
            var squashedC = _squashedCells.AsSpan(t * bh, bh);         // [B, H]
            for (int b = 0; b < batch; b++)
            {
                var gb = gates.Slice(b * g, g);
                var input = gb[..nb];
                var cellInput = gb.Slice(nb, h);
                var output = gb.Slice(nb + h, nb);
                var dzb = dz.Slice(b * g, g);
                var dInput = dzb[..nb];
                var dCellInput = dzb.Slice(nb, h);
                var dOut = dzb.Slice(nb + h, nb);
                var dhb = dh.Slice(b * h, h);
                var dcb = dc.Slice(b * h, h);
                var sb = squashedC.Slice(b * h, h);
                // h = out ⊙ h(c): dout_k = Σ_{j∈k} dh_j h(c_j), dc += out ⊙ h'(c) ⊙ dh
                for (int k = 0; k < nb; k++) dOut[k] = K.Dot(dhb.Slice(k * s, s), sb.Slice(k * s, s));
                _cellOutput.Backward(K, sb, dhb, dhb, u);
                // c = c_{t-1} + in ⊙ g: din_k = Σ_{j∈k} dc_j g_j, dg = in ⊙ dc; dc_{t-1} = dc (the carousel)
                for (int k = 0; k < nb; k++)
                {
                    var cells = new Range(k * s, k * s + s);
                    K.Axpy(output[k], dhb[cells], dcb[cells]);
                    dInput[k] = K.Dot(dcb[cells], cellInput[cells]);
                    dcb[cells].CopyTo(dCellInput[cells]);
                    K.Scale(input[k], dCellInput[cells]);
                }
                // through the activations
                K.SigmoidBackward(input, dInput, dInput);
                _cellInput.Backward(K, cellInput, dCellInput, dCellInput, u);
                K.SigmoidBackward(output, dOut, dOut);
            }
            if (IsCDetached(t)) dc.Clear();
            // dh_{t-1} = dz W_hh, skipped entirely when the step is h-detached (always under the truncated gradient).
            if (IsHDetached(t)) dh.Clear();
            else RecurrentProduct(dz, batch, T.Zero, dh);
        }
    }

    private protected override void PropagateTangentSteps(ReadOnlySpan<TangentLane> lanes, int directions, int steps,
        ReadOnlySpan<T> inputTangents, int inputSteps, Span<T> hiddenTangents, Span<T> cellTangents)
    {
        int h = HiddenSize, g = GateWidth, nb = BlockCount, s = BlockSize, batch = Batch;
        int rows = lanes.Length * directions, block = rows * h;
        Buffers.Grow(ref _scratch, rows * g + block + h);
        var dz = _scratch.AsSpan(0, rows * g);           // [L·K, G] tangent of the nets
        var dcOwn = _scratch.AsSpan(rows * g, block);    // [L·K, H] tangent of c when the caller skips it
        var u = _scratch.AsSpan(rows * g + block, h);    // [H] squash derivative workspace
        for (int tau = 0; tau < steps; tau++)
        {
            ProjectTangents(tau, rows, inputTangents, inputSteps, hiddenTangents, dz); // dz = W_ih dx_t + W_hh dh_{t-1}
            var dcOut = cellTangents.IsEmpty ? dcOwn : cellTangents.Slice(tau * block, block);
            var dhOut = hiddenTangents.Slice(tau * block, block);
            for (int l = 0; l < lanes.Length; l++)
            {
                int t = lanes[l].Start + tau, b = lanes[l].Batch;
                var gb = GateCache.AsSpan((t * batch + b) * g, g);
                var input = gb[..nb];
                var cellInput = gb.Slice(nb, h);
                var output = gb.Slice(nb + h, nb);
                var sb = _squashedCells.AsSpan((t * batch + b) * h, h);
                for (int direction = 0; direction < directions; direction++)
                {
                    int row = l * directions + direction;
                    var dzr = dz.Slice(row * g, g);
                    var dInput = dzr[..nb];
                    var dCellInput = dzr.Slice(nb, h);
                    var dOut = dzr.Slice(nb + h, nb);
                    K.SigmoidBackward(input, dInput, dInput);
                    _cellInput.Backward(K, cellInput, dCellInput, dCellInput, u);
                    K.SigmoidBackward(output, dOut, dOut);
                    // dc = dc_{t-1} + din ⊙ g + in ⊙ dg
                    var dcr = dcOut.Slice(row * h, h);
                    if (tau == 0) dcr.Clear();
                    else if (!cellTangents.IsEmpty) cellTangents.Slice((tau - 1) * block + row * h, h).CopyTo(dcr);
                    // dh = dout ⊙ h(c) + out ⊙ h'(c) ⊙ dc
                    var dhr = dhOut.Slice(row * h, h);
                    for (int k = 0; k < nb; k++)
                    {
                        var cells = new Range(k * s, k * s + s);
                        K.Axpy(dInput[k], cellInput[cells], dcr[cells]);
                        K.Axpy(input[k], dCellInput[cells], dcr[cells]);
                    }
                    _cellOutput.Backward(K, sb, dcr, dhr, u);
                    for (int k = 0; k < nb; k++)
                    {
                        var cells = new Range(k * s, k * s + s);
                        K.Scale(output[k], dhr[cells]);
                        K.Axpy(dOut[k], sb[cells], dhr[cells]);
                    }
                }
            }
        }
    }

    /// <summary>The squashing y = a · (2σ(x) − 1) = a · tanh(x / 2), range [−a, a]; or the identity when disabled.</summary>
    private readonly struct Squash
    {
        private static readonly T Half = T.CreateChecked(0.5);
        private readonly bool _enabled;
        private readonly T _range;         // a
        private readonly T _inverseRange;  // 1 / a
        private readonly T _halfRange;     // a / 2

        public Squash(bool enabled, double range)
        {
            _enabled = enabled;
            _range = T.CreateChecked(range);
            _inverseRange = T.CreateChecked(1 / range);
            _halfRange = T.CreateChecked(range / 2);
        }

        /// <summary>x ← φ(x).</summary>
        public void Apply(Kernels<T> kernels, Span<T> x)
        {
            if (!_enabled) return;
            kernels.Scale(Half, x);
            kernels.Tanh(x, x);
            kernels.Scale(_range, x);
        }

        /// <summary>
        /// <c>dx = dy ⊙ φ'(x)</c> from the output y = φ(x): φ'(x) = (a/2)(1 − (y/a)²). dy and dx may alias;
        /// <paramref name="workspace"/> holds at least y.Length elements.
        /// </summary>
        public void Backward(Kernels<T> kernels, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, Span<T> workspace)
        {
            if (!_enabled)
            {
                dy.CopyTo(dx);
                return;
            }
            var unit = workspace[..y.Length];  // tanh(x / 2)
            y.CopyTo(unit);
            kernels.Scale(_inverseRange, unit);
            kernels.TanhBackward(unit, dy, dx);
            kernels.Scale(_halfRange, dx);
        }
    }
}
