// The plan of a run group (a reproduction's seeded runs or a sweep's grid points × seeds), written to
// plan.json in the group's output directory before any run starts: one entry per run with its variant,
// seed and run directory, the command-line arguments that rebuild the group, and which file marks a run
// complete. Every executor reads the same plan: the local one runs the incomplete entries in this process,
// the Slurm one submits them as a job array, and the collect step reads the finished run directories. Not
// the executors themselves (Reproduction, SlurmJobs).
using System.Text.Json;
using LstmLens.Reporting;

namespace LstmLens.Experiments;

/// <summary>One run of a run group.</summary>
/// <param name="Index">Position in the plan (the Slurm array index).</param>
/// <param name="Variant">The configuration: a recipe's group name or a sweep's grid point ("lr=0.1 hidden=128").</param>
/// <param name="Seed">The seed.</param>
/// <param name="Directory">The run directory, relative to the group's output directory.</param>
public sealed record PlanEntry(int Index, string Variant, ulong Seed, string Directory)
{
    /// <summary>A sweep run's full command line after `lstmlens` (null for reproductions, whose runs the recipe starts).</summary>
    public IReadOnlyList<string>? Arguments { get; init; }
}

/// <summary>A run group's plan.</summary>
/// <param name="Verb">"reproduce" or "sweep".</param>
/// <param name="Name">The recipe, or the sweep's verb ("train", "task").</param>
/// <param name="Arguments">The verb's options that rebuild the group (scale, seeds, inputs; for a sweep its grid and command).</param>
/// <param name="CompletionFile">The file, in a run directory, whose presence marks the run complete.</param>
/// <param name="Entries">Every run, in order.</param>
public sealed record RunPlan(string Verb, string Name, IReadOnlyList<string> Arguments, string CompletionFile, IReadOnlyList<PlanEntry> Entries)
{
    /// <summary>File name in the output directory.</summary>
    public const string FileName = "plan.json";

    /// <summary>The full path of <paramref name="entry"/>'s run directory under <paramref name="directory"/>.</summary>
    public static string RunPath(string directory, PlanEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Path.GetFullPath(Path.Combine(directory, entry.Directory));
    }

    /// <summary>True when <paramref name="entry"/>'s run in <paramref name="directory"/> has finished.</summary>
    public bool IsComplete(string directory, PlanEntry entry) => File.Exists(Path.Combine(RunPath(directory, entry), CompletionFile));

    /// <summary>The entries not complete yet.</summary>
    public IReadOnlyList<PlanEntry> Incomplete(string directory) => [.. Entries.Where(e => !IsComplete(directory, e))];

    /// <summary>Incomplete entries in words: "failed or stopped" where the run directory exists, "not started" where not.</summary>
    public IReadOnlyList<string> DescribeIncomplete(string directory) =>
        [.. Incomplete(directory).Select(e => $"{e.Directory} ({e.Variant}, seed {e.Seed}): {(System.IO.Directory.Exists(RunPath(directory, e)) ? "failed or stopped" : "not started")}")];

    /// <summary>
    /// Writes the plan to <paramref name="directory"/>/plan.json; where one is there already it must be the same plan (a rerun of the
    /// same command), otherwise an <see cref="OptionException"/> names the difference and nothing is written.
    /// </summary>
    public void Save(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var existing = Load(directory);
            if (!SameAs(existing))
                throw new OptionException($"--out {directory} holds the plan of another run group ({existing.Describe()}, {existing.Entries.Count} runs; " +
                    $"this one: {Describe()}, {Entries.Count} runs); " +
                    "choose another --out or delete that directory");
            return;
        }
        System.IO.Directory.CreateDirectory(directory);
        RunFiles.WriteJson(path, this);
    }

    /// <summary>Reads <paramref name="directory"/>/plan.json.</summary>
    public static RunPlan Load(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no run plan here (is {directory} the --out of a reproduce or sweep run?)", path);
        try
        {
            return RunFiles.FromJson<RunPlan>(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty plan");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a run plan ({e.Message})", e);
        }
    }

    /// <summary>The verb, name and arguments in one line.</summary>
    public string Describe() => string.Join(' ', new[] { Verb, Name }.Concat(Arguments));

    private bool SameAs(RunPlan other) =>
        (Verb, Name, CompletionFile) == (other.Verb, other.Name, other.CompletionFile) && Arguments.SequenceEqual(other.Arguments) &&
        Entries.Count == other.Entries.Count &&
        Entries.Zip(other.Entries).All(p => p.First with { Arguments = null } == p.Second with { Arguments = null } &&
            (p.First.Arguments ?? []).SequenceEqual(p.Second.Arguments ?? []));
}
