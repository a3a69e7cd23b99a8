// The verwimp-cycles reproduction (Verwimp et al., state gradients §4.2.1): a 50-unit LSTM language model
// with one-hot input trained with Adagrad 0.05 on one stream of the synthetic cycles corpus, the state
// carried across BPTT windows (LanguageModelTrainer); its validation and test perplexity beside the
// paper's 1.2906 / 1.1932 and the minimal perplexities (the paper's 1.1375, which leaves line ends out,
// and 1.1545 for a stream with line ends). Each run directory holds a loadable model (config.json,
// vocab.txt, model.safetensors with the best validation weights) for the state-gradient analyses. Not the
// corpus (CycleCorpus) and not the training loop.
using System.Globalization;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Reporting;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>Corpus sizes, model and training of the verwimp-cycles recipe at one scale.</summary>
/// <param name="TrainTokens">Tokens of the training stream (&lt;eos&gt; included).</param>
/// <param name="ValidTokens">Tokens of the validation stream.</param>
/// <param name="TestTokens">Tokens of the test stream.</param>
/// <param name="Model">The language model; its vocabulary sizes are set from the corpus.</param>
/// <param name="Training">Optimiser, clipping, epochs.</param>
/// <param name="Batching">Streams, BPTT window, validations per epoch.</param>
public sealed record VerwimpCyclesSetup(int TrainTokens, int ValidTokens, int TestTokens, ModelConfig Model, TrainingOptions Training, LanguageModelSettings Batching)
{
    /// <summary>
    /// The paper's model and optimiser (LSTM 50, one-hot input, Adagrad 0.05) and, at --full, its corpus sizes (16M training
    /// tokens, 160k validation and test). The paper states neither epochs, BPTT length, batch size, initialisation nor clipping;
    /// both scales take them from the authors' PTB configuration (batch 20, 50 steps, uniform ±0.05, clip 5), and --full trains up
    /// to its 39 epochs, stopping after 2 validations without improvement. --quick: one pass over 8M training tokens (half the
    /// paper's), validated on 40k tokens 16 times along the way.
    /// </summary>
    public static VerwimpCyclesSetup For(ReproductionScale scale)
    {
        bool quick = scale == ReproductionScale.Quick;
        int train = quick ? 8_000_000 : 16_000_000;
        var batching = new LanguageModelSettings { Batch = 20, Bptt = 50, Patience = quick ? null : 2 };
        // 16 validations in the one epoch at --quick (the learning curve), one per epoch at --full.
        batching = batching with { EvalEvery = quick ? train / (batching.Batch * batching.Bptt) / 16 : null };
        return new VerwimpCyclesSetup(train, quick ? 40_000 : 160_000, 160_000,
            new ModelConfig { Input = InputKind.OneHot, InputSize = 1, HiddenSize = 50, OutputSize = 1, InitRange = 0.05 },
            new TrainingOptions { Optimizer = "adagrad", LearningRate = 0.05, ClipNorm = 5.0, Epochs = quick ? 1 : 39 },
            batching);
    }

    /// <summary>The setup in one sentence for results.md.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"LSTM {Model.HiddenSize}, one-hot input, uniform ±{Model.InitRange} initialisation; {Training.Optimizer} lr {Training.LearningRate}, clip {Training.ClipNorm}; " +
        $"one stream of {TrainTokens:N0} training tokens read as {Batching.Batch} streams in BPTT windows of {Batching.Bptt} with the state carried, " +
        $"{Training.Epochs} epoch{(Training.Epochs == 1 ? "" : "s")}{(Batching.Patience is int p ? $" at most, stopping after {p} validations without improvement" : "")}; " +
        $"validation on {ValidTokens:N0} tokens, test on {TestTokens:N0} (the paper: 16M training tokens, 160k validation and test).");
}

