// The machinery every paper reproduction shares: its scale (--quick or --full), seeds, output directory
// and log; its run group (the seeded runs, one plan entry each, see RunPlan), run in parallel in this
// process (one thread per run, runs spread over the cores; results do not depend on the spread), one entry
// at a time as a Slurm array task, or collected from finished run directories, each run's result kept in
// its directory (entry.json) so that every way gives the same tables; training groups with each run's
// metrics.jsonl and checkpoint under runs/; and the result files: results.csv, results.md (our numbers
// beside the paper's) and learning curves as SVG. Not a recipe: the experiments themselves live in the
// *Recipe files; not the Slurm scripts (SlurmJobs).
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Reporting;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>Scaled-down (minutes on 2 cores) or the paper's settings.</summary>
public enum ReproductionScale
{
    /// <summary>Scaled down to finish in at most 10 minutes on 2 cores.</summary>
    Quick,
    /// <summary>The paper's settings (hours to days on a CPU).</summary>
    Full,
}

/// <summary>The part this process plays in a run group.</summary>
public enum RunGroupRole
{
    /// <summary>Run every incomplete entry here, then write the results.</summary>
    Local,
    /// <summary>Only work out the plan (nothing is trained).</summary>
    Plan,
    /// <summary>Run the one entry <see cref="ReproductionContext.Entry"/> (a Slurm array task).</summary>
    Entry,
    /// <summary>Write the results from the finished entries, running none of the plan.</summary>
    Collect,
}

/// <summary>Where and how a reproduction runs.</summary>
public sealed record ReproductionContext(ReproductionScale Scale, int Seeds, string Directory, Action<string> Log)
{
    /// <summary>What this process does with the run group.</summary>
    public RunGroupRole Role { get; init; }

    /// <summary>With <see cref="RunGroupRole.Entry"/>: the plan index of the run.</summary>
    public int Entry { get; init; }

    /// <summary>Cancelled to stop (SIGTERM, Ctrl+C): training runs save their checkpoints and stop.</summary>
    public CancellationToken Stop { get; init; }

    /// <summary>The command-line options that rebuild this context, kept in the plan.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>True for --quick.</summary>
    public bool Quick => Scale == ReproductionScale.Quick;

    // The recipe and its run group while Reproduction.Run or Plan runs it.
    internal Reproduction.GroupState? Group { get; init; }

    /// <summary>Optional inputs some recipes need (IDX image files for hdetach-pixel).</summary>
    public TaskParameters Data { get; init; } = new();

    /// <summary>Optional test images for hdetach-pixel: evaluation on them instead of on draws from the training images.</summary>
    public TaskParameters? TestData { get; init; }

    /// <summary>A corpus directory with train.txt, valid.txt and test.txt in word/TAG form (verwimp-memory, saphra-english).</summary>
    public string? Corpus { get; init; }

    /// <summary>A CoNLL-U dependency treebank (saphra-english).</summary>
    public string? Treebank { get; init; }
}

/// <summary>One training configuration run over several seeds.</summary>
/// <param name="Name">Label in tables, legends and run directories.</param>
/// <param name="Task">The task trained on.</param>
/// <param name="Model">The architecture (input, head and sizes are set from the task).</param>
/// <param name="Training">Hyper-parameters; the seed is replaced by 1, 2, … per run.</param>
/// <param name="Schedule">Budget and evaluation.</param>
public sealed record RunGroup(string Name, SequenceTask Task, ModelConfig Model, TrainingOptions Training, TaskTrainingOptions Schedule)
{
    /// <summary>Evaluated on this task instead of fresh draws of <see cref="Task"/> (test images).</summary>
    public SequenceTask? EvaluationTask { get; init; }

    /// <summary>Tasks evaluated after training (transfer to longer lags), each with its label.</summary>
    public IReadOnlyList<(string Label, SequenceTask Task)> Transfer { get; init; } = [];
}

