// `lstmlens decompose`: contextual decomposition (Murdoch et al. 2018) of one text by an LSTM language model. Per
// position: the word, the norms of the relevant and irrelevant logits, both approximation errors, and the top-K of
// P(Y | x_β) = softmax(v_β) beside the model's own top-K; one JSON object per position with --json. --out adds
// decomposition.csv, contributions.csv (every word's own contribution to one target word's logit) and that sentence
// as a coloured figure, with run.json and report.html. The analysis lives in LstmLens.Analysis.
using System.CommandLine;
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Cli.Output;
using LstmLens.Experiments;
using LstmLens.Reporting;

namespace LstmLens.Cli.Commands;

/// <summary>The decompose verb.</summary>
public static class DecomposeCommand
{
    private sealed class Options : VerbOptions
    {
        public readonly Option<string?> Model = new("--model") { Description = "Model directory (config.json, model.safetensors, vocab.txt) of an LSTM language model" };
        public readonly Option<string?> Text = new("--text") { Description = "The text, whitespace-separated words, read from a zero state with nothing appended" };
        public readonly Option<string?> Relevant = new("--relevant") { Description = "Relevant positions: 0-based word indices and ranges, e.g. 2,3 or 1,4-6" };
        public readonly Option<string> Policy = DecompositionInput.Policy();
        public readonly Option<int> Top = new("--top") { Description = "Most probable words shown per position", DefaultValueFactory = _ => 5 };
        public readonly Option<string?> TargetWord = new("--target-word") { Description = "Word whose logit the --out figure splits by word (default: the model's prediction at --target-step)" };
        public readonly Option<int?> TargetStep = new("--target-step") { Description = "Position whose prediction the --out figure splits (default: the last)" };
        public readonly Option<string?> Out = new("--out") { Description = "Directory for decomposition.csv, contributions.csv, the figure and report.html (must be new or empty unless --force)" };
        public readonly Option<bool> Force = new("--force") { Description = "Replace a non-empty --out (its contents are deleted once the new results are written)" };
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var o = new Options();
        var command = new Command("decompose", "Contextual decomposition: what a set of words contributes to every later prediction (Murdoch et al.)");
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction(r => Run(r, o));
        return command;
    }

