using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Models;
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
            "decomposition.csv", "contributions.svg",
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
        Assert.Empty(Directory.GetDirectories(_dir.Path, ".demo.replaced-*"));
        Assert.Contains("How the prediction is composed: ", output);
        CheckDecomposition(run);

        // A second demo replaces the first; a directory that holds something else is refused and left as it was.
        (exit, _, error) = CliRunner.Run("demo", "--quick", "--threads", "1", "--out", run);
        Assert.True(exit == 0, error);
        string other = _dir.Write("notes.txt", "mine");
        (exit, _, error) = CliRunner.Run("demo", "--quick", "--out", _dir.Path);
        Assert.Equal(2, exit);
        Assert.Contains("holds no earlier demo", error);
        Assert.Equal("mine", File.ReadAllText(other));
    }

    // Every decomposed cycle of decomposition.csv recomputed from the model and the analysed text: the recall step reads the next new
    // token, the probabilities are softmaxes of the relevant logits, and the model's probability is its own prediction.
    private static void CheckDecomposition(string run)
    {
        var rows = File.ReadAllLines(Path.Combine(run, "decomposition.csv"));
        Assert.Equal("line,remembered_position,step,token,model_probability,probability_from_remembered,probability_from_current,interdependence", rows[0]);
        Assert.Equal(201, rows.Length);
        var (model, vocabulary, _) = ModelFiles.Load<double>(Path.Combine(run, "model"));
        var cd = new ContextualDecomposition(model);
        var lines = File.ReadAllLines(Path.Combine(run, "text.txt"));
        foreach (var row in rows.Skip(1).Where((_, i) => i % 37 == 0).Select(Csv.Split))
        {
            int line = int.Parse(row[0], CultureInfo.InvariantCulture), u = int.Parse(row[1], CultureInfo.InvariantCulture), t = int.Parse(row[2], CultureInfo.InvariantCulture);
            var words = lines[line].Split(' ');
            Assert.Equal(16, t - u);
            Assert.Equal(words[u], row[3]);
            Assert.Equal(words[u], words[t + 1]); // the remembered token is what comes next
            var sentence = cd.Run([.. words.Select(w => vocabulary![w])]);
            var logits = cd.Logits(cd.DecomposeReference(sentence, [u]).Relevant(t));
            int token = vocabulary![words[u]];
            double expected = Math.Exp(logits[token]) / logits.Sum(Math.Exp);
            Assert.Equal(expected, double.Parse(row[5], CultureInfo.InvariantCulture), 1e-12);
            Assert.Equal(Interdependence.Measure(cd, sentence, [u], [t], t).Value, double.Parse(row[7], CultureInfo.InvariantCulture), 1e-12);
        }
    }
}
