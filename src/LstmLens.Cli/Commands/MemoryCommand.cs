// `lstmlens memory`: what a recurrent language model remembers (Verwimp et al. 2019): the state gradients
// Ḡ_τ = mean ∂s_{u+τ}/∂e_u over groups of start positions of a text, normalised and read through their SVD,
// optionally per word (decay fits) and for difference vectors between word classes; results as CSV, JSON and
// SVG in --out, a table on the terminal or one JSON object per (group, delay) with --json. With --compare,
// overlays the memory curves of several earlier --out directories in one figure. The analysis itself lives in
// LstmLens.Analysis; the files in Experiments/MemoryFiles.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Cli.Output;
using LstmLens.Data;
using LstmLens.Experiments;
using LstmLens.Layers;
using LstmLens.Models;

namespace LstmLens.Cli.Commands;

/// <summary>The memory verb.</summary>
public static class MemoryCommand
{
    private sealed class Options : VerbOptions
    {
        public readonly Option<string?> Model = new("--model") { Description = "Model directory (config.json, model.safetensors, vocab.txt)" };
        public readonly Option<string?> Data = new("--data") { Description = "Text to analyse, read as lstmlens eval reads it (one continuous stream from a zero state)" };
        public readonly Option<CorpusFormat?> Format = new("--format") { Description = "text, tagged or conllu (default: by extension); tags feed pos: groups" };
        public readonly Option<bool> SkipBlankLines = CommonOptions.SkipBlankLines();
        public readonly Option<string?> State = new Option<string?>("--state") { Description = "State differentiated: c or h (default: c for LSTM cells, h otherwise)" }.AcceptOnlyFromAmong("c", "h");
        public readonly Option<int?> Layer = new("--layer") { Description = "Layer whose state is differentiated, 0-based (default: the top layer)" };
        public readonly Option<int> MaxDelay = new("--max-delay") { Description = "Largest delay τ", DefaultValueFactory = _ => 50 };
        public readonly Option<string[]> Group = new("--group") { Description = $"Start positions averaged over (repeatable): {MemoryGroups.Forms}; default all" };
        public readonly Option<bool> Normalize = new("--normalize") { Description = "Normalise by the embedding covariance (the default for embedding models; an error for models without one)" };
        public readonly Option<bool> NoNormalize = new("--no-normalize") { Description = "Do not normalise by the embedding covariance (one-hot input is never normalised)" };
        public readonly Option<bool> ResetAtEos = new("--reset-at-eos") { Description = "Reset the state to zero after every <eos>; pairs across a reset are left out" };
        public readonly Option<bool> PerWord = new("--per-word") { Description = "Also every word with at least --min-occurrences occurrences, with the decay fit σ1(τ) = a·e^(−bτ)" };
        public readonly Option<int> MinOccurrences = new("--min-occurrences") { Description = "Fewest occurrences in the text for --per-word", DefaultValueFactory = _ => 10 };
        public readonly Option<string[]> Difference = new("--difference")
        {
            Description = "Difference vector between two word classes A B (repeatable), each word:W, words:FILE or pos:TAG[,TAG…]",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        public readonly Option<string?> Probe = new("--probe") { Description = "Probe the states with LDA: token, cycles (new token and count of the cycles corpus) or a label FILE (one label per position)" };
        public readonly Option<int?> ProbeTest = new("--probe-test") { Description = "Positions at the end of the text the probes are tested on (default: min(10,000, N/5))" };
        public readonly Option<string?> ProbeSubspace = new("--probe-subspace") { Description = "Probe whose top discriminant directions span the state subspace (default: the last; count for cycles)" };
        public readonly Option<int> SubspaceSize = new("--subspace-size") { Description = "Directions of that subspace (0: none)", DefaultValueFactory = _ => 5 };
        public readonly Option<string> Precision = new Option<string>("--precision") { Description = "Tangent precision: float32 or float64 (sums are always float64)", DefaultValueFactory = _ => "float32" }.AcceptOnlyFromAmong("float32", "float64");
        public readonly Option<int?> Tokens = new("--tokens") { Description = "Analyse only the first N positions of the text" };
        public readonly Option<bool> Linear = new("--linear") { Description = "Linear instead of logarithmic σ1 axes in the figures" };
        public readonly Option<string[]> Compare = new("--compare") { Description = "Overlay the memory.csv of these --out directories in one figure (no analysis is run)", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string[]> Label = new("--label") { Description = "Legend label of each --compare directory, in order (default: the directory name)" };
        public readonly Option<string?> CompareGroup = new("--compare-group") { Description = "The group to overlay from each --compare directory (default: all groups)" };
        public readonly Option<string?> Out = new("--out") { Description = "Directory for memory.csv, sigmas.csv, memory.json and the figures (must be new or empty unless --force)" };
        public readonly Option<bool> Force = new("--force") { Description = "Replace a non-empty --out (its contents are deleted once the new results are written)" };
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var o = new Options();
        var command = new Command("memory", "State gradients: what a recurrent language model remembers of earlier inputs (Verwimp et al.)");
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction(r => r.GetValue(o.Compare) is { Length: > 0 } ? CompareRuns(r, o) : Analyse(r, o));
        return command;
    }

    private static int Analyse(ParseResult r, Options o)
    {
        string modelDirectory = r.GetValue(o.Model) ?? throw new OptionException("--model is required (or --compare to overlay earlier runs)");
        string dataPath = r.GetValue(o.Data) ?? throw new OptionException("--data is required");
        CommonOptions.RefuseGiven(r, "without --compare", o.Label, o.CompareGroup);
        if (!r.GetValue(o.PerWord)) CommonOptions.RefuseGiven(r, "without --per-word", o.MinOccurrences);
        if (r.GetValue(o.Probe) is null) CommonOptions.RefuseGiven(r, "without --probe", o.ProbeTest, o.ProbeSubspace, o.SubspaceSize);
        if (r.GetValue(o.Out) is null) CommonOptions.RefuseGiven(r, "without --out (it concerns the files written there)", o.Force, o.Linear);
        bool json = r.GetValue(o.Json);
        var started = DateTime.UtcNow;
        string environment = CommonOptions.Configure(r.GetValue(o.Threads), r.GetValue(o.Kernels)!);
        string? outDirectory = r.GetValue(o.Out);
        using var output = outDirectory is null ? null : OutputDirectory.Claim(outDirectory, r.GetValue(o.Force));
        string[] differences = r.GetValue(o.Difference) ?? [];
        if (differences.Length % 2 != 0) throw new OptionException("--difference takes two word classes, A and B");
        if (r.GetValue(o.MinOccurrences) < 1) throw new OptionException("--min-occurrences must be at least 1");
        if (r.GetValue(o.Tokens) is < 2) throw new OptionException("--tokens must be at least 2");
        if (r.GetValue(o.SubspaceSize) < 0) throw new OptionException($"--subspace-size must not be negative (got {r.GetValue(o.SubspaceSize)})");

        var config = ModelFiles.ReadConfig(modelDirectory).Model;
        if (r.GetValue(o.Normalize) && r.GetValue(o.NoNormalize)) throw new OptionException("--normalize and --no-normalize contradict each other");
        if (r.GetValue(o.Normalize) && config.Input != InputKind.Embedding)
            throw new OptionException($"--normalize: {modelDirectory} has {config.Input.ToString().ToLowerInvariant()} input, no embedding table to normalise by");
        int layer = r.GetValue(o.Layer) ?? config.NumLayers - 1;
        var state = r.GetValue(o.State) switch
        {
            "c" => StateKind.Cell,
            "h" => StateKind.Hidden,
            _ => config.Cell is CellType.Lstm or CellType.Lstm1997 ? StateKind.Cell : StateKind.Hidden,
        };
        var options = new MemoryOptions
        {
            Gradient = new StateGradientOptions { Layer = layer, State = state, MaxDelay = r.GetValue(o.MaxDelay), Threads = r.GetValue(o.Threads) },
            Groups = r.GetValue(o.Group) is { Length: > 0 } groups ? groups : ["all"],
            Normalize = !r.GetValue(o.NoNormalize),
            PerWord = r.GetValue(o.PerWord),
            MinCount = r.GetValue(o.MinOccurrences),
            Differences = [.. differences.Chunk(2).Select(p => (p[0], p[1]))],
            Probe = r.GetValue(o.Probe),
            ProbeTest = r.GetValue(o.ProbeTest),
            SubspaceProbe = r.GetValue(o.ProbeSubspace),
            SubspaceSize = r.GetValue(o.SubspaceSize),
        };
        bool float64 = r.GetValue(o.Precision) == "float64";
        var format = r.GetValue(o.Format) ?? Corpus.GuessFormat(dataPath);
        var clock = Stopwatch.StartNew();
        var (report, stream, vocabulary) = float64
            ? Run<double>(modelDirectory, dataPath, format, r, o, options)
            : Run<float>(modelDirectory, dataPath, format, r, o, options);
        double seconds = clock.Elapsed.TotalSeconds;

        if (json)
        {
            foreach (var g in report.Groups)
                JsonOutput.Write(new
                {
                    group = g.Group, delay = g.Delay, count = g.Count, sigma1 = g.Spectrum.Sigma1,
                    sigma1_ratio = g.Spectrum.Sigma1Ratio, top5_ratio = g.Spectrum.Top5Ratio, sigmas = g.Spectrum.Sigmas,
                });
        }
        Console.WriteLine(environment);
        Summarize(report, stream, config, options, seconds);
        if (outDirectory is null) return 0;
        var run = new
        {
            command = string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            environment,
            model = Path.GetFullPath(modelDirectory),
            data = Path.GetFullPath(dataPath),
            format = format.ToString().ToLowerInvariant(),
            skip_blank_lines = r.GetValue(o.SkipBlankLines),
            tokens = report.Tokens,
            unknown = stream.UnknownCount,
            cell = config.Cell.ToString().ToLowerInvariant(),
            input = config.Input.ToString().ToLowerInvariant(),
            layer,
            state = state == StateKind.Cell ? "c" : "h",
            max_delay = options.Gradient.MaxDelay,
            reset_at_eos = r.GetValue(o.ResetAtEos),
            precision = float64 ? "float64" : "float32",
            normalized = report.Normalization is not null,
            normalization = report.NormalizationNote,
            cond_z = report.Normalization?.ConditionNumber,
            max_covariance_error = report.Normalization?.MaxCovarianceError,
            groups = report.Groups.Where(g => g.Delay == 0).Select(g => new { name = g.Group, count = g.Count }),
            differences = report.Differences.Select(d => new
            {
                name = d.Name, a = d.A, b = d.B, words_a = d.WordsA, words_b = d.WordsB,
                separability_train_accuracy = d.Separability.TrainAccuracy, separability_test_accuracy = d.Separability.TestAccuracy,
                separability_train_words = d.Separability.TrainCount, separability_test_words = d.Separability.TestCount,
            }),
            frequency_bins = report.FrequencyBins,
            probes = report.Probes?.Results,
            subspace_probe = report.Probes?.SubspaceProbe,
            subspace_size = report.Probes?.SubspaceSize,
            passes = report.Passes,
            seconds,
            tokens_per_second = report.Tokens * report.Passes / seconds,
        };
        MemoryFiles.Write(output!.Open(), report, run, logarithmic: !r.GetValue(o.Linear));
        Console.WriteLine($"wrote {outDirectory}/memory.csv, sigmas.csv, memory.json and figures");
        RunReportOutput.Finish(r, outDirectory, environment, started);
        output.Commit();
        return 0;
    }

    private static (MemoryReport, TokenStream, Vocabulary) Run<T>(string modelDirectory, string dataPath, CorpusFormat format, ParseResult r, Options o,
        MemoryOptions options) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (model, vocabulary, _) = ModelFiles.Load<T>(modelDirectory);
        if (vocabulary is null) throw new FileNotFoundException($"{modelDirectory}: no {ModelFiles.VocabularyFile}");
        var stream = TokenStream.From(Corpus.Read(dataPath, format, r.GetValue(o.SkipBlankLines)), vocabulary, r.GetValue(o.Tokens));
        bool[]? resets = r.GetValue(o.ResetAtEos) ? [.. stream.Ids.Select(id => id == vocabulary.EndOfSentence)] : null;
        MemoryReport? report = null;
        void Work(Action<double, double> progress) => report = MemoryAnalysis.Run(model, vocabulary, stream, resets, options, (done, total) => progress(done, total));
        ProgressDisplay.Run("state gradients", "positions", Work);
        return (report!, stream, vocabulary);
    }

