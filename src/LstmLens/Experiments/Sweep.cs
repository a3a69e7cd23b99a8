// A sweep: one `lstmlens train` or `lstmlens task` command line run over the cross product of a grid of
// option values and seeds 1…N, as a run group (RunPlan: one entry per grid point and seed, each its own
// command line and run directory under runs/), and its summary: results.csv (the final metrics of every
// run: the last line of its metrics.jsonl) and summary.csv / summary.md (per grid point the mean, minimum
// and maximum of each final metric over the seeds). Not the running of the commands (the CLI's sweep verb
// runs them here or hands them to Slurm).
using System.Globalization;
using System.Text.Json;
using LstmLens.Reporting;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>One option of the grid and the values it takes.</summary>
/// <param name="Option">The option's name without dashes ("lr" for --lr).</param>
/// <param name="Values">Its values, in order.</param>
public sealed record GridAxis(string Option, IReadOnlyList<string> Values);

/// <summary>Sweep plans and summaries.</summary>
public static class Sweep
{
    /// <summary>The verbs a sweep can run.</summary>
    public static IReadOnlyList<string> Verbs { get; } = ["train", "task"];

    /// <summary>The file marking a sweep run complete (train and task write it last).</summary>
    public const string CompletionFile = "run.json";

    /// <summary>
    /// Parses a grid "lr=0.1,1 hidden=128,256": options separated by spaces, each name=values with the values separated by commas.
    /// Throws <see cref="OptionException"/> naming the part at fault.
    /// </summary>
    public static IReadOnlyList<GridAxis> ParseGrid(string grid)
    {
        ArgumentNullException.ThrowIfNull(grid);
        var axes = new List<GridAxis>();
        foreach (string part in grid.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? "" : part[..equals].TrimStart('-');
            string[] values = equals < 0 ? [] : part[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries);
            if (name.Length == 0 || values.Length == 0 || values.Any(v => v.Length == 0))
                throw new OptionException($"--grid: '{part}' is not option=value,value,… (e.g. \"lr=0.1,1 hidden=128,256\")");
            if (axes.Any(a => a.Option == name)) throw new OptionException($"--grid: '{name}' is given twice");
            axes.Add(new GridAxis(name, values));
        }
        if (axes.Count == 0) throw new OptionException("--grid: no options (e.g. --grid \"lr=0.1,1 hidden=128,256\")");
        return axes;
    }

    /// <summary>
    /// The plan of a sweep: every grid point (the first option varying slowest) with seeds 1…<paramref name="seeds"/>, each entry the
    /// command <paramref name="command"/> (its verb first) with the point's options, --seed and --out its run directory under
    /// <paramref name="directory"/>. <paramref name="arguments"/> are the sweep's own settings, kept in the plan.
    /// </summary>
    public static RunPlan Plan(string directory, IReadOnlyList<GridAxis> grid, int seeds, IReadOnlyList<string> command, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfLessThan(seeds, 1);
        if (command.Count == 0 || !Verbs.Contains(command[0]))
            throw new OptionException($"sweep: the command after -- must start with {string.Join(" or ", Verbs)} (got '{string.Join(' ', command)}')");
        foreach (string reserved in grid.Select(a => a.Option).Concat(["seed", "out"]))
        {
            if (command.Any(w => w == $"--{reserved}" || w.StartsWith($"--{reserved}=", StringComparison.Ordinal)))
                throw new OptionException($"sweep: --{reserved} is set by the sweep{(reserved is "seed" or "out" ? "" : " (--grid)")}; leave it out of the command after --");
        }
        IEnumerable<IReadOnlyList<(string Option, string Value)>> points = [[]];
        foreach (var axis in grid)
            points = points.SelectMany(p => axis.Values.Select(v => (IReadOnlyList<(string, string)>)[.. p, (axis.Option, v)])).ToArray();
        var entries = new List<PlanEntry>();
        foreach (var point in points)
        {
            string variant = string.Join(' ', point.Select(p => $"{p.Option}={p.Value}"));
            for (ulong seed = 1; seed <= (ulong)seeds; seed++)
            {
                string run = Path.Combine("runs", $"{Reproduction.Slug(variant)}-seed{seed}");
                entries.Add(new PlanEntry(entries.Count, variant, seed, run)
                {
                    Arguments = [.. command, .. point.SelectMany(p => new[] { $"--{p.Option}", p.Value }), "--seed", Int((long)seed), "--out", Path.GetFullPath(Path.Combine(directory, run))],
                });
            }
        }
        return new RunPlan("sweep", command[0], arguments, CompletionFile, entries);
    }

