using LstmLens.Tests.Data;

namespace LstmLens.Tests.Cli;

public sealed class DemoCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Quick_demo_trains_analyses_summarises_and_writes_its_report()
    {
        string run = Path.Combine(_dir.Path, "demo");
        var (exit, output, error) = CliRunner.Run("demo", "--quick", "--threads", "1", "--out", run);
        Assert.True(exit == 0, error);
        Assert.StartsWith("LstmLens ", output);
        Assert.Contains("threads 1", output.Split('\n')[0]);
        Assert.Contains("What the state remembers: ", output);
        Assert.Contains($"report: {Path.Combine(run, "report.html")}", output);
        Assert.DoesNotContain('\u001b', output); // redirected output has no escape codes
        foreach (string file in new[] { "summary.md", "run.json", "report.html", "memory.csv", "probes.csv", "recall.csv", "sigma1.svg", "recall.svg", "training.svg",
            "text.txt", "model/config.json", "model/model.safetensors", "model/metrics.jsonl" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing");
        string summary = File.ReadAllText(Path.Combine(run, "summary.md"));
        Assert.StartsWith("# What an LSTM remembers", summary);
        Assert.Contains("Figure: sigma1.svg", summary);
        // The perplexity the summary quotes is the best of metrics.jsonl.
        double best = File.ReadLines(Path.Combine(run, "model", "metrics.jsonl"))
            .Min(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("valid_perplexity").GetDouble());
        Assert.Contains(best.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), summary);
        Assert.True(best < 3.6, $"best validation perplexity {best}"); // seeds 1–4 reach 2.70–3.05; the first check, after 6 updates, 11.6
        Assert.Empty(Directory.GetDirectories(_dir.Path, ".demo.partial-*"));

        // A second demo replaces the first; a directory that holds something else is refused and left as it was.
        (exit, _, error) = CliRunner.Run("demo", "--quick", "--threads", "1", "--out", run);
        Assert.True(exit == 0, error);
        string other = _dir.Write("notes.txt", "mine");
        (exit, _, error) = CliRunner.Run("demo", "--quick", "--out", _dir.Path);
        Assert.Equal(2, exit);
        Assert.Contains("holds no earlier demo", error);
        Assert.Equal("mine", File.ReadAllText(other));
    }
}
