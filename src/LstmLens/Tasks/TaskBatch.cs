// The buffers of one batch drawn from a SequenceTask, time-major and padded to the batch's longest
// sequence, plus the two views tasks use on them: a writer that fills one sequence of the batch and a
// reader of one sequence's model outputs. The buffers are reused from batch to batch and grow when a
// longer batch arrives (their layout [T, B, …] keeps every step's rows in place when T grows). Not a
// data set: it holds one batch.
using System.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// One batch of B sequences. Per-step buffers are [Steps, B, width] with Steps the longest length in the
/// batch; only the buffers the task's kinds use are non-empty.
/// </summary>
public sealed class TaskBatch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _tokenWidth, _vectorWidth, _stepClassWidth, _labelWidth;
    private int[] _tokens = [];      // [capacity, B]
    private T[] _vectors = [];       // [capacity, B, InputSize]
    private int[] _stepClasses = []; // [capacity, B]
    private T[] _stepLabels = [];    // [capacity, B, OutputSize]
    private readonly int[] _lengths; // [B]
    private readonly int[] _classes; // [B]
    private readonly T[] _values;    // [B, OutputSize]
    private int _capacity;

    /// <summary>Allocates buffers shaped for <paramref name="task"/> (and any task with the same kinds and sizes).</summary>
    public TaskBatch(SequenceTask task, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        (InputKind, InputSize, OutputKind, OutputSize, BatchSize) = (task.InputKind, task.InputSize, task.OutputKind, task.OutputSize, batchSize);
        _tokenWidth = InputKind == TaskInputKind.Tokens ? 1 : 0;
        _vectorWidth = InputKind == TaskInputKind.Vectors ? InputSize : 0;
        _stepClassWidth = OutputKind == OutputKind.PerStepSoftmax ? 1 : 0;
        _labelWidth = OutputKind == OutputKind.PerStepSigmoid ? OutputSize : 0;
        bool lastStep = OutputKind is OutputKind.LastStepSoftmax or OutputKind.LastStepRegression;
        _lengths = new int[batchSize];
        _classes = lastStep ? new int[batchSize] : [];
        _values = OutputKind == OutputKind.LastStepRegression ? new T[batchSize * OutputSize] : [];
        Grow(task.MaxLength ?? 2 * task.MinLength);
    }

    /// <summary>Input kind of the tasks this batch fits.</summary>
    public TaskInputKind InputKind { get; }

    /// <summary>Vocabulary size or feature count.</summary>
    public int InputSize { get; }

    /// <summary>Output kind of the tasks this batch fits.</summary>
    public OutputKind OutputKind { get; }

    /// <summary>Classes, regression outputs or labels.</summary>
    public int OutputSize { get; }

    /// <summary>B, sequences per batch.</summary>
    public int BatchSize { get; }

    /// <summary>T, the longest sequence of the current batch.</summary>
    public int Steps { get; private set; }

    /// <summary>[B] input steps of each sequence; steps t ≥ Lengths[b] of sequence b are padding.</summary>
    public ReadOnlySpan<int> Lengths => _lengths;

    /// <summary>[T, B] token ids (0 in padding); empty for vector tasks.</summary>
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Steps * BatchSize * _tokenWidth);

    /// <summary>[T, B, InputSize] input vectors (0 in padding); empty for token tasks.</summary>
    public ReadOnlySpan<T> Vectors => _vectors.AsSpan(0, Steps * BatchSize * _vectorWidth);

    /// <summary>[T, B] per-step class targets, <see cref="SequenceTask.IgnoreClass"/> in padding (per-step softmax tasks).</summary>
    public ReadOnlySpan<int> StepClasses => _stepClasses.AsSpan(0, Steps * BatchSize * _stepClassWidth);

    /// <summary>[T, B, OutputSize] per-step multi-hot labels, 0 in padding (per-step sigmoid tasks).</summary>
    public ReadOnlySpan<T> StepLabels => _stepLabels.AsSpan(0, Steps * BatchSize * _labelWidth);

    /// <summary>[B] the class of each sequence: the target of last-step softmax tasks; for last-step regression tasks with classes (two-sequence problem) the class that fixes the noise-free target.</summary>
    public ReadOnlySpan<int> Classes => _classes;

    /// <summary>[B, OutputSize] regression targets at the last step (with the task's target noise, if any).</summary>
    public ReadOnlySpan<T> Values => _values;

    /// <summary>Values a model's outputs for this batch must have: T·B·C per step, B·C last step.</summary>
    public int OutputLength => OutputKind is OutputKind.PerStepSoftmax or OutputKind.PerStepSigmoid
        ? Steps * BatchSize * OutputSize
        : BatchSize * OutputSize;

    /// <summary>Empties the batch: every row written so far back to padding.</summary>
    internal void Reset()
    {
        int rows = Steps * BatchSize;
        _tokens.AsSpan(0, rows * _tokenWidth).Clear();
        _vectors.AsSpan(0, rows * _vectorWidth).Clear();
        _stepClasses.AsSpan(0, rows * _stepClassWidth).Fill(SequenceTask.IgnoreClass);
        _stepLabels.AsSpan(0, rows * _labelWidth).Clear();
        _lengths.AsSpan().Clear();
        _classes.AsSpan().Clear();
        _values.AsSpan().Clear();
        Steps = 0;
    }

    internal void SetToken(int t, int b, int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)InputSize, nameof(id));
        Extend(t, b);
        _tokens[t * BatchSize + b] = id;
    }

    internal void SetVector(int t, int b, int feature, double value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)feature, (uint)InputSize, nameof(feature));
        Extend(t, b);
        _vectors[(t * BatchSize + b) * InputSize + feature] = T.CreateChecked(value);
    }

    internal void SetStepClass(int t, int b, int target)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)target, (uint)OutputSize, nameof(target));
        EnsureStep(t);
        _stepClasses[t * BatchSize + b] = target;
    }

    internal void SetStepLabel(int t, int b, int label)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)label, (uint)OutputSize, nameof(label));
        EnsureStep(t);
        _stepLabels[(t * BatchSize + b) * OutputSize + label] = T.One;
    }

    internal void SetClass(int b, int target)
    {
        if (target < 0 || (OutputKind == OutputKind.LastStepSoftmax && target >= OutputSize))
            throw new ArgumentOutOfRangeException(nameof(target), target, "a class is non-negative, and below OutputSize for softmax tasks");
        _classes[b] = target;
    }

    internal void SetValue(int b, int k, double value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)k, (uint)OutputSize, nameof(k));
        _values[b * OutputSize + k] = T.CreateChecked(value);
    }

    // An input at step t makes sequence b at least t + 1 steps long.
    private void Extend(int t, int b)
    {
        EnsureStep(t);
        _lengths[b] = Math.Max(_lengths[b], t + 1);
    }

    private void EnsureStep(int t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        if (t >= _capacity) Grow(Math.Max(2 * _capacity, t + 1));
        Steps = Math.Max(Steps, t + 1);
    }

    // Rows past the old capacity start as padding; rows below it keep their place (time-major layout).
    private void Grow(int capacity)
    {
        int oldRows = _capacity * BatchSize, rows = capacity * BatchSize;
        _tokens = Enlarge(_tokens, oldRows * _tokenWidth, rows * _tokenWidth, 0);
        _vectors = Enlarge(_vectors, oldRows * _vectorWidth, rows * _vectorWidth, T.Zero);
        _stepClasses = Enlarge(_stepClasses, oldRows * _stepClassWidth, rows * _stepClassWidth, SequenceTask.IgnoreClass);
        _stepLabels = Enlarge(_stepLabels, oldRows * _labelWidth, rows * _labelWidth, T.Zero);
        _capacity = capacity;
    }

    private static TItem[] Enlarge<TItem>(TItem[] old, int oldLength, int length, TItem padding)
    {
        var grown = new TItem[length];
        old.AsSpan(0, oldLength).CopyTo(grown);
        grown.AsSpan(oldLength).Fill(padding);
        return grown;
    }
}

