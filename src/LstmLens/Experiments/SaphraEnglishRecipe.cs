// The saphra-english reproduction (Saphra & Lopez, LSTMs compose bottom-up, §4.1, Figures 8 and 9): a one-layer LSTM
// language model trained on Brown (the paper trained on WikiText-2, which is not available here), then the
// interdependence of every word pair up to distance 4 of a CoNLL-U treebank (UD English-EWT dev), by sequential
// distance (Figure 8) and, at each sequential distance, by syntactic distance and open/closed class pair (Figure 9).
// The untrained initial weights of seed 1 run the same analysis as a control. results.md checks the paper's two
// claims seed by seed. Not the analysis (Analysis/Interdependence) or its files (InterdependenceFiles).
using System.Diagnostics;
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>Model, training and analysis of the saphra-english recipe at one scale.</summary>
public sealed record SaphraEnglishSetup
{
    /// <summary>Training tokens taken from the start of the Brown training split (null: all).</summary>
    public int? TrainTokens { get; init; }

    /// <summary>Validation tokens (null: all).</summary>
    public int? ValidTokens { get; init; }

    /// <summary>Most frequent training words kept (plus &lt;unk&gt; and &lt;eos&gt;).</summary>
    public int MaxVocabulary { get; init; } = 10_000;

    /// <summary>Embedding and hidden size (one layer).</summary>
    public int HiddenSize { get; init; } = 200;

    /// <summary>Dropout on the embedding and the LSTM output.</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>Optimiser, clipping, epochs.</summary>
    public required TrainingOptions Training { get; init; }

    /// <summary>Streams and BPTT window.</summary>
    public required LanguageModelSettings Batching { get; init; }

    /// <summary>Pairs (l, r) with 1 ≤ r − l &lt; MaxDistance.</summary>
    public int MaxDistance { get; init; } = 5;

    /// <summary>Fewest pairs behind a mean that is shown (the paper: 100).</summary>
    public int MinCount { get; init; } = 100;

    /// <summary>
    /// --full: PyTorch's word_language_model defaults, which the paper's code builds on (embedding and LSTM 200, dropout 0.2,
    /// SGD lr 20 divided by 4 when validation stalls, clip 0.25, batch 20 × BPTT 35, 40 epochs) on the whole Brown training
    /// split, vocabulary 10,000. --quick: the same model for 2 epochs over the first 300k training tokens, validation on 20k.
    /// Both analyse every pair of EWT dev.
    /// </summary>
    public static SaphraEnglishSetup For(ReproductionScale scale)
    {
        var training = new TrainingOptions
        {
            Optimizer = "sgd", LearningRate = 20, Schedule = ScheduleKind.Plateau, DecayFactor = 0.25, ClipNorm = 0.25,
            Epochs = scale == ReproductionScale.Quick ? 2 : 40,
        };
        var batching = new LanguageModelSettings { Batch = 20, Bptt = 35 };
        return scale == ReproductionScale.Quick
            ? new SaphraEnglishSetup { TrainTokens = 300_000, ValidTokens = 20_000, Training = training, Batching = batching }
            : new SaphraEnglishSetup { Training = training, Batching = batching };
    }

    /// <summary>The setup in one paragraph for results.md.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Language model: Brown corpus (tools/brown_splits.sh; the paper used WikiText-2, which is not available here), tags stripped, " +
        $"{(TrainTokens is int t ? $"the first {t:N0}" : "all")} training tokens, vocabulary the {MaxVocabulary:N0} most frequent training words with <unk> and <eos>; " +
        $"one LSTM layer of {HiddenSize} with embedding {HiddenSize}, dropout {Dropout}, {Training.Optimizer} lr {Training.LearningRate} (÷ {1 / Training.DecayFactor:G3} when validation stalls), " +
        $"clip {Training.ClipNorm}, batch {Batching.Batch} × BPTT {Batching.Bptt} with the state carried, {Training.Epochs} epoch{(Training.Epochs == 1 ? "" : "s")}. " +
        $"Analysis: every pair of open/closed-class words (UPOS; PUNCT, SYM and X left out) with 1 ≤ r − l < {MaxDistance} of each treebank sentence, " +
        $"each sentence from a zero state, interdependence at the logits at the step that reads r (contextual decomposition, in-phrase bias policy, float64); " +
        $"a mean is shown with at least {MinCount} pairs. Treebank: UD English-EWT dev (Silveira et al. 2014, CC BY-SA 4.0) unless --treebank names another.");
}

