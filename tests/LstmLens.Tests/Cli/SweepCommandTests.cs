using System.Globalization;
using System.Text.Json;
using LstmLens.Training;

namespace LstmLens.Tests.Cli;

[Collection(Numerics.ProcessWideComputeState.Name)] // runs compared bit for bit: no other test may switch the kernels meanwhile
public class SweepCommandTests
{
    /// <summary>A sweep of 2 × 2 grid points × 2 seeds of a copying task that trains in a fraction of a second.</summary>
    internal static string[] Tiny(string output) =>
        ["sweep", "--grid", "lr=0.01,0.05 hidden=4,8", "--seeds", "2", "--out", output, "--",
            "task", "copying", "--delay", "3", "--symbols", "2", "--alphabet", "3", "--max-sequences", "320", "--eval-every-sequences", "160", "--eval-sequences", "32", "--threads", "1"];

    [Fact]
    public void A_local_sweep_runs_every_point_and_seed_and_summarizes_the_final_metrics()
    {
        using var root = new Data.TempDirectory();
        string output = Path.Combine(root.Path, "sweep");

        var (exit, stdout, error) = CliRunner.Run(Tiny(output));

        Assert.True(exit == 0, error);
        Assert.Contains("sweep run 8 of 8: lr=0.05 hidden=8, seed 2: lstmlens task copying", stdout);
        var summary = File.ReadAllLines(Path.Combine(output, "summary.csv")).Select(l => l.Split(',')).ToArray();
        Assert.Equal(["lr", "hidden", "runs"], summary[0][..3]);
        Assert.Equal(5, summary.Length);
        int accuracy = Array.IndexOf(summary[0], "accuracy_mean");
        foreach (var row in summary.Skip(1))
        {
            // The mean over the two seeds' final evaluations, read from their own metrics.jsonl.
            double[] finals = [.. new[] { 1, 2 }.Select(seed =>
            {
                string run = Path.Combine(output, "runs", $"lr-{row[0]}-hidden-{row[1]}-seed{seed}");
                using var last = JsonDocument.Parse(File.ReadLines(Path.Combine(run, "metrics.jsonl")).Last());
                Assert.Equal(JsonValueKind.Number, last.RootElement.GetProperty("sequences").ValueKind);
                return MetricsLog.Number(last.RootElement.GetProperty("accuracy"));
            })];
            Assert.Equal("2", row[2]);
            Assert.Equal(finals.Average(), double.Parse(row[accuracy], CultureInfo.InvariantCulture));
            Assert.Equal(finals.Min(), double.Parse(row[accuracy + 1], CultureInfo.InvariantCulture));
        }
        Assert.Equal(9, File.ReadAllLines(Path.Combine(output, "results.csv")).Length);
        Assert.Contains("| 0.05 | 8 | 2 |", File.ReadAllText(Path.Combine(output, "summary.md")));
        Assert.True(File.Exists(Path.Combine(output, "report.html")));

        Directory.Delete(Path.Combine(output, "runs", "lr-0.01-hidden-8-seed2"), recursive: true);
        string before = File.ReadAllText(Path.Combine(output, "summary.csv"));
        (exit, stdout, _) = CliRunner.Run(Tiny(output));
        Assert.Equal(0, exit);
        Assert.Single(stdout.Split('\n'), l => l.StartsWith("sweep run", StringComparison.Ordinal)); // only the missing run
        Assert.Equal(before, File.ReadAllText(Path.Combine(output, "summary.csv")));
    }

    [Theory]
    [InlineData(new[] { "--grid", "lr", "--", "task", "copying" }, "--grid: 'lr' is not option=value")]
    [InlineData(new[] { "--grid", "lr=0.1 lr=1", "--", "task", "copying" }, "'lr' is given twice")]
    [InlineData(new[] { "--grid", "lr=0.1", "--", "task", "copying", "--seed", "4" }, "--seed is set by the sweep")]
    [InlineData(new[] { "--grid", "lr=0.1", "--", "task", "copying", "--lr", "4" }, "--lr is set by the sweep (--grid)")]
    [InlineData(new[] { "--grid", "lr=0.1", "--", "eval", "--model", "m" }, "must start with train or task")]
    [InlineData(new[] { "--", "task", "copying" }, "--grid is required")]
    public void Bad_sweeps_give_one_line(string[] options, string named)
    {
        using var root = new Data.TempDirectory();
        var (exit, _, error) = CliRunner.Run(["sweep", "--out", Path.Combine(root.Path, "s"), .. options]);
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(named, error);
    }
}