/// <summary>Writes sequence b of a batch; a task's generator sees only this.</summary>
public readonly struct SequenceWriter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TaskBatch<T> _batch;
    private readonly int _b;

    internal SequenceWriter(TaskBatch<T> batch, int b) => (_batch, _b) = (batch, b);

    /// <summary>Input token at step t (extends the sequence to t + 1 steps).</summary>
    public void Token(int t, int id) => _batch.SetToken(t, _b, id);

    /// <summary>Input feature at step t (extends the sequence to t + 1 steps).</summary>
    public void Vector(int t, int feature, double value) => _batch.SetVector(t, _b, feature, value);

    /// <summary>Class target at step t (per-step softmax).</summary>
    public void StepClass(int t, int target) => _batch.SetStepClass(t, _b, target);

    /// <summary>Marks <paramref name="label"/> as on at step t (per-step sigmoid).</summary>
    public void StepLabel(int t, int label) => _batch.SetStepLabel(t, _b, label);

    /// <summary>The sequence's class (last-step softmax target, or the class behind a regression target).</summary>
    public void Class(int target) => _batch.SetClass(_b, target);

    /// <summary>Regression target k at the last step.</summary>
    public void Value(int k, double value) => _batch.SetValue(_b, k, value);
}

/// <summary>Sequence b of a batch with a model's outputs for it; a task's scorer sees only this.</summary>
public readonly ref struct SequenceOutputs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TaskBatch<T> _batch;
    private readonly ReadOnlySpan<T> _outputs;
    private readonly int _b;

    internal SequenceOutputs(TaskBatch<T> batch, ReadOnlySpan<T> outputs, int b)
    {
        _batch = batch;
        _outputs = outputs;
        _b = b;
    }

    /// <summary>Input steps of this sequence.</summary>
    public int Length => _batch.Lengths[_b];

    /// <summary>[OutputSize] outputs at step t (per-step heads).</summary>
    public ReadOnlySpan<T> At(int t) => _outputs.Slice((t * _batch.BatchSize + _b) * _batch.OutputSize, _batch.OutputSize);

    /// <summary>[OutputSize] outputs after the last step (last-step heads).</summary>
    public ReadOnlySpan<T> Final => _outputs.Slice(_b * _batch.OutputSize, _batch.OutputSize);

    /// <summary>Class target at step t.</summary>
    public int StepClass(int t) => _batch.StepClasses[t * _batch.BatchSize + _b];

    /// <summary>[OutputSize] multi-hot labels at step t.</summary>
    public ReadOnlySpan<T> StepLabels(int t) => _batch.StepLabels.Slice((t * _batch.BatchSize + _b) * _batch.OutputSize, _batch.OutputSize);

    /// <summary>The sequence's class.</summary>
    public int Class => _batch.Classes[_b];

    /// <summary>Regression target k.</summary>
    public double Value(int k) => double.CreateChecked(_batch.Values[_b * _batch.OutputSize + k]);
}
