// Language-model training by truncated backpropagation through time over a continuous token stream:
// B parallel streams read T steps at a time with the hidden state carried across windows (reset at
// each epoch start), validation perplexity every epoch (and optionally every N updates), the best
// model kept as the run's model.safetensors, learning-rate schedules, early stopping, periodic
// atomic checkpoints, and a clean stop on request; every validation is also handed to a callback, where
// a recipe can measure more on the model. Evaluation reads a stream the same way: perplexity, or the mean
// probability of chosen targets (Saphra & Lopez's P(ω)). Not the command line: progress is reported to a
// callback and files go to the run directory.
using LstmLens.Data;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Training;

/// <summary>Batching and bookkeeping settings of language-model training.</summary>
public sealed record LanguageModelSettings
{
    /// <summary>B, parallel streams in training.</summary>
    public int Batch { get; init; } = 20;

    /// <summary>T, steps per BPTT window.</summary>
    public int Bptt { get; init; } = 35;

    /// <summary>Parallel streams when evaluating.</summary>
    public int EvalBatch { get; init; } = 10;

    /// <summary>Also validate every this many updates (null: once per epoch only).</summary>
    public int? EvalEvery { get; init; }

    /// <summary>Stop after this many validations in a row without improvement (null: never).</summary>
    public int? Patience { get; init; }

    /// <summary>Write a resumable checkpoint every this many updates (and at every epoch end).</summary>
    public int CheckpointEvery { get; init; } = 200;

    /// <summary>Throws <see cref="OptionException"/> naming the first unusable setting.</summary>
    public void Validate()
    {
        if (Batch < 1) throw new OptionException($"--batch must be at least 1 (got {Batch})");
        if (Bptt < 1) throw new OptionException($"--bptt must be at least 1 (got {Bptt})");
        if (EvalBatch < 1) throw new OptionException($"--eval-batch must be at least 1 (got {EvalBatch})");
        if (EvalEvery is < 1) throw new OptionException($"--eval-every must be at least 1 (got {EvalEvery})");
        if (Patience is < 1) throw new OptionException($"--patience must be at least 1 (got {Patience})");
        if (CheckpointEvery < 1) throw new OptionException($"--checkpoint-every must be at least 1 (got {CheckpointEvery})");
    }
}

/// <summary>Progress of a training run, for display.</summary>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Window, int Windows, long Updates, double TrainLoss, double LearningRate);

/// <summary>One validation of a run, as written to metrics.jsonl.</summary>
/// <param name="Epoch">1-based epoch the validation falls in.</param>
/// <param name="EndOfEpoch">True for the validation that closes the epoch.</param>
/// <param name="Updates">Updates applied so far.</param>
/// <param name="TrainedTokens">Training predictions made so far, over all epochs.</param>
/// <param name="LearningRate">The learning rate of the last update.</param>
/// <param name="TrainLoss">Mean training loss of the epoch so far.</param>
/// <param name="ValidLoss">Mean validation loss (perplexity = e^loss).</param>
public readonly record struct LanguageModelValidation(int Epoch, bool EndOfEpoch, long Updates, long TrainedTokens, double LearningRate, double TrainLoss, double ValidLoss);

/// <summary>How a run ended.</summary>
public enum TrainingOutcome
{
    /// <summary>All epochs ran.</summary>
    Completed,
    /// <summary>Validation stopped improving for the configured patience.</summary>
    EarlyStopped,
    /// <summary>Stopped on request (Ctrl+C) after saving a checkpoint.</summary>
    Interrupted,
}

/// <summary>Trains a language model on a token stream.</summary>
public sealed class LanguageModelTrainer
{
    private readonly SequenceModel<float> _model;
    private readonly TrainingOptions _options;
    private readonly LanguageModelSettings _settings;
    private readonly int[] _train, _valid;
    private readonly string _directory;
    private readonly Updater<float> _updater;

    /// <summary>
    /// Prepares training of <paramref name="model"/> (already initialised, its generators split from the run's
    /// seed) on <paramref name="train"/>, validated on <paramref name="valid"/>, writing into <paramref name="directory"/>.
    /// </summary>
    public LanguageModelTrainer(SequenceModel<float> model, TrainingOptions options, LanguageModelSettings settings,
        int[] train, int[] valid, string directory, Rng rng)
    {
        settings.Validate();
        if (model.Config.Head != HeadKind.PerStepSoftmax) throw new ArgumentException("language models need the per-step softmax head");
        _model = model;
        _options = options;
        _settings = settings;
        _train = train;
        _valid = valid;
        _directory = directory;
        _updater = new Updater<float>(model, options, rng);
        Batches = new BpttBatches(train, settings.Batch, settings.Bptt);
    }

    /// <summary>The training windows.</summary>
    public BpttBatches Batches { get; }

