// `lstmlens sweep --grid "lr=0.1,1 hidden=128,256" --seeds 3 -- train …` (or `-- task …`): the command after -- run for every grid
// point and seed as a run group (plan.json, one run directory per entry under runs/), here one run after another (--executor local)
// or as a Slurm job array with a collect job (--executor slurm); then results.csv and the summary (summary.csv, summary.md: the final
// metrics per grid point, mean and spread over seeds). A rerun runs only the runs that are not complete; a run left incomplete is
// started again from the beginning. --entry N runs one entry (an array task), --collect DIR writes the summary. The plan and the
// summary are the library's (LstmLens.Experiments.Sweep); this file parses options and runs the commands in this process.
using System.CommandLine;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Experiments;
using LstmLens.Reporting;

namespace LstmLens.Cli.Commands;

/// <summary>The sweep verb.</summary>
public static class SweepCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var grid = new Option<string?>("--grid") { Description = "Options and their values: \"lr=0.1,1 hidden=128,256\" (the cross product is run)" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per grid point: --seed 1…N (default 3)", DefaultValueFactory = _ => 3 };
        seeds.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--seeds must be at least 1"); });
        var output = new Option<string>("--out") { Description = "Output directory", DefaultValueFactory = _ => "sweep" };
        var collect = new Option<string?>("--collect") { Description = "Write the summary of the sweep in DIR from its finished runs" };
        var entry = new Option<int?>("--entry") { Description = "Run entry N of the plan in --out (one Slurm array task)" };
        var run = new Argument<string[]>("command") { Description = "After --: the train or task command line (without --seed and --out)", Arity = ArgumentArity.ZeroOrMore };
        var group = new RunGroupOptions();
        var command = new Command("sweep", "Run a train or task command over a grid of options and seeds, here or on Slurm") { grid, seeds, output, collect, entry, run };
        group.AddTo(command);
        command.SetAction(r =>
        {
            var started = DateTime.UtcNow;
            bool slurm = group.UsesSlurm(r);
            if (r.GetValue(collect) is string collected)
            {
                if (slurm || r.GetValue(entry) is not null) throw new OptionException("--collect runs here, alone: it takes neither --executor slurm nor --entry");
                return Summarize(r, collected, started);
            }
            string directory = r.GetValue(output)!;
            if (r.GetValue(entry) is int index)
            {
                if (slurm) throw new OptionException("--entry runs one entry here: it takes no --executor slurm");
                var plan = RunPlan.Load(directory);
                if (index < 0 || index >= plan.Entries.Count) throw new OptionException($"--entry {index}: the plan has entries 0–{plan.Entries.Count - 1}");
                return RunEntry(directory, plan, plan.Entries[index]);
            }
            string gridText = r.GetValue(grid) ?? throw new OptionException("--grid is required (e.g. --grid \"lr=0.1,1 hidden=128,256\")");
            string[] words = r.GetValue(run) ?? [];
            int seedCount = r.GetValue(seeds);
            var sweep = Sweep.Plan(directory, Sweep.ParseGrid(gridText), seedCount, words,
                ["--grid", gridText, "--seeds", seedCount.ToString(CultureInfo.InvariantCulture), "--", .. words]);
            if (slurm)
            {
                string absolute = Path.GetFullPath(directory);
                group.Submit(r, directory, sweep, ["sweep", "--entry", SlurmJobs.IndexPlaceholder, "--out", absolute], ["sweep", "--collect", absolute]);
                return 0;
            }
            sweep.Save(directory);
            foreach (var e in sweep.Incomplete(directory)) RunEntry(directory, sweep, e);
            return Summarize(r, directory, started);
        });
        return command;
    }

    // Runs one entry's command in this process, into a fresh run directory (an incomplete one from an earlier try is removed first).
    private static int RunEntry(string directory, RunPlan plan, PlanEntry entry)
    {
        string runDirectory = RunPlan.RunPath(directory, entry);
        if (Directory.Exists(runDirectory)) Directory.Delete(runDirectory, recursive: true);
        Console.WriteLine($"sweep run {entry.Index + 1} of {plan.Entries.Count}: {entry.Variant}, seed {entry.Seed}: lstmlens {string.Join(' ', entry.Arguments!.Select(RunFiles.ShellWord))}");
        int exit = CommandRunner.Run(Verbs.Root(), [.. entry.Arguments!]);
        if (exit != 0) Console.Error.WriteLine($"lstmlens: sweep run {entry.Directory} failed (exit {exit})");
        return exit;
    }

    // Writes results.csv and the summary from the complete runs; lists the others (exit 1 when there are any).
    private static int Summarize(ParseResult parsed, string directory, DateTime started)
    {
        var plan = RunPlan.Load(directory);
        if (plan.Verb != "sweep") throw new OptionException($"{directory}: its plan is '{plan.Describe()}', not a sweep");
        int gridAt = plan.Arguments.ToList().IndexOf("--grid");
        var axes = Sweep.ParseGrid(plan.Arguments[gridAt + 1]);
        var incomplete = plan.DescribeIncomplete(directory);
        if (incomplete.Count == plan.Entries.Count) throw new InvalidDataException($"{directory}: no run of the sweep is complete");
        Console.WriteLine();
        Console.Write(Sweep.Summarize(directory, plan, axes));
        Console.WriteLine($"wrote {Path.Combine(directory, "summary.md")}, summary.csv and results.csv");
        RunReportOutput.Finish(parsed, directory, $"LstmLens {typeof(Sweep).Assembly.GetName().Version?.ToString(3)}", started);
        if (incomplete.Count == 0) return 0;
        Console.Error.WriteLine($"lstmlens: {RunReportOutput.Count(incomplete.Count, "run")} of {directory} left out of the summary (rerun the sweep to run them):");
        foreach (string line in incomplete) Console.Error.WriteLine($"  {line}");
        return CommandRunner.Failure;
    }
}
