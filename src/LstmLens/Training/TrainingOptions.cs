// How a model is trained (optimiser, schedule, clipping, detaching, seed), separate from what the
// model is (ModelConfig). Shared by language-model and sequence-task training; serialised into a
// run's config.json. Not the data: corpora and tasks are chosen by the caller.
namespace LstmLens.Training;

/// <summary>Learning-rate schedule kinds.</summary>
public enum ScheduleKind
{
    /// <summary>The learning rate never changes.</summary>
    Constant,
    /// <summary>Constant for <see cref="TrainingOptions.DecayAfter"/> epochs, then × <see cref="TrainingOptions.DecayFactor"/> after every epoch (Verwimp: 6 epochs, × 0.8).</summary>
    StepDecay,
    /// <summary>× <see cref="TrainingOptions.DecayFactor"/> whenever validation loss fails to improve on the best so far.</summary>
    Plateau,
}

/// <summary>Training hyper-parameters.</summary>
public sealed record TrainingOptions
{
    /// <summary>sgd, adam or adagrad.</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>Initial learning rate.</summary>
    public double LearningRate { get; init; } = 1.0;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; }

    /// <summary>Schedule of the learning rate over epochs.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;

    /// <summary>Multiplier applied by the schedule.</summary>
    public double DecayFactor { get; init; } = 0.8;

    /// <summary>Epochs at the initial rate before step decay starts.</summary>
    public int DecayAfter { get; init; } = 6;

    /// <summary>Global gradient-norm clip; null for no clipping.</summary>
    public double? ClipNorm { get; init; } = 5.0;

    /// <summary>h-detach blocking probability (Kanuparthi et al.).</summary>
    public double HDetach { get; init; }

    /// <summary>c-detach blocking probability (ablation).</summary>
    public double CDetach { get; init; }

    /// <summary>Detaching is switched off for the last this many epochs.</summary>
    public int AnnealDetachEpochs { get; init; }

    /// <summary>Passes over the training data (or task epochs).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Seed of every random draw of the run.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="OptionException"/> naming the first unusable setting, as a command-line option.</summary>
    public void Validate()
    {
        if (Optimizer is not ("sgd" or "adam" or "adagrad")) throw new OptionException($"--optimizer must be sgd, adam or adagrad (got '{Optimizer}')");
        if (!(LearningRate > 0)) throw new OptionException($"--lr must be positive (got {LearningRate})");
        if (Momentum is < 0 or >= 1) throw new OptionException($"--momentum must be in [0, 1) (got {Momentum})");
        if (Momentum > 0 && Optimizer != "sgd") throw new OptionException($"--momentum applies to sgd only, not {Optimizer}");
        if (!(DecayFactor is > 0 and <= 1)) throw new OptionException($"--lr-decay must be in (0, 1] (got {DecayFactor})");
        if (DecayAfter < 0) throw new OptionException($"--decay-after must not be negative (got {DecayAfter})");
        if (ClipNorm is <= 0) throw new OptionException($"--clip must be positive or 'none' (got {ClipNorm})");
        if (HDetach is < 0 or > 1) throw new OptionException($"--h-detach must be in [0, 1] (got {HDetach})");
        if (CDetach is < 0 or > 1) throw new OptionException($"--c-detach must be in [0, 1] (got {CDetach})");
        if (AnnealDetachEpochs < 0) throw new OptionException($"--anneal-detach must not be negative (got {AnnealDetachEpochs})");
        if (AnnealDetachEpochs > 0 && HDetach == 0 && CDetach == 0)
            throw new OptionException("--anneal-detach needs --h-detach or --c-detach");
        if (Epochs < 1) throw new OptionException($"--epochs must be at least 1 (got {Epochs})");
        if (AnnealDetachEpochs >= Epochs)
            throw new OptionException($"--anneal-detach {AnnealDetachEpochs} must be less than --epochs {Epochs}, or detaching would never happen");
    }

    /// <summary>Learning rate for epoch <paramref name="epoch"/> (0-based) under a step-decay or constant schedule.</summary>
    public double ScheduledRate(int epoch) =>
        Schedule == ScheduleKind.StepDecay && epoch >= DecayAfter ? LearningRate * Math.Pow(DecayFactor, epoch - DecayAfter + 1) : LearningRate;

    /// <summary>True when detaching is active in epoch <paramref name="epoch"/> (0-based) after annealing.</summary>
    public bool DetachActive(int epoch) => epoch < Epochs - AnnealDetachEpochs;
}
