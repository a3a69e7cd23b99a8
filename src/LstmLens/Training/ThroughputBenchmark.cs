// The training-throughput benchmark shared by `lstmlens bench` and the per-phase profile (bench/): the
// configurations of the PyTorch anchor script (bench/torch_lstm_bench.py), a model and SGD updater
// built for one of them on random tokens, and the floating-point operations a training step performs.
// Not a test: nothing here asserts a speed.
using System.Diagnostics;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Training;

/// <summary>One benchmark configuration: a one-layer LSTM language model and its batch shape.</summary>
public sealed record ThroughputConfig(int Vocab, int Embed, int Hidden, int Batch, int Steps)
{
    /// <summary>
    /// Floating-point operations per token of one training step, counting the matrix products only (a
    /// multiply and an add per term): forward x W_ihᵀ, h W_hhᵀ and h W_decᵀ, and twice as many backward
    /// (the gradients of the inputs and of the weights).
    /// </summary>
    public double FlopsPerToken => 3 * 2.0 * (4.0 * Hidden * (Embed + Hidden) + (double)Hidden * Vocab);
}

/// <summary>A model, updater and batch ready to time training steps for one <see cref="ThroughputConfig"/>.</summary>
public sealed class ThroughputBenchmark
{
    /// <summary>The anchor's configurations by name.</summary>
    public static IReadOnlyDictionary<string, ThroughputConfig> Configs { get; } = new Dictionary<string, ThroughputConfig>
    {
        ["copy"] = new(10, 10, 128, 100, 120),        // h-detach copying task
        ["ptb"] = new(10000, 64, 256, 20, 200),       // state-gradients PTB language model
        ["synthetic"] = new(1002, 200, 200, 20, 35),  // interdependence synthetic language model
    };

    private readonly SequenceModel<float> _model;
    private readonly Updater<float> _updater;
    private readonly int[] _tokens, _targets;

    /// <summary>Builds the model (seed 0) with the process-wide kernel set, SGD 0.1 with clipping at 5.</summary>
    public ThroughputBenchmark(ThroughputConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        var rng = new Rng(0);
        _model = new SequenceModel<float>(new ModelConfig
        {
            InputSize = config.Vocab, EmbeddingSize = config.Embed, HiddenSize = config.Hidden, OutputSize = config.Vocab,
        }, rng.Split());
        _model.Initialize(rng.Split());
        _updater = new Updater<float>(_model, new TrainingOptions { Optimizer = "sgd", LearningRate = 0.1, ClipNorm = 5 }, rng.Split());
        int n = config.Batch * config.Steps;
        (_tokens, _targets) = (new int[n], new int[n]);
        for (int i = 0; i < n; i++) (_tokens[i], _targets[i]) = (rng.NextInt(config.Vocab), rng.NextInt(config.Vocab));
    }

    /// <summary>The configuration.</summary>
    public ThroughputConfig Config { get; }

    /// <summary>Tokens per step (batch × steps).</summary>
    public int TokensPerStep => Config.Batch * Config.Steps;

    /// <summary>One training step: forward, backward, clipping, SGD update.</summary>
    public void Train() => _updater.Update(Batch(), [], []);

    /// <summary>One forward pass in evaluation mode.</summary>
    public void Evaluate()
    {
        _model.Training = false;
        _model.Forward(Batch(), [], []);
    }

    /// <summary>Runs <paramref name="step"/> at least twice and for at least a second, so the JIT has optimised the hot methods.</summary>
    public static void WarmUp(Action step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 2 || clock.Elapsed.TotalSeconds < 1; i++) step();
    }

    private SequenceBatch<float> Batch() => new(Config.Steps, Config.Batch) { Tokens = _tokens, TargetIds = _targets };
}
