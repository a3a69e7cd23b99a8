// Training a SequenceModel on a synthetic SequenceTask (1997 tasks 1–6, copying, pixel-by-pixel
// images): fresh sequences for every batch, state reset per sequence (every batch starts from zeros),
// online (batch 1) or mini-batch updates through the shared Updater, evaluation on a fixed set of fresh
// sequences (same evaluation seed every time) scored with the task's own criterion, stopping when solved
// (1997: "sequences to success") or when the budget is spent, and evaluation of the trained model on other
// tasks of the same shape (transfer to longer lags). With a checkpoint path, training saves its whole
// state there after every evaluation and when asked to stop, and a new trainer of the same run continues
// from it exactly (a killed or requeued run resumes). Not a language-model trainer: no state is carried
// between batches and there is no corpus; not a command: printing is left to the callbacks.
using System.Numerics;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Training;

/// <summary>How long to train on a task and how to evaluate it; hyper-parameters are in <see cref="TrainingOptions"/>.</summary>
public sealed record TaskTrainingOptions
{
    /// <summary>Sequences per update: 1 trains online, more trains on mini-batches.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Budget of training sequences over all epochs (an epoch is MaxSequences / Epochs sequences).</summary>
    public long MaxSequences { get; init; } = 100_000;

    /// <summary>Training sequences between evaluations.</summary>
    public long EvaluateEvery { get; init; } = 10_000;

    /// <summary>Fresh sequences in each evaluation.</summary>
    public int EvaluationSequences { get; init; } = 256;

    /// <summary>Seed of the evaluation sequences: every evaluation sees the same set.</summary>
    public ulong EvaluationSeed { get; init; } = 0x5eed_e7a1;

    /// <summary>Stop at the first evaluation that meets the task's criterion.</summary>
    public bool StopWhenSolved { get; init; } = true;

    /// <summary>Throws <see cref="OptionException"/> naming the first unusable setting, as a command-line option.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new OptionException($"--batch must be at least 1 (got {BatchSize})");
        if (MaxSequences < 1) throw new OptionException($"--max-sequences must be at least 1 (got {MaxSequences})");
        if (EvaluateEvery < 1) throw new OptionException($"--eval-every-sequences must be at least 1 (got {EvaluateEvery})");
        if (EvaluationSequences < 1) throw new OptionException($"--eval-sequences must be at least 1 (got {EvaluationSequences})");
    }
}

/// <summary>One evaluation during training: where training stood and what the evaluation set scored.</summary>
/// <param name="Sequences">Training sequences seen.</param>
/// <param name="Updates">Updates applied.</param>
/// <param name="Epoch">Epoch (0-based) of the last update.</param>
/// <param name="TrainingLoss">Mean training loss since the previous evaluation (NaN before any update).</param>
/// <param name="Loss">Mean loss on the evaluation set.</param>
/// <param name="Score">The task's score on the evaluation set.</param>
/// <param name="Solved">True when the score meets the task's criterion.</param>
public sealed record TaskEvaluation(long Sequences, long Updates, int Epoch, double TrainingLoss, double Loss, TaskScore Score, bool Solved)
{
    /// <summary>The record written to metrics.jsonl (deterministic values only).</summary>
    public object ToRecord() => new
    {
        sequences = Sequences,
        updates = Updates,
        epoch = Epoch,
        train_loss = Finite(TrainingLoss),
        loss = Finite(Loss),
        accuracy = Score.Accuracy,
        wrong = Score.Wrong,
        predictions = Score.Predictions,
        mean_absolute_error = Score.MeanAbsoluteError,
        solved = Solved,
    };

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

/// <summary>The outcome of <see cref="TaskTrainer{T}.Train"/>.</summary>
/// <param name="Solved">True when an evaluation met the criterion.</param>
/// <param name="SequencesToSuccess">Training sequences seen at the first solved evaluation, or null.</param>
/// <param name="Sequences">Training sequences seen in all.</param>
/// <param name="Updates">Updates applied in all.</param>
/// <param name="Evaluations">Every evaluation in order; the last is the final one.</param>
/// <param name="Diverged">The reason training stopped on a non-finite loss or gradient, or null.</param>
public sealed record TaskTrainingResult(bool Solved, long? SequencesToSuccess, long Sequences, long Updates,
    IReadOnlyList<TaskEvaluation> Evaluations, string? Diverged)
{
    /// <summary>The last evaluation.</summary>
    public TaskEvaluation Final => Evaluations[^1];
}

/// <summary>Trains one model on one task.</summary>
public sealed class TaskTrainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SequenceTask _task, _evaluationTask;
    private readonly TrainingOptions _training;
    private readonly TaskTrainingOptions _options;
    private readonly Updater<T> _updater;
    private readonly Rng _data;
    private readonly Dictionary<(SequenceTask, int), TaskBatch<T>> _evaluationBatches = [];
    private T[] _outputs = [];                                          // [rows, out] head outputs of an evaluation batch

