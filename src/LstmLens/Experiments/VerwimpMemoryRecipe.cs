// The verwimp-memory reproduction (Verwimp et al. 2019, §4.3 Figures 4–9, §5 Figures 10–11, appendix 9 Table 3) on
// the Brown corpus instead of the paper's Penn Treebank: word-level language models (embedding 64; LSTM 256 as the
// baseline, GRU 256, RNN 256, LSTM 128, LSTM 512) trained on the tag-stripped training split with a 10,000-word
// vocabulary, plus the baseline's own initial weights untrained; each analysed by MemoryAnalysis on (a prefix of)
// the validation split with its Brown tags read as PTB tags (BrownTags): normalised and raw σ1 of the baseline's c,
// c against h, trained against random, the cell types, the hidden sizes, per-POS groups, per-word decay against
// training frequency, and difference vectors between noun and verb classes with their separability. Writes every
// run's model directory (runs/) and memory analysis (analysis/), the overlays of each figure, results.csv and
// results.md with each of the paper's claims marked as reproduced or not. Not the analysis (MemoryAnalysis), the
// file formats (MemoryFiles) or the tag mapping (BrownTags).
using System.Diagnostics;
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>Corpus sizes, models, training and analysis of the verwimp-memory recipe at one scale.</summary>
public sealed record VerwimpMemorySetup
{
    /// <summary>Training tokens (&lt;eos&gt; included) taken as whole sentences from the start of train.txt (null: all).</summary>
    public int? TrainTokens { get; init; }

    /// <summary>Tokens of valid.txt the perplexity is validated on (null: all).</summary>
    public int? ValidTokens { get; init; }

    /// <summary>Tokens of test.txt the test perplexity is measured on (null: all).</summary>
    public int? TestTokens { get; init; }

    /// <summary>Positions of the tagged validation split the memory analysis reads (null: all).</summary>
    public int? AnalysisTokens { get; init; }

    /// <summary>Largest delay τ of the analysis.</summary>
    public required int MaxDelay { get; init; }

    /// <summary>Fewest occurrences in the analysed text for a word of the per-word analysis (Figure 9).</summary>
    public int MinCount { get; init; } = 10;

    /// <summary>Vocabulary cap, &lt;unk&gt; and &lt;eos&gt; included (the paper's PTB has 10,000 words).</summary>
    public int MaxVocabulary { get; init; } = 10_000;

    /// <summary>E, the embedding width of every model.</summary>
    public int EmbeddingSize { get; init; } = 64;

    /// <summary>H of the baseline LSTM, the GRU and the RNN.</summary>
    public int BaselineHidden { get; init; } = 256;

    /// <summary>H of the small LSTM (Figure 6).</summary>
    public int SmallHidden { get; init; } = 128;

    /// <summary>H of the large LSTM (Figure 6).</summary>
    public int LargeHidden { get; init; } = 512;

    /// <summary>Dropout on the recurrent layer's output (none on the embeddings, as in the paper).</summary>
    public double Dropout { get; init; } = 0.5;

    /// <summary>Every parameter uniform in ±InitRange.</summary>
    public double InitRange { get; init; } = 0.05;

    /// <summary>Optimiser, schedule, clipping, epochs.</summary>
    public required TrainingOptions Training { get; init; }

    /// <summary>Learning rate of the vanilla RNN when it differs from the others' (null: the same, as in the paper).</summary>
    public double? RnnLearningRate { get; init; }

    /// <summary>Streams, BPTT window, validations.</summary>
    public required LanguageModelSettings Batching { get; init; }

    /// <summary>
    /// --full: the paper's models and training (§4.3.1: embedding 64, batch 20, BPTT 200, SGD lr 1 for 6 epochs then × 0.8 per
    /// epoch, dropout 0.5 on the outputs, clip 5, init ±0.05; up to 39 epochs, stopping after 2 epochs without improvement) on
    /// the whole Brown training split, analysed on the whole validation split for delays 0–50. --quick (at most 15 minutes on 2
    /// cores): one epoch over the first 200k training tokens in 1,000 updates of 10 × 20 tokens (windows of 20 × 200 would make
    /// 50 updates, after which the state gradients hardly depend on the word), the RNN at lr 0.5 (it diverges at 1 with these
    /// windows), validation and test on 10k tokens, the analysis on the first 2,000 validation positions for delays 0–30,
    /// per-word analysis of words seen 5 times there.
    /// </summary>
    public static VerwimpMemorySetup For(ReproductionScale scale)
    {
        var training = new TrainingOptions
        {
            Optimizer = "sgd", LearningRate = 1, Schedule = ScheduleKind.StepDecay, DecayAfter = 6, DecayFactor = 0.8, ClipNorm = 5,
            Epochs = scale == ReproductionScale.Quick ? 1 : 39,
        };
        return scale == ReproductionScale.Quick
            ? new VerwimpMemorySetup
            {
                TrainTokens = 200_000, ValidTokens = 10_000, TestTokens = 10_000, AnalysisTokens = 2_000, MaxDelay = 30, MinCount = 5,
                Training = training, RnnLearningRate = 0.5, Batching = new LanguageModelSettings { Batch = 10, Bptt = 20 },
            }
            : new VerwimpMemorySetup
            {
                MaxDelay = 50, Training = training, Batching = new LanguageModelSettings { Batch = 20, Bptt = 200, Patience = 2 },
            };
    }

    /// <summary>The setup in one paragraph for results.md.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Brown corpus (tools/brown_splits.sh), tags stripped for training; {Tokens(TrainTokens)} training tokens (whole sentences from the start of train.txt), " +
        $"vocabulary the {MaxVocabulary:N0} most frequent training words with <unk> and <eos>. Models: embedding {EmbeddingSize}, one recurrent layer " +
        $"(LSTM {BaselineHidden} baseline, GRU {BaselineHidden}, RNN {BaselineHidden}, LSTM {SmallHidden}, LSTM {LargeHidden}), dropout {Dropout} on its output, " +
        $"uniform ±{InitRange} initialisation; {Training.Optimizer} lr {Training.LearningRate}{(RnnLearningRate is double r ? $" ({r} for the RNN)" : "")}, × {Training.DecayFactor} per epoch after {Training.DecayAfter}, clip {Training.ClipNorm}, " +
        $"batch {Batching.Batch}, BPTT {Batching.Bptt} with the state carried, {Training.Epochs} epoch{(Training.Epochs == 1 ? "" : "s")}" +
        $"{(Batching.Patience is int p ? $" at most, stopping after {p} validations without improvement" : "")}; validation on {Tokens(ValidTokens)} and test on {Tokens(TestTokens)} tokens. " +
        $"Memory analysis (MemoryAnalysis) of layer 0 on {Tokens(AnalysisTokens)} positions of the validation split read as one stream from a zero state, " +
        $"Brown tags mapped to PTB tags (BrownTags), delays 0–{MaxDelay}, Ḡ normalised by the embedding covariance unless said otherwise; per-word analysis of words seen at least {MinCount} times there. " +
        $"The paper: PTB (900k training words), the same models and training, delays 0–50 on the 70k-word validation set.");

    private static string Tokens(int? count) => count is int n ? n.ToString("N0", CultureInfo.InvariantCulture) : "all";
}

/// <summary>The verwimp-memory recipe.</summary>
public static class VerwimpMemoryRecipe
{
    /// <summary>The POS groups of Figure 8a on PTB tags (N, V, Adj, Adv, Pro as in Table 3; Det; Conj-P = CC and IN).</summary>
    public static IReadOnlyList<(string Label, string Spec)> PosGroups { get; } =
    [
        ("N", "pos:NN,NNS,NNP,NNPS"), ("V", "pos:VB,VBD,VBG,VBN,VBP,VBZ"), ("Adj", "pos:JJ,JJR,JJS"), ("Adv", "pos:RB,RBR,RBS"),
        ("Pro", "pos:PRP,PRP$,WP,WP$"), ("Det", "pos:DT,PDT"), ("Conj-P", "pos:CC,IN"),
    ];

