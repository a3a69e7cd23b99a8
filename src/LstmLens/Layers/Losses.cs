// The losses of the model heads, each returning the mean loss over scored rows and writing the
// gradient with respect to its input (the logits or predictions). A "row" is one time step of one
// sequence (per-step heads) or one sequence (last-step heads); the heads decide which rows they pass.
// Losses are summed in double whatever T is, so a long batch's mean does not lose digits. Not a
// metrics module: accuracies and perplexities are computed by the training code from the logits.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>Loss functions over rows: value returned, gradient written (overwritten, not accumulated).</summary>
public static class Losses
{
    /// <summary>Target id of a row that is not scored (padding, unscored steps); PyTorch's default ignore_index.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>
    /// Softmax cross-entropy with integer targets. <paramref name="logits"/> [rows, C], <paramref name="targets"/>
    /// [rows] in [0, C) or <paramref name="ignoreIndex"/>; writes <paramref name="dLogits"/> [rows, C]
    /// (zero on ignored rows). Returns the mean over scored rows (0 when none is scored).
    /// </summary>
    /// <remarks><code>
    /// L = (1/N) Σ_{r scored} [logΣ_j exp(x_rj) − x_{r,y_r}],   N = number of scored rows
    /// dL/dx_rj = (softmax(x_r)_j − [j = y_r]) / N
    /// </code>PyTorch's CrossEntropyLoss(reduction="mean", ignore_index).</remarks>
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int rows, int classes,
        Span<T> dLogits, int ignoreIndex = IgnoreIndex, Kernels<T>? kernels = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var k = kernels ?? Compute.Kernels<T>();
        Checks.Length(logits.Length, rows * classes, nameof(logits));
        Checks.Length(targets.Length, rows, nameof(targets));
        Checks.Length(dLogits.Length, rows * classes, nameof(dLogits));
        int scored = 0;
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex) continue;
            Checks.Token(targets[r], r, classes);
            scored++;
        }
        dLogits.Clear();
        if (scored == 0) return 0;

        T inverse = T.One / T.CreateChecked(scored);
        Span<T> logSumExp = stackalloc T[1];
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            int y = targets[r];
            if (y == ignoreIndex) continue;
            var x = logits.Slice(r * classes, classes);
            var d = dLogits.Slice(r * classes, classes);
            k.SoftmaxRows(x, 1, classes, d, logSumExp);
            total += double.CreateChecked(logSumExp[0] - x[y]);
            d[y] -= T.One;
            k.Scale(inverse, d);
        }
        return total / scored;
    }

    /// <summary>
    /// Squared error. <paramref name="predictions"/> and <paramref name="targets"/> [rows, D]; writes
    /// <paramref name="dPredictions"/> [rows, D]. Returns half the mean over rows of the squared distance.
    /// </summary>
    /// <remarks><code>
    /// L = (1/2N) Σ_r ‖y_r − t_r‖²      dL/dy_r = (y_r − t_r) / N
    /// </code>With D = 1 this is ½ × PyTorch's MSELoss(reduction="mean"); the ½ makes the gradient the plain residual.</remarks>
    public static double SquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, int rows, int width,
        Span<T> dPredictions) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Checks.Length(predictions.Length, rows * width, nameof(predictions));
        Checks.Length(targets.Length, rows * width, nameof(targets));
        Checks.Length(dPredictions.Length, rows * width, nameof(dPredictions));
        T inverse = T.One / T.CreateChecked(rows);
        double total = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            T residual = predictions[i] - targets[i];
            total += double.CreateChecked(residual * residual);
            dPredictions[i] = residual * inverse;
        }
        return total / (2.0 * rows);
    }

    /// <summary>
    /// Multi-label sigmoid cross-entropy: each of the D output units is an independent yes/no prediction.
    /// <paramref name="logits"/> and <paramref name="targets"/> [rows, D], targets in [0, 1] (0 or 1 for
    /// "all legal next symbols"); writes <paramref name="dLogits"/> [rows, D]. Returns the mean over scored rows
    /// of the sum over units. <paramref name="scoredRows"/> [rows] marks the rows that count (padding is
    /// false); empty means every row (0 is returned when none counts).
    /// </summary>
    /// <remarks><code>
    /// L = (1/N) Σ_{r scored} Σ_j [max(x,0) − x t + log(1 + e^{−|x|})]_{rj}      (= −t log σ(x) − (1−t) log(1−σ(x)), stably)
    /// dL/dx_rj = (σ(x_rj) − t_rj) / N on scored rows, 0 elsewhere;   N = number of scored rows
    /// </code>This is D × PyTorch's BCEWithLogitsLoss(reduction="mean"), which averages over units as well.</remarks>
    public static double SigmoidCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int rows, int width,
        Span<T> dLogits, Kernels<T>? kernels = null, ReadOnlySpan<bool> scoredRows = default) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        var k = kernels ?? Compute.Kernels<T>();
        Checks.Length(logits.Length, rows * width, nameof(logits));
        Checks.Length(targets.Length, rows * width, nameof(targets));
        Checks.Length(dLogits.Length, rows * width, nameof(dLogits));
        if (!scoredRows.IsEmpty) Checks.Length(scoredRows.Length, rows, nameof(scoredRows));
        int scored = scoredRows.IsEmpty ? rows : scoredRows.Count(true);
        double total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            T x = logits[i], t = targets[i];
            if (!(t >= T.Zero && t <= T.One))
                throw new ArgumentOutOfRangeException(nameof(targets), $"target {t} at index {i} is outside [0, 1]");
            if (scoredRows.IsEmpty || scoredRows[i / width])
                total += double.CreateChecked(T.Max(x, T.Zero) - x * t + T.LogP1(T.Exp(-T.Abs(x))));
        }
        k.Sigmoid(logits, dLogits);
        k.Axpy(-T.One, targets, dLogits);
        if (scored == 0)
        {
            dLogits.Clear();
            return 0;
        }
        k.Scale(T.One / T.CreateChecked(scored), dLogits);
        for (int r = 0; r < scoredRows.Length; r++)
            if (!scoredRows[r]) dLogits.Slice(r * width, width).Clear();
        return total / scored;
    }
}
