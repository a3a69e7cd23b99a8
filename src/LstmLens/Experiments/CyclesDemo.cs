// The demo, `lstmlens demo`: the main job on data with a known structure and nothing to download. A small
// LSTM language model learns Verwimp et al.'s cycles corpus (the new token of each cycle must be remembered
// for the 16 steps until it repeats), then the state-gradient memory analysis of all positions and of the new
// tokens, LDA probes of what the state holds (the verwimp-synthetic analysis at a small scale, one seed), and contextual
// decomposition of the step that must recall a remembered token (CyclesDecomposition).
// Writes a memory run directory (MemoryFiles) with the model under model/, the learning curve and summary.md:
// the findings in words a newcomer understands, every number measured here. Not the CLI's printing.
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Models;
using LstmLens.Reporting;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>The demo's sizes: the cycles language model's training and the analysis of a fresh stream.</summary>
/// <param name="Setup">Corpus sizes, model and training.</param>
/// <param name="Analysis">Positions analysed, delays, probe test positions.</param>
public sealed record CyclesDemoSettings(VerwimpCyclesSetup Setup, CyclesAnalysisSettings Analysis)
{
    /// <summary>
    /// The demo at full size (under a minute on 2 cores: 12M training tokens in one pass, 20,000 analysed positions, delays 0–40)
    /// or <paramref name="quick"/> (a few seconds, for tests: 60k tokens, 1,500 positions, delays 0–20). The paper's model (LSTM 50,
    /// one-hot input, uniform ±0.05) trained with Adam lr 0.003, which passes the paper's validation perplexity (1.29) in 12M
    /// tokens where Adagrad needs more; lr 0.01 was unstable here.
    /// </summary>
    public static CyclesDemoSettings For(bool quick, int threads)
    {
        int train = quick ? 60_000 : 12_000_000, valid = quick ? 4_000 : 16_000;
        var batching = new LanguageModelSettings { Batch = 20, Bptt = 50 };
        batching = batching with { EvalEvery = Math.Max(1, train / (batching.Batch * batching.Bptt) / 10) };
        var setup = new VerwimpCyclesSetup(train, valid, valid,
            new ModelConfig { Input = InputKind.OneHot, InputSize = 1, HiddenSize = 50, OutputSize = 1, InitRange = 0.05 },
            new TrainingOptions { Optimizer = "adam", LearningRate = 0.003, ClipNorm = 5.0, Epochs = 1 },
            batching);
        return new CyclesDemoSettings(setup, quick
            ? new CyclesAnalysisSettings(1_500, MaxDelay: 20, TestPositions: 400, Threads: threads)
            : new CyclesAnalysisSettings(20_000, MaxDelay: 40, TestPositions: 5_000, Threads: threads));
    }
}

/// <summary>What the demo measured.</summary>
/// <param name="Settings">The sizes it ran at.</param>
/// <param name="Training">The trained model and its validations.</param>
/// <param name="Memory">The memory analysis of the fresh stream.</param>
/// <param name="Corpus">The corpus (its minimal perplexity).</param>
/// <param name="Decomposition">Contextual decomposition of the recall step of cycles of the fresh stream.</param>
/// <param name="TrainingSeconds">Wall time of training.</param>
/// <param name="AnalysisSeconds">Wall time of the analyses.</param>
public sealed record CyclesDemoResult(CyclesDemoSettings Settings, CyclesRun Training, MemoryReport Memory, CyclesDecompositionResult Decomposition, CycleCorpus Corpus,
    double TrainingSeconds, double AnalysisSeconds);

/// <summary>Runs the demo.</summary>
public static class CyclesDemo
{
    /// <summary>Directory of the trained model inside the demo's directory.</summary>
    public const string ModelDirectory = "model";