    private static int Run(ParseResult r, Options o)
    {
        string modelDirectory = r.GetValue(o.Model) ?? throw new OptionException("--model is required");
        bool json = r.GetValue(o.Json);
        int top = r.GetValue(o.Top);
        if (top < 1) throw new OptionException($"--top must be at least 1, got {top}");
        var started = DateTime.UtcNow;
        string environment = CommonOptions.Configure(r.GetValue(o.Threads), r.GetValue(o.Kernels)!);
        string policyName = r.GetValue(o.Policy)!;
        var (cd, vocabulary) = DecompositionInput.Load(modelDirectory, DecompositionInput.ParsePolicy(policyName));
        var (words, ids, unknown) = DecompositionInput.Words(r.GetValue(o.Text), vocabulary);
        var relevant = DecompositionInput.Positions(r.GetValue(o.Relevant), "--relevant", words.Length);
        int targetStep = r.GetValue(o.TargetStep) ?? words.Length - 1;
        if (targetStep < 0 || targetStep >= words.Length) throw new OptionException($"--target-step {targetStep} is outside the text (positions 0–{words.Length - 1})");
        string? targetWord = r.GetValue(o.TargetWord);
        if (targetWord is not null && !vocabulary.Contains(targetWord)) throw new OptionException($"--target-word '{targetWord}' is not in the model's vocabulary");
        string? outDirectory = r.GetValue(o.Out);
        using var output = outDirectory is null ? null : OutputDirectory.Claim(outDirectory, r.GetValue(o.Force));

        var sentence = cd.Run(ids);
        var d = cd.Decompose(sentence, [new DecompositionLane(relevant, words.Length - 1)])[0];
        var rows = new List<PositionRow>();
        for (int t = 0; t < words.Length; t++)
        {
            var (stateError, logitError) = cd.Check(sentence, d, t);
            var relevantLogits = cd.Logits(d.Relevant(t));
            var modelLogits = cd.Logits(sentence.State(t), withBias: true);
            rows.Add(new PositionRow(t, words[t], cd.LogitNorm(d.Relevant(t)), cd.LogitNorm(d.Irrelevant(t)), logitError, stateError,
                Top(relevantLogits, top, vocabulary), Top(modelLogits, top, vocabulary)));
        }

        if (json)
        {
            foreach (var row in rows)
                JsonOutput.Write(new
                {
                    position = row.Position, token = row.Word, relevant_logit_norm = row.RelevantNorm, irrelevant_logit_norm = row.IrrelevantNorm,
                    error = row.Error, state_error = row.StateError, top = row.Top.Select(p => new { token = p.Word, p = p.Probability }),
                });
        }
        else
        {
            Console.WriteLine(environment);
            Console.WriteLine($"{words.Length} words ({unknown} mapped to <unk>), relevant {{{string.Join(", ", relevant)}}}: \"{string.Join(' ', relevant.Select(p => words[p]))}\"; policy {policyName}");
            Console.WriteLine($"{"pos",3} {"word",-14} {"|v_rel|",8} {"|v_irr|",8} {"error",8} {"state err",9}  top P(Y | relevant)  |  model's top");
            foreach (var row in rows)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{row.Position,3} {Shorten(row.Word),-14} {row.RelevantNorm,8:F3} {row.IrrelevantNorm,8:F3} {row.Error,8:E1} {row.StateError,9:E1}  {(row.RelevantNorm == 0 ? "(nothing relevant yet)" : Format(row.Top))}  |  {Format(row.ModelTop)}"));
        }
        if (outDirectory is null) return 0;

        int target = targetWord is not null ? vocabulary[targetWord] : vocabulary[rows[targetStep].ModelTop[0].Word];
        var contributions = WordContributions(cd, sentence, targetStep, target);
        output!.Open();
        Reproduction.WriteCsv(Path.Combine(outDirectory, "decomposition.csv"),
            ["position", "word", "relevant", "relevant_logit_norm", "irrelevant_logit_norm", "error", "state_error", "top_relevant", "top_model"],
            rows.Select(row => (IReadOnlyList<string>)[Int(row.Position), row.Word, relevant.Contains(row.Position) ? "true" : "false", Number(row.RelevantNorm),
                Number(row.IrrelevantNorm), Number(row.Error), Number(row.StateError), Format(row.Top), Format(row.ModelTop)]));
        Reproduction.WriteCsv(Path.Combine(outDirectory, "contributions.csv"), ["position", "word", "target_step", "target_word", "contribution"],
            contributions.Select((c, p) => (IReadOnlyList<string>)[Int(p), words[p], Int(targetStep), vocabulary.Tokens[target], Number(c)]));
        string title = $"Each word's own contribution to the logit of '{vocabulary.Tokens[target]}' after '{words[targetStep]}' (position {targetStep}; CD, {policyName})";
        Data.AtomicFile.WriteAllText(Path.Combine(outDirectory, "contributions.svg"), SentenceView.ToSvg(words, contributions, title, targetStep));
        if (!json) Console.WriteLine($"wrote {outDirectory}/decomposition.csv, contributions.csv and contributions.svg");
        RunReportOutput.Finish(r, outDirectory, environment, started);
        output.Commit();
        return 0;
    }

    /// <summary>For every position p ≤ <paramref name="step"/>, the logit of <paramref name="target"/> at that step from p alone relevant (NaN after it).</summary>
    private static double[] WordContributions(ContextualDecomposition cd, DecomposedSentence sentence, int step, int target)
    {
        var lanes = Enumerable.Range(0, step + 1).Select(p => new DecompositionLane([p], step, step)).ToList();
        var parts = cd.Decompose(sentence, lanes);
        var values = Enumerable.Repeat(double.NaN, sentence.Length).ToArray();
        for (int p = 0; p <= step; p++) values[p] = cd.Logits(parts[p].Relevant(step))[target];
        return values;
    }

    private sealed record PositionRow(int Position, string Word, double RelevantNorm, double IrrelevantNorm, double Error, double StateError,
        IReadOnlyList<(string Word, double Probability)> Top, IReadOnlyList<(string Word, double Probability)> ModelTop);

    private static List<(string Word, double Probability)> Top(double[] logits, int k, Data.Vocabulary vocabulary)
    {
        return [.. ContextualDecomposition.Softmax(logits).Select((p, i) => (i, p)).OrderByDescending(e => e.p).ThenBy(e => e.i).Take(k)
            .Select(e => (vocabulary.Tokens[e.i], e.p))];
    }

    private static string Format(IReadOnlyList<(string Word, double Probability)> top) =>
        string.Join(" ", top.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Word} {p.Probability:F3}")));

    private static string Shorten(string word) => word.Length <= 14 ? word : word[..13] + "…";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);
}