/// <summary>One trained seed: its validations, test perplexity and model directory (best validation weights).</summary>
/// <param name="Seed">The seed of the corpus draws, the initialisation and training.</param>
/// <param name="Validations">Every validation, in order.</param>
/// <param name="TestPerplexity">Test perplexity of the weights with the best validation perplexity.</param>
/// <param name="Directory">The model directory (config.json, vocab.txt, model.safetensors, metrics.jsonl).</param>
public sealed record CyclesRun(ulong Seed, IReadOnlyList<LanguageModelValidation> Validations, double TestPerplexity, string Directory)
{
    /// <summary>The best validation perplexity.</summary>
    public double ValidationPerplexity => Math.Exp(Validations.Min(v => v.ValidLoss));
}

/// <summary>The verwimp-cycles recipe.</summary>
public static class VerwimpRecipe
{
    private const double PaperValidation = 1.2906, PaperTest = 1.1932;

    /// <summary>The variant name of the cycles model in run directories (runs/lstm50-seed{n}).</summary>
    internal const string ModelName = "lstm50";

    /// <summary>Runs the recipe at the context's scale; returns results.md.</summary>
    public static string Run(ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Run(context, VerwimpCyclesSetup.For(context.Scale));
    }

    /// <summary>Runs the recipe with <paramref name="setup"/>; returns results.md.</summary>
    public static string Run(ReproductionContext context, VerwimpCyclesSetup setup)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(setup);
        var corpus = new CycleCorpus();
        var seeds = Enumerable.Range(1, context.Seeds).Select(s => (ulong)s).ToArray();
        var runs = Reproduction.RunAll(context, seeds, seed => (ModelName, seed), seed => Train(context, setup, corpus, seed));

        Reproduction.WriteCsv(Path.Combine(context.Directory, "results.csv"), ["seed", "epoch", "updates", "training_tokens", "train_perplexity", "valid_perplexity"],
            runs.SelectMany(r => r.Validations.Select(v => (IReadOnlyList<string>)[r.Seed.ToString(CultureInfo.InvariantCulture),
                v.Epoch.ToString(CultureInfo.InvariantCulture), v.Updates.ToString(CultureInfo.InvariantCulture), v.TrainedTokens.ToString(CultureInfo.InvariantCulture),
                Reproduction.Number(Math.Exp(v.TrainLoss), "R"), Reproduction.Number(Math.Exp(v.ValidLoss), "R")])));
        Plot(context, corpus, runs);