    /// <summary>
    /// Trains and analyses into <paramref name="directory"/> (created): model/ (config.json, vocab.txt, model.safetensors,
    /// metrics.jsonl), the memory analysis's tables and figures, training.svg, text.txt (the analysed stream) and summary.md.
    /// <paramref name="trainingProgress"/> gets every update, <paramref name="analysisProgress"/> (positions done, in all).
    /// </summary>
    public static CyclesDemoResult Run(string directory, CyclesDemoSettings settings, ulong seed, Action<string> log,
        Action<TrainingProgress>? trainingProgress = null, Action<long, long>? analysisProgress = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        var corpus = new CycleCorpus();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var trained = VerwimpRecipe.Train(Path.Combine(directory, ModelDirectory), settings.Setup, corpus, seed, log, trainingProgress);
        double trainingSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var (report, lines) = VerwimpSyntheticRecipe.Analyse(trained.Directory, corpus, settings.Analysis, seed, analysisProgress);
        var decomposition = CyclesDecomposition.Run(trained.Directory, lines, corpus, directory);
        double analysisSeconds = clock.Elapsed.TotalSeconds;
        var result = new CyclesDemoResult(settings, trained, report, decomposition, corpus, trainingSeconds, analysisSeconds);

        MemoryFiles.Write(directory, report, new { model = ModelDirectory, tokens = report.Tokens, seed, seconds = analysisSeconds });
        SyntheticCorpus.WriteText(Path.Combine(directory, "text.txt"), lines);
        PlotTraining(directory, result);
        Data.AtomicFile.WriteAllText(Path.Combine(directory, "summary.md"), Summary(result).ToMarkdown());
        return result;
    }

    /// <summary>The findings in plain words, each number read from <paramref name="result"/>.</summary>
    public static DemoSummary Summary(CyclesDemoResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var (training, memory, corpus) = (result.Training, result.Memory, result.Corpus);
        var paragraphs = new List<DemoParagraph>
        {
            new("The data",
                $"A synthetic corpus whose structure is known (Verwimp et al.'s cycles): each cycle is one new token followed by the previous cycle's " +
                $"new token repeated {corpus.Repetitions} times, e.g. `F C C C … C A F F F … F`. To predict the repetitions, a network must remember " +
                $"a token it read {corpus.Repetitions + 1} steps earlier; everything else is easy.", null),
            new("Training",
                Invariant($"An LSTM with {result.Settings.Setup.Model.HiddenSize} units read {training.Validations[^1].TrainedTokens:N0} tokens in {result.TrainingSeconds:F0} s. ") +
                Invariant($"Its validation perplexity fell from {Math.Exp(training.Validations[0].ValidLoss):F2} at the first check to {training.ValidationPerplexity:F3} ") +
                Invariant($"(test {training.TestPerplexity:F3}); the best any model can reach on this corpus is {corpus.MinimalPerplexity:F3}, and 1 would mean every token is certain."),
                "training.svg"),
        };
        paragraphs.Add(MemoryParagraph(memory));
        if (ProbeParagraph(memory) is { } probes) paragraphs.Add(probes);
        paragraphs.Add(DecompositionParagraph(result.Decomposition, corpus));
        return new DemoSummary("What an LSTM remembers: the LstmLens demo", paragraphs);
    }

    private static DemoParagraph DecompositionParagraph(CyclesDecompositionResult d, CycleCorpus corpus) => new("How the prediction is composed",
        Invariant($"Contextual decomposition splits the model's logits into the part due to chosen tokens and the rest. When a cycle's new token is read, ") +
        Invariant($"the next token is the previous cycle's new token, read {corpus.Repetitions + 1} steps earlier; over {d.Examples} such steps the model gives it {d.ModelProbability:P0} on average. ") +
        Invariant($"With only that remembered token relevant the probability is {d.RememberedProbability:P0}, with only the token just read {d.CurrentProbability:P0} (chance: {d.Chance:P0}), ") +
        (d.RememberedProbability > 2 * d.Chance && d.RememberedProbability > 2 * d.CurrentProbability
            ? "so the memory of the earlier token carries the prediction. "
            : d.RememberedProbability > 2 * d.Chance ? "so both tokens move the prediction, neither alone. "
            : "so neither token's own contribution carries it: the prediction comes from how they combine with each other and the context. ") +
        Invariant($"Their interdependence there is {d.Interdependence:F2}: the share of the two tokens' joint contribution to the logits that is not the sum of their separate contributions."),
        "contributions.svg");

