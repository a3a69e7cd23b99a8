using System.Diagnostics;
using LstmLens.Tests.Cli;
using LstmLens.Tests.Data;
using LstmLens.Tests.Experiments;

namespace LstmLens.Tests.Cluster;

/// <summary>A fact that needs Slurm and munge; skipped, with the reason, where their programs are not installed.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (LocalSlurm.Missing.Count > 0)
            Skip = $"Slurm is not installed ({string.Join(", ", LocalSlurm.Missing)} not found; Debian packages slurm-wlm and munge, which .ci/run installs): the Slurm executor is not run on a real cluster";
    }
}

/// <summary>
/// A genuine single-node Slurm cluster (munged, slurmctld, slurmd: tools/local-slurm.sh) in a temporary directory for the tests
/// of one collection; stopped, with every job cancelled, when they are done.
/// </summary>
public sealed class LocalSlurm : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly string _script = Path.Combine(Reporting.ReportBrowserTests.RepositoryRoot(), "tools", "local-slurm.sh");

    public LocalSlurm()
    {
        if (Missing.Count > 0) return; // the tests skip
        try
        {
            Run("bash", _script, "start", Path.Combine(_directory.Path, "cluster"));
        }
        catch
        {
            Dispose(); // whatever came up goes down again
            throw;
        }
        Environment.SetEnvironmentVariable("SLURM_CONF", Path.Combine(_directory.Path, "cluster", "slurm.conf")); // sbatch, squeue and scontrol read it
    }

    /// <summary>The programs of the cluster and its commands that are not installed.</summary>
    public static IReadOnlyList<string> Missing { get; } = [.. new[] { "munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo" }.Where(p => Find(p) is null)];

    private static string? Find(string program) =>
        new[] { "/usr/sbin", "/usr/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>Runs a program to the end; returns its standard output, or throws with its error output when it fails.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)}: exit {process.ExitCode}: {error.Result}");
        return output;
    }

    /// <summary>Waits until no job is queued or running (the cluster runs only this collection's jobs).</summary>
    public static void WaitForIdle(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (Run("squeue", "-h", "-o", "%i %T").Trim().Length > 0)
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"jobs still queued after {limit}: {Run("squeue")}");
            Thread.Sleep(250);
        }
    }

    public void Dispose()
    {
        if (Missing.Count == 0) Run("bash", _script, "stop", Path.Combine(_directory.Path, "cluster"));
        Environment.SetEnvironmentVariable("SLURM_CONF", null);
        _directory.Dispose();
    }
}

[CollectionDefinition("slurm")]
public sealed class SlurmCollection : ICollectionFixture<LocalSlurm>;