        double[] valid = [.. runs.Select(r => Math.Exp(r.Validations.Min(v => v.ValidLoss)))], test = [.. runs.Select(r => r.TestPerplexity)];
        var table = Reproduction.MarkdownTable(["", "validation perplexity", "test perplexity"],
        [
            ["ours (best validation and its model's test; mean (min–max) over seeds)", Reproduction.MeanRange(valid, "F4"), Reproduction.MeanRange(test, "F4")],
            ["paper", Reproduction.Number(PaperValidation, "F4"), Reproduction.Number(PaperTest, "F4")],
            ["paper's minimum (line ends left out)", Reproduction.Number(corpus.PaperMinimalPerplexity, "F4"), Reproduction.Number(corpus.PaperMinimalPerplexity, "F4")],
            ["minimum with line ends (a stream's bound)", Reproduction.Number(corpus.MinimalPerplexity, "F4"), Reproduction.Number(corpus.MinimalPerplexity, "F4")],
        ]);
        return Reproduction.WriteMarkdown(context, "Cycles corpus perplexity (Verwimp et al. §4.2.1)", setup.Describe(), table,
            "Perplexity = exp(mean cross-entropy per token) over the whole stream, <eos> included, read as 10 streams with the state carried. " +
            "Each seed draws its own training, validation and test streams and model; the test perplexity is that of the weights with the best validation perplexity. " +
            "A stream's perplexity cannot go below the minimum with line ends; the paper's 1.1375 scores <eos> as certain. Curves in perplexity.svg.");
    }

    /// <summary>Trains the cycles language model of one seed into its run directory under the reproduction's runs/.</summary>
    internal static CyclesRun Train(ReproductionContext context, VerwimpCyclesSetup setup, CycleCorpus corpus, ulong seed) =>
        Train(Reproduction.RunDirectory(context, ModelName, seed), setup, corpus, seed, context.Log, stop: context.Stop);

    /// <summary>
    /// Trains the cycles language model of <paramref name="setup"/> with <paramref name="seed"/> into <paramref name="directory"/> (created):
    /// config.json, vocab.txt, metrics.jsonl and model.safetensors with the best validation weights; the test perplexity of those
    /// weights. Training steps are reported to <paramref name="progress"/>, the outcome to <paramref name="log"/>; a cancelled
    /// <paramref name="stop"/> ends training with an <see cref="OperationCanceledException"/>.
    /// </summary>
    public static CyclesRun Train(string directory, VerwimpCyclesSetup setup, CycleCorpus corpus, ulong seed, Action<string> log,
        Action<TrainingProgress>? progress = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(log);
        var rng = new Rng(seed);
        var vocabulary = corpus.Vocabulary;
        int[] train = SyntheticCorpus.Ids(corpus.Lines(rng.Split()), vocabulary, setup.TrainTokens);
        int[] valid = SyntheticCorpus.Ids(corpus.Lines(rng.Split()), vocabulary, setup.ValidTokens);
        int[] test = SyntheticCorpus.Ids(corpus.Lines(rng.Split()), vocabulary, setup.TestTokens);
        var config = setup.Model with { InputSize = vocabulary.Count, OutputSize = vocabulary.Count };
        var training = setup.Training with { Seed = seed };
        var model = new SequenceModel<float>(config, rng.Split());
        model.Initialize(rng.Split());
        Reproduction.WriteLanguageModelFiles(System.IO.Directory.CreateDirectory(directory).FullName, config, vocabulary, training, setup.Batching);
        var validations = new List<LanguageModelValidation>();
        var trainer = new LanguageModelTrainer(model, training, setup.Batching, train, valid, directory, rng.Split())
        {
            Validated = validations.Add,
        };
        Reproduction.TrainToEnd(trainer, $"verwimp-cycles seed {seed}", progress, stop);
        var (best, _, _) = ModelFiles.Load<float>(directory);
        double testPerplexity = Math.Exp(LanguageModelTrainer.Evaluate(best, test, setup.Batching.EvalBatch, setup.Batching.Bptt).Loss);
        var run = new CyclesRun(seed, validations, testPerplexity, System.IO.Path.GetFullPath(directory));
        log(string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: best validation perplexity {run.ValidationPerplexity:F4}, test perplexity {testPerplexity:F4} after {validations[^1].TrainedTokens:N0} training tokens"));
        return run;
    }

    // Validation perplexity against training tokens, mean over seeds with a min–max band, and the two minima.
    private static void Plot(ReproductionContext context, CycleCorpus corpus, IReadOnlyList<CyclesRun> runs)
    {
        var plot = new LinePlot("Verwimp cycles: validation perplexity", new Axis("training tokens"), new Axis("perplexity", Logarithmic: true));
        double[] x = [.. runs.MaxBy(r => r.Validations.Count)!.Validations.Select(v => (double)v.TrainedTokens)]; // early stopping ends some runs sooner
        IReadOnlyList<double>[] curves = [.. runs.Select(r => (IReadOnlyList<double>)[.. r.Validations.Select(v => Math.Exp(v.ValidLoss))])];
        plot.Series.Add(curves.Length == 1 ? new Series("ours, validation", x, curves[0]) : Series.FromRuns("ours, validation", x, curves, BandKind.MinMax));
        plot.Series.Add(new Series("paper, validation", [x[0], x[^1]], [PaperValidation, PaperValidation]));
        plot.Series.Add(new Series("minimum with line ends", [x[0], x[^1]], [corpus.MinimalPerplexity, corpus.MinimalPerplexity]));
        plot.Series.Add(new Series("paper's minimum", [x[0], x[^1]], [corpus.PaperMinimalPerplexity, corpus.PaperMinimalPerplexity]));
        plot.Save(Path.Combine(context.Directory, "perplexity.svg"));
    }
}
