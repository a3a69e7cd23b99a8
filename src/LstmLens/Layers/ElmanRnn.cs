// The Elman RNN with tanh, PyTorch nn.RNN(nonlinearity='tanh') conventions. Forward, backward and
// forward-mode tangents of one step, written out side by side. The shared input projection, bulk weight
// gradients and detach draws live in RecurrentLayer. Not the ReLU variant.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>Elman RNN layer with tanh, like PyTorch nn.RNN: W_ih [H, in], W_hh [H, H], b_ih [H], b_hh [H].</summary>
/// <remarks>
/// <code>
/// h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
/// </code>
/// The cell has no gates: <see cref="RecurrentLayer{T}.Gates"/> is empty and h_t is its only per-step value.
/// h-detach makes h_{t-1} a constant at the input of step t (stop-gradient), so no gradient flows from
/// step t back to earlier steps; there is no c, so c-detach is rejected.
/// </remarks>
public sealed class ElmanRnn<T> : RecurrentLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _scales = []; // Linearize: 1 - h_t² [H]

    /// <summary>Creates layer <paramref name="index"/> named <c>{prefix}weight_ih_l{index}</c> etc.</summary>
    public ElmanRnn(ParameterStore<T> store, string prefix, int index, int inputSize, int hiddenSize, Kernels<T>? kernels = null)
        : base(store, prefix, index, inputSize, hiddenSize, hiddenSize, kernels)
    {
    }

    /// <inheritdoc/>
    public override CellType Cell => CellType.Rnn;

    /// <inheritdoc/>
    public override int StateCount => 1;

    /// <inheritdoc/>
    public override IReadOnlyList<string> GateNames => [];

    /// <inheritdoc/>
    public override int GateCacheWidth => 0;

    private protected override void ForwardSteps(int steps, int batch)
    {
        int h = HiddenSize, rows = steps * batch;
        ProjectInputs(rows, addRecurrentBias: true, HiddenCache); // pre-activations of all steps, then += W_hh h_{t-1} per step
        for (int t = 0; t < steps; t++)
        {
            var hOut = HiddenCache.AsSpan(t * batch * h, batch * h);   // [B, H]
            RecurrentProduct(RecurrentHidden(t), batch, T.One, hOut);
            K.Tanh(hOut, hOut);
        }
    }

    private protected override void BackwardSteps(ReadOnlySpan<T> dOutput)
    {
        int steps = Steps, batch = Batch, h = HiddenSize, bh = batch * h;
        var dh = HiddenGradient;  // [B, H] gradient reaching h_t

        for (int t = steps - 1; t >= 0; t--)
        {
            var dz = GradX.AsSpan(t * bh, bh);                        // [B, H] gradient w.r.t. the pre-activation
            K.Add(dh, dOutput.Slice(t * bh, bh), dz);
            K.TanhBackward(HiddenCache.AsSpan(t * bh, bh), dz, dz);  // h = tanh(z)
            // dh_{t-1} = dz W_hh, skipped entirely when h-detach blocks this step.
            if (IsHDetached(t)) dh.Clear();
            else RecurrentProduct(dz, batch, T.Zero, dh);
        }
    }

    /// <inheritdoc/>
    public override int LinearizedWidth => HiddenSize;

    // dh_t = (1 - h_t²) ⊙ (W_hh dh_{t-1} + W_ih dx_t): both factors are the weights with rows scaled by 1 - h_t²; no carry.
    private protected override void LinearizeStep(int t, int b, Span<T> recurrent, Span<T> input, Span<T> carry)
    {
        int h = HiddenSize;
        ReadOnlySpan<T> hOut = HiddenCache.AsSpan((t * Batch + b) * h, h);
        Buffers.Grow(ref _scales, h);
        var scales = _scales.AsSpan(0, h);
        scales.Fill(T.One);
        K.TanhBackward(hOut, scales, scales);
        AddScaledWeightRows(0, scales, 0, recurrent, input);
    }

    /// <inheritdoc/>
    public override void CompleteLinearizedStep(ReadOnlySpan<T> carry, ReadOnlySpan<T> p, int rows, int ldp, Span<T> dh, Span<T> dc)
    {
        int h = HiddenSize;
        for (int row = 0; row < rows; row++) p.Slice(row * ldp, h).CopyTo(dh.Slice(row * h, h));
    }

    private protected override void PropagateTangentSteps(ReadOnlySpan<TangentLane> lanes, int directions, int steps,
        ReadOnlySpan<T> inputTangents, int inputSteps, Span<T> hiddenTangents, Span<T> cellTangents)
    {
        int h = HiddenSize, batch = Batch, rows = lanes.Length * directions, block = rows * h;
        for (int tau = 0; tau < steps; tau++)
        {
            // dz = W_ih dx_t + W_hh dh_{t-1}, built in place of dh_t
            var dhOut = hiddenTangents.Slice(tau * block, block);  // [L·K, H]
            bool haveInput = tau < inputSteps;
            if (haveInput)
                K.Gemm(MatrixView.Of(inputTangents.Slice(tau * rows * InputSize, rows * InputSize), rows, InputSize), InputWeights.T,
                    MatrixView.Of(dhOut, rows, h));
            if (tau > 0)
                K.Gemm(T.One, MatrixView.Of(hiddenTangents.Slice((tau - 1) * block, block), rows, h), RecurrentWeights.T,
                    haveInput ? T.One : T.Zero, MatrixView.Of(dhOut, rows, h));
            else if (!haveInput)
                dhOut.Clear();

            // dh = (1 - h²) ⊙ dz
            for (int l = 0; l < lanes.Length; l++)
            {
                int t = lanes[l].Start + tau, b = lanes[l].Batch;
                var hb = HiddenCache.AsSpan((t * batch + b) * h, h);
                for (int k = 0; k < directions; k++)
                {
                    var dhr = dhOut.Slice((l * directions + k) * h, h);
                    K.TanhBackward(hb, dhr, dhr);
                }
            }
        }
    }
}
