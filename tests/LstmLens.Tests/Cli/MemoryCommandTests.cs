using System.Globalization;
using System.Text.Json;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Models;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Cli;

/// <summary>`memory` end to end on the state-gradient fixture models: files, JSON, agreement with the library, bad input.</summary>
public sealed class MemoryCommandTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures", "state_gradients");
    private readonly TempDirectory _dir = new();
    private readonly string _text, _tagged;

    public MemoryCommandTests()
    {
        var rng = new LstmLens.Numerics.Rng(3);
        string[] words = ["the", "cat", "dog", "sat", "on", "mat", "ran"];
        string[] tags = ["DT", "NN", "NN", "VBD", "IN", "NN", "VBD"];
        var lines = Enumerable.Range(0, 60).Select(_ => Enumerable.Range(0, 3 + rng.NextInt(5)).Select(_ => rng.NextInt(words.Length)).ToArray()).ToArray();
        _text = _dir.Write("text.txt", string.Join('\n', lines.Select(l => string.Join(' ', l.Select(i => words[i])))) + "\n");
        _tagged = _dir.Write("tagged.txt", string.Join('\n', lines.Select(l => string.Join(' ', l.Select(i => $"{words[i]}/{tags[i]}")))) + "\n");
    }

    public void Dispose() => _dir.Dispose();

    private string Out(string name) => Path.Combine(_dir.Path, name);

    [Fact]
    public void Writes_the_tables_and_agrees_with_the_library()
    {
        var (exit, stdout, stderr) = CliRunner.Run("memory", "--model", Path.Combine(Fixtures, "lstm"), "--data", _tagged, "--format", "tagged",
            "--layer", "1", "--max-delay", "8", "--group", "all", "--group", "pos:NN", "--group", "word:the", "--per-word", "--min-occurrences", "5",
            "--difference", "pos:NN", "pos:VBD", "--precision", "float64", "--threads", "1", "--out", Out("run"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("normalised by the embedding covariance", stdout);
        foreach (string file in new[] { "memory.csv", "sigmas.csv", "memory.json", "words.csv", "word_sigma1.csv", "word_bins.csv", "differences.csv",
            "sigma1.svg", "selectiveness.svg", "decay.svg", "differences.svg", "differences_cosine.svg" })
            Assert.True(File.Exists(Out($"run/{file}")), $"{file} missing");

        var rows = File.ReadAllLines(Out("run/memory.csv"));
        Assert.Equal("group,delay,count,sigma1,sigma1_ratio,top5_ratio,sigma_sum", rows[0]);
        Assert.Equal(1 + 3 * 9, rows.Length);

        // The same numbers straight from the library: normalised Ḡ_τ of the nouns at delay 4.
        var (model, vocabulary, _) = ModelFiles.Load<double>(Path.Combine(Fixtures, "lstm"));
        var stream = TokenStream.From(Corpus.Read(_tagged, CorpusFormat.Tagged), vocabulary!);
        var nouns = MemoryGroups.Parse("pos:NN", stream, vocabulary!);
        var result = StateGradients.ComputeReference(model, StateGradientInput.FromTokens(stream.Ids), [nouns], new StateGradientOptions { Layer = 1, MaxDelay = 8 });
        var normalization = EmbeddingNormalization.FromTable([.. model.Embedding!.Weight.Value.ToArray()], vocabulary!.Count, 4);
        var spectrum = SingularSpectrum.Of(normalization.Normalize(result.Mean(0, 4), 5), 5, 4);
        var fields = rows.Single(r => r.StartsWith("pos:NN,4,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(result.Count(0, 4), long.Parse(fields[2], CultureInfo.InvariantCulture));
        Assert.Equal(spectrum.Sigma1, double.Parse(fields[3], CultureInfo.InvariantCulture), 1e-12);
        Assert.True(spectrum.Sigma1 > 1e-4);

        using var json = JsonDocument.Parse(File.ReadAllText(Out("run/memory.json")));
        Assert.True(json.RootElement.GetProperty("normalized").GetBoolean());
        Assert.True(json.RootElement.GetProperty("max_covariance_error").GetDouble() < 1e-10);
        Assert.Equal(stream.Count, json.RootElement.GetProperty("tokens").GetInt32());
        var words = File.ReadAllLines(Out("run/words.csv"));
        Assert.Contains(words, w => w.StartsWith("the,", StringComparison.Ordinal));
        Assert.All(File.ReadAllLines(Out("run/differences.csv")).Skip(1), line =>
        {
            double m = double.Parse(line.Split(',')[3], CultureInfo.InvariantCulture);
            Assert.InRange(m, 0, 1 + 1e-12); // m = ‖Ḡd‖/σ1 ≤ 1 for a unit d
        });
    }

    [Fact]
    public void Json_prints_one_object_per_group_and_delay_and_nothing_else()
    {
        var (exit, stdout, stderr) = CliRunner.Run("memory", "--model", Path.Combine(Fixtures, "gru"), "--data", _text, "--max-delay", "3",
            "--group", "all", "--group", "word:zebra-not-there", "--json", "--threads", "1");
        Assert.True(exit == 2, stderr); // a word outside the vocabulary is an error in --group
        Assert.Contains("'zebra-not-there' is not in the model's vocabulary", stderr);

        (exit, stdout, stderr) = CliRunner.Run("memory", "--model", Path.Combine(Fixtures, "gru"), "--data", _text, "--max-delay", "3",
            "--group", "all", "--group", "word:<unk>", "--json", "--threads", "1");
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        foreach (string line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(["group", "delay", "count", "sigma1", "sigma1_ratio", "top5_ratio", "sigmas"], names);
            Assert.True(double.IsFinite(doc.RootElement.GetProperty("sigma1").GetDouble()));
        }
        // <unk> never occurs in this text: count 0 and zeros, no NaN.
        using var unk = JsonDocument.Parse(lines[4]);
        Assert.Equal("word:<unk>", unk.RootElement.GetProperty("group").GetString());
        Assert.Equal(0, unk.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(0, unk.RootElement.GetProperty("sigma1_ratio").GetDouble());
    }

    [Fact]
    public void One_hot_input_is_never_normalised_and_says_so()
    {
        var (exit, stdout, stderr) = CliRunner.Run("memory", "--model", Path.Combine(Fixtures, "onehot"), "--data", _text, "--max-delay", "2", "--threads", "1");
        Assert.True(exit == 0, stderr);
        Assert.Contains("one-hot input is never normalised", stdout);
    }

    [Theory]
    [InlineData("gru", "--state c", "--state c")]
    [InlineData("lstm", "--layer 2", "--layer 2")]
    [InlineData("lstm", "--group pos:NN", "the text has no tags")]
    [InlineData("lstm", "--max-delay 5000", "--max-delay 5000")]
    [InlineData("onehot", "--normalize", "--normalize")]
    [InlineData("lstm", "--group nouns", "--group nouns")]
    [InlineData("lstm", "--difference pos:NN", "--difference")]
    public void Bad_requests_fail_with_one_line(string model, string options, string expected)
    {
        var (exit, stdout, stderr) = CliRunner.Run(["memory", "--model", Path.Combine(Fixtures, model), "--data", _text, "--threads", "1", .. options.Split(' ')]);
        Assert.Equal(2, exit);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public void A_non_empty_out_is_refused_and_compare_overlays_runs()
    {
        string[] Args(string run) => ["memory", "--model", Path.Combine(Fixtures, "lstm"), "--data", _text, "--max-delay", "4", "--threads", "1", "--out", Out(run)];
        Assert.Equal(0, CliRunner.Run([.. Args("c"), "--state", "c"]).Exit);
        Assert.Equal(0, CliRunner.Run([.. Args("h"), "--state", "h"]).Exit);
        var before = File.ReadAllText(Out("c/memory.csv"));
        var (exit, _, stderr) = CliRunner.Run([.. Args("c"), "--state", "h"]);
        Assert.Equal(2, exit);
        Assert.Contains("is not empty", stderr);
        Assert.Equal(before, File.ReadAllText(Out("c/memory.csv")));

        (exit, var stdout, stderr) = CliRunner.Run("memory", "--compare", Out("c"), Out("h"), "--label", "cell state", "--label", "hidden state", "--compare-group", "all", "--out", Out("both"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("2 curves from 2 runs", stdout);
        string svg = File.ReadAllText(Out("both/compare_sigma1.svg"));
        Assert.Contains("cell state", svg);
        Assert.Contains("hidden state", svg);
    }
}