/// <summary>One finished run of a group.</summary>
/// <param name="Group">Its group.</param>
/// <param name="Seed">The training seed.</param>
/// <param name="Result">Training outcome.</param>
/// <param name="Transfer">Scores on the group's transfer tasks, in order.</param>
public sealed record GroupRun(RunGroup Group, ulong Seed, TaskTrainingResult Result, IReadOnlyList<TaskScore> Transfer);

/// <summary>The reproductions by name, and the helpers they share.</summary>
public static class Reproduction
{
    /// <summary>Every recipe name.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["hdetach-copy", "hdetach-transfer", "hdetach-pixel", "hdetach-ablation", "lstm1997", "verwimp-cycles", "verwimp-synthetic", "verwimp-memory", "saphra-rules", "saphra-english"];

    /// <summary>
    /// Seeds per configuration when --seeds is not given: 3, except verwimp-memory at --quick (1: its five language models and
    /// their analyses fill the quick budget with one seed each).
    /// </summary>
    public static int DefaultSeeds(string name, ReproductionScale scale) => name == "verwimp-memory" && scale == ReproductionScale.Quick ? 1 : 3;

    /// <summary>File in a run directory holding the finished run's result; its presence marks the entry complete.</summary>
    public const string EntryFile = "entry.json";

    /// <summary>
    /// Runs recipe <paramref name="name"/> in the context's role: <see cref="RunGroupRole.Local"/> and <see cref="RunGroupRole.Collect"/>
    /// return the Markdown table written to results.md, <see cref="RunGroupRole.Entry"/> returns "" once its run is complete.
    /// </summary>
    public static string Run(string name, ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(context.Seeds, 1);
        if (!Names.Contains(name)) throw new OptionException($"unknown recipe '{name}' (expected one of {string.Join(", ", Names)})");
        if (context.Role == RunGroupRole.Plan) throw new ArgumentException("use Reproduction.Plan for the plan", nameof(context));
        try
        {
            return Recipe(name, context with { Group = new GroupState(name) });
        }
        catch (StageDone)
        {
            return "";
        }
    }

    /// <summary>The plan of recipe <paramref name="name"/> in <paramref name="context"/> (its run group's entries), training nothing.</summary>
    public static RunPlan Plan(string name, ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = new GroupState(name);
        try
        {
            Recipe(name, context with { Role = RunGroupRole.Plan, Group = state });
        }
        catch (StageDone)
        {
        }
        return state.Plan ?? throw new InvalidOperationException($"recipe {name} has no run group");
    }

    /// <summary>
    /// After <see cref="Run"/> in the <see cref="RunGroupRole.Collect"/> role: the plan entries that were not complete, described
    /// (their runs are left out of the results).
    /// </summary>
    public static IReadOnlyList<string> Incomplete(string directory) => RunPlan.Load(directory).DescribeIncomplete(directory);

    private static string Recipe(string name, ReproductionContext context)
    {
        System.IO.Directory.CreateDirectory(context.Directory);
        return name switch
        {
            "hdetach-copy" => HDetachRecipes.Copy(context),
            "hdetach-transfer" => HDetachRecipes.Transfer(context),
            "hdetach-pixel" => HDetachRecipes.Pixel(context),
            "hdetach-ablation" => HDetachRecipes.Ablation(context),
            "lstm1997" => Lstm1997Recipe.Run(context),
            "verwimp-cycles" => VerwimpRecipe.Run(context),
            "verwimp-synthetic" => VerwimpSyntheticRecipe.Run(context),
            "verwimp-memory" => VerwimpMemoryRecipe.Run(context),
            "saphra-english" => SaphraEnglishRecipe.Run(context),
            _ => SaphraRulesRecipe.Run(context),
        };
    }

    /// <summary>The recipe being run and, after the plan stage, its plan.</summary>
    internal sealed class GroupState(string recipe)
    {
        public string Recipe { get; } = recipe;

        public RunPlan? Plan { get; set; }
    }