    /// <summary>
    /// Builds and initialises the model of <paramref name="config"/> (its input, head and sizes set from the task by
    /// <see cref="ConfigFor"/>); every random draw follows <see cref="TrainingOptions.Seed"/>. Evaluation uses
    /// <paramref name="evaluationTask"/> (e.g. the test images) when given, otherwise fresh sequences of <paramref name="task"/>.
    /// </summary>
    public TaskTrainer(SequenceTask task, ModelConfig config, TrainingOptions training, TaskTrainingOptions options,
        SequenceTask? evaluationTask = null, Kernels<T>? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        training.Validate();
        options.Validate();
        (_task, _training, _options) = (task, training, options);
        _evaluationTask = evaluationTask ?? task;
        CheckSameShape(_evaluationTask);
        var rng = new Rng(training.Seed);
        Model = new SequenceModel<T>(ConfigFor(task, config), rng.Split(), kernels);
        Model.Initialize(rng.Split());
        _updater = new Updater<T>(Model, training, rng.Split());
        _data = rng.Split();
    }

    /// <summary>The model being trained.</summary>
    public SequenceModel<T> Model { get; }

    /// <summary>Called after every evaluation.</summary>
    public Action<TaskEvaluation>? Evaluated { get; init; }

    /// <summary>When set, every evaluation is appended to it.</summary>
    public MetricsLog? Metrics { get; init; }

    /// <summary>
    /// Float32 only: where training saves its state (after every evaluation, and before stopping on <see cref="Stop"/>); when the file
    /// exists, <see cref="Train"/> continues from it, rewriting <see cref="Metrics"/> with the evaluations made before.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Cancelled to stop training: the state is saved to <see cref="CheckpointPath"/> and <see cref="OperationCanceledException"/> thrown.</summary>
    public CancellationToken Stop { get; init; }

    /// <summary>Called with the training sequences seen when <see cref="Train"/> continues from a checkpoint.</summary>
    public Action<long>? Resumed { get; init; }

    // Where a run stands between updates: with the model, optimiser and generators, enough to continue exactly.
    private sealed record Position(long Sequences, long NextEvaluation, long EvaluatedAt, long? SequencesToSuccess, int Epoch,
        double LossSum, long LossCount, long Updates, List<TaskEvaluation> Evaluations);

    /// <summary>Training sequences per epoch: the budget split evenly over <see cref="TrainingOptions.Epochs"/>.</summary>
    public long SequencesPerEpoch => (_options.MaxSequences + _training.Epochs - 1) / _training.Epochs;

    /// <summary>The head a task's outputs need.</summary>
    public static HeadKind HeadFor(OutputKind kind) => kind switch
    {
        OutputKind.PerStepSoftmax => HeadKind.PerStepSoftmax,
        OutputKind.LastStepSoftmax => HeadKind.LastStepSoftmax,
        OutputKind.LastStepRegression => HeadKind.LastStepSquaredError,
        _ => HeadKind.PerStepSigmoid,
    };

