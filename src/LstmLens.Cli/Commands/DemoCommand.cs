// `lstmlens demo`: the main job on built-in data, no download. Trains a small LSTM language model on the
// cycles corpus, runs the state-gradient memory analysis and the probes (LstmLens.Experiments.CyclesDemo),
// prints what they found in plain words and writes runs/demo/ with its report.html. An earlier demo there
// is replaced (anything else only with --force), and only once the new one is complete, so a failed or
// interrupted demo leaves the previous one whole (Output.OutputDirectory). Not the analysis itself.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LstmLens.Cli.Output;
using LstmLens.Experiments;
using LstmLens.Reporting;

namespace LstmLens.Cli.Commands;

/// <summary>The demo verb.</summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "A few seconds instead of about a minute (smaller corpus and analysis; for tests)" };
        var output = new Option<string>("--out") { Description = "Run directory (an earlier demo there is replaced)", DefaultValueFactory = _ => Path.Combine("runs", "demo") };
        var force = new Option<bool>("--force") { Description = "Replace a non-empty --out that does not hold an earlier demo" };
        var threads = CommonOptions.Threads();
        var kernels = CommonOptions.Kernels();
        var seed = CommonOptions.Seed();
        var command = new Command("demo", "Train a small LSTM language model on a built-in corpus, look inside it and write a report") { quick, output, force, threads, kernels, seed };
        command.SetAction(r =>
        {
            var started = DateTime.UtcNow;
            string directory = r.GetValue(output)!;
            using var claimed = OutputDirectory.Claim(directory, r.GetValue(force), replaceable: IsDemo, why: " and holds no earlier demo");
            string environment = CommonOptions.Configure(r.GetValue(threads), r.GetValue(kernels)!);
            Console.WriteLine(environment);
            var result = Run(claimed.Open(), CyclesDemoSettings.For(r.GetValue(quick), r.GetValue(threads)), r.GetValue(seed));
            Console.WriteLine();
            Console.Write(CyclesDemo.Summary(result).ToText());
            RunReportOutput.Finish(r, directory, environment, started);
            claimed.Commit();
            return 0;
        });
        return command;
    }

    private static CyclesDemoResult Run(string directory, CyclesDemoSettings settings, ulong seed)
    {
        var setup = settings.Setup;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Cycles corpus (Verwimp et al.): a new token, then the previous new token 15 times; LSTM {setup.Model.HiddenSize}, " +
            $"{setup.TrainTokens:N0} training tokens, {setup.Training.Optimizer} lr {setup.Training.LearningRate}; then the memory analysis of {settings.Analysis.Tokens:N0} positions."));
        CyclesDemoResult result = null!;
        long tokensPerUpdate = (long)setup.Batching.Batch * setup.Batching.Bptt;
        // One bar: training takes the first 60 %, the analysis the rest (about their shares of the time at full size).
        ProgressDisplay.Run("demo", 1.0, progress =>
        {
            result = CyclesDemo.Run(directory, settings, seed, ProgressDisplay.Line, p =>
            {
                progress(0.6 * p.Window / p.Windows);
                if (p.Window % Math.Max(1, p.Windows / 5) == 0)
                    ProgressDisplay.Line(string.Create(CultureInfo.InvariantCulture,
                        $"{p.Window * tokensPerUpdate,10:N0} tokens  training perplexity {Math.Exp(p.TrainLoss):F3}"));
            }, (done, total) => progress(0.6 + 0.4 * done / Math.Max(1, total)));
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"trained in {result.TrainingSeconds:F1} s, analysed in {result.AnalysisSeconds:F1} s"));
        return result;
    }

    private static bool IsDemo(string directory)
    {
        string record = Path.Combine(directory, RunReport.RecordFile);
        if (!File.Exists(record)) return false;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(record));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("verb", out var verb) && verb.ValueEquals("demo");
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
