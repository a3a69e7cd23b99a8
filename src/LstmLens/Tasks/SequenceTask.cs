// The one shape every synthetic sequence task has (1997 tasks 1–6, copying, pixel-by-pixel images), so
// that training code can treat them alike: what the model reads (token ids or real vectors), which head
// it needs (per-step softmax, last-step softmax, last-step regression, per-step sigmoid), how a batch is
// drawn, and the paper's success criterion applied to the model's outputs. Not a trainer, not a model,
// not a data set: batches are drawn on demand from an Rng into a reusable TaskBatch.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>What a task feeds the network at each step.</summary>
public enum TaskInputKind
{
    /// <summary>One token id per step, in [0, <see cref="SequenceTask.InputSize"/>) (embed or one-hot it).</summary>
    Tokens,
    /// <summary>A real vector of <see cref="SequenceTask.InputSize"/> features per step.</summary>
    Vectors,
}

/// <summary>Which output head a task needs; <see cref="SequenceTask.OutputSize"/> is its width.</summary>
public enum OutputKind
{
    /// <summary>A softmax over classes at every step; targets <see cref="TaskBatch{T}.StepClasses"/> [T, B].</summary>
    PerStepSoftmax,
    /// <summary>A softmax over classes after the last step; targets <see cref="TaskBatch{T}.Classes"/> [B].</summary>
    LastStepSoftmax,
    /// <summary>Real outputs after the last step, squared error; targets <see cref="TaskBatch{T}.Values"/> [B, d].</summary>
    LastStepRegression,
    /// <summary>Independent sigmoids at every step (multi-label); targets <see cref="TaskBatch{T}.StepLabels"/> [T, B, C].</summary>
    PerStepSigmoid,
}

/// <summary>
/// Scored predictions summed over batches: one prediction per sequence for every 1997 task and the image
/// tasks, one per recalled symbol for copying. <see cref="AbsoluteErrorSum"/> adds each prediction's
/// absolute error as the paper measures it (output minus noise-free target for regression; the largest
/// absolute error over the output units against the one-hot target for classification).
/// </summary>
public readonly record struct TaskScore(long Predictions, long Wrong, double AbsoluteErrorSum)
{
    /// <summary>One prediction.</summary>
    public static TaskScore Single(bool wrong, double absoluteError = 0) => new(1, wrong ? 1 : 0, absoluteError);

    /// <summary>Sums two scores (e.g. of consecutive test batches).</summary>
    public static TaskScore operator +(TaskScore a, TaskScore b) =>
        new(a.Predictions + b.Predictions, a.Wrong + b.Wrong, a.AbsoluteErrorSum + b.AbsoluteErrorSum);

    /// <summary>Fraction of wrong predictions (0 when nothing was scored).</summary>
    public double WrongFraction => Predictions == 0 ? 0 : (double)Wrong / Predictions;

    /// <summary>1 − <see cref="WrongFraction"/>.</summary>
    public double Accuracy => 1 - WrongFraction;

    /// <summary>Mean absolute error per prediction.</summary>
    public double MeanAbsoluteError => Predictions == 0 ? 0 : AbsoluteErrorSum / Predictions;
}

/// <summary>
/// A paper's success criterion: <see cref="WrongPrediction"/> says when one prediction is wrong; the task is
/// solved on a test set when at most <see cref="AllowedWrongFraction"/> of the predictions are wrong and the
/// mean absolute error is below <see cref="MeanAbsoluteErrorBelow"/>.
/// </summary>
public sealed record SuccessCriterion(string WrongPrediction, double AllowedWrongFraction = 0, double MeanAbsoluteErrorBelow = double.PositiveInfinity)
{
    /// <summary>True when <paramref name="score"/> (over at least one prediction) meets the criterion.</summary>
    public bool IsMetBy(TaskScore score) =>
        score.Predictions > 0 && score.WrongFraction <= AllowedWrongFraction && score.MeanAbsoluteError < MeanAbsoluteErrorBelow;

    /// <summary>The criterion in words.</summary>
    public override string ToString()
    {
        string wrong = AllowedWrongFraction == 0 ? "no prediction wrong" : $"at most {AllowedWrongFraction:G4} of predictions wrong";
        string error = double.IsPositiveInfinity(MeanAbsoluteErrorBelow) ? "" : $" and mean absolute error < {MeanAbsoluteErrorBelow:G4}";
        return $"wrong when {WrongPrediction}; solved with {wrong}{error}";
    }
}

