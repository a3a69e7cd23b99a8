namespace LstmLens.Tests.Cli;

[Collection(Numerics.ProcessWideComputeState.Name)] // runs compared bit for bit: no other test may switch the kernels meanwhile
public class ReproduceCommandTests
{
    [Theory]
    [InlineData(new[] { "reproduce", "nonsense" }, "nonsense", 2)]
    [InlineData(new[] { "reproduce", "hdetach-copy", "--seeds", "0" }, "--seeds", 2)]
    [InlineData(new[] { "reproduce", "hdetach-copy", "--quick", "--full" }, "--full", 2)]
    [InlineData(new[] { "reproduce", "hdetach-pixel" }, "--images", 2)]
    [InlineData(new[] { "reproduce", "verwimp-memory" }, "--corpus", 2)]
    [InlineData(new[] { "reproduce", "verwimp-memory", "--corpus", "/nonexistent/brown" }, "/nonexistent/brown", 1)]
    public void Bad_requests_give_one_line(string[] args, string named, int expectedExit)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lstmlens-repro-{Guid.NewGuid():N}");
        try
        {
            var (exit, _, error) = CliRunner.Run([.. args, "--out", directory]);
            Assert.Equal(expectedExit, exit);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Contains(named, error);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }
}

[Collection(Numerics.ProcessWideComputeState.Name)] // runs compared bit for bit: no other test may switch the kernels meanwhile
public class ReproduceExecutorTests
{
    private static string[] Tiny(string root, string output)
    {
        var (images, labels) = Experiments.RunGroupTests.TinyImages(root);
        return ["reproduce", "hdetach-pixel", "--quick", "--seeds", "2", "--images", images, "--labels", labels, "--out", output];
    }

    [Fact]
    public void Slurm_dry_run_writes_the_plan_and_scripts_and_a_rerun_asks_only_for_incomplete_runs()
    {
        using var root = new Data.TempDirectory();
        string output = Path.Combine(root.Path, "out");
        string[] slurm = ["--executor", "slurm", "--dry-run", "--time", "01:30:00", "--mem", "2G", "--partition", "short", "--account", "lab", "--cpus-per-task", "2"];

        var (exit, stdout, error) = CliRunner.Run([.. Tiny(root.Path, output), .. slurm]);

        Assert.True(exit == 0, error);
        Assert.Contains("8 runs, 0 complete, 8 to run", stdout);
        string array = File.ReadAllText(Path.Combine(output, "slurm", "array.sh"));
        foreach (string line in new[] { "#SBATCH --time=01:30:00", "#SBATCH --mem=2G", "#SBATCH --partition=short", "#SBATCH --account=lab", "#SBATCH --cpus-per-task=2",
            "#SBATCH --requeue", "#SBATCH --signal=B:TERM@60", $"#SBATCH --output={Path.Combine(output, "slurm")}/entry-%a.log" })
            Assert.Contains(line + "\n", array);
        Assert.Contains($" reproduce hdetach-pixel --entry \"$SLURM_ARRAY_TASK_ID\" --out {output} --threads 1\n", array);
        Assert.Contains($" reproduce hdetach-pixel --collect {output} --threads 2\n", File.ReadAllText(Path.Combine(output, "slurm", "collect.sh")));
        string submit = File.ReadAllText(Path.Combine(output, "slurm", "submit.sh"));
        Assert.Contains("sbatch --parsable --array=0-7 ", submit);
        Assert.Contains("--dependency=afterany:$array ", submit);
        Assert.False(Directory.Exists(Path.Combine(output, "runs")));

        foreach (int entry in new[] { 0, 1, 2, 5 })
            Assert.Equal(0, CliRunner.Run("reproduce", "hdetach-pixel", "--entry", $"{entry}", "--out", output).Exit);
        (exit, stdout, _) = CliRunner.Run([.. Tiny(root.Path, output), .. slurm]);

        Assert.Equal(0, exit);
        Assert.Contains("8 runs, 4 complete, 4 to run", stdout);
        Assert.Contains("--array=3-4,6-7 ", File.ReadAllText(Path.Combine(output, "slurm", "submit.sh")));
        (exit, _, error) = CliRunner.Run("reproduce", "hdetach-pixel", "--collect", output);
        Assert.Equal(1, exit);
        Assert.Contains("4 runs of", error);
        Assert.Contains($"{Path.Combine("runs", "pixel-h-detach-0.25-seed2")} (pixel h-detach 0.25, seed 2): not started", error);
        Assert.Equal(1 + 4 * 4, File.ReadAllLines(Path.Combine(output, "results.csv")).Length); // 4 runs of 4 evaluations each
    }

    [Theory]
    [InlineData(new[] { "--partition", "short" }, "--partition needs --executor slurm")]
    [InlineData(new[] { "--dry-run" }, "--dry-run needs --executor slurm")]
    [InlineData(new[] { "--executor", "pbs" }, "pbs")]
    [InlineData(new[] { "--cpus-per-task", "0", "--executor", "slurm" }, "--cpus-per-task must be at least 1")]
    public void Bad_executor_options_give_one_line(string[] options, string named)
    {
        using var root = new Data.TempDirectory();
        var (exit, _, error) = CliRunner.Run([.. Tiny(root.Path, Path.Combine(root.Path, "out")), .. options]);
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(named, error);
    }

    [Fact]
    public void Entry_and_collect_take_their_settings_from_the_plan()
    {
        using var root = new Data.TempDirectory();
        string output = Path.Combine(root.Path, "out");
        var (exit, _, error) = CliRunner.Run("reproduce", "hdetach-copy", "--collect", output);
        Assert.Equal(1, exit);
        Assert.Contains($"{Path.Combine(output, "plan.json")}: no run plan here", error);
        Assert.Equal(0, CliRunner.Run([.. Tiny(root.Path, output), "--executor", "slurm", "--dry-run"]).Exit);

        (exit, _, error) = CliRunner.Run("reproduce", "hdetach-pixel", "--entry", "0", "--out", output, "--seeds", "3");
        Assert.Equal(2, exit);
        Assert.Contains("--seeds cannot be given with --entry", error);
        (exit, _, error) = CliRunner.Run("reproduce", "hdetach-copy", "--entry", "0", "--out", output);
        Assert.Equal(2, exit);
        Assert.Contains("not reproduce hdetach-copy", error);
        (exit, _, error) = CliRunner.Run("reproduce", "hdetach-pixel", "--entry", "8", "--out", output);
        Assert.Equal(2, exit);
        Assert.Contains("--entry 8: the plan has entries 0–7", error);
        (exit, _, error) = CliRunner.Run("reproduce", "hdetach-pixel", "--collect", output);
        Assert.Equal(1, exit);
        Assert.Contains("no run is complete yet", error);
    }
}