    /// <summary>
    /// Called after every validation with its record, the model holding the weights just validated (a recipe
    /// can measure more on it here; it must leave the parameters alone).
    /// </summary>
    public Action<LanguageModelValidation>? Validated { get; init; }

    /// <summary>Called after every checkpoint is written (a caller can take the run as safe on disk from then on).</summary>
    public Action? Checkpointed { get; init; }

    /// <summary>Path of the resumable checkpoint.</summary>
    public string CheckpointPath => Path.Combine(_directory, TrainingCheckpoint.FileName);

    /// <summary>Path of metrics.jsonl.</summary>
    public string MetricsPath => Path.Combine(_directory, "metrics.jsonl");

    /// <summary>
    /// Runs (or, with <paramref name="resume"/>, continues from the checkpoint) until all epochs are done, early
    /// stopping triggers, or <paramref name="stop"/> is cancelled. A non-finite loss or gradient throws
    /// <see cref="NonFiniteException"/> and leaves the last checkpoint and best model untouched.
    /// </summary>
    public TrainingOutcome Run(bool resume, CancellationToken stop, Action<TrainingProgress>? progress = null)
    {
        float[] carried = new float[_model.StateLength(_settings.Batch)]; // [Σ S·B·H] state carried across windows
        var position = new TrainerPosition { LearningRate = _updater.Optimizer.LearningRate };
        if (resume)
        {
            if (!File.Exists(CheckpointPath)) throw new FileNotFoundException($"{CheckpointPath}: no checkpoint to resume from", CheckpointPath);
            position = TrainingCheckpoint.Load<TrainerPosition>(CheckpointPath, _model, _updater.Optimizer, carried);
        }
        var metrics = new MetricsLog(MetricsPath, resume ? position.MetricsLines : 0);
        int[] inputs = new int[_settings.Bptt * _settings.Batch], targets = new int[inputs.Length];

        for (int epoch = position.Epoch; epoch < _options.Epochs; epoch++)
        {
            _updater.SetEpoch(epoch);
            if (_options.Schedule == ScheduleKind.Plateau) _updater.Optimizer.LearningRate = position.LearningRate;
            if (position.Window == 0) Array.Clear(carried);
            for (int window = position.Window; window < Batches.Count; window++)
            {
                int steps = Batches.Fill(window, inputs, targets);
                int n = steps * _settings.Batch;
                var batch = new SequenceBatch<float>(steps, _settings.Batch) { Tokens = inputs.AsSpan(0, n), TargetIds = targets.AsSpan(0, n) };
                double loss = _updater.Update(batch, carried, carried);
                position = position with
                {
                    Window = window + 1,
                    Updates = position.Updates + 1,
                    TrainLossSum = position.TrainLossSum + loss * n,
                    TrainTokens = position.TrainTokens + n,
                    LearningRate = _updater.Optimizer.LearningRate,
                };
                progress?.Invoke(new TrainingProgress(epoch, _options.Epochs, window + 1, Batches.Count, position.Updates,
                    position.TrainLossSum / position.TrainTokens, position.LearningRate));
                if (_settings.EvalEvery is int every && position.Updates % every == 0 && window + 1 < Batches.Count)
                {
                    position = Validate(position, metrics, epoch, endOfEpoch: false);
                    if (Patience(position)) return Finish(position, carried, TrainingOutcome.EarlyStopped);
                }
                if (stop.IsCancellationRequested) return Finish(position with { MetricsLines = metrics.Lines }, carried, TrainingOutcome.Interrupted);
                if (position.Updates % _settings.CheckpointEvery == 0) Save(carried, position with { MetricsLines = metrics.Lines });
            }
            position = Validate(position, metrics, epoch, endOfEpoch: true);
            position = position with { Epoch = epoch + 1, Window = 0, TrainLossSum = 0, TrainTokens = 0 };
            if (Patience(position)) return Finish(position, carried, TrainingOutcome.EarlyStopped);
            Save(carried, position with { MetricsLines = metrics.Lines });
        }
        return TrainingOutcome.Completed;
    }

    /// <summary>
    /// Mean cross-entropy per predicted token of <paramref name="ids"/> read as <paramref name="batch"/> streams in
    /// windows of <paramref name="bptt"/> (state carried), and the number of predictions. Perplexity is e^loss.
    /// </summary>
    public static (double Loss, long Tokens) Evaluate(SequenceModel<float> model, int[] ids, int batch, int bptt)
    {
        var windows = new BpttBatches(ids, batch, bptt);
        double sum = 0;
        ReadWindows(model, windows, (_, steps, loss) => sum += steps * batch * loss);
        return (sum / windows.TargetCount, windows.TargetCount);
    }