    /// <summary>
    /// <paramref name="config"/> with the input, head and sizes <paramref name="task"/> needs: tokens one-hot (as in
    /// the 1997 and h-detach experiments) unless the config asks for an embedding, vectors as they are.
    /// </summary>
    public static ModelConfig ConfigFor(SequenceTask task, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(config);
        var input = task.InputKind == TaskInputKind.Vectors ? InputKind.Vectors
            : config.Input == InputKind.Embedding && config.EmbeddingSize > 0 ? InputKind.Embedding : InputKind.OneHot;
        return config with { Input = input, InputSize = task.InputSize, Head = HeadFor(task.OutputKind), OutputSize = task.OutputSize };
    }

    /// <summary>
    /// Trains until the budget is spent or, with <see cref="TaskTrainingOptions.StopWhenSolved"/>, an evaluation meets
    /// the criterion; evaluates every <see cref="TaskTrainingOptions.EvaluateEvery"/> sequences and once at the end.
    /// A non-finite loss or gradient ends training (reported in <see cref="TaskTrainingResult.Diverged"/>).
    /// <paramref name="progress"/> is called after every update with the training sequences seen so far.
    /// </summary>
    public TaskTrainingResult Train(Action<long>? progress = null)
    {
        var batch = new TaskBatch<T>(_task, _options.BatchSize);
        var evaluations = new List<TaskEvaluation>();
        long seen = 0, nextEvaluation = _options.EvaluateEvery, evaluatedAt = -1;
        long? toSuccess = null;
        int epoch = 0;
        double lossSum = 0;
        long lossCount = 0;
        string? diverged = null;
        if (CheckpointPath is not null && typeof(T) != typeof(float)) throw new NotSupportedException("task checkpoints are float32 only");

        void Save() => TrainingCheckpoint.Save(CheckpointPath!, (SequenceModel<float>)(object)Model, (Optimizer<float>)(object)_updater.Optimizer, [],
            new Position(seen, nextEvaluation, evaluatedAt, toSuccess, epoch, lossSum, lossCount, _updater.Updates, evaluations), _data);

        if (CheckpointPath is not null && File.Exists(CheckpointPath))
        {
            var position = TrainingCheckpoint.Load<Position>(CheckpointPath, (SequenceModel<float>)(object)Model, (Optimizer<float>)(object)_updater.Optimizer, [], _data);
            (seen, nextEvaluation, evaluatedAt, toSuccess, epoch, lossSum, lossCount, _updater.Updates, evaluations) = position;
            _updater.SetEpoch(epoch);
            foreach (var evaluation in evaluations) Metrics?.Write(evaluation.ToRecord());
            Resumed?.Invoke(seen);
        }

        void RecordEvaluation()
        {
            var (loss, score) = Evaluate(_evaluationTask);
            bool solved = _evaluationTask.Solved(score);
            var evaluation = new TaskEvaluation(seen, _updater.Updates, epoch, lossCount == 0 ? double.NaN : lossSum / lossCount, loss, score, solved);
            evaluations.Add(evaluation);
            Metrics?.Write(evaluation.ToRecord());
            Evaluated?.Invoke(evaluation);
            if (solved) toSuccess ??= seen;
            (lossSum, lossCount, evaluatedAt) = (0, 0, seen);
            if (CheckpointPath is not null) Save();
        }

        while (seen < _options.MaxSequences)
        {
            int currentEpoch = (int)Math.Min(seen / SequencesPerEpoch, _training.Epochs - 1);
            if (currentEpoch != epoch) _updater.SetEpoch(epoch = currentEpoch);
            _task.Sample(_data, batch);
            try
            {
                lossSum += _updater.Update(ModelBatch(batch), [], []) * batch.BatchSize;
            }
            catch (NonFiniteException e)
            {
                diverged = e.Message;
                break;
            }
            lossCount += batch.BatchSize;
            seen += batch.BatchSize;
            progress?.Invoke(seen);
            if (seen >= nextEvaluation)
            {
                nextEvaluation += _options.EvaluateEvery * ((seen - nextEvaluation) / _options.EvaluateEvery + 1);
                RecordEvaluation();
                if (toSuccess is not null && _options.StopWhenSolved) break;
            }
            if (Stop.IsCancellationRequested)
            {
                if (CheckpointPath is not null) Save();
                throw new OperationCanceledException($"training stopped after {seen:N0} sequences{(CheckpointPath is null ? "" : $"; state saved in {CheckpointPath}")}", Stop);
            }
        }
        if (evaluatedAt != seen) RecordEvaluation();
        return new TaskTrainingResult(toSuccess is not null, toSuccess, seen, _updater.Updates, evaluations, diverged);
    }