/// <summary>
/// A synthetic sequence task: draws batches of sequences with their targets and scores a model's outputs
/// against the paper's criterion. Batches are time-major and padded to their longest sequence; steps at or
/// beyond a sequence's length are padding (token 0, zero vectors, <see cref="IgnoreClass"/>, zero labels).
/// </summary>
/// <remarks>
/// Outputs passed to <see cref="Score{T}"/> are what the head emits after its nonlinearity: probabilities
/// for the softmax and sigmoid heads ([T, B, C] per step, [B, C] last step), values [B, d] for regression.
/// The 1997 criteria threshold the absolute error of every output unit against a one-hot target; on
/// probabilities that is the same test the paper applied to its logistic output units.
/// </remarks>
public abstract class SequenceTask
{
    /// <summary>Per-step class target of steps that carry no target (padding).</summary>
    public const int IgnoreClass = Layers.Losses.IgnoreIndex;

    /// <summary>Token ids or real vectors.</summary>
    public abstract TaskInputKind InputKind { get; }

    /// <summary>Vocabulary size (tokens) or feature count (vectors).</summary>
    public abstract int InputSize { get; }

    /// <summary>The head the task needs.</summary>
    public abstract OutputKind OutputKind { get; }

    /// <summary>Classes, regression outputs or labels.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Shortest sequence (input steps).</summary>
    public abstract int MinLength { get; }

    /// <summary>Longest sequence, or null when lengths are unbounded (geometric tails).</summary>
    public abstract int? MaxLength { get; }

    /// <summary>The paper's success criterion.</summary>
    public abstract SuccessCriterion Criterion { get; }

    /// <summary>True when the outputs behind <paramref name="score"/> meet <see cref="Criterion"/>.</summary>
    public bool Solved(TaskScore score) => Criterion.IsMetBy(score);

    /// <summary>Draws <see cref="TaskBatch{T}.BatchSize"/> fresh sequences into <paramref name="batch"/>.</summary>
    public void Sample<T>(Rng rng, TaskBatch<T> batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckShape(batch);
        batch.Reset();
        for (int b = 0; b < batch.BatchSize; b++) DrawSequence(rng, new SequenceWriter<T>(batch, b));
    }

    /// <summary>Scores <paramref name="outputs"/> (shaped as in the remarks) against the targets of <paramref name="batch"/>.</summary>
    public TaskScore Score<T>(TaskBatch<T> batch, ReadOnlySpan<T> outputs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(batch);
        if (outputs.Length != batch.OutputLength)
            throw new ArgumentException($"outputs have {outputs.Length} values; this batch needs {batch.OutputLength} ({OutputKind}, {OutputSize} wide)", nameof(outputs));
        var score = default(TaskScore);
        for (int b = 0; b < batch.BatchSize; b++) score += ScoreSequence(new SequenceOutputs<T>(batch, outputs, b));
        return score;
    }

    /// <summary>Writes one sequence (inputs, then targets) through <paramref name="sequence"/>.</summary>
    protected abstract void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Scores one sequence's outputs.</summary>
    protected abstract TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The 1997 criterion ABS(<paramref name="bound"/>) on a classification output: its error is
    /// max_k |y_k − [k = target]| against the one-hot target, and it is wrong unless that is below the bound.
    /// </summary>
    protected static TaskScore OneHotScore<T>(ReadOnlySpan<T> outputs, int target, double bound) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double worst = 0;
        for (int k = 0; k < outputs.Length; k++)
            worst = Math.Max(worst, Math.Abs(double.CreateChecked(outputs[k]) - (k == target ? 1.0 : 0.0)));
        return TaskScore.Single(worst >= bound, worst);
    }

    /// <summary>True when the output of <paramref name="target"/> is larger than every other output (a tie is not a hit).</summary>
    protected static bool IsStrictArgMax<T>(ReadOnlySpan<T> outputs, int target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < outputs.Length; k++)
            if (k != target && !(outputs[k] < outputs[target])) return false;
        return true;
    }

    /// <summary>Throws unless <paramref name="batch"/> has this task's kinds and sizes.</summary>
    protected void CheckShape<T>(TaskBatch<T> batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(batch);
        if ((batch.InputKind, batch.InputSize, batch.OutputKind, batch.OutputSize) != (InputKind, InputSize, OutputKind, OutputSize))
            throw new ArgumentException($"the batch holds {batch.InputKind} × {batch.InputSize} → {batch.OutputKind} × {batch.OutputSize}; this task needs {InputKind} × {InputSize} → {OutputKind} × {OutputSize}", nameof(batch));
    }
}
