// The files a task run or a reproduction leaves in its directory besides config.json (Models.ModelFiles) and
// metrics.jsonl: JSON documents (result.json, memory.json, a run group's plan.json and entry.json) in config.json's
// conventions, the run record every verb writes (run.json: verb, command line, environment,
// CPU, start and duration) and the learning curves of one or more groups of runs as SVG (accuracy and loss
// against training sequences, the mean over seeds with a min–max band). Not the training itself.
using System.Runtime.InteropServices;
using System.Text.Json;
using LstmLens.Models;
using LstmLens.Training;

namespace LstmLens.Reporting;

/// <summary>Writes run files.</summary>
public static class RunFiles
{
    /// <summary>The JSON text of <paramref name="value"/> in config.json's conventions (<see cref="ModelFiles.Json"/>: snake_case names and enums, indented).</summary>
    public static string ToJson(object value) => JsonSerializer.Serialize(value, value.GetType(), ModelFiles.Json);

    /// <summary>A word for a POSIX shell: as it is when it needs no quoting, otherwise in single quotes.</summary>
    public static string ShellWord(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal))
            ? word : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";
    }

    /// <summary>Reads JSON written by <see cref="ToJson"/>.</summary>
    public static T? FromJson<T>(string json) => JsonSerializer.Deserialize<T>(json, ModelFiles.Json);

    /// <summary>Writes <paramref name="value"/> as JSON (<see cref="ToJson"/>) to <paramref name="path"/> atomically.</summary>
    public static void WriteJson(string path, object value) => Data.AtomicFile.WriteAllText(path, ToJson(value) + "\n");

    /// <summary>
    /// Writes run.json in <paramref name="directory"/>: the verb, its command line, the environment line printed at start-up (version,
    /// kernels, SIMD, BLAS, threads), the CPU model, when the run started (UTC) and how long it took.
    /// </summary>
    public static void WriteRecord(string directory, string verb, string command, string environment, DateTime started, TimeSpan elapsed) =>
        WriteJson(Path.Combine(directory, RunReport.RecordFile), new
        {
            verb,
            command,
            environment,
            cpu = CpuModel(),
            started = started.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            seconds = Math.Round(elapsed.TotalSeconds, 3),
        });

    /// <summary>The "model name" line of /proc/cpuinfo, or the architecture where there is none.</summary>
    public static string CpuModel()
    {
        const string file = "/proc/cpuinfo";
        string? line = File.Exists(file) ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) : null;
        return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    /// <summary>
    /// Writes <c>{prefix}accuracy.svg</c> and <c>{prefix}loss.svg</c> in <paramref name="directory"/>: one series per group
    /// (the mean over its runs, with a min–max band when there are several) against training sequences.
    /// </summary>
    public static void PlotCurves(string directory, string prefix, string title,
        IReadOnlyList<(string Name, IReadOnlyList<IReadOnlyList<TaskEvaluation>> Runs)> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var accuracy = new LinePlot($"{title}: accuracy", new Axis("training sequences"), new Axis("accuracy") { Min = 0, Max = 1 });
        var loss = new LinePlot($"{title}: evaluation loss", new Axis("training sequences"), new Axis("loss", Logarithmic: true));
        foreach (var (name, runs) in groups)
        {
            var longest = runs.MaxBy(r => r.Count) ?? [];
            double[] x = [.. longest.Select(e => (double)e.Sequences)];
            accuracy.Series.Add(Curve(name, x, runs, e => e.Score.Accuracy));
            loss.Series.Add(Curve(name, x, runs, e => e.Loss));
        }
        accuracy.Save(Path.Combine(directory, $"{prefix}accuracy.svg"));
        loss.Save(Path.Combine(directory, $"{prefix}loss.svg"));
    }

    private static Series Curve(string name, double[] x, IReadOnlyList<IReadOnlyList<TaskEvaluation>> runs, Func<TaskEvaluation, double> value)
    {
        IReadOnlyList<double>[] values = [.. runs.Select(r => (IReadOnlyList<double>)[.. r.Select(value)])];
        return runs.Count == 1 ? new Series(name, x, values[0]) : Series.FromRuns(name, x, values, BandKind.MinMax);
    }
}