    // Thrown once a Plan or Entry role has done its part, to leave the recipe before its tables.
    private sealed class StageDone : Exception;

    /// <summary>
    /// A recipe's run group: one plan entry per job (<paramref name="identify"/> gives its variant and seed; its run directory is
    /// runs/{variant}-seed{seed}, as <see cref="RunDirectory"/> makes it). Each job whose entry is not complete is run by
    /// <paramref name="run"/>, in parallel as <see cref="InParallel"/> does, and its result written to its run directory (entry.json);
    /// returns the results read back from there, in job order, so that every role sees the same values. In the Plan role returns
    /// nothing (the plan is recorded), in the Entry role runs only its entry, in the Collect role runs nothing and returns the
    /// complete entries' results only. A recipe has one run group; work that depends on the whole group comes after it.
    /// </summary>
    public static TResult[] RunAll<TJob, TResult>(ReproductionContext context, IReadOnlyList<TJob> jobs, Func<TJob, (string Variant, ulong Seed)> identify,
        Func<TJob, TResult> run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(identify);
        var state = context.Group ?? new GroupState("recipe");
        var entries = jobs.Select((job, i) => (Job: job, Entry: Entry(i, identify(job)))).ToArray();
        var plan = new RunPlan("reproduce", state.Recipe, context.Arguments, EntryFile, [.. entries.Select(e => e.Entry)]);
        state.Plan = plan;
        string directory = context.Directory;
        switch (context.Role)
        {
            case RunGroupRole.Plan:
                throw new StageDone();
            case RunGroupRole.Local:
                plan.Save(directory);
                break;
            default:
                if (!RunPlan.Load(directory).Entries.SequenceEqual(plan.Entries))
                    throw new InvalidDataException($"{Path.Combine(directory, RunPlan.FileName)}: its entries differ from those of {plan.Describe()}; was it written by another version?");
                break;
        }
        var todo = context.Role switch
        {
            RunGroupRole.Collect => [],
            RunGroupRole.Entry when context.Entry < 0 || context.Entry >= entries.Length =>
                throw new OptionException($"--entry {context.Entry}: the plan has entries 0–{entries.Length - 1}"),
            RunGroupRole.Entry => entries[context.Entry..(context.Entry + 1)],
            _ => entries,
        };
        InParallel([.. todo.Where(e => !plan.IsComplete(directory, e.Entry))], e =>
        {
            var result = run(e.Job);
            RunFiles.WriteJson(Path.Combine(RunPlan.RunPath(directory, e.Entry), EntryFile), result!);
            return 0;
        });
        if (context.Role == RunGroupRole.Entry) throw new StageDone();
        return [.. entries.Where(e => plan.IsComplete(directory, e.Entry))
            .Select(e => RunFiles.FromJson<TResult>(File.ReadAllText(Path.Combine(RunPlan.RunPath(directory, e.Entry), EntryFile)))!)];
    }

    private static PlanEntry Entry(int index, (string Variant, ulong Seed) run) =>
        new(index, run.Variant, run.Seed, Path.Combine("runs", $"{Slug(run.Variant)}-seed{run.Seed}"));