    private static void Summarize(MemoryReport report, TokenStream stream, ModelConfig config, MemoryOptions options, double seconds)
    {
        var g = options.Gradient;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Tokens:N0} positions ({stream.UnknownCount:N0} words mapped to <unk>); state {(g.State == StateKind.Cell ? "c" : "h")} of layer {g.Layer} ({config.Cell.ToString().ToLowerInvariant()}, H {config.HiddenSize}); delays 0–{g.MaxDelay}"));
        Console.WriteLine(report.Normalization is { } n
            ? string.Create(CultureInfo.InvariantCulture, $"{report.NormalizationNote}; cond(Z) {n.ConditionNumber:G4}, max |cov(Z e) − I| {n.MaxCovarianceError:E1}")
            : report.NormalizationNote);
        int[] shown = [.. ShownDelays.Where(d => d <= g.MaxDelay).Append(g.MaxDelay).Distinct()];
        Console.WriteLine($"{"group",-24} {"delay",5} {"count",8} {"sigma1",11} {"s1/sum",8} {"top5/sum",8}");
        foreach (var row in report.Groups.Where(x => shown.Contains(x.Delay)))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Shorten(row.Group),-24} {row.Delay,5} {row.Count,8} {row.Spectrum.Sigma1,11:G5} {row.Spectrum.Sigma1Ratio,8:F4} {row.Spectrum.Top5Ratio,8:F4}"));
        foreach (var d in report.Differences)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"difference {d.Name}: {d.WordsA} vs {d.WordsB} words, separable with held-out accuracy {d.Separability.TestAccuracy:P1}; relative memory m at delay 0 {d.Delays[0].RelativeMemory:F3}, at {g.MaxDelay} {d.Delays[^1].RelativeMemory:F3}"));
        foreach (var p in report.Probes?.Results ?? [])
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"probe {p.Probe,-8} on {p.State} ({p.Representation}, {p.Dimensions} dimensions): LDA test accuracy {p.Accuracy:P1} over {p.Test:N0} positions, {p.Classes} classes"));
        if (report.Words.Count > 0)
        {
            Console.WriteLine($"per word: {report.Words.Count:N0} words with at least {options.MinCount} occurrences; σ1 at delay 0 and mean decay rate b by frequency:");
            foreach (var bin in report.FrequencyBins)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  frequency {bin.Low,6}–{bin.High - 1,-7} {bin.Words,6} words  mean σ1 {bin.MeanSigma1,9:G4}  mean b {bin.MeanDecay,8:G4}"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{seconds:F1} s ({report.Tokens * (double)report.Passes / seconds:N0} positions/s, {report.Passes} pass{(report.Passes == 1 ? "" : "es")} over the text)"));
    }

    private static readonly int[] ShownDelays = [0, 1, 2, 5, 10, 20, 30, 40, 50];

    private static string Shorten(string name) => name.Length <= 24 ? name : name[..23] + "…";

    private static int CompareRuns(ParseResult r, Options o)
    {
        string[] runs = r.GetValue(o.Compare)!;
        CommonOptions.RefuseGiven(r, "with --compare, which overlays finished analyses", o.Model, o.Data, o.SkipBlankLines, o.Format, o.State, o.Layer, o.MaxDelay,
            o.Group, o.Normalize, o.NoNormalize, o.ResetAtEos, o.PerWord, o.MinOccurrences, o.Difference, o.Probe, o.ProbeTest, o.ProbeSubspace, o.SubspaceSize,
            o.Precision, o.Tokens, o.Json);
        string[] labels = r.GetValue(o.Label) ?? [];
        if (labels.Length > 0 && labels.Length != runs.Length) throw new OptionException($"--label was given {labels.Length} times for {runs.Length} --compare directories");
        string outDirectory = r.GetValue(o.Out) ?? throw new OptionException("--compare needs --out for the figures");
        using var output = OutputDirectory.Claim(outDirectory, r.GetValue(o.Force));
        var started = DateTime.UtcNow;
        string environment = CommonOptions.Configure(r.GetValue(o.Threads), r.GetValue(o.Kernels)!);
        output.Open();
        int curves = MemoryFiles.WriteComparison(outDirectory,
            [.. runs.Select((run, i) => (run, labels.Length > 0 ? labels[i] : Path.GetFileName(Path.TrimEndingDirectorySeparator(run))))],
            r.GetValue(o.CompareGroup), logarithmic: !r.GetValue(o.Linear));
        Console.WriteLine($"wrote {outDirectory}/compare_sigma1.svg and compare_selectiveness.svg ({curves} curves from {runs.Length} runs)");
        RunReportOutput.Finish(r, outDirectory, environment, started);
        output.Commit();
        return 0;
    }
}
