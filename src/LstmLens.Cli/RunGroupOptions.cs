// The options of verbs that run a group of runs (reproduce, sweep): where the group runs (--executor local
// or slurm), what each Slurm array task asks for, --dry-run; handing the group to Slurm (plan.json and the
// scripts written, sbatch run, job ids printed); the command line that starts this same lstmlens in a job;
// and the signals (SIGTERM from Slurm, Ctrl+C) that ask running training to save its checkpoint and stop.
// Not the plan or the scripts themselves (LstmLens.Experiments.RunPlan, SlurmJobs).
using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using LstmLens.Cli.Output;
using LstmLens.Experiments;

namespace LstmLens.Cli;

/// <summary>--executor and the Slurm options.</summary>
public sealed class RunGroupOptions
{
    /// <summary>--executor local|slurm.</summary>
    public Option<string> Executor { get; } = new Option<string>("--executor")
    {
        Description = "local: run here (the default); slurm: submit one job-array task per run and a collect job",
        DefaultValueFactory = _ => "local",
    }.AcceptOnlyFromAmong("local", "slurm");

    /// <summary>--partition P.</summary>
    public Option<string?> Partition { get; } = new("--partition") { Description = "slurm: the partition of every task" };

    /// <summary>--time HH:MM:SS.</summary>
    public Option<string?> Time { get; } = new("--time") { Description = "slurm: time limit per task (HH:MM:SS or D-HH:MM:SS)" };

    /// <summary>--cpus-per-task N.</summary>
    public Option<int> CpusPerTask { get; } = new("--cpus-per-task")
    {
        Description = "slurm: cores per task (default 1)",
        DefaultValueFactory = _ => 1,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--cpus-per-task must be at least 1"); } },
    };

    /// <summary>--mem M.</summary>
    public Option<string?> Memory { get; } = new("--mem") { Description = "slurm: memory per task (e.g. 2G)" };

    /// <summary>--account A.</summary>
    public Option<string?> Account { get; } = new("--account") { Description = "slurm: the account charged" };

    /// <summary>--dry-run.</summary>
    public Option<bool> DryRun { get; } = new("--dry-run") { Description = "slurm: write the plan and the job scripts without submitting them" };

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { Executor, Partition, Time, CpusPerTask, Memory, Account, DryRun }) command.Options.Add(option);
    }

    /// <summary>True for --executor slurm; a Slurm-only option without it is refused.</summary>
    public bool UsesSlurm(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        if (parsed.GetValue(Executor) == "slurm") return true;
        foreach (var option in new Option[] { Partition, Time, CpusPerTask, Memory, Account, DryRun })
        {
            if (parsed.GetResult(option) is { Implicit: false }) throw new OptionException($"{option.Name} needs --executor slurm");
        }
        return false;
    }

    /// <summary>
    /// Hands <paramref name="plan"/> to Slurm: saves it in <paramref name="directory"/>, writes the scripts for its incomplete entries
    /// (each running <paramref name="entryCommand"/> after this lstmlens, with <see cref="SlurmJobs.IndexPlaceholder"/> for its index;
    /// the collect job <paramref name="collectCommand"/>) and, unless --dry-run, submits them; prints what it did.
    /// </summary>
    public void Submit(ParseResult parsed, string directory, RunPlan plan, IReadOnlyList<string> entryCommand, IReadOnlyList<string> collectCommand)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(plan);
        plan.Save(directory);
        var incomplete = plan.Incomplete(directory).Select(e => e.Index).ToArray();
        var settings = new SlurmSettings(parsed.GetValue(Partition), parsed.GetValue(Time), parsed.GetValue(CpusPerTask), parsed.GetValue(Memory), parsed.GetValue(Account));
        string[] lstmlens = [.. LstmLensCommand()];
        string script = SlurmJobs.Write(directory, plan.Name, incomplete, settings, [.. lstmlens, .. entryCommand], [.. lstmlens, .. collectCommand]);
        Console.WriteLine($"plan: {Path.Combine(directory, RunPlan.FileName)}, {RunReportOutput.Count(plan.Entries.Count, "run")}, " +
            $"{plan.Entries.Count - incomplete.Length} complete, {incomplete.Length} to run");
        if (parsed.GetValue(DryRun))
        {
            Console.WriteLine($"dry run: wrote {Path.GetDirectoryName(script)}/array.sh, collect.sh and submit.sh; submit them with: bash {script}");
            return;
        }
        if (!OnPath("sbatch")) throw new OptionException("--executor slurm: sbatch not found on PATH (run where Slurm's commands are, or write the scripts with --dry-run)");
        Console.WriteLine(SlurmJobs.Submit(script));
    }

    /// <summary>
    /// The command that starts this lstmlens in a job: the program itself when it is the lstmlens executable, otherwise the dotnet host
    /// with this CLI's assembly (under `dotnet lstmlens.dll`, or when the CLI runs inside another process such as a test host).
    /// </summary>
    public static IReadOnlyList<string> LstmLensCommand()
    {
        string cli = typeof(RunGroupOptions).Assembly.Location;
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return [process, cli];
        if (process is not null && Assembly.GetEntryAssembly() == typeof(RunGroupOptions).Assembly) return [process];
        return [Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", cli];
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => d.Length > 0 && File.Exists(Path.Combine(d, program)));
}

/// <summary>SIGTERM (Slurm's preemption, requeue and time limit) and Ctrl+C, turned into a cancellation while registered; a second one quits.</summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>Registers the handlers.</summary>
    public StopSignals()
    {
        void Handle(PosixSignalContext context)
        {
            if (_stop.IsCancellationRequested) return; // a second signal ends the process at once
            context.Cancel = true; // keep running until the checkpoints are saved
            Console.Error.WriteLine($"lstmlens: {context.Signal}: stopping after the current update (again to quit at once)");
            _stop.Cancel();
        }
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle), PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle)];
    }

    /// <summary>Cancelled on the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stop.Dispose();
    }
}