    /// <summary>
    /// Trains every group over seeds 1 … <see cref="ReproductionContext.Seeds"/> as the recipe's run group (<see cref="RunAll"/>),
    /// metrics of each run in runs/{group}-seed{n}/metrics.jsonl and its checkpoint beside them (a stopped or killed run continues from
    /// its last evaluation); returns the runs group by group, seed by seed.
    /// </summary>
    public static IReadOnlyList<GroupRun> Train(ReproductionContext context, IReadOnlyList<RunGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(groups);
        var jobs = groups.SelectMany(g => Enumerable.Range(1, context.Seeds).Select(s => (Group: g, Seed: (ulong)s))).ToArray();
        var finished = RunAll(context, jobs, job => (job.Group.Name, job.Seed), job =>
        {
            var (group, seed) = job;
            string directory = RunDirectory(context, group.Name, seed);
            var trainer = new TaskTrainer<float>(group.Task, group.Model, group.Training with { Seed = seed }, group.Schedule, group.EvaluationTask)
            {
                Metrics = new MetricsLog(Path.Combine(directory, "metrics.jsonl")),
                CheckpointPath = Path.Combine(directory, TrainingCheckpoint.FileName),
                Stop = context.Stop,
                Resumed = sequences => context.Log(string.Create(CultureInfo.InvariantCulture, $"{group.Name} seed {seed}: resumed from its checkpoint after {sequences:N0} sequences")),
            };
            var result = trainer.Train();
            var transfer = group.Transfer.Select(t => trainer.Evaluate(t.Task).Score).ToArray();
            string outcome = result.Diverged is not null ? "diverged" : result.Solved ? $"solved after {result.SequencesToSuccess:N0}" : "not solved";
            context.Log(string.Create(CultureInfo.InvariantCulture,
                $"{group.Name} seed {seed}: {outcome}; {result.Sequences:N0} sequences; accuracy {result.Final.Score.Accuracy:P2}; mean abs error {result.Final.Score.MeanAbsoluteError:G4}"));
            return new TrainedRun(group.Name, seed, result, transfer);
        });
        var byName = groups.ToDictionary(g => g.Name, StringComparer.Ordinal);
        return [.. finished.Select(r => new GroupRun(byName[r.Group], r.Seed, r.Result, r.Transfer))];
    }

    // What a task run keeps in entry.json: its group by name, seed, training outcome and transfer scores.
    private sealed record TrainedRun(string Group, ulong Seed, TaskTrainingResult Result, IReadOnlyList<TaskScore> Transfer);

    /// <summary>
    /// <paramref name="run"/> applied to every job, the jobs spread over the cores in order (a core that finishes takes the
    /// next job), each single-threaded (so a job's result does not depend on the spread); results in job order. A job that
    /// throws ends the group with its exception (the first, when several fail).
    /// </summary>
    public static TResult[] InParallel<TJob, TResult>(IReadOnlyList<TJob> jobs, Func<TJob, TResult> run)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(run);
        var results = new TResult[jobs.Count];
        int threads = Compute.Threads;
        Compute.Threads = 1;
        try
        {
            // Unbuffered: each free core takes the next job in order, so recipes can put their longest jobs first.
            Parallel.ForEach(Partitioner.Create(Enumerable.Range(0, jobs.Count), EnumerablePartitionerOptions.NoBuffering),
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i => results[i] = run(jobs[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); // the failing run's own error, not a wrapper
            throw;
        }
        finally
        {
            Compute.Threads = threads;
        }
        return results;
    }

    /// <summary>runs/{name}-seed{seed} under the output directory, created.</summary>
    public static string RunDirectory(ReproductionContext context, string name, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(context);
        return System.IO.Directory.CreateDirectory(Path.Combine(context.Directory, "runs", $"{Slug(name)}-seed{seed}")).FullName;
    }

    /// <summary>
    /// <see cref="RunDirectory"/> of a language-model run, with the files of <see cref="WriteLanguageModelFiles"/>, so that the best
    /// model the trainer keeps there loads like any model directory (`lstmlens eval`, <see cref="ModelFiles.Load{T}"/>).
    /// </summary>
    public static string LanguageModelDirectory(ReproductionContext context, string name, ulong seed, ModelConfig model, Data.Vocabulary vocabulary,
        TrainingOptions training, LanguageModelSettings batching)
    {
        string directory = RunDirectory(context, name, seed);
        WriteLanguageModelFiles(directory, model, vocabulary, training, batching);
        return directory;
    }

    /// <summary>config.json (model, training and batching sections, as `lstmlens train` writes them) and vocab.txt in <paramref name="directory"/>.</summary>
    public static void WriteLanguageModelFiles(string directory, ModelConfig model, Data.Vocabulary vocabulary, TrainingOptions training, LanguageModelSettings batching)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ModelFiles.WriteConfig(directory, model, new Dictionary<string, object> { ["training"] = training, ["batching"] = batching });
        vocabulary.Save(Path.Combine(directory, ModelFiles.VocabularyFile));
    }

