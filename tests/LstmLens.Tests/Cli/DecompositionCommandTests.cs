using System.Globalization;
using System.Text.Json;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Experiments;
using LstmLens.Models;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Cli;

/// <summary>`decompose` and `interdependence` end to end on a fixture LSTM language model: output, files, agreement with the library, bad input.</summary>
public sealed class DecompositionCommandTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
    private static readonly string Lstm = Path.Combine(Fixtures, "state_gradients", "lstm");
    private static readonly string Treebank = Path.Combine(Fixtures, "conllu", "small.conllu");
    private const string Text = "the cat sat on the mat";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Out(string name) => Path.Combine(_dir.Path, name);

    [Fact]
    public void Decompose_json_is_one_object_per_position_and_agrees_with_the_library()
    {
        var (exit, stdout, stderr) = CliRunner.Run("decompose", "--model", Lstm, "--text", Text, "--relevant", "1,3", "--top", "3", "--json");
        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        var (model, vocabulary, _) = ModelFiles.Load<double>(Lstm);
        var cd = new ContextualDecomposition(model);
        var sentence = cd.Run([.. Text.Split(' ').Select(w => vocabulary![w])]);
        var d = cd.DecomposeReference(sentence, [1, 3]);
        for (int t = 0; t < 6; t++)
        {
            using var json = JsonDocument.Parse(lines[t]);
            var root = json.RootElement;
            Assert.Equal(["position", "token", "relevant_logit_norm", "irrelevant_logit_norm", "error", "state_error", "top"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(t, root.GetProperty("position").GetInt32());
            Assert.Equal(Text.Split(' ')[t], root.GetProperty("token").GetString());
            Assert.Equal(cd.LogitNorm(d.Relevant(t)), root.GetProperty("relevant_logit_norm").GetDouble(), 1e-12);
            Assert.Equal(cd.LogitNorm(d.Irrelevant(t)), root.GetProperty("irrelevant_logit_norm").GetDouble(), 1e-12);
            Assert.True(root.GetProperty("error").GetDouble() < 1e-13);
            var top = root.GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(3, top.Length);
            var logits = cd.Logits(d.Relevant(t));
            double max = logits.Max(), sum = logits.Sum(v => Math.Exp(v - max));
            int best = Array.IndexOf(logits, max);
            Assert.Equal(vocabulary!.Tokens[best], top[0].GetProperty("token").GetString());
            Assert.Equal(1 / sum, top[0].GetProperty("p").GetDouble(), 1e-12);
        }
        Assert.Equal(0, JsonDocument.Parse(lines[0]).RootElement.GetProperty("relevant_logit_norm").GetDouble());
    }

    [Fact]
    public void Decompose_out_writes_the_tables_the_figure_and_the_report()
    {
        var (exit, stdout, stderr) = CliRunner.Run("decompose", "--model", Lstm, "--text", Text, "--relevant", "2-3", "--target-word", "mat", "--out", Out("d"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("relevant {2, 3}: \"sat on\"", stdout);
        foreach (string file in new[] { "decomposition.csv", "contributions.csv", "contributions.svg", "report.html", "run.json" })
            Assert.True(File.Exists(Out($"d/{file}")), $"{file} missing");
        var rows = File.ReadAllLines(Out("d/contributions.csv"));
        Assert.Equal(7, rows.Length);
        // Each word's contribution to 'mat' at the last step is the mat row of W_dec times β from that word alone.
        var (model, vocabulary, _) = ModelFiles.Load<double>(Lstm);
        var cd = new ContextualDecomposition(model);
        var sentence = cd.Run([.. Text.Split(' ').Select(w => vocabulary![w])]);
        double expected = cd.Logits(cd.DecomposeReference(sentence, [4]).Relevant(5))[vocabulary!["mat"]];
        Assert.Equal(expected, double.Parse(Csv.Split(rows[5])[4], CultureInfo.InvariantCulture), 1e-12);
        Assert.Contains("logit of &#39;mat&#39;", File.ReadAllText(Out("d/contributions.svg")), StringComparison.Ordinal);

        var again = CliRunner.Run("decompose", "--model", Lstm, "--text", Text, "--relevant", "2", "--out", Out("d"));
        Assert.Equal(2, again.Exit);
        Assert.Contains("not empty", again.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Interdependence_single_form_prints_the_value_as_json()
    {
        var (exit, stdout, stderr) = CliRunner.Run("interdependence", "--model", Lstm, "--text", Text, "--left", "1", "--right", "3", "--json");
        Assert.True(exit == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(["interdependence"], json.RootElement.EnumerateObject().Select(p => p.Name));
        var (model, vocabulary, _) = ModelFiles.Load<double>(Lstm);
        var cd = new ContextualDecomposition(model);
        var expected = Interdependence.Measure(cd, cd.Run([.. Text.Split(' ').Select(w => vocabulary![w])]), [1], [3], 3);
        Assert.Equal(expected.Value, json.RootElement.GetProperty("interdependence").GetDouble(), 1e-12);
        Assert.True(expected.Value > 0);
    }

    [Fact]
    public void Interdependence_corpus_form_writes_every_pair_and_the_tables()
    {
        var (exit, stdout, stderr) = CliRunner.Run("interdependence", "--model", Lstm, "--data", Treebank, "--min-count", "6", "--out", Out("i"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("3 sentences, 18 words", stdout);
        Assert.Contains("34 pairs", stdout);
        var pairs = File.ReadAllLines(Out("i/pairs.csv"));
        Assert.Equal(string.Join(',', InterdependenceFiles.PairColumns), pairs[0]);
        Assert.Equal(35, pairs.Length);
        var bySequential = File.ReadAllLines(Out("i/by-sequential-distance.csv")).Skip(1).Select(Csv.Split).ToArray();
        Assert.Equal(["1", "2", "3", "4"], bySequential.Select(r => r[0]));
        Assert.Equal(["12", "9", "8", "5"], bySequential.Select(r => r[1]));
        Assert.NotEqual("", bySequential[0][2]);
        Assert.Equal("", bySequential[3][2]); // 5 pairs at distance 4, fewer than --min-count 6: no mean
        Assert.True(File.Exists(Out("i/by-sequential-distance.svg")));
        Assert.True(File.Exists(Out("i/report.html")));

        // The row of (ran, mat) in s2 agrees with the library.
        var row = pairs.Select(Csv.Split).Single(r => r[0] == "s2" && r[1] == "2" && r[2] == "5");
        Assert.Equal("left-head", row[11]);
        Assert.Equal("1", row[10]);
        var (model, vocabulary, _) = ModelFiles.Load<double>(Lstm);
        var cd = new ContextualDecomposition(model);
        var expected = Interdependence.Measure(cd, cd.Run([.. "the dog ran on the mat".Split(' ').Select(w => vocabulary![w])]), [2], [5], 5);
        Assert.Equal(expected.Value, double.Parse(row[12], CultureInfo.InvariantCulture), 1e-12);
    }

    [Fact]
    public void Bad_input_gets_one_line_and_the_right_exit()
    {
        string gru = Path.Combine(Fixtures, "state_gradients", "gru");
        string malformed = _dir.Write("bad.conllu", "# sent_id = x\n1\tthe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n2\tcat\tcat\tNOUN\n");
        string cycle = _dir.Write("cycle.conllu", "1\tthe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n2\tcat\tcat\tNOUN\tNN\t_\t1\troot\t_\t_\n");
        (string[] Args, int Exit, string Message)[] cases =
        [
            (["decompose", "--model", Lstm, "--text", Text, "--relevant", "6"], 2, "--relevant 6: position 6 is outside the text (positions 0–5)"),
            (["decompose", "--model", gru, "--text", Text, "--relevant", "1"], 2, "covers LSTM cells"),
            (["decompose", "--model", Lstm, "--text", Text, "--relevant", "a"], 2, "'a' is not a position"),
            (["interdependence", "--model", Lstm, "--text", Text, "--left", "1-2", "--right", "2"], 2, "overlap at position 2"),
            (["interdependence", "--model", Lstm, "--data", malformed, "--out", Out("m")], 1, $"{malformed}:3: expected 10 tab-separated CoNLL-U columns"),
            (["interdependence", "--model", Lstm, "--data", cycle, "--out", Out("c")], 1, $"{cycle}:1: the heads of word 1 form a cycle"),
            (["interdependence", "--model", Lstm, "--data", Treebank, "--max-length", "5", "--out", Out("l")], 1, "sentence s1 has 7 words, more than --max-length 5"),
        ];
        foreach (var (args, expectedExit, message) in cases)
        {
            var (exit, _, stderr) = CliRunner.Run(args);
            Assert.True(exit == expectedExit, $"{string.Join(' ', args)}: exit {exit}, {stderr}");
            Assert.Contains(message, stderr, StringComparison.Ordinal);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.False(Directory.Exists(Out("m")) || Directory.Exists(Out("c")) || Directory.Exists(Out("l")), "a failed analysis left an output directory");
    }
}