    private static DemoParagraph MemoryParagraph(MemoryReport memory)
    {
        double Sigma1(string group, int delay) => memory.Groups.Single(g => g.Group == group && g.Delay == delay).Spectrum.Sigma1;
        int maxDelay = memory.Groups.Max(g => g.Delay);
        int early = Math.Min(5, maxDelay), late = Math.Min(15, maxDelay);
        double allEarly = Sigma1("all", early) / Sigma1("all", 0), allLate = Sigma1("all", late) / Sigma1("all", 0);
        double newLate = Sigma1("cycles:new", late) / Sigma1("cycles:new", 0);
        string comparison = newLate > 2 * allLate ? $"{newLate / allLate:F0} times as much as for an average position: the network holds on to the tokens it needs"
            : newLate > allLate ? "somewhat more than for an average position" : "no more than for an average position: this model has not learnt to keep them";
        return new DemoParagraph("What the state remembers",
            "State gradients measure how strongly the cell state reacts to a token read τ steps earlier (σ1, the largest singular value of the mean " +
            Invariant($"Jacobian ∂c_(u+τ)/∂x_u). For an average position the reaction falls to {allEarly:P0} of its size at τ = 0 after {early} steps and to {allLate:P1} after {late}. ") +
            Invariant($"For the new tokens, which must be remembered, it is still {newLate:P0} after {late} steps, {comparison}."),
            "sigma1.svg");
    }

    private static readonly int[] RecallDelays = [8, 15]; // halfway, and the last step before the new token must be predicted

    private static DemoParagraph? ProbeParagraph(MemoryReport memory)
    {
        if (memory.Probes is not { } probes) return null;
        double Probe(string name) => probes.Results.Single(p => p.Probe == name && p.State == "c" && p.Representation == "state").Accuracy;
        var recall = probes.Recall.Where(x => x.Group == "cycles:new" && x.State == "c").ToDictionary(x => x.Delay, x => x.Accuracy);
        int[] delays = [.. RecallDelays.Where(recall.ContainsKey)];
        string back = delays.Length == 0 ? ""
            : " The new token of a cycle can be read back from c " + string.Join(" and ", delays.Select(d => Invariant($"{recall[d]:P0} of the time {d} steps later"))) +
              " (chance 12.5 %), while it still has to be remembered.";
        return new DemoParagraph("What can be read from the state",
            Invariant($"Linear probes (LDA, scored on the last {probes.Results[0].Test:N0} positions, which they were not trained on) read the current token from the cell state c ") +
            Invariant($"{Probe("token"):P1} of the time, whether it is a new token {Probe("new"):P1}, and how far into its cycle the stream is {Probe("count"):P1}.{back}"),
            "recall.svg");
    }

    // Validation perplexity against training tokens, with the corpus's minimum.
    private static void PlotTraining(string directory, CyclesDemoResult result)
    {
        var validations = result.Training.Validations;
        double[] x = [.. validations.Select(v => (double)v.TrainedTokens)];
        var plot = new LinePlot("Learning the cycles corpus", new Axis("training tokens"), new Axis("validation perplexity"));
        plot.Series.Add(new Series($"LSTM {result.Settings.Setup.Model.HiddenSize}, validation", x, [.. validations.Select(v => Math.Exp(v.ValidLoss))]));
        plot.Series.Add(new Series("best possible", [x[0], x[^1]], [result.Corpus.MinimalPerplexity, result.Corpus.MinimalPerplexity]));
        plot.Save(Path.Combine(directory, "training.svg"));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One paragraph of the demo's summary: a heading, plain text, and the figure that shows it (or null).</summary>
public sealed record DemoParagraph(string Heading, string Text, string? Figure);

/// <summary>The demo's findings, as Markdown for summary.md and as plain text for the terminal.</summary>
public sealed record DemoSummary(string Title, IReadOnlyList<DemoParagraph> Paragraphs)
{
    /// <summary>summary.md: the title, then each paragraph with its heading in bold and its figure named (the report shows it there).</summary>
    public string ToMarkdown() => $"# {Title}\n\n" + string.Concat(Paragraphs.Select(p =>
        $"**{p.Heading}.** {p.Text}{(p.Figure is null ? "" : $" Figure: {p.Figure}.")}\n\n"));

    /// <summary>The paragraphs as plain text, one per line group, without Markdown marks.</summary>
    public string ToText() => string.Concat(Paragraphs.Select(p => $"{p.Heading}: {p.Text.Replace("`", "", StringComparison.Ordinal)}\n\n"));
}
