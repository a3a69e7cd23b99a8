// The gated recurrent unit, PyTorch nn.GRU conventions (gate order r, z, n, with b_hn inside the reset
// product). Forward, backward and forward-mode tangents of one step, written out side by side. The
// shared input projection, bulk weight gradients and detach draws live in RecurrentLayer. Not the
// Cho et al. variant that resets h before the matrix product.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>GRU layer packed like PyTorch nn.GRU: W_ih [3H, in], W_hh [3H, H], b_ih [3H], b_hh [3H], gate order r, z, n.</summary>
/// <remarks>
/// <code>
/// r = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
/// z = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
/// n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
/// h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
/// </code>
/// Because b_hn sits inside the reset product, the input and recurrent projections have different
/// gradients. h-detach is stop-gradient on h_{t-1} at the input of step t, as <c>h.detach()</c> in
/// PyTorch: it blocks the gates' recurrent products and the direct path z ⊙ h_{t-1} alike, so at a
/// detached step no gradient reaches earlier steps. There is no c, so c-detach is rejected.
/// </remarks>
public sealed class Gru<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly string[] Names = ["r", "z", "n", "hn"];
    private T[] _inputProjection = []; // [T, B, 3H] W_ih x_t + b_ih
    private T[] _scales = [];          // Linearize: the row scales of the r, z and n blocks [3, H]
    private T[] _scratch = [];         // forward: W_hh h_{t-1} + b_hh [B, 3H]; backward: 1 - z [H], h_{t-1} - n [H];
                                       // tangents: W_ih dx_t [L·K, 3H], W_hh dh_{t-1} [L·K, 3H], 1 - z [H], h_{t-1} - n [H]

    /// <summary>Creates layer <paramref name="index"/> named <c>{prefix}weight_ih_l{index}</c> etc.</summary>
    public Gru(ParameterStore<T> store, string prefix, int index, int inputSize, int hiddenSize, Kernels<T>? kernels = null)
        : base(store, prefix, index, inputSize, hiddenSize, 3 * hiddenSize, kernels)
    {
    }

    /// <inheritdoc/>
    public override CellType Cell => CellType.Gru;

    /// <inheritdoc/>
    public override int StateCount => 1;

    /// <summary>
    /// r, z, n (activated), then hn = W_hn h_{t-1} + b_hn, the recurrent part of n's pre-activation before r
    /// scales it (needed by backward and tangents).
    /// </summary>
    public override IReadOnlyList<string> GateNames => Names;

    /// <inheritdoc/>
    public override int GateCacheWidth => 4 * HiddenSize;

    private protected override bool SharesProjectionGradient => false;

    private protected override void ForwardSteps(int steps, int batch)
    {
        int h = HiddenSize, g = GateWidth, w = GateCacheWidth, rows = steps * batch;
        Buffers.Grow(ref _inputProjection, rows * g);
        Buffers.Grow(ref _scratch, batch * g);
        ProjectInputs(rows, addRecurrentBias: false, _inputProjection);
        var zh = _scratch.AsSpan(0, batch * g);                               // [B, 3H] W_hh h_{t-1} + b_hh
        for (int t = 0; t < steps; t++)
        {
            var hPrev = RecurrentHidden(t);                                    // [B, H]
            RecurrentProduct(hPrev, batch, T.Zero, zh);
            K.AddToRows(BiasHH.Value, batch, zh);
            var zx = _inputProjection.AsSpan(t * batch * g, batch * g);        // [B, 3H]
            var gates = GateCache.AsSpan(t * batch * w, batch * w);            // [B, 4H] r, z, n, hn
            var hOut = HiddenCache.AsSpan(t * batch * h, batch * h);           // [B, H]
            for (int b = 0; b < batch; b++)
            {
                var gb = gates.Slice(b * w, w);
                var r = gb[..h];
                var z = gb.Slice(h, h);
                var n = gb.Slice(2 * h, h);
                var hn = gb.Slice(3 * h, h);
                var zxb = zx.Slice(b * g, g);
                var zhb = zh.Slice(b * g, g);
                K.Add(zxb[..(2 * h)], zhb[..(2 * h)], gb[..(2 * h)]);  // r, z
                K.Sigmoid(gb[..(2 * h)], gb[..(2 * h)]);
                zhb.Slice(2 * h, h).CopyTo(hn);
                K.Multiply(r, hn, n);                                   // n = tanh(x_n + r ⊙ hn)
                K.Add(n, zxb.Slice(2 * h, h), n);
                K.Tanh(n, n);
                var hb = hOut.Slice(b * h, h);                          // h = n + z ⊙ (h_{t-1} - n)
                hPrev.Slice(b * h, h).CopyTo(hb);
                K.Axpy(-T.One, n, hb);
                K.Multiply(z, hb, hb);
                K.Add(hb, n, hb);
            }
        }
    }

    private protected override void BackwardSteps(ReadOnlySpan<T> dOutput)
    {
        int steps = Steps, batch = Batch, h = HiddenSize, g = GateWidth, w = GateCacheWidth, bh = batch * h;
        Buffers.Grow(ref _scratch, 2 * h);
        var dh = HiddenGradient;                      // [B, H] gradient reaching h_t
        var dhdn = _scratch.AsSpan(0, h);             // [H] ∂h_t/∂n = 1 - z
        var dhdz = _scratch.AsSpan(h, h);             // [H] ∂h_t/∂z = h_{t-1} - n

        for (int t = steps - 1; t >= 0; t--)
        {
            K.Add(dh, dOutput.Slice(t * bh, bh), dh);
            var gates = GateCache.AsSpan(t * batch * w, batch * w);  // [B, 4H] r, z, n, hn
            var dZx = GradX.AsSpan(t * batch * g, batch * g);        // [B, 3H] gradient w.r.t. W_ih x + b_ih: dr, dz, dn
            var dZh = GradH.AsSpan(t * batch * g, batch * g);        // [B, 3H] gradient w.r.t. W_hh h + b_hh: dr, dz, dhn
            var hPrev = PreviousHidden(t);
            for (int b = 0; b < batch; b++)
            {
                var gb = gates.Slice(b * w, w);
                var r = gb[..h];
                var z = gb.Slice(h, h);
                var n = gb.Slice(2 * h, h);
                var hn = gb.Slice(3 * h, h);
                var dZxb = dZx.Slice(b * g, g);
                var dZhb = dZh.Slice(b * g, g);
                var dr = dZxb[..h];
                var dz = dZxb.Slice(h, h);
                var dn = dZxb.Slice(2 * h, h);
                var dhn = dZhb.Slice(2 * h, h);
                var dhb = dh.Slice(b * h, h);
                // h = (1 - z) ⊙ n + z ⊙ h_{t-1}; dh keeps z ⊙ dh, the direct part of dh_{t-1}
                MixDerivatives(z, n, hPrev.Slice(b * h, h), dhdn, dhdz);
                K.Multiply(dhb, dhdn, dn);
                K.Multiply(dhb, dhdz, dz);
                K.Multiply(dhb, z, dhb);
                // n = tanh(x_n + r ⊙ hn)
                K.TanhBackward(n, dn, dn);
                K.Multiply(dn, r, dhn);
                K.Multiply(dn, hn, dr);
                // through the sigmoids of r and z, whose pre-activations take x and h alike
                K.SigmoidBackward(gb[..(2 * h)], dZxb[..(2 * h)], dZxb[..(2 * h)]);
                dZxb[..(2 * h)].CopyTo(dZhb[..(2 * h)]);
            }
            // dh_{t-1} = z ⊙ dh_t + dZh W_hh; stop-gradient at an h-detached step blocks both terms.
            if (IsHDetached(t)) dh.Clear();
            else RecurrentProduct(dZh, batch, T.One, dh);
        }
    }

    /// <inheritdoc/>
    public override int LinearizedWidth => HiddenSize;

    /// <inheritdoc/>
    public override int LinearizedCarryWidth => HiddenSize;

    // dh_t = z ⊙ dh_{t-1} + (1 - z) ⊙ dn + (h_{t-1} - n) ⊙ dz with dn = (1 - n²) ⊙ (W_in dx + hn ⊙ dr + r ⊙ W_hn dh_{t-1})
    // and dr, dz = σ' ⊙ (W_i· dx + W_h· dh_{t-1}): with γ = (1 - z)(1 - n²) the factors are
    // diag(γ ⊙ hn ⊙ r(1 - r)) W_r + diag((h_{t-1} - n) ⊙ z(1 - z)) W_z + diag(γ) W_in (input) or diag(γ ⊙ r) W_hn (recurrent);
    // the carry is z.
    private protected override void LinearizeStep(int t, int b, Span<T> recurrent, Span<T> input, Span<T> carry)
    {
        int h = HiddenSize, w = GateCacheWidth;
        Buffers.Grow(ref _scales, 4 * h);
        ReadOnlySpan<T> gates = GateCache.AsSpan((t * Batch + b) * w, w), hPrev = PreviousHidden(t).Slice(b * h, h);
        ReadOnlySpan<T> r = gates[..h], z = gates.Slice(h, h), n = gates.Slice(2 * h, h), hn = gates.Slice(3 * h, h);
        Span<T> scaleR = _scales.AsSpan(0, h), scaleZ = _scales.AsSpan(h, h), gamma = _scales.AsSpan(2 * h, h), gammaR = _scales.AsSpan(3 * h, h);
        gamma.Fill(T.One);                               // γ = (1 - z)(1 - n²)
        K.Axpy(-T.One, z, gamma);
        K.TanhBackward(n, gamma, gamma);
        K.Multiply(gamma, hn, scaleR);
        K.SigmoidBackward(r, scaleR, scaleR);
        hPrev.CopyTo(scaleZ);
        K.Axpy(-T.One, n, scaleZ);
        K.SigmoidBackward(z, scaleZ, scaleZ);
        K.Multiply(gamma, r, gammaR);
        ReadOnlySpan<T> whh = WeightHH.Value, wih = WeightIH.Value;
        int inputs = InputSize;
        for (int j = 0; j < h; j++)
        {
            var rowR = recurrent.Slice(j * h, h);
            var rowX = input.Slice(j * inputs, inputs);
            K.Axpy(scaleR[j], whh.Slice(j * h, h), rowR);
            K.Axpy(scaleZ[j], whh.Slice((h + j) * h, h), rowR);
            K.Axpy(gammaR[j], whh.Slice((2 * h + j) * h, h), rowR);
            K.Axpy(scaleR[j], wih.Slice(j * inputs, inputs), rowX);
            K.Axpy(scaleZ[j], wih.Slice((h + j) * inputs, inputs), rowX);
            K.Axpy(gamma[j], wih.Slice((2 * h + j) * inputs, inputs), rowX);
        }
        z.CopyTo(carry);
    }

    /// <inheritdoc/>
    public override void CompleteLinearizedStep(ReadOnlySpan<T> carry, ReadOnlySpan<T> p, int rows, int ldp, Span<T> dh, Span<T> dc)
    {
        int h = HiddenSize;
        for (int row = 0; row < rows; row++)
        {
            var dhr = dh.Slice(row * h, h);
            K.MultiplyAdd(carry, dhr, p.Slice(row * ldp, h), dhr); // dh_t = z ⊙ dh_{t-1} + P
        }
    }

    private protected override void PropagateTangentSteps(ReadOnlySpan<TangentLane> lanes, int directions, int steps,
        ReadOnlySpan<T> inputTangents, int inputSteps, Span<T> hiddenTangents, Span<T> cellTangents)
    {
        int h = HiddenSize, g = GateWidth, w = GateCacheWidth, batch = Batch, rows = lanes.Length * directions, block = rows * h;
        Buffers.Grow(ref _scratch, 2 * rows * g + 2 * h);
        var dZx = _scratch.AsSpan(0, rows * g);          // [L·K, 3H] W_ih dx_t
        var dZh = _scratch.AsSpan(rows * g, rows * g);   // [L·K, 3H] W_hh dh_{t-1}
        var dhdn = _scratch.AsSpan(2 * rows * g, h);     // [H] 1 - z
        var dhdz = _scratch.AsSpan(2 * rows * g + h, h); // [H] h_{t-1} - n
        for (int tau = 0; tau < steps; tau++)
        {
            if (tau < inputSteps)
                K.Gemm(MatrixView.Of(inputTangents.Slice(tau * rows * InputSize, rows * InputSize), rows, InputSize), InputWeights.T,
                    MatrixView.Of(dZx, rows, g));
            else
                dZx.Clear();
            if (tau > 0)
                K.Gemm(MatrixView.Of(hiddenTangents.Slice((tau - 1) * block, block), rows, h), RecurrentWeights.T, MatrixView.Of(dZh, rows, g));
            else
                dZh.Clear();

            for (int l = 0; l < lanes.Length; l++)
            {
                int t = lanes[l].Start + tau, b = lanes[l].Batch;
                var gb = GateCache.AsSpan((t * batch + b) * w, w);
                var r = gb[..h];
                var z = gb.Slice(h, h);
                var n = gb.Slice(2 * h, h);
                var hn = gb.Slice(3 * h, h);
                MixDerivatives(z, n, PreviousHidden(t).Slice(b * h, h), dhdn, dhdz);
                for (int k = 0; k < directions; k++)
                {
                    int row = l * directions + k;
                    var dZxr = dZx.Slice(row * g, g);
                    var dZhr = dZh.Slice(row * g, g);
                    var dr = dZxr[..h];
                    var dz = dZxr.Slice(h, h);
                    var dn = dZxr.Slice(2 * h, h);
                    // dr, dz = σ' ⊙ (W_i dx_t + W_h dh_{t-1})
                    K.Add(dZxr[..(2 * h)], dZhr[..(2 * h)], dZxr[..(2 * h)]);
                    K.SigmoidBackward(gb[..(2 * h)], dZxr[..(2 * h)], dZxr[..(2 * h)]);
                    // dn = (1 - n²) ⊙ (W_in dx_t + dr ⊙ hn + r ⊙ W_hn dh_{t-1})
                    K.MultiplyAdd(dr, hn, dn);
                    K.MultiplyAdd(r, dZhr.Slice(2 * h, h), dn);
                    K.TanhBackward(n, dn, dn);
                    // dh = (1 - z) ⊙ dn + (h_{t-1} - n) ⊙ dz + z ⊙ dh_{t-1}
                    var dhr = hiddenTangents.Slice(tau * block + row * h, h);
                    K.Multiply(dhdn, dn, dhr);
                    K.MultiplyAdd(dhdz, dz, dhr);
                    if (tau > 0) K.MultiplyAdd(z, hiddenTangents.Slice((tau - 1) * block + row * h, h), dhr);
                }
            }
        }
    }

    /// <summary>The partial derivatives of one row of <c>h = (1 - z) ⊙ n + z ⊙ h_{t-1}</c>: ∂h/∂n = 1 - z, ∂h/∂z = h_{t-1} - n.</summary>
    private void MixDerivatives(ReadOnlySpan<T> z, ReadOnlySpan<T> n, ReadOnlySpan<T> hPrev, Span<T> dhdn, Span<T> dhdz)
    {
        dhdn.Fill(T.One);
        K.Axpy(-T.One, z, dhdn);
        hPrev.CopyTo(dhdz);
        K.Axpy(-T.One, n, dhdz);
    }
}