    /// <summary>
    /// Mean probability the model gives the target at every position p of <paramref name="ids"/> that
    /// <paramref name="select"/> accepts, reading ids as <see cref="Evaluate"/> does (state carried, evaluation
    /// mode). A target with fewer than <paramref name="context"/> tokens of its own stream before it is skipped:
    /// the start of a column cut its context. Returns the mean (NaN when no target was scored) and the count.
    /// </summary>
    /// <remarks>P(target) = exp(v_target − log Σ_j exp v_j) from the logits v of the target's step, in double.</remarks>
    public static (double Mean, long Targets) MeanTargetProbability(SequenceModel<float> model, int[] ids, int batch, int bptt,
        Func<int, bool> select, int context = 0)
    {
        ArgumentNullException.ThrowIfNull(select);
        var windows = new BpttBatches(ids, batch, bptt);
        int classes = model.Config.OutputSize;
        double sum = 0;
        long count = 0;
        ReadWindows(model, windows, (k, steps, _) =>
        {
            var logits = model.Logits;                                 // [steps, B, V]
            for (int t = 0; t < steps; t++)
            {
                if (k * bptt + t + 1 < context) continue;
                for (int b = 0; b < batch; b++)
                {
                    int position = windows.TargetPosition(k, t, b);
                    if (!select(position)) continue;
                    var row = logits.Slice((t * batch + b) * classes, classes);
                    double max = double.NegativeInfinity, total = 0;
                    foreach (float v in row) max = Math.Max(max, v);
                    foreach (float v in row) total += Math.Exp(v - max);
                    sum += Math.Exp(row[ids[position]] - max) / total;
                    count++;
                }
            }
        });
        return (count == 0 ? double.NaN : sum / count, count);
    }

    // Runs every window of `windows` through the model in evaluation mode with the state carried, then calls
    // `read(window, steps, mean loss)` while the window's logits are the model's.
    private static void ReadWindows(SequenceModel<float> model, BpttBatches windows, Action<int, int, double> read)
    {
        bool training = model.Training;
        model.Training = false;
        int batch = windows.Batch;
        float[] state = new float[model.StateLength(batch)];           // [Σ S·B·H]
        int[] inputs = new int[windows.Window * batch], targets = new int[inputs.Length]; // [T, B]
        try
        {
            for (int k = 0; k < windows.Count; k++)
            {
                int steps = windows.Fill(k, inputs, targets), n = steps * batch;
                double loss = model.Forward(new SequenceBatch<float>(steps, batch) { Tokens = inputs.AsSpan(0, n), TargetIds = targets.AsSpan(0, n) }, state, state);
                read(k, steps, loss);
            }
        }
        finally
        {
            model.Training = training;
        }
    }

    private TrainerPosition Validate(TrainerPosition position, MetricsLog metrics, int epoch, bool endOfEpoch)
    {
        var (loss, _) = Evaluate(_model, _valid, _settings.EvalBatch, _settings.Bptt);
        bool improved = loss < position.BestValidLoss;
        if (improved) ModelFiles.WriteWeights(_directory, new ParameterStoreView<float>(_model.Store));
        _updater.ObserveValidation(loss, position.BestValidLoss);
        double trainLoss = position.TrainLossSum / position.TrainTokens; // at least one update precedes every validation
        metrics.Write(new Dictionary<string, object>
        {
            ["epoch"] = epoch + 1,
            ["end_of_epoch"] = endOfEpoch,
            ["updates"] = position.Updates,
            ["learning_rate"] = position.LearningRate,
            ["train_loss"] = trainLoss,
            ["train_perplexity"] = Math.Exp(trainLoss),
            ["valid_loss"] = loss,
            ["valid_perplexity"] = Math.Exp(loss),
        });
        Validated?.Invoke(new LanguageModelValidation(epoch + 1, endOfEpoch, position.Updates, epoch * Batches.TargetCount + position.TrainTokens,
            position.LearningRate, trainLoss, loss));
        return position with
        {
            BestValidLoss = Math.Min(loss, position.BestValidLoss),
            BadEvaluations = improved ? 0 : position.BadEvaluations + 1,
            LearningRate = _updater.Optimizer.LearningRate,
            MetricsLines = metrics.Lines,
        };
    }

    private bool Patience(TrainerPosition position) => _settings.Patience is int patience && position.BadEvaluations >= patience;

    private TrainingOutcome Finish(TrainerPosition position, ReadOnlySpan<float> carried, TrainingOutcome outcome)
    {
        Save(carried, position);
        return outcome;
    }

    private void Save(ReadOnlySpan<float> carried, TrainerPosition position)
    {
        TrainingCheckpoint.Save(CheckpointPath, _model, _updater.Optimizer, carried, position);
        Checkpointed?.Invoke();
    }
}