    /// <summary>
    /// Mean loss and score of the model on <see cref="TaskTrainingOptions.EvaluationSequences"/> fresh sequences of
    /// <paramref name="task"/> (drawn from <see cref="TaskTrainingOptions.EvaluationSeed"/>, so the same set every call);
    /// <paramref name="task"/> must have the training task's input and output shape (e.g. copying at a longer delay).
    /// </summary>
    public (double Loss, TaskScore Score) Evaluate(SequenceTask task)
    {
        CheckSameShape(task);
        bool training = Model.Training;
        Model.Training = false;
        var rng = new Rng(_options.EvaluationSeed);
        double lossSum = 0;
        var score = default(TaskScore);
        for (int done = 0; done < _options.EvaluationSequences;)
        {
            int size = Math.Min(64, _options.EvaluationSequences - done);
            var batch = EvaluationBatch(task, size);
            task.Sample(rng, batch);
            lossSum += Model.Forward(ModelBatch(batch), [], []) * size;
            if (_outputs.Length < batch.OutputLength) _outputs = new T[batch.OutputLength];
            var outputs = _outputs.AsSpan(0, batch.OutputLength);
            Model.Outputs(outputs);
            score += task.Score(batch, outputs);
            done += size;
        }
        Model.Training = training;
        return (lossSum / _options.EvaluationSequences, score);
    }

    /// <summary>A task batch as the model reads it: inputs, the targets of the task's head, and each sequence's length.</summary>
    public static SequenceBatch<T> ModelBatch(TaskBatch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new SequenceBatch<T>(batch.Steps, batch.BatchSize)
        {
            Tokens = batch.Tokens,
            Vectors = batch.Vectors,
            TargetIds = batch.OutputKind switch
            {
                OutputKind.PerStepSoftmax => batch.StepClasses,
                OutputKind.LastStepSoftmax => batch.Classes,
                _ => [],
            },
            TargetValues = batch.OutputKind switch
            {
                OutputKind.LastStepRegression => batch.Values,
                OutputKind.PerStepSigmoid => batch.StepLabels,
                _ => [],
            },
            Lengths = batch.Lengths,
        };
    }

    private TaskBatch<T> EvaluationBatch(SequenceTask task, int size)
    {
        if (!_evaluationBatches.TryGetValue((task, size), out var batch))
            _evaluationBatches[(task, size)] = batch = new TaskBatch<T>(task, size);
        return batch;
    }

    private void CheckSameShape(SequenceTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if ((task.InputKind, task.InputSize, task.OutputKind, task.OutputSize) != (_task.InputKind, _task.InputSize, _task.OutputKind, _task.OutputSize))
            throw new ArgumentException($"evaluation task {task.GetType().Name} reads {task.InputKind} × {task.InputSize} → {task.OutputKind} × {task.OutputSize}; " +
                $"the model was trained on {_task.InputKind} × {_task.InputSize} → {_task.OutputKind} × {_task.OutputSize}");
    }
}