/// <summary>The saphra-english recipe.</summary>
public static class SaphraEnglishRecipe
{
    // The trained models' variant name: runs/lstm-seed{n}.
    private const string ModelName = "lstm";

    /// <summary>Runs the recipe at the context's scale; returns results.md.</summary>
    public static string Run(ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Run(context, SaphraEnglishSetup.For(context.Scale));
    }

    /// <summary>Runs the recipe with <paramref name="setup"/>; returns results.md.</summary>
    public static string Run(ReproductionContext context, SaphraEnglishSetup setup)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(setup);
        var clock = Stopwatch.StartNew();
        string treebankPath = context.Treebank
            ?? throw new OptionException("saphra-english needs --treebank FILE.conllu, a dependency treebank (UD English-EWT dev: en_ewt-ud-dev.conllu)");
        var treebank = Corpus.Read(treebankPath, CorpusFormat.Conllu);
        var corpus = VerwimpMemoryRecipe.ReadCorpus(context.Corpus, "saphra-english");
        var train = VerwimpMemoryRecipe.Prefix(corpus.Train, setup.TrainTokens);
        var vocabulary = Vocabulary.Build(train.Select(s => (IReadOnlyList<string>)s.Words), setup.MaxVocabulary);
        var trainStream = TokenStream.From(train, vocabulary);
        int[] valid = TokenStream.From(corpus.Valid, vocabulary, setup.ValidTokens).Ids;
        var options = new InterdependenceOptions { MaxDistance = setup.MaxDistance };
        int words = treebank.Sum(s => s.Words.Length), unknown = treebank.Sum(s => s.Words.Count(w => !vocabulary.Contains(w)));
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"Brown {context.Corpus}: {trainStream.Count:N0} training tokens, vocabulary {vocabulary.Count:N0}; treebank {treebankPath}: {treebank.Count:N0} sentences, {words:N0} words ({unknown:N0} not in the vocabulary)"));

        var models = Reproduction.RunAll(context, [.. Enumerable.Range(1, context.Seeds).Select(s => (ulong)s)], seed => (ModelName, seed),
            seed => Train(context, setup, vocabulary, trainStream.Ids, valid, seed));
        context.Log(string.Create(CultureInfo.InvariantCulture, $"training done after {clock.Elapsed.TotalSeconds:F0} s"));

        var analyses = models.Select(m => (Label: $"seed {m.Seed}", Name: $"seed{m.Seed}", m.Directory))
            .Append((Label: "untrained (seed 1)", Name: "untrained", Directory: models[0].InitialDirectory)).ToArray();
        var results = analyses.Select(a => (a.Label, a.Name, Pairs: Analyse(context, a.Directory, a.Name, treebank, vocabulary, options, setup.MinCount))).ToArray();
        context.Log(string.Create(CultureInfo.InvariantCulture, $"analyses done after {clock.Elapsed.TotalSeconds:F0} s"));

        Reproduction.WriteCsv(Path.Combine(context.Directory, "results.csv"), ["model", "sequential_distance", "count", "mean", "standard_error"],
            results.SelectMany(r => InterdependenceFiles.BySequentialDistance(r.Pairs, setup.MinCount).Select(e => (IReadOnlyList<string>)
                [r.Name, Int(e.Key), Int(e.Value.Count), Reproduction.Number(e.Value.Mean, "R"), Reproduction.Number(e.Value.StandardError, "R")])));
        // The figures of the trained models pooled over seeds, in the run directory itself.
        InterdependenceFiles.Write(context.Directory, [.. results.Where(r => r.Name != "untrained").SelectMany(r => r.Pairs)], setup.MinCount * models.Length, "logits",
            withPairs: false);

        var summaries = results.Select(r =>
        {
            var means = InterdependenceFiles.BySequentialDistance(r.Pairs, setup.MinCount).Values.Select(v => v.Mean).ToArray();
            var (falling, lines) = FallingLines(r.Pairs, setup.MinCount);
            double perplexity = models.FirstOrDefault(m => $"seed{m.Seed}" == r.Name)?.ValidPerplexity ?? models[0].InitialPerplexity;
            return new Summary(r.Label, perplexity, r.Pairs.Count, means, means.Length > 1 && means.Zip(means.Skip(1)).All(p => p.First > p.Second), falling, lines);
        }).ToArray();
        var trained = summaries[..models.Length];
        var control = summaries[^1];
        string table = Reproduction.MarkdownTable(
            ["model", "valid ppl", "pairs", "mean interdependence at r − l = 1, 2, 3, 4", "falls with sequential distance", "lines falling with syntactic distance"],
            summaries.Select(x => (IReadOnlyList<string>)
            [
                x.Label, Reproduction.Number(x.Perplexity, "F1"), Int(x.Pairs), string.Join(", ", x.Means.Select(m => Reproduction.Number(m, "F4"))),
                x.FallsWithSequentialDistance ? "yes" : "no", x.LinesText,
            ]));
        bool allFalling = trained.All(x => x.Lines > 0 && x.FallingLines == x.Lines), mostlyFalling = trained.All(x => x.Lines > 0 && 3 * x.FallingLines >= 2 * x.Lines);
        string claims = Reproduction.MarkdownTable(["claim (paper §4.1)", "measured", "holds"],
        [
            ["Figure 8: interdependence falls as the sequential distance r − l grows",
                $"{trained.Count(x => x.FallsWithSequentialDistance)} of {trained.Length} trained seeds fall at every step (untrained control: {(control.FallsWithSequentialDistance ? "falls too" : "does not fall")})",
                trained.All(x => x.FallsWithSequentialDistance) ? "yes" : "no"],
            ["Figure 9: at fixed sequential distance, interdependence falls with syntactic distance for each class pair (least-squares slope over the shown syntactic distances < 0)",
                string.Join("; ", trained.Select(x => $"{x.Label}: {x.LinesText}")) + $"; untrained: {control.LinesText}",
                allFalling ? "yes" : mostlyFalling ? "mostly (at least two thirds of the lines in every seed)" : "no"],
        ]);
        double seconds = clock.Elapsed.TotalSeconds;
        return Reproduction.WriteMarkdown(context, "Interdependence and syntax in English (Saphra & Lopez §4.1, Figures 8–9)", setup.Describe(),
            table + "\n" + claims,
            string.Create(CultureInfo.InvariantCulture,
                $"This run took {seconds:F0} s with {Compute.Threads} thread{(Compute.Threads == 1 ? "" : "s")}. ") +
            "'lines falling with syntactic distance' counts the (sequential distance, class pair) lines of Figure 9 with at least two shown points whose " +
            "least-squares slope is negative. The untrained model is seed 1's initial draw: interdependence falls with sequential distance there too, " +
            "so that trend alone is no evidence of learning; the syntactic trend at fixed sequential distance is the one that separates them. " +
            "by-sequential-distance.* and by-syntactic-distance*.* pool the trained seeds' pairs (a mean shown with at least seeds × the minimum count); analysis/<model>/ holds each model's pairs.csv and tables. " +
            "UD English-EWT: Silveira et al. (2014), \"A Gold Standard Dependency Corpus for English\", LREC; Universal Dependencies contributors; CC BY-SA 4.0.");
    }

    private sealed record Summary(string Label, double Perplexity, int Pairs, double[] Means, bool FallsWithSequentialDistance, int FallingLines, int Lines)
    {
        public string LinesText => Lines == 0 ? "n/a (no line with two shown points)" : $"{FallingLines} of {Lines}";
    }

    private sealed record TrainedModel(ulong Seed, string Directory, string InitialDirectory, double ValidPerplexity, double InitialPerplexity);

    private static TrainedModel Train(ReproductionContext context, SaphraEnglishSetup setup, Vocabulary vocabulary, int[] train, int[] valid, ulong seed)
    {
        var rng = new Rng(seed);
        var config = new ModelConfig
        {
            Cell = CellType.Lstm, Input = InputKind.Embedding, InputSize = vocabulary.Count, EmbeddingSize = setup.HiddenSize,
            HiddenSize = setup.HiddenSize, OutputSize = vocabulary.Count, Dropout = setup.Dropout, InputDropout = setup.Dropout, InitRange = 0.1,
        };
        var training = setup.Training with { Seed = seed };
        var model = new SequenceModel<float>(config, rng.Split());
        model.Initialize(rng.Split());
        string initial = Reproduction.RunDirectory(context, "lstm-untrained", seed);
        ModelFiles.WriteConfig(initial, config);
        vocabulary.Save(Path.Combine(initial, ModelFiles.VocabularyFile));
        ModelFiles.WriteWeights(initial, new ParameterStoreView<float>(model.Store));
        double initialPerplexity = Math.Exp(LanguageModelTrainer.Evaluate(model, valid, setup.Batching.EvalBatch, setup.Batching.Bptt).Loss);

        string directory = Reproduction.LanguageModelDirectory(context, ModelName, seed, config, vocabulary, training, setup.Batching);
        var validations = new List<LanguageModelValidation>();
        var trainer = new LanguageModelTrainer(model, training, setup.Batching, train, valid, directory, rng.Split()) { Validated = validations.Add };
        Reproduction.TrainToEnd(trainer, $"saphra-english seed {seed}", stop: context.Stop);
        double perplexity = Math.Exp(validations.Min(v => v.ValidLoss));
        context.Log(string.Create(CultureInfo.InvariantCulture, $"seed {seed}: validation perplexity {perplexity:F1} (untrained {initialPerplexity:F0})"));
        return new TrainedModel(seed, directory, initial, perplexity, initialPerplexity);
    }

    private static List<WordPairMeasure> Analyse(ReproductionContext context, string modelDirectory, string name, List<Sentence> treebank, Vocabulary vocabulary,
        InterdependenceOptions options, int minCount)
    {
        var (model, _, _) = ModelFiles.Load<double>(modelDirectory);
        var cd = new ContextualDecomposition(model);
        var clock = Stopwatch.StartNew();
        var pairs = Interdependence.Treebank(cd, treebank, s => [.. s.Words.Select(w => vocabulary[w])], options);
        string directory = System.IO.Directory.CreateDirectory(Path.Combine(context.Directory, "analysis", name)).FullName;
        InterdependenceFiles.Write(directory, pairs, minCount, "logits");
        context.Log(string.Create(CultureInfo.InvariantCulture, $"{name}: {pairs.Count:N0} pairs in {clock.Elapsed.TotalSeconds:F1} s"));
        return pairs;
    }

    /// <summary>Lines of Figure 9 (sequential distance × class pair) with at least two shown points, and how many of them have a negative slope.</summary>
    internal static (int Falling, int Lines) FallingLines(IReadOnlyList<WordPairMeasure> pairs, int minCount)
    {
        int falling = 0, lines = 0;
        foreach (var line in InterdependenceFiles.BySyntacticDistance(pairs, minCount).Where(e => !double.IsNaN(e.Value.Mean)).GroupBy(e => (e.Key.Sequential, e.Key.Classes)))
        {
            var points = line.Select(e => (X: (double)e.Key.Syntactic, Y: e.Value.Mean)).ToArray();
            if (points.Length < 2) continue;
            lines++;
            double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
            if (points.Sum(p => (p.X - mx) * (p.Y - my)) < 0) falling++;
        }
        return (falling, lines);
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