    // The paper's Table 2 (PTB) perplexities, by model.
    private static readonly Dictionary<string, (double Valid, double Test)> PaperPerplexity = new(StringComparer.Ordinal)
    {
        ["LSTM 256"] = (103.3, 103.8), ["GRU 256"] = (110.4, 108.2), ["RNN 256"] = (686.4, 648.3), ["LSTM 128"] = (119.1, 115.3), ["LSTM 512"] = (101.1, 99.8),
    };

    private static readonly int[] ShownDelays = [0, 1, 2, 5, 10, 20, 30, 40, 50];

    /// <summary>Runs the recipe at the context's scale; returns results.md.</summary>
    public static string Run(ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Run(context, VerwimpMemorySetup.For(context.Scale));
    }

    /// <summary>Runs the recipe with <paramref name="setup"/> on the corpus of <paramref name="context"/>; returns results.md.</summary>
    public static string Run(ReproductionContext context, VerwimpMemorySetup setup)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(setup);
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var corpus = ReadCorpus(context.Corpus);
        var trainSentences = Prefix(corpus.Train, setup.TrainTokens);
        var vocabulary = Vocabulary.Build(trainSentences.Select(s => (IReadOnlyList<string>)s.Words), setup.MaxVocabulary);
        var trainStream = TokenStream.From(trainSentences, vocabulary);
        int[] valid = TokenStream.From(corpus.Valid, vocabulary, setup.ValidTokens).Ids, test = TokenStream.From(corpus.Test, vocabulary, setup.TestTokens).Ids;
        var text = TokenStream.From([.. corpus.Valid.Select(BrownTags.ToPtb)], vocabulary, setup.AnalysisTokens);
        var properties = Properties(context, trainSentences, vocabulary);
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"corpus {context.Corpus}: {trainStream.Count:N0} training tokens ({trainStream.UnknownCount:N0} <unk>), vocabulary {vocabulary.Count:N0}; analysis text {text.Count:N0} positions"));

        var configurations = Configurations(setup);
        // Longest training first (the decoder's H × V dominates), so that the cores finish together.
        var jobs = configurations.OrderByDescending(c => c.HiddenSize).ThenByDescending(c => Gates(c.Cell))
            .SelectMany(c => Enumerable.Range(1, context.Seeds).Select(s => (Configuration: c, Seed: (ulong)s))).ToArray();
        var trained = Reproduction.RunAll(context, jobs, job => (job.Configuration.Name, job.Seed),
            job => Train(context, setup, vocabulary, trainStream.Ids, valid, test, job.Configuration, job.Seed));
        var best = configurations.ToDictionary(c => c.Label, c => trained.Where(t => t.Configuration == c).MinBy(t => t.ValidPerplexity)!, StringComparer.Ordinal);
        context.Log(string.Create(CultureInfo.InvariantCulture, $"training done after {clock.Elapsed.TotalSeconds:F0} s"));

        var baseline = best[configurations[0].Label];
        var analyses = new List<AnalysisJob>
        {
            new("baseline-c", $"{baseline.Configuration.Label} c (b)", baseline, StateKind.Cell, Trained: true, Detailed: true),
            new("baseline-h", $"{baseline.Configuration.Label} h", baseline, StateKind.Hidden, Trained: true),
            new("baseline-random-c", $"{baseline.Configuration.Label} c, random weights", baseline, StateKind.Cell, Trained: false),
        };
        foreach (var c in configurations.Where(c => c != baseline.Configuration))
            analyses.Add(new(AnalysisName(c), $"{c.Label} {StateName(c)}", best[c.Label], c.Cell == CellType.Lstm ? StateKind.Cell : StateKind.Hidden, Trained: true));
        foreach (var other in trained.Where(t => t.Configuration == baseline.Configuration && t != baseline))
            analyses.Add(new($"baseline-seed{other.Seed}-c", $"{other.Configuration.Label} c, seed {other.Seed}", other, StateKind.Cell, Trained: true));
        var runs = Reproduction.InParallel([.. analyses.OrderByDescending(a => a.Cost)], job => Analyse(context, setup, job, vocabulary, text, properties))
            .ToDictionary(r => r.Job.Name, StringComparer.Ordinal);
        context.Log(string.Create(CultureInfo.InvariantCulture, $"analyses done after {clock.Elapsed.TotalSeconds:F0} s"));

        WriteResultsCsv(context, [.. analyses.Select(a => runs[a.Name])]);
        var sections = Figures(context, setup, configurations, best, baseline, runs, trainStream, properties);
        double seconds = clock.Elapsed.TotalSeconds, cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        return Reproduction.WriteMarkdown(context, "Memory of recurrent language models on Brown (Verwimp et al. §4.3, §5, Table 3)", setup.Describe(), sections,
            string.Create(CultureInfo.InvariantCulture,
                $"This run took {seconds:F0} s wall and {cpuSeconds:F0} s CPU in the recipe (reading the corpus, training, analyses, files) with {Compute.Threads} thread{(Compute.Threads == 1 ? "" : "s")}. ") +
            "The POS groups and difference-vector classes are PTB tags after the Brown→PTB mapping of docs/reproductions/verwimp-memory.md; word classes (Figures 10–11, Table 3) " +
            "take each vocabulary word's most frequent tag in the training text, genitives are Brown's $ nouns paired with the same word without 's. " +
            "Separability is the held-out accuracy (20% of each class's words) of logistic regression on the baseline's embeddings, not the paper's grid search. " +
            "'yes'/'no' judge the paper's claim on our numbers at this scale with the test stated in the row; 'n/a' where this scale cannot show it. " +
            "results.csv: every analysis's σ1, σ1/Σσ, top-5/Σσ and Σσ per group and delay; analysis/*/ the full memory runs (readable by lstmlens memory --compare).");
    }

    /// <summary>The three splits, tagged.</summary>
    internal sealed record TaggedCorpus(List<Sentence> Train, List<Sentence> Valid, List<Sentence> Test);

    /// <summary>A trained model family: name in run directories, label in tables, cell and size.</summary>
    private sealed record Configuration(string Name, string Label, CellType Cell, int HiddenSize);

    private sealed record TrainedModel(Configuration Configuration, ulong Seed, string Directory, string InitialDirectory,
        double ValidPerplexity, double TestPerplexity, double InitialValidPerplexity, string? Diverged);

    private sealed record AnalysisJob(string Name, string Label, TrainedModel Model, StateKind State, bool Trained, bool Detailed = false)
    {
        // Tangent work per position (the detailed analysis first among equals: it has the most groups).
        public long Cost => Gates(Model.Configuration.Cell) * Model.Configuration.HiddenSize * Model.Configuration.HiddenSize + (Detailed ? 1 : 0);
    }

    private sealed record AnalysisRun(AnalysisJob Job, MemoryReport Report, string Directory, string? UnnormalizedDirectory);

    /// <summary>A difference vector of Figures 10–11 and Table 3: its two word-class specs, labels and the paper's accuracies.</summary>
    private sealed record Property(string Name, bool Nominal, string SpecA, string SpecB, string LabelA, string LabelB, double PaperValid, double PaperTest);

    /// <summary>The Brown splits of --corpus for recipe <paramref name="recipe"/>, every tag checked against the Brown→PTB table.</summary>
    internal static TaggedCorpus ReadCorpus(string? directory, string recipe = "verwimp-memory")
    {
        if (directory is null)
            throw new OptionException($"{recipe} needs --corpus DIR: a directory with train.txt, valid.txt and test.txt in word/TAG form (tools/brown_splits.sh DIR writes the Brown splits)");
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"--corpus {directory}: no such directory");
        string[] paths = [Path.Combine(directory, "train.txt"), Path.Combine(directory, "valid.txt"), Path.Combine(directory, "test.txt")];
        foreach (string path in paths)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"--corpus {directory}: no {Path.GetFileName(path)} (expected train.txt, valid.txt and test.txt in word/TAG form)", path);
        }
        return new TaggedCorpus(BrownTags.Read(paths[0]), BrownTags.Read(paths[1]), BrownTags.Read(paths[2]));
    }

    // Whole sentences from the start while the stream (one <eos> per sentence) stays within the limit; at least one.
    internal static List<Sentence> Prefix(List<Sentence> sentences, int? tokens)
    {
        if (tokens is not int limit) return sentences;
        int count = 0, total = 0;
        while (count < sentences.Count && (count == 0 || total + sentences[count].Words.Length + 1 <= limit)) total += sentences[count++].Words.Length + 1;
        return sentences[..count];
    }

    // In the order of the paper's Table 2, the baseline first.
    private static Configuration[] Configurations(VerwimpMemorySetup setup)
    {
        static Configuration Of(CellType cell, int hidden) => new($"{cell.ToString().ToLowerInvariant()}{hidden}", $"{cell.ToString().ToUpperInvariant()} {hidden}", cell, hidden);
        return [Of(CellType.Lstm, setup.BaselineHidden), Of(CellType.Gru, setup.BaselineHidden), Of(CellType.Rnn, setup.BaselineHidden),
            Of(CellType.Lstm, setup.SmallHidden), Of(CellType.Lstm, setup.LargeHidden)];
    }

    // The state analysed of a non-baseline configuration: c of an LSTM, h otherwise (Figures 5b, 6).
    private static string StateName(Configuration c) => c.Cell == CellType.Lstm ? "c" : "h";

    private static string AnalysisName(Configuration c) => $"{c.Name}-{StateName(c)}";

    // Gate blocks of a cell's recurrent matrix: its tangent work per step is Gates × H².
    private static long Gates(CellType cell) => cell switch { CellType.Lstm => 4, CellType.Gru => 3, _ => 1 };

    private static TrainedModel Train(ReproductionContext context, VerwimpMemorySetup setup, Vocabulary vocabulary, int[] train, int[] valid, int[] test,
        Configuration configuration, ulong seed)
    {
        var rng = new Rng(seed);
        var config = new ModelConfig
        {
            Cell = configuration.Cell, Input = InputKind.Embedding, InputSize = vocabulary.Count, EmbeddingSize = setup.EmbeddingSize,
            HiddenSize = configuration.HiddenSize, OutputSize = vocabulary.Count, Dropout = setup.Dropout, InitRange = setup.InitRange,
        };
        var training = setup.Training with
        {
            Seed = seed,
            LearningRate = configuration.Cell == CellType.Rnn && setup.RnnLearningRate is double rate ? rate : setup.Training.LearningRate,
        };
        var model = new SequenceModel<float>(config, rng.Split());
        model.Initialize(rng.Split());
        // The untrained model (Figure 5a) is this run's own initial draw.
        string initial = Reproduction.RunDirectory(context, $"{configuration.Name}-untrained", seed);
        ModelFiles.WriteConfig(initial, config);
        vocabulary.Save(Path.Combine(initial, ModelFiles.VocabularyFile));
        ModelFiles.WriteWeights(initial, new ParameterStoreView<float>(model.Store));
        double initialValid = Math.Exp(LanguageModelTrainer.Evaluate(model, valid, setup.Batching.EvalBatch, setup.Batching.Bptt).Loss);

        string directory = Reproduction.LanguageModelDirectory(context, configuration.Name, seed, config, vocabulary, training, setup.Batching);
        var validations = new List<LanguageModelValidation>();
        var trainer = new LanguageModelTrainer(model, training, setup.Batching, train, valid, directory, rng.Split()) { Validated = validations.Add };
        string? diverged = null;
        try
        {
            if (trainer.Run(resume: false, context.Stop) == TrainingOutcome.Interrupted)
                throw Reproduction.LanguageModelStopped($"verwimp-memory {configuration.Label} seed {seed}", context.Stop);
        }
        catch (NonFiniteException e) when (validations.Count > 0)
        {
            diverged = e.Message; // the best validated weights stay in the run directory
        }
        var (best, _, _) = ModelFiles.Load<float>(directory);
        double validPerplexity = Math.Exp(validations.Min(v => v.ValidLoss));
        double testPerplexity = Math.Exp(LanguageModelTrainer.Evaluate(best, test, setup.Batching.EvalBatch, setup.Batching.Bptt).Loss);
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"{configuration.Label} seed {seed}: validation perplexity {validPerplexity:F1} (untrained {initialValid:F0}), test {testPerplexity:F1} after {validations[^1].TrainedTokens:N0} training tokens{(diverged is null ? "" : $"; diverged: {diverged}")}"));
        return new TrainedModel(configuration, seed, directory, initial, validPerplexity, testPerplexity, initialValid, diverged);
    }

    // The difference vectors' word classes, written to classes/ as word lists: each vocabulary word goes to the class of its most
    // frequent PTB tag in the training text; genitives are words whose most frequent Brown tag is a $ noun whose form without 's
    // (or ') is a non-genitive noun of the vocabulary, paired with that form (the paper: words ending on 's and their counterparts).
    private static Property[] Properties(ReproductionContext context, List<Sentence> train, Vocabulary vocabulary)
    {
        var tags = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var sentence in train)
        {
            for (int i = 0; i < sentence.Words.Length; i++)
            {
                if (!vocabulary.Contains(sentence.Words[i])) continue;
                var counts = tags.TryGetValue(sentence.Words[i], out var c) ? c : tags[sentence.Words[i]] = new(StringComparer.Ordinal);
                counts[sentence.Tags![i]] = counts.GetValueOrDefault(sentence.Tags[i]) + 1;
            }
        }
        // Ties go to the tag that sorts first, so classes do not depend on dictionary order.
        var brown = tags.ToDictionary(w => w.Key, w => w.Value.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).First().Key, StringComparer.Ordinal);
        var ptb = tags.ToDictionary(w => w.Key, w => w.Value.GroupBy(t => BrownTags.ToPtb(t.Key), StringComparer.Ordinal)
            .Select(g => (Tag: g.Key, Count: g.Sum(t => t.Value))).OrderByDescending(t => t.Count).ThenBy(t => t.Tag, StringComparer.Ordinal).First().Tag, StringComparer.Ordinal);
        string directory = System.IO.Directory.CreateDirectory(Path.Combine(context.Directory, "classes")).FullName;
        string Write(string name, IEnumerable<string> words)
        {
            string path = Path.Combine(directory, $"{name}.txt");
            AtomicFile.WriteAllText(path, string.Join('\n', words.Order(StringComparer.Ordinal)) + "\n");
            return $"words:{path}";
        }
        string Class(params string[] classTags) => Write(string.Join('+', classTags), ptb.Where(w => classTags.Contains(w.Value)).Select(w => w.Key));
        bool IsNoun(string word) => ptb.TryGetValue(word, out string? tag) && tag.StartsWith("NN", StringComparison.Ordinal);
        var pairs = brown.Where(w => BrownTags.IsGenitive(w.Value))
            .Select(w => (Genitive: w.Key, Plain: w.Key.EndsWith("'s", StringComparison.Ordinal) ? w.Key[..^2] : w.Key.EndsWith('\'') ? w.Key[..^1] : ""))
            .Where(p => p.Plain.Length > 0 && IsNoun(p.Plain) && !BrownTags.IsGenitive(brown[p.Plain])).ToArray();
        return
        [
            new("sg - pl", true, Class("NN", "NNP"), Class("NNS", "NNPS"), "NN+NNP", "NNS+NNPS", 85.7, 88.2),
            new("common - proper", true, Class("NN", "NNS"), Class("NNP", "NNPS"), "NN+NNS", "NNP+NNPS", 83.3, 82.0),
            new("genitive - non-genitive", true, Write("genitive", pairs.Select(p => p.Genitive)), Write("non-genitive", pairs.Select(p => p.Plain).Distinct(StringComparer.Ordinal)),
                "genitive nouns (Brown $)", "the same nouns without 's", 93.0, 89.4),
            new("3rd - non-3rd (VBZ - VBP)", false, Class("VBZ"), Class("VBP"), "VBZ", "VBP", 70.5, 71.5),
            new("present - past (VBP+VBZ - VBD)", false, Class("VBP", "VBZ"), Class("VBD"), "VBP+VBZ", "VBD", 76.4, 80.0),
            new("present - past participle (VBG - VBN)", false, Class("VBG"), Class("VBN"), "VBG", "VBN", 73.9, 79.6),
        ];
    }

    private static AnalysisRun Analyse(ReproductionContext context, VerwimpMemorySetup setup, AnalysisJob job, Vocabulary vocabulary, TokenStream text, Property[] properties)
    {
        var (model, _, _) = ModelFiles.Load<float>(job.Trained ? job.Model.Directory : job.Model.InitialDirectory);
        // A class none of whose words is in the vocabulary or in the text defines no difference; it is left out.
        var usable = job.Detailed ? properties.Where(p => Usable(p.SpecA, text, vocabulary) && Usable(p.SpecB, text, vocabulary)).ToArray() : [];
        var options = new MemoryOptions
        {
            Gradient = new StateGradientOptions { Layer = 0, State = job.State, MaxDelay = setup.MaxDelay },
            Groups = job.Detailed ? ["all", .. PosGroups.Select(p => p.Spec)] : ["all"],
            AlsoUnnormalized = job.Detailed,
            PerWord = job.Detailed,
            MinCount = setup.MinCount,
            Differences = [.. usable.Select(p => (p.SpecA, p.SpecB))],
        };
        var clock = Stopwatch.StartNew();
        var report = MemoryAnalysis.Run(model, vocabulary, text, null, options);
        report = report with { Differences = [.. report.Differences.Select((d, i) => d with { Name = usable[i].Name, A = usable[i].LabelA, B = usable[i].LabelB })] };
        double seconds = clock.Elapsed.TotalSeconds;
        string directory = System.IO.Directory.CreateDirectory(Path.Combine(context.Directory, "analysis", job.Name)).FullName;
        object Run(bool normalized) => new
        {
            recipe = "verwimp-memory", analysis = job.Name, label = job.Label, model = job.Trained ? job.Model.Directory : job.Model.InitialDirectory, trained = job.Trained,
            cell = job.Model.Configuration.Cell.ToString().ToLowerInvariant(), hidden = job.Model.Configuration.HiddenSize, seed = job.Model.Seed,
            layer = 0, state = job.State == StateKind.Cell ? "c" : "h", max_delay = setup.MaxDelay, tokens = report.Tokens, unknown = text.UnknownCount,
            normalized, normalization = normalized ? report.NormalizationNote : "not normalised", cond_z = normalized ? report.Normalization?.ConditionNumber : null,
            groups = report.Groups.Where(g => g.Delay == 0).Select(g => new { name = g.Group, count = g.Count }),
            differences = report.Differences.Select(d => new
            {
                name = d.Name, a = d.A, b = d.B, words_a = d.WordsA, words_b = d.WordsB,
                separability_train_accuracy = d.Separability.TrainAccuracy, separability_test_accuracy = d.Separability.TestAccuracy,
            }),
            passes = report.Passes, seconds,
        };
        MemoryFiles.Write(directory, report, Run(normalized: report.Normalization is not null));
        string? raw = null;
        if (report.UnnormalizedGroups.Count > 0)
        {
            raw = System.IO.Directory.CreateDirectory(Path.Combine(context.Directory, "analysis", $"{job.Name}-unnormalized")).FullName;
            MemoryFiles.Write(raw, new MemoryReport { Groups = report.UnnormalizedGroups, NormalizationNote = "not normalised", Tokens = report.Tokens, Passes = report.Passes }, Run(normalized: false));
        }
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"analysis {job.Label}: σ1 {report.Groups[0].Spectrum.Sigma1:G4} at delay 0, {report.Groups.First(g => g.Group == "all" && g.Delay == setup.MaxDelay).Spectrum.Sigma1:G4} at {setup.MaxDelay}; {seconds:F0} s"));
        return new AnalysisRun(job, report, directory, raw);
    }

    private static bool Usable(string spec, TokenStream text, Vocabulary vocabulary)
    {
        string path = spec["words:".Length..];
        var ids = File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Where(vocabulary.Contains).Select(w => vocabulary[w]).ToHashSet();
        return ids.Count > 0 && text.Ids.Any(ids.Contains);
    }

    private static void WriteResultsCsv(ReproductionContext context, IReadOnlyList<AnalysisRun> runs)
    {
        IEnumerable<IReadOnlyList<string>> Rows(AnalysisRun run, IReadOnlyList<GroupMemory> groups, bool normalized)
        {
            var m = run.Job.Model;
            return groups.Select(g => (IReadOnlyList<string>)
            [
                run.Job.Name, m.Configuration.Cell.ToString().ToLowerInvariant(), Int(m.Configuration.HiddenSize), run.Job.State == StateKind.Cell ? "c" : "h",
                run.Job.Trained ? "true" : "false", normalized ? "true" : "false", Int((long)m.Seed),
                Csv(run.Job.Trained ? m.ValidPerplexity : m.InitialValidPerplexity), Csv(run.Job.Trained ? m.TestPerplexity : double.NaN),
                g.Group, Int(g.Delay), Int(g.Count), Csv(g.Spectrum.Sigma1), Csv(g.Spectrum.Sigma1Ratio), Csv(g.Spectrum.Top5Ratio), Csv(g.Spectrum.Sum),
            ]);
        }
        Reproduction.WriteCsv(Path.Combine(context.Directory, "results.csv"),
            ["analysis", "cell", "hidden", "state", "trained", "normalized", "seed", "valid_perplexity", "test_perplexity", "group", "delay", "count", "sigma1", "sigma1_ratio", "top5_ratio", "sigma_sum"],
            runs.SelectMany(r => Rows(r, r.Report.Groups, r.Report.Normalization is not null).Concat(Rows(r, r.Report.UnnormalizedGroups, false))));
    }

    /// <summary>One of the paper's claims: what it says, what we measured, and whether that reproduces it (null: not measurable here).</summary>
    private sealed record Claim(string Paper, string Ours, bool? Reproduced);

    private static string Figures(ReproductionContext context, VerwimpMemorySetup setup, Configuration[] configurations, Dictionary<string, TrainedModel> best,
        TrainedModel baseline, Dictionary<string, AnalysisRun> runs, TokenStream train, Property[] properties)
    {
        var text = new System.Text.StringBuilder();
        int maxDelay = setup.MaxDelay;
        int[] delays = [.. ShownDelays.Where(d => d <= maxDelay).Append(maxDelay).Distinct()];
        var b = runs["baseline-c"];
        var h = runs["baseline-h"];
        var random = runs["baseline-random-c"];
        AnalysisRun Of(CellType cell, int hidden) => runs[AnalysisName(configurations.First(c => c.Cell == cell && c.HiddenSize == hidden))];
        var gru = Of(CellType.Gru, setup.BaselineHidden);
        var rnn = Of(CellType.Rnn, setup.BaselineHidden);
        var small = Of(CellType.Lstm, setup.SmallHidden);
        var large = Of(CellType.Lstm, setup.LargeHidden);
        string figures = context.Directory;
        void Overlay(string prefix, params (AnalysisRun Run, string Group, string Label, bool Raw)[] curves) =>
            MemoryFiles.WriteComparison(figures, [.. curves.Select(c => (c.Raw ? c.Run.UnnormalizedDirectory! : c.Run.Directory, c.Group, c.Label))], prefix);
        void Section(string title, string description, string? table, IReadOnlyList<Claim> claims)
        {
            text.Append("## ").Append(title).Append("\n\n").Append(description).Append("\n\n");
            if (table is not null) text.Append(table).Append('\n');
            text.Append(Reproduction.MarkdownTable(["paper's claim", "ours", "reproduced"], claims.Select(c => (IReadOnlyList<string>)[c.Paper, c.Ours, Verdict(c.Reproduced)])));
            text.Append('\n');
        }

        // Table 2.
        var perplexities = configurations.Select(c => best[c.Label]).ToArray();
        double Ppl(CellType cell, int hidden) => best.Values.First(m => m.Configuration.Cell == cell && m.Configuration.HiddenSize == hidden).ValidPerplexity;
        double pB = Ppl(CellType.Lstm, setup.BaselineHidden), pGru = Ppl(CellType.Gru, setup.BaselineHidden), pRnn = Ppl(CellType.Rnn, setup.BaselineHidden),
            pSmall = Ppl(CellType.Lstm, setup.SmallHidden), pLarge = Ppl(CellType.Lstm, setup.LargeHidden);
        Section("Table 2: perplexities", $"Best validation perplexity over seeds 1–{context.Seeds} (the paper picks the best of three) and the test perplexity of those weights; the paper's are on PTB.",
            Reproduction.MarkdownTable(["model", "ours valid", "ours test", "ours untrained valid", "paper valid (PTB)", "paper test (PTB)"], perplexities.Select(m =>
            {
                var paper = PaperPerplexity.TryGetValue(m.Configuration.Label, out var p) ? p : (double.NaN, double.NaN);
                return (IReadOnlyList<string>)[m.Configuration.Label + (m.Diverged is null ? "" : " (diverged; best weights before)"), Reproduction.Number(m.ValidPerplexity, "F1"),
                    Reproduction.Number(m.TestPerplexity, "F1"), Reproduction.Number(m.InitialValidPerplexity, "F0"), Reproduction.Number(paper.Item1, "F1"), Reproduction.Number(paper.Item2, "F1")];
            })),
            [
                new("LSTM 512 < LSTM 256 < LSTM 128 (101.1 < 103.3 < 119.1)", $"{F(pLarge)} / {F(pB)} / {F(pSmall)}", pLarge < pB && pB < pSmall),
                new("GRU worse than the LSTM of the same size (110.4 vs 103.3)", $"{F(pGru)} vs {F(pB)}", pGru > pB),
                new("the vanilla RNN is by far the worst (686.4)", $"{F(pRnn)}; next worst {F(new[] { pB, pGru, pSmall, pLarge }.Max())}", pRnn > new[] { pB, pGru, pSmall, pLarge }.Max()),
            ]);

        // Figure 4a.
        var norm = Curve(b.Report.Groups);
        var raw = Curve(b.Report.UnnormalizedGroups);
        Overlay("fig4a_", (b, "all", "normalised", false), (b, "all", "not normalised", true));
        int mid = Math.Min(10, maxDelay);
        Section("Figure 4a: normalised vs not normalised (baseline c)", "fig4a_sigma1.svg, fig4a_selectiveness.svg.",
            CurveTable([("normalised", norm), ("not normalised", raw)], delays),
            [
                new("normalised σ1 is lower than σ1 without normalisation (at every delay)", $"lower at {norm.Count(n => n.Spectrum.Sigma1 < raw[n.Delay].Spectrum.Sigma1)} of {norm.Length} delays",
                    norm.All(n => n.Spectrum.Sigma1 < raw[n.Delay].Spectrum.Sigma1)),
                new($"σ1 falls fast with the delay, with and without normalisation (to below half by delay {mid})", $"σ1({mid})/σ1(0) {Ratio(norm, mid)} normalised, {Ratio(raw, mid)} not",
                    Sigma1At(norm, mid) < 0.5 * Sigma1At(norm, 0) && Sigma1At(raw, mid) < 0.5 * Sigma1At(raw, 0)),
                new("the memory becomes more selective with the delay (σ1/Σσ rises)", $"σ1/Σσ {N(norm[0].Spectrum.Sigma1Ratio)} at 0, {N(norm[^1].Spectrum.Sigma1Ratio)} at {maxDelay}", norm[^1].Spectrum.Sigma1Ratio > norm[0].Spectrum.Sigma1Ratio),
                new("Σσ1…5/Σσ close to 1 beyond delay 40 (what is remembered lies in about 5 directions)", $"{N(norm[^1].Spectrum.Top5Ratio)} at {maxDelay}",
                    maxDelay >= 40 ? norm.Where(n => n.Delay > 40).All(n => n.Spectrum.Top5Ratio > 0.9) : null),
            ]);

        // Figure 4b: seeds.
        var seeds = runs.Values.Where(r => r.Job.Name.StartsWith("baseline-seed", StringComparison.Ordinal)).Prepend(b).OrderBy(r => r.Job.Model.Seed).ToArray();
        if (seeds.Length > 1)
        {
            Overlay("fig4b_", [.. seeds.Select(r => (r, "all", $"seed {r.Job.Model.Seed}", false))]);
            double spread = delays.Max(d => seeds.Max(r => Sigma1At(Curve(r.Report.Groups), d)) / seeds.Min(r => Sigma1At(Curve(r.Report.Groups), d)));
            Section("Figure 4b: different random seeds (LSTM c)", "fig4b_sigma1.svg, fig4b_selectiveness.svg.",
                CurveTable([.. seeds.Select(r => ($"seed {r.Job.Model.Seed}", Curve(r.Report.Groups)))], delays),
                [new("no large difference between seeds", $"largest max/min σ1 ratio over the shown delays {N(spread)}", spread < 2)]);
        }
        else
        {
            text.Append("## Figure 4b: different random seeds\n\nNot run: one seed per configuration (--seeds 1). With --seeds N the baseline's N seeds are overlaid in fig4b_*.svg.\n\n");
        }

        // Figure 5a.
        var trained = Curve(b.Report.Groups);
        var untrained = Curve(random.Report.Groups);
        Overlay("fig5a_", (b, "all", "trained", false), (random, "all", "random weights", false));
        double r2Trained = LogLinearRSquared(trained), r2Random = LogLinearRSquared(untrained);
        Section("Figure 5a: trained vs random weights (baseline c)", "The random model is the baseline's own initial draw (runs/*-untrained-seed*). fig5a_sigma1.svg, fig5a_selectiveness.svg.",
            CurveTable([("trained", trained), ("random weights", untrained)], delays),
            [
                new("training gives larger σ1 (at every delay)", $"larger at {trained.Count(t => t.Spectrum.Sigma1 > untrained[t.Delay].Spectrum.Sigma1)} of {trained.Length} delays", trained.All(t => t.Spectrum.Sigma1 > untrained[t.Delay].Spectrum.Sigma1)),
                new("and a slower decay", $"σ1({maxDelay})/σ1(0) trained {Ratio(trained, maxDelay)}, random {Ratio(untrained, maxDelay)}", Sigma1At(trained, maxDelay) / Sigma1At(trained, 0) > Sigma1At(untrained, maxDelay) / Sigma1At(untrained, 0)),
                new("random weights decay exponentially (trained: not)", $"R² of a straight line through ln σ1: random {N(r2Random)}, trained {N(r2Trained)}", r2Random > 0.98 && r2Random > r2Trained),
                new("σ1/Σσ is larger for the trained model", $"mean over delays {N(trained.Average(t => t.Spectrum.Sigma1Ratio))} vs {N(untrained.Average(t => t.Spectrum.Sigma1Ratio))}", trained.Average(t => t.Spectrum.Sigma1Ratio) > untrained.Average(t => t.Spectrum.Sigma1Ratio)),
            ]);

        // Figure 5b.
        var cCurve = trained;
        var hCurve = Curve(h.Report.Groups);
        var gruCurve = Curve(gru.Report.Groups);
        var rnnCurve = Curve(rnn.Report.Groups);
        Overlay("fig5b_", (b, "all", "LSTM c", false), (h, "all", "LSTM h", false), (gru, "all", "GRU", false), (rnn, "all", "RNN", false));
        int between = gruCurve.Count(g => g.Spectrum.Sigma1 < cCurve[g.Delay].Spectrum.Sigma1 && g.Spectrum.Sigma1 > hCurve[g.Delay].Spectrum.Sigma1);
        var rnnLate = rnnCurve.Where(r => r.Delay > 20).ToArray();
        Section("Figure 5b: LSTM c and h, GRU, vanilla RNN (same size)", "GRU and RNN: their hidden state h. fig5b_sigma1.svg, fig5b_selectiveness.svg.",
            CurveTable([("LSTM c", cCurve), ("LSTM h", hCurve), ("GRU", gruCurve), ("RNN", rnnCurve)], delays),
            [
                new("σ1 of h is below σ1 of c (at every delay)", $"below at {hCurve.Count(x => x.Spectrum.Sigma1 < cCurve[x.Delay].Spectrum.Sigma1)} of {hCurve.Length} delays", hCurve.All(x => x.Spectrum.Sigma1 < cCurve[x.Delay].Spectrum.Sigma1)),
                new("GRU σ1 lies between LSTM c and h", $"between at {between} of {gruCurve.Length} delays (yes if at least 80%)", between >= 0.8 * gruCurve.Length),
                new("the GRU becomes selective more slowly than the LSTM (lower σ1/Σσ)", $"mean σ1/Σσ GRU {N(gruCurve.Average(g => g.Spectrum.Sigma1Ratio))}, LSTM c {N(cCurve.Average(g => g.Spectrum.Sigma1Ratio))}, h {N(hCurve.Average(g => g.Spectrum.Sigma1Ratio))}",
                    gruCurve.Average(g => g.Spectrum.Sigma1Ratio) < Math.Min(cCurve.Average(g => g.Spectrum.Sigma1Ratio), hCurve.Average(g => g.Spectrum.Sigma1Ratio))),
                new("RNN σ1 is much smaller", $"RNN/LSTM c σ1 at delay 1 {N(Sigma1At(rnnCurve, 1) / Sigma1At(cCurve, 1))}, at {maxDelay} {N(Sigma1At(rnnCurve, maxDelay) / Sigma1At(cCurve, maxDelay))}", rnnCurve.Skip(1).All(r => r.Spectrum.Sigma1 < cCurve[r.Delay].Spectrum.Sigma1)),
                new("RNN σ1 < 1e-10 beyond delay 20", rnnLate.Length > 0 ? $"largest σ1 beyond 20: {N(rnnLate.Max(r => r.Spectrum.Sigma1))}" : $"delays only to {maxDelay}",
                    rnnLate.Length > 0 ? rnnLate.All(r => r.Spectrum.Sigma1 < 1e-10) : null),
            ]);

        // Figure 6.
        var smallCurve = Curve(small.Report.Groups);
        var largeCurve = Curve(large.Report.Groups);
        Overlay("fig6_", (small, "all", small.Job.Model.Configuration.Label, false), (b, "all", baseline.Configuration.Label, false), (large, "all", large.Job.Model.Configuration.Label, false));
        double Mean(IReadOnlyList<GroupMemory> curve, Func<int, bool> at) => curve.Where(x => at(x.Delay)).Average(x => x.Spectrum.Sigma1Ratio);
        bool Early(int d) => d is >= 1 and <= 5;
        bool Late(int d) => d > maxDelay - 10;
        Section("Figure 6a: hidden size (LSTM c)", "fig6_sigma1.svg, fig6_selectiveness.svg.",
            CurveTable([(small.Job.Model.Configuration.Label, smallCurve), (baseline.Configuration.Label, cCurve), (large.Job.Model.Configuration.Label, largeCurve)], delays),
            [
                new($"LSTM {setup.SmallHidden} has lower σ1 overall (at every delay)", $"lower at {smallCurve.Count(x => x.Spectrum.Sigma1 < cCurve[x.Delay].Spectrum.Sigma1)} of {smallCurve.Length} delays", smallCurve.All(x => x.Spectrum.Sigma1 < cCurve[x.Delay].Spectrum.Sigma1)),
                new($"and is more selective than LSTM {setup.BaselineHidden}", $"mean σ1/Σσ {N(smallCurve.Average(x => x.Spectrum.Sigma1Ratio))} vs {N(cCurve.Average(x => x.Spectrum.Sigma1Ratio))}", smallCurve.Average(x => x.Spectrum.Sigma1Ratio) > cCurve.Average(x => x.Spectrum.Sigma1Ratio)),
                new($"LSTM {setup.LargeHidden}: selectiveness rises less quickly at first (delays 1–5)", $"mean σ1/Σσ {N(Mean(largeCurve, Early))} vs {N(Mean(cCurve, Early))}", Mean(largeCurve, Early) < Mean(cCurve, Early)),
                new($"but LSTM {setup.LargeHidden} is more selective at long delays (the last 10)", $"mean σ1/Σσ {N(Mean(largeCurve, Late))} vs {N(Mean(cCurve, Late))}", Mean(largeCurve, Late) > Mean(cCurve, Late)),
            ]);

        // Figure 8a.
        Overlay("fig8a_", [.. PosGroups.Select(p => (b, p.Spec, p.Label, false))]);
        var pos = PosGroups.Select(p => (p.Label, Rows: Curve(b.Report.Groups, p.Spec))).ToArray();
        var bySigma1 = pos.OrderByDescending(p => p.Rows[0].Spectrum.Sigma1).Select(p => p.Label).ToArray();
        var bySum = pos.OrderByDescending(p => p.Rows[^1].Spectrum.Sum).Select(p => p.Label).ToArray();
        int Rank(string label) => Array.IndexOf(bySigma1, label) + 1;
        Section("Figure 8a: average over POS (baseline c)", "Groups are positions whose mapped PTB tag is in the class: " + string.Join("; ", PosGroups.Select(p => $"{p.Label} = {p.Spec[4..].Replace(",", ", ", StringComparison.Ordinal)}")) + ". fig8a_sigma1.svg, fig8a_selectiveness.svg.",
            Reproduction.MarkdownTable(["POS", "positions", "σ1 at delay 0", $"Σσ at delay {maxDelay}", "rank by σ1(0)"], pos.Select(p => (IReadOnlyList<string>)
                [p.Label, Int(p.Rows[0].Count), N(p.Rows[0].Spectrum.Sigma1), N(p.Rows[^1].Spectrum.Sum), Int(Rank(p.Label))])),
            [
                new("nouns and verbs have the largest σ1 at delay 0", $"order {string.Join(" > ", bySigma1)}", Rank("N") <= 2 && Rank("V") <= 2),
                new("adjectives third, then adverbs and pronouns", $"Adj {Rank("Adj")}, Adv {Rank("Adv")}, Pro {Rank("Pro")}", Rank("Adj") == 3 && Rank("Adv") is 4 or 5 && Rank("Pro") is 4 or 5),
                new("conjunctions, prepositions and determiners the smallest", $"Conj-P {Rank("Conj-P")}, Det {Rank("Det")}", Rank("Conj-P") >= 6 && Rank("Det") >= 6),
                new($"the same order by Σσ at the largest delay (paper: 49)", $"order by Σσ({maxDelay}) {string.Join(" > ", bySum)}", bySum.SequenceEqual(bySigma1)),
            ]);

        // Figures 8b and 9: per word, against the frequency in the training text.
        var trainCounts = train.Ids.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        var words = b.Report.Words.Select(w => (Word: w, Train: trainCounts.GetValueOrDefault(w.Id))).ToArray();
        var fitted = words.Where(w => w.Word.Fit.Converged).ToArray();
        double rhoSigma = Spearman([.. words.Select(w => (double)w.Train)], [.. words.Select(w => w.Word.Sigma1[0])]);
        double rhoDecay = Spearman([.. fitted.Select(w => (double)w.Train)], [.. fitted.Select(w => w.Word.Fit.B)]);
        int[] edges = [0, 10, 100, 500, int.MaxValue];
        var bins = edges.Zip(edges.Skip(1)).Select(e => (Low: e.First, High: e.Second, Words: words.Where(w => w.Train >= e.First && w.Train < e.Second).ToArray())).Where(x => x.Words.Length > 0).ToArray();
        var the = words.FirstOrDefault(w => w.Word.Word == "the");
        double medianB = Median([.. fitted.Select(w => w.Word.Fit.B)]);
        CopyFigure(b.Directory, "decay.svg", Path.Combine(figures, "fig9a_decay.svg"));
        CopyFigure(b.Directory, "decay_by_frequency.svg", Path.Combine(figures, "fig9b_decay_by_frequency.svg"));
        Section("Figures 8b and 9: per word, by frequency in the training text (baseline c)",
            $"{words.Length} words seen at least {setup.MinCount} times in the analysed text; b from σ1(τ) = a·e^(−bτ) over delays 0–{maxDelay} ({fitted.Length} fits converged). fig9a_decay.svg (the two most and least frequent words with their fits), fig9b_decay_by_frequency.svg (mean b by frequency in the analysed text); words.csv.",
            Reproduction.MarkdownTable(["training frequency", "words", "mean σ1 at delay 0", "mean b"], bins.Select(x => (IReadOnlyList<string>)
                [x.High == int.MaxValue ? $"≥ {x.Low}" : x.Low == 0 ? $"< {x.High}" : $"{x.Low}–{x.High - 1}", Int(x.Words.Length), N(x.Words.Average(w => w.Word.Sigma1[0])),
                    N(x.Words.Where(w => w.Word.Fit.Converged).Select(w => w.Word.Fit.B).DefaultIfEmpty(double.NaN).Average())])),
            [
                new("frequent words have smaller σ1 at delay 0 (Figure 8b)", $"Spearman ρ(training frequency, σ1(0)) = {N(rhoSigma)} over {words.Length} words", words.Length >= 5 ? rhoSigma < 0 : null),
                new("frequent words decay faster: larger b (Figure 9b)", $"Spearman ρ(training frequency, b) = {N(rhoDecay)} over {fitted.Length} words", fitted.Length >= 5 ? rhoDecay > 0 : null),
                new("'the' decays faster than the median word (paper: b = 0.66 for 'the', 0.11 for 'congressional')", the.Word is null ? "'the' not analysed" : $"b('the') = {N(the.Word.Fit.B)}, median b {N(medianB)}",
                    the.Word is { Fit.Converged: true } ? the.Word.Fit.B > medianB : null),
            ]);
        if (b.Report.Words.Count > 0) File.Copy(Path.Combine(b.Directory, "words.csv"), Path.Combine(figures, "words.csv"), overwrite: true);

        // Figures 10–11 and Table 3.
        text.Append(DifferenceSections(context, b, properties, maxDelay, delays));
        return text.ToString();
    }

    private static string DifferenceSections(ReproductionContext context, AnalysisRun b, Property[] properties, int maxDelay, int[] delays)
    {
        var text = new System.Text.StringBuilder();
        var differences = b.Report.Differences;
        Property PropertyOf(DifferenceMemory d) => properties.First(p => p.Name == d.Name);
        var nominal = differences.Where(d => PropertyOf(d).Nominal).ToArray();
        var verbal = differences.Where(d => !PropertyOf(d).Nominal).ToArray();
        MemoryFiles.PlotDifferences(context.Directory, "fig10_", nominal);
        MemoryFiles.PlotDifferences(context.Directory, "fig11_", verbal);
        if (differences.Count > 0) File.Copy(Path.Combine(b.Directory, "differences.csv"), Path.Combine(context.Directory, "differences.csv"), overwrite: true);
        string Table(IReadOnlyList<DifferenceMemory> set) => Reproduction.MarkdownTable(["difference", "words A / B", .. delays.Select(d => $"m at {d}"), "cos₅ at 0"],
            set.Select(d => (IReadOnlyList<string>)[d.Name, $"{d.WordsA} / {d.WordsB}", .. delays.Select(t => N(d.Delays[t].RelativeMemory)), N(d.Delays[0].Cosine5)]));
        double M(string name, int delay = 0) => differences.FirstOrDefault(d => d.Name == name)?.Delays[delay].RelativeMemory ?? double.NaN;
        const string sgpl = "sg - pl", cp = "common - proper", gen = "genitive - non-genitive", third = "3rd - non-3rd (VBZ - VBP)";
        bool has(params string[] names) => names.All(n => differences.Any(d => d.Name == n));

        text.Append("## Figure 10: noun properties (baseline c)\n\nRelative memory m = ‖Ḡd‖/σ1 (eq. 20) with Ḡ averaged over the positions of both classes' words; fig10_differences.svg (m), fig10_differences_cosine.svg (‖Vₙᵀd‖, n = 1, 5); differences.csv.\n\n");
        text.Append(Table(nominal)).Append('\n');
        // The paper's medium delays, 5–20 (1 to the largest delay when that is shorter).
        int[] medium = maxDelay >= 5 ? [.. Enumerable.Range(5, Math.Min(20, maxDelay) - 4)] : [.. Enumerable.Range(1, maxDelay)];
        text.Append(Reproduction.MarkdownTable(["paper's claim", "ours", "reproduced"], new Claim[]
        {
            new("the genitive property is best remembered at delay 0 (m almost 0.8)", $"m at 0: genitive {N(M(gen))}, common–proper {N(M(cp))}, sg–pl {N(M(sgpl))}",
                has(gen, cp, sgpl) ? M(gen) > M(cp) && M(gen) > M(sgpl) : null),
            new("common–proper above sg–pl at delay 0 (paper: second, after genitive) and first at medium delays", $"m at 0 {N(M(cp))} vs sg–pl {N(M(sgpl))}; mean m over delays {medium[0]}–{medium[^1]}: common–proper {N(medium.Average(t => M(cp, t)))}, genitive {N(medium.Average(t => M(gen, t)))}",
                has(gen, cp, sgpl) && medium.Length > 0 ? M(cp) > M(sgpl) && medium.Average(t => M(cp, t)) > medium.Average(t => M(gen, t)) : null),
            new("sg–pl has the lowest m and decays with the delay", $"m {N(M(sgpl))} at 0, {N(M(sgpl, maxDelay))} at {maxDelay}",
                has(gen, cp, sgpl) ? M(sgpl) < Math.Min(M(cp), M(gen)) && M(sgpl, maxDelay) < M(sgpl) : null),
        }.Select(c => (IReadOnlyList<string>)[c.Paper, c.Ours, Verdict(c.Reproduced)]))).Append('\n');

        text.Append("## Figure 11: verb properties (baseline c)\n\nAs Figure 10, for the verb classes; fig11_differences.svg, fig11_differences_cosine.svg.\n\n");
        text.Append(Table(verbal)).Append('\n');
        double meanNominal = nominal.Select(d => d.Delays[0].RelativeMemory).DefaultIfEmpty(double.NaN).Average();
        double meanVerbal = verbal.Select(d => d.Delays[0].RelativeMemory).DefaultIfEmpty(double.NaN).Average();
        text.Append(Reproduction.MarkdownTable(["paper's claim", "ours", "reproduced"], new Claim[]
        {
            new("verb properties have lower m than noun properties (mean m at delay 0: 0.47 vs 0.72, Ḡ over all words)", $"mean m at 0: verbs {N(meanVerbal)}, nouns {N(meanNominal)} (Ḡ over each pair's words)",
                nominal.Length > 0 && verbal.Length > 0 ? meanVerbal < meanNominal : null),
            new("3rd–non-3rd has the lowest m of the verb properties", $"m at 0: {string.Join(", ", verbal.Select(d => $"{d.Name} {N(d.Delays[0].RelativeMemory)}"))}",
                verbal.Length > 1 && has(third) ? verbal.All(d => d.Name == third || d.Delays[0].RelativeMemory > M(third)) : null),
        }.Select(c => (IReadOnlyList<string>)[c.Paper, c.Ours, Verdict(c.Reproduced)]))).Append('\n');

        text.Append("## Table 3: linear separability of the classes (baseline embeddings)\n\nLogistic regression on the word types' embeddings; ours: training and held-out accuracy (%), the paper: validation and test (%).\n\n");
        text.Append(Reproduction.MarkdownTable(["classes", "words A / B", "ours train", "ours held-out", "paper valid", "paper test"], differences.Select(d => (IReadOnlyList<string>)
            [$"{d.Name}: {d.A} vs {d.B}", $"{d.WordsA} / {d.WordsB}", Reproduction.Number(100 * d.Separability.TrainAccuracy, "F1"), Reproduction.Number(100 * d.Separability.TestAccuracy, "F1"),
                Reproduction.Number(PropertyOf(d).PaperValid, "F1"), Reproduction.Number(PropertyOf(d).PaperTest, "F1")]))).Append('\n');
        double heldNominal = nominal.Select(d => d.Separability.TestAccuracy).DefaultIfEmpty(double.NaN).Average();
        double heldVerbal = verbal.Select(d => d.Separability.TestAccuracy).DefaultIfEmpty(double.NaN).Average();
        text.Append(Reproduction.MarkdownTable(["paper's claim", "ours", "reproduced"], new Claim[]
        {
            new("noun properties are more separable than verb properties (test 86.5 vs 77.0 on average)", $"mean held-out {Reproduction.Number(100 * heldNominal, "F1")} vs {Reproduction.Number(100 * heldVerbal, "F1")}",
                nominal.Length > 0 && verbal.Length > 0 ? heldNominal > heldVerbal : null),
            new("every property is linearly separable well above chance (≥ 71.5%)", $"lowest held-out {Reproduction.Number(100 * differences.Select(d => d.Separability.TestAccuracy).DefaultIfEmpty(double.NaN).Min(), "F1")}",
                differences.Count > 0 ? differences.All(d => d.Separability.TestAccuracy >= 0.7) : null),
        }.Select(c => (IReadOnlyList<string>)[c.Paper, c.Ours, Verdict(c.Reproduced)]))).Append('\n');
        return text.ToString();
    }

    private static void CopyFigure(string directory, string name, string target)
    {
        string source = Path.Combine(directory, name);
        if (File.Exists(source)) File.Copy(source, target, overwrite: true);
    }

    private static GroupMemory[] Curve(IReadOnlyList<GroupMemory> groups, string group = "all") => [.. groups.Where(g => g.Group == group).OrderBy(g => g.Delay)];

    private static double Sigma1At(IReadOnlyList<GroupMemory> curve, int delay) => curve.First(g => g.Delay == delay).Spectrum.Sigma1;

    private static string Ratio(IReadOnlyList<GroupMemory> curve, int delay) => N(Sigma1At(curve, delay) / Sigma1At(curve, 0));

    // σ1, σ1/Σσ and Σσ1…5/Σσ of each curve at the shown delays.
    private static string CurveTable(IReadOnlyList<(string Label, GroupMemory[] Rows)> curves, int[] delays) =>
        Reproduction.MarkdownTable(["curve", "", .. delays.Select(d => $"τ = {d}")], curves.SelectMany(c => new (string Name, Func<GroupMemory, double> Value)[]
        {
            ("σ1", g => g.Spectrum.Sigma1), ("σ1/Σσ", g => g.Spectrum.Sigma1Ratio), ("Σσ1…5/Σσ", g => g.Spectrum.Top5Ratio),
        }.Select(m => (IReadOnlyList<string>)[c.Label, m.Name, .. delays.Select(d => N(m.Value(c.Rows[d])))])));

    // R² of the least-squares line ln σ1 = α − βτ over the delays with σ1 > 0: 1 for an exact exponential decay.
    private static double LogLinearRSquared(IReadOnlyList<GroupMemory> curve)
    {
        var points = curve.Where(g => g.Spectrum.Sigma1 > 0).Select(g => (X: (double)g.Delay, Y: Math.Log(g.Spectrum.Sigma1))).ToArray();
        if (points.Length < 3) return double.NaN;
        double mx = points.Average(p => p.X), my = points.Average(p => p.Y);
        double sxx = points.Sum(p => (p.X - mx) * (p.X - mx)), sxy = points.Sum(p => (p.X - mx) * (p.Y - my)), syy = points.Sum(p => (p.Y - my) * (p.Y - my));
        return syy > 0 ? sxy * sxy / (sxx * syy) : double.NaN;
    }

    // Spearman's rank correlation (ties get their mean rank); NaN for fewer than 3 pairs.
    private static double Spearman(double[] x, double[] y)
    {
        if (x.Length < 3) return double.NaN;
        static double[] Ranks(double[] v)
        {
            int[] order = [.. Enumerable.Range(0, v.Length).OrderBy(i => v[i])];
            var ranks = new double[v.Length];
            for (int i = 0; i < order.Length;)
            {
                int j = i;
                while (j + 1 < order.Length && v[order[j + 1]] == v[order[i]]) j++;
                for (int k = i; k <= j; k++) ranks[order[k]] = (i + j) / 2.0;
                i = j + 1;
            }
            return ranks;
        }
        double[] rx = Ranks(x), ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average();
        double sxy = rx.Zip(ry).Sum(p => (p.First - mx) * (p.Second - my)), sxx = rx.Sum(r => (r - mx) * (r - mx)), syy = ry.Sum(r => (r - my) * (r - my));
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Verdict(bool? reproduced) => reproduced switch { true => "yes", false => "**no**", null => "n/a" };

    private static string N(double value) => Reproduction.Number(value, "G3");

    private static string F(double value) => Reproduction.Number(value, "F1");

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Csv(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);
}