    /// <summary>
    /// Writes results.csv (one row per complete run: the grid's options, the seed and its final metrics) and summary.csv and summary.md
    /// (per grid point: complete runs, then each final metric's mean, minimum and maximum over them); returns the Markdown table.
    /// Final metrics are the numbers of the last line of a run's metrics.jsonl.
    /// </summary>
    public static string Summarize(string directory, RunPlan plan, IReadOnlyList<GridAxis> grid)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(grid);
        var runs = plan.Entries.Where(e => plan.IsComplete(directory, e)).Select(e => (Entry: e, Metrics: FinalMetrics(RunPlan.RunPath(directory, e)))).ToArray();
        var metrics = runs.SelectMany(r => r.Metrics.Keys).Distinct().ToArray();
        string[] options = [.. grid.Select(a => a.Option)];
        string[] Point(PlanEntry e) => [.. e.Variant.Split(' ').Select(p => p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..])];
        string Value(Dictionary<string, double> m, string name) => m.TryGetValue(name, out double v) ? Reproduction.Number(v, "R") : "";

        Reproduction.WriteCsv(Path.Combine(directory, "results.csv"), [.. options, "seed", .. metrics],
            runs.Select(r => (IReadOnlyList<string>)[.. Point(r.Entry), Int((long)r.Entry.Seed), .. metrics.Select(m => Value(r.Metrics, m))]));
        var points = runs.GroupBy(r => r.Entry.Variant).ToArray();
        double[] Values(IEnumerable<(PlanEntry Entry, Dictionary<string, double> Metrics)> group, string m) =>
            [.. group.Where(r => r.Metrics.ContainsKey(m)).Select(r => r.Metrics[m])];
        Reproduction.WriteCsv(Path.Combine(directory, "summary.csv"),
            [.. options, "runs", .. metrics.SelectMany(m => new[] { $"{m}_mean", $"{m}_min", $"{m}_max" })],
            points.Select(g => (IReadOnlyList<string>)[.. Point(g.First().Entry), Int(g.Count()), .. metrics.SelectMany(m =>
            {
                double[] v = Values(g, m);
                return v.Length == 0 ? Enumerable.Repeat("", 3) : [Reproduction.Number(v.Average(), "R"), Reproduction.Number(v.Min(), "R"), Reproduction.Number(v.Max(), "R")];
            })]));
        string table = Reproduction.MarkdownTable([.. options, "runs", .. metrics],
            points.Select(g => (IReadOnlyList<string>)[.. Point(g.First().Entry), Int(g.Count()), .. metrics.Select(m => Reproduction.MeanRange(Values(g, m), "G4"))]));
        string text = $"# Sweep: lstmlens {plan.Name}\n\n`lstmlens sweep {string.Join(' ', plan.Arguments.Select(RunFiles.ShellWord))}`\n\nFinal metrics (the last line of each run's metrics.jsonl), mean (min–max) over seeds.\n\n{table}";
        Data.AtomicFile.WriteAllText(Path.Combine(directory, "summary.md"), text);
        return text;
    }

    // The numbers of the last line of metrics.jsonl, by field (booleans and text left out).
    private static Dictionary<string, double> FinalMetrics(string runDirectory)
    {
        string path = Path.Combine(runDirectory, "metrics.jsonl");
        string? last = File.Exists(path) ? File.ReadLines(path).LastOrDefault(l => l.Length > 0) : null;
        if (last is null) throw new InvalidDataException($"{path}: no metrics (the run wrote no evaluation)");
        try
        {
            using var document = JsonDocument.Parse(last);
            return document.RootElement.EnumerateObject()
                .Where(p => p.Value.ValueKind == JsonValueKind.Number || p.Value.ValueKind == JsonValueKind.String && double.TryParse(p.Value.GetString(), CultureInfo.InvariantCulture, out _))
                .ToDictionary(p => p.Name, p => MetricsLog.Number(p.Value), StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: last line is not JSON ({e.Message})", e);
        }
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