/// <summary>Run groups through the real sbatch: the same files as the local executor, and a requeued task that resumes.</summary>
[Collection("slurm")]
public class SlurmClusterTests(LocalSlurm cluster)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private readonly LocalSlurm _cluster = cluster;

    private static string[] Pixel(string root, string output, int side, int seeds)
    {
        var (images, labels) = RunGroupTests.TinyImages(root, side);
        return ["reproduce", "hdetach-pixel", "--quick", "--seeds", $"{seeds}", "--images", images, "--labels", labels, "--out", output, "--threads", "2"];
    }

    private static void AssertSameFiles(string expected, string actual, IEnumerable<string> files)
    {
        foreach (string file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))), $"{file} differs");
    }

    [SlurmFact]
    public void A_quick_reproduction_through_sbatch_writes_the_files_of_the_local_executor()
    {
        Assert.NotNull(_cluster);
        using var root = new TempDirectory();
        string local = Path.Combine(root.Path, "local"), slurm = Path.Combine(root.Path, "slurm");
        Assert.Equal(0, CliRunner.Run(Pixel(root.Path, local, 2, 2)).Exit);

        var (exit, stdout, error) = CliRunner.Run([.. Pixel(root.Path, slurm, 2, 2), "--executor", "slurm", "--time", "00:10:00", "--mem", "500M"]);

        Assert.True(exit == 0, error);
        Assert.Matches(@"array job \d+, collect job \d+", stdout);
        LocalSlurm.WaitForIdle(Limit);
        string collectLog = File.ReadAllText(Path.Combine(slurm, "slurm", "collect.log"));
        Assert.Contains("report: ", collectLog);
        Assert.DoesNotContain("left out", collectLog);
        AssertSameFiles(local, slurm, [.. RunGroupTests.ResultFiles,
            .. Directory.GetFiles(Path.Combine(local, "runs"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(local, f))]);
        Assert.Equal(8, Directory.GetFiles(Path.Combine(slurm, "slurm"), "entry-*.log").Length);
        Assert.True(File.Exists(Path.Combine(slurm, "report.html")));

        (exit, stdout, _) = CliRunner.Run([.. Pixel(root.Path, slurm, 2, 2), "--executor", "slurm", "--dry-run"]);
        Assert.Equal(0, exit);
        Assert.Contains("8 runs, 8 complete, 0 to run", stdout);
        Assert.DoesNotContain("--array", File.ReadAllText(Path.Combine(slurm, "slurm", "submit.sh")));
    }

    [SlurmFact]
    public void A_sweep_through_sbatch_summarizes_as_the_local_executor_does()
    {
        Assert.NotNull(_cluster);
        using var root = new TempDirectory();
        string local = Path.Combine(root.Path, "local"), slurm = Path.Combine(root.Path, "slurm");
        Assert.Equal(0, CliRunner.Run(SweepCommandTests.Tiny(local)).Exit);
        string[] submit = [.. SweepCommandTests.Tiny(slurm)];
        int dashes = Array.IndexOf(submit, "--");

        var (exit, stdout, error) = CliRunner.Run([.. submit[..dashes], "--executor", "slurm", "--mem", "500M", .. submit[dashes..]]);

        Assert.True(exit == 0, error);
        Assert.Contains("8 runs, 0 complete, 8 to run", stdout);
        LocalSlurm.WaitForIdle(Limit);
        AssertSameFiles(local, slurm, ["summary.csv", "summary.md", "results.csv",
            .. Directory.GetFiles(Path.Combine(local, "runs"), "metrics.jsonl", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(local, f))]);
        Assert.Contains("task copying --delay 3", File.ReadAllText(Path.Combine(slurm, "slurm", "entry-7.log")));
    }

    [SlurmFact]
    public void A_requeued_array_task_resumes_from_its_checkpoint_and_ends_as_an_uninterrupted_run()
    {
        Assert.NotNull(_cluster);
        using var root = new TempDirectory();
        string local = Path.Combine(root.Path, "local"), slurm = Path.Combine(root.Path, "slurm");
        // 16 × 16 images: 256 steps per sequence, a few seconds per run, evaluated (and checkpointed) every 400 of its 1,600 sequences.
        var (exit, stdout, error) = CliRunner.Run([.. Pixel(root.Path, slurm, 16, 1), "--executor", "slurm"]);
        Assert.True(exit == 0, error);
        string array = System.Text.RegularExpressions.Regex.Match(stdout, @"array job (\d+)").Groups[1].Value;
        string run = Path.Combine(slurm, "runs", "pixel-vanilla-seed1");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, "checkpoint.safetensors")) && clock.Elapsed < Limit) Thread.Sleep(50);
        Assert.False(File.Exists(Path.Combine(run, "entry.json")), "the task ended before it could be requeued");

        LocalSlurm.Run("scontrol", "requeue", $"{array}_0");
        for (int i = 0; i < 100 && !LocalSlurm.Run("squeue", "-h", "-j", $"{array}_0", "-o", "%T").Contains("PENDING", StringComparison.Ordinal); i++) Thread.Sleep(100);
        LocalSlurm.Run("scontrol", "update", $"JobId={array}_0", "StartTime=now"); // a requeued job waits two minutes otherwise
        LocalSlurm.WaitForIdle(Limit);
        Assert.Equal(0, CliRunner.Run(Pixel(root.Path, local, 16, 1)).Exit);

        string log = File.ReadAllText(Path.Combine(slurm, "slurm", "entry-0.log"));
        Assert.Contains("DUE TO JOB REQUEUE", log);
        Assert.Contains("lstmlens: SIGTERM: stopping after the current update", log);
        Assert.Matches(@"pixel vanilla seed 1: resumed from its checkpoint after [1-9][\d,]* sequences", log);
        AssertSameFiles(local, slurm, [.. RunGroupTests.ResultFiles, Path.Combine("runs", "pixel-vanilla-seed1", "metrics.jsonl"), Path.Combine("runs", "pixel-vanilla-seed1", "entry.json")]);
    }
}
