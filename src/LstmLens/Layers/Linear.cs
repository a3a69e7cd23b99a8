// Fully connected layer (PyTorch nn.Linear): the decoder of every model head. Forward and backward
// are three matrix products and a column sum; the input is passed to Backward rather than cached,
// because the caller owns it.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>Affine map with <c>{prefix}weight</c> [out, in] and <c>{prefix}bias</c> [out], PyTorch's layout.</summary>
/// <remarks><code>
/// y = x Wᵀ + b
/// dW += dyᵀ x      db += Σ_rows dy      dx = dy W
/// </code></remarks>
public sealed class Linear<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Kernels<T> K;

    /// <summary>Declares <c>{prefix}weight</c> and <c>{prefix}bias</c> (e.g. prefix "decoder.").</summary>
    public Linear(ParameterStore<T> store, string prefix, int inputSize, int outputSize, Kernels<T>? kernels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, 1);
        K = kernels ?? Compute.Kernels<T>();
        InputSize = inputSize;
        OutputSize = outputSize;
        Weight = store.Add($"{prefix}weight", outputSize, inputSize);
        Bias = store.Add($"{prefix}bias", outputSize);
    }

    /// <summary>Features per input row.</summary>
    public int InputSize { get; }

    /// <summary>Features per output row.</summary>
    public int OutputSize { get; }

    /// <summary>W [out, in].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>b [out].</summary>
    public Parameter<T> Bias { get; }

    /// <summary>W as a matrix operand [out, in].</summary>
    private ReadOnlyMatrixView<T> W => MatrixView.Of<T>(Weight.Value, OutputSize, InputSize);

    /// <summary>Initialises W and b uniformly in [-1/√in, 1/√in), PyTorch's default.</summary>
    public void InitializeDefault(Rng rng)
    {
        double range = 1 / Math.Sqrt(InputSize);
        rng.FillUniform(Weight.Value, range);
        rng.FillUniform(Bias.Value, range);
    }

    /// <summary><paramref name="x"/> [rows, in] → <paramref name="y"/> [rows, out] = x Wᵀ + b.</summary>
    public void Forward(ReadOnlySpan<T> x, int rows, Span<T> y)
    {
        int n = InputSize, m = OutputSize;
        Checks.Length(x.Length, rows * n, nameof(x));
        Checks.Length(y.Length, rows * m, nameof(y));
        long start = StepProfile.Start();
        K.Gemm(MatrixView.Of(x, rows, n), W.T, MatrixView.Of(y, rows, m));   // y = x Wᵀ
        K.AddToRows(Bias.Value, rows, y);
        StepProfile.Stop(StepPhase.DecoderAndSoftmax, start);
    }

    /// <summary>
    /// Given the forward input <paramref name="x"/> [rows, in] and <paramref name="dy"/> [rows, out], adds dyᵀ x
    /// to the weight gradient and the column sums of dy to the bias gradient, and overwrites
    /// <paramref name="dx"/> [rows, in] with dy W (skipped when <paramref name="dx"/> is empty).
    /// </summary>
    public void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int rows, Span<T> dx)
    {
        int n = InputSize, m = OutputSize;
        Checks.Length(x.Length, rows * n, nameof(x));
        Checks.Length(dy.Length, rows * m, nameof(dy));
        if (!dx.IsEmpty) Checks.Length(dx.Length, rows * n, nameof(dx));
        long start = StepProfile.Start();
        K.GemmAdd(MatrixView.Of(dy, rows, m).T, MatrixView.Of(x, rows, n), MatrixView.Of(Weight.Gradient, m, n));   // dW += dyᵀ x
        K.SumRows(dy, rows, Bias.Gradient);
        StepProfile.Stop(StepPhase.WeightGradients, start);
        if (dx.IsEmpty) return;
        start = StepProfile.Start();
        K.Gemm(MatrixView.Of(dy, rows, m), W, MatrixView.Of(dx, rows, n));   // dx = dy W
        StepProfile.Stop(StepPhase.DecoderAndSoftmax, start);
    }
}