    /// <summary>
    /// Trains a recipe's language model to the end; a non-finite loss or gradient stops the reproduction with a
    /// <see cref="NonFiniteException"/> naming the run (<paramref name="run"/>, e.g. "verwimp-cycles seed 2"), a cancelled
    /// <paramref name="stop"/> with the <see cref="OperationCanceledException"/> of <see cref="LanguageModelStopped"/>.
    /// </summary>
    public static void TrainToEnd(LanguageModelTrainer trainer, string run, Action<TrainingProgress>? progress = null, CancellationToken stop = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        try
        {
            if (trainer.Run(resume: false, stop, progress) == TrainingOutcome.Interrupted) throw LanguageModelStopped(run, stop);
        }
        catch (NonFiniteException e)
        {
            throw new NonFiniteException($"{run}: training stopped: {e.Message}");
        }
    }

    /// <summary>The exception of a recipe's language-model run stopped on request: such a run starts again from the beginning when rerun.</summary>
    public static OperationCanceledException LanguageModelStopped(string run, CancellationToken stop) =>
        new($"{run}: training stopped (a recipe's language-model run starts again from the beginning)", stop);

    /// <summary>Accuracy and loss curves of every group (mean over seeds, min–max band) as {prefix}accuracy.svg and {prefix}loss.svg.</summary>
    public static void PlotGroups(ReproductionContext context, string prefix, string title, IReadOnlyList<GroupRun> runs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(runs);
        var groups = runs.GroupBy(r => r.Group.Name)
            .Select(g => (g.Key, (IReadOnlyList<IReadOnlyList<TaskEvaluation>>)[.. g.Select(r => r.Result.Evaluations)])).ToArray();
        RunFiles.PlotCurves(context.Directory, prefix, title, groups);
    }

    /// <summary>Writes <paramref name="rows"/> under <paramref name="header"/> as CSV (fields quoted where needed).</summary>
    public static void WriteCsv(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
            text.Append(Data.Csv.Join(row)).Append('\n');
        Data.AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>A Markdown table.</summary>
    public static string MarkdownTable(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        text.Append("| ").Append(string.Join(" | ", header)).Append(" |\n");
        text.Append('|').Append(string.Concat(header.Select(_ => "---|"))).Append('\n');
        foreach (var row in rows) text.Append("| ").Append(string.Join(" | ", row)).Append(" |\n");
        return text.ToString();
    }

    /// <summary>Writes results.md: a title, the settings, the table and notes; returns the text.</summary>
    public static string WriteMarkdown(ReproductionContext context, string title, string settings, string table, string notes)
    {
        ArgumentNullException.ThrowIfNull(context);
        string text = $"# {title}\n\nScale: {(context.Quick ? "--quick" : "--full")}, seeds 1–{context.Seeds}. {settings}\n\n{table}\n{notes}\n";
        Data.AtomicFile.WriteAllText(Path.Combine(context.Directory, "results.md"), text);
        return text;
    }

    /// <summary>A number for tables and CSV, invariant culture.</summary>
    public static string Number(double value, string format = "G4") =>
        double.IsNaN(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Mean, minimum and maximum as "mean (min–max)" with a format.</summary>
    public static string MeanRange(IReadOnlyList<double> values, string format)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Count == 0 ? "–"
            : values.Count == 1 ? Number(values[0], format)
            : $"{Number(values.Average(), format)} ({Number(values.Min(), format)}–{Number(values.Max(), format)})";
    }

    /// <summary>A name as a file name: letters, digits, dots and dashes kept, anything else a dash.</summary>
    public static string Slug(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-'));
}
