// `lstmlens interdependence` (Saphra & Lopez 2020): how much two word sets rely on their interaction in an LSTM
// language model, ‖v_{A∪B} − (v_A + v_B)‖ / ‖v_{A∪B}‖ from contextual decomposition. The single form measures two
// position sets of one --text; the corpus form measures every word pair up to --max-distance of a CoNLL-U file and
// writes pairs.csv, the tables by sequential and by syntactic distance and their figures (Experiments/InterdependenceFiles).
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Cli.Output;
using LstmLens.Data;
using LstmLens.Experiments;

namespace LstmLens.Cli.Commands;

/// <summary>The interdependence verb.</summary>
public static class InterdependenceCommand
{
    private sealed class Options : VerbOptions
    {
        public readonly Option<string?> Model = new("--model") { Description = "Model directory (config.json, model.safetensors, vocab.txt) of an LSTM language model" };
        public readonly Option<string?> Text = new("--text") { Description = "Single form: the text, whitespace-separated words, read from a zero state with nothing appended" };
        public readonly Option<string?> Left = new("--left") { Description = "Single form: the first position set A (0-based word indices and ranges, e.g. 2 or 1-3)" };
        public readonly Option<string?> Right = new("--right") { Description = "Single form: the second position set B, disjoint from A" };
        public readonly Option<int?> Target = new("--target") { Description = "Single form: the step compared (default: the last position of A ∪ B)" };
        public readonly Option<string?> Data = new("--data") { Description = "Corpus form: a CoNLL-U file; every pair of open/closed-class words up to --max-distance apart" };
        public readonly Option<int> MaxDistance = new("--max-distance") { Description = "Pairs (l, r) with 1 ≤ r − l < this", DefaultValueFactory = _ => 5 };
        public readonly Option<int> TargetOffset = new("--target-offset") { Description = "Target step r + this (0: the step that reads r)", DefaultValueFactory = _ => 0 };
        public readonly Option<string> Space = new Option<string>("--space") { Description = "Compare at the logits (default) or the top hidden state", DefaultValueFactory = _ => "logits" }.AcceptOnlyFromAmong("logits", "hidden");
        public readonly Option<int> MinCount = new("--min-count") { Description = "Fewest pairs behind a mean that is shown", DefaultValueFactory = _ => 100 };
        public readonly Option<string> Policy = DecompositionInput.Policy();
        public readonly Option<bool> CarryState = new("--carry-state") { Description = "Carry the state across sentences in file order (default: each sentence from a zero state)" };
        public readonly Option<bool> Lowercase = new("--lowercase") { Description = "Lower-case the corpus's words before looking them up (for models trained on lower-cased text)" };
        public readonly Option<int> MaxLength = new("--max-length") { Description = "Longest sentence accepted, in words", DefaultValueFactory = _ => 512 };
        public readonly Option<string?> Out = new("--out") { Description = "Corpus form: directory for pairs.csv, the tables, figures and report.html (must be new or empty unless --force)" };
        public readonly Option<bool> Force = new("--force") { Description = "Replace a non-empty --out (its contents are deleted once the new results are written)" };
    }

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var o = new Options();
        var command = new Command("interdependence", "Interdependence: how much two word sets rely on their interaction (Saphra & Lopez), for one text or a CoNLL-U corpus");
        foreach (var option in o.All) command.Options.Add(option);
        command.SetAction(r => r.GetValue(o.Data) is null ? Single(r, o) : Treebank(r, o));
        return command;
    }

    private static InterdependenceSpace ParseSpace(string name) => name == "hidden" ? InterdependenceSpace.Hidden : InterdependenceSpace.Logits;

    private static int Single(ParseResult r, Options o)
    {
        string modelDirectory = r.GetValue(o.Model) ?? throw new OptionException("--model is required");
        if (r.GetValue(o.Out) is not null) throw new OptionException("--out belongs to the corpus form (--data F.conllu); the single form prints its result");
        string environment = CommonOptions.Configure(r.GetValue(o.Threads), r.GetValue(o.Kernels)!);
        var (cd, vocabulary) = DecompositionInput.Load(modelDirectory, DecompositionInput.ParsePolicy(r.GetValue(o.Policy)!));
        var (words, ids, _) = DecompositionInput.Words(r.GetValue(o.Text) ?? throw new OptionException("--text is required (or --data for a corpus)"), vocabulary);
        var a = DecompositionInput.Positions(r.GetValue(o.Left), "--left", words.Length);
        var b = DecompositionInput.Positions(r.GetValue(o.Right), "--right", words.Length);
        if (a.Intersect(b).Any()) throw new OptionException($"--left and --right overlap at position {a.Intersect(b).First()}; they must be disjoint");
        int target = r.GetValue(o.Target) ?? Math.Max(a[^1], b[^1]);
        if (target < 0 || target >= words.Length) throw new OptionException($"--target {target} is outside the text (positions 0–{words.Length - 1})");
        var space = ParseSpace(r.GetValue(o.Space)!);
        var result = Interdependence.Measure(cd, cd.Run(ids), a, b, target, space);
        if (r.GetValue(o.Json))
        {
            JsonOutput.Write(new { interdependence = result.Value });
            return 0;
        }
        Console.WriteLine(environment);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"interdependence of \"{Words(words, a)}\" and \"{Words(words, b)}\" at position {target} ('{words[target]}', {r.GetValue(o.Space)}): {result.Value:F4}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"|v_A| {result.NormA:F4}, |v_B| {result.NormB:F4}, |v_A∪B| {result.NormUnion:F4}; decomposition error {result.LogitError:E1} (logits), {result.StateError:E1} (h)"));
        return 0;
    }

    private static int Treebank(ParseResult r, Options o)
    {
        string modelDirectory = r.GetValue(o.Model) ?? throw new OptionException("--model is required");
        string dataPath = r.GetValue(o.Data)!;
        if (r.GetValue(o.Text) is not null || r.GetValue(o.Left) is not null || r.GetValue(o.Right) is not null || r.GetValue(o.Target) is not null)
            throw new OptionException("--text, --left, --right and --target belong to the single form; the corpus form (--data) measures every pair");
        int minCount = r.GetValue(o.MinCount);
        if (minCount < 1) throw new OptionException($"--min-count must be at least 1, got {minCount}");
        bool json = r.GetValue(o.Json);
        var options = new InterdependenceOptions
        {
            MaxDistance = r.GetValue(o.MaxDistance),
            TargetOffset = r.GetValue(o.TargetOffset),
            Space = ParseSpace(r.GetValue(o.Space)!),
            CarryState = r.GetValue(o.CarryState),
            MaxLength = r.GetValue(o.MaxLength),
            Threads = r.GetValue(o.Threads),
        };
        options.Validate();
        var started = DateTime.UtcNow;
        string environment = CommonOptions.Configure(r.GetValue(o.Threads), r.GetValue(o.Kernels)!);
        string? outDirectory = r.GetValue(o.Out);
        var (cd, vocabulary) = DecompositionInput.Load(modelDirectory, DecompositionInput.ParsePolicy(r.GetValue(o.Policy)!));
        var sentences = Corpus.Read(dataPath, CorpusFormat.Conllu);
        bool lowercase = r.GetValue(o.Lowercase);
        int unknown = 0, words = 0;
        int[] Ids(Sentence s) => [.. s.Words.Select(w => vocabulary[lowercase ? w.ToLowerInvariant() : w])];
        foreach (var s in sentences)
        {
            words += s.Words.Length;
            unknown += s.Words.Count(w => !vocabulary.Contains(lowercase ? w.ToLowerInvariant() : w));
        }
        using var output = outDirectory is null ? null : OutputDirectory.Claim(outDirectory, r.GetValue(o.Force));

        var clock = Stopwatch.StartNew();
        List<WordPairMeasure>? pairs = null;
        void Work(Action<double, double> progress) => pairs = Interdependence.Treebank(cd, sentences, Ids, options, (done, total) => progress(done, total));
        if (json) Work((_, _) => { });
        else
        {
            Console.WriteLine(environment);
            ProgressDisplay.Run("interdependence", "pairs", Work);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var bySequential = InterdependenceFiles.BySequentialDistance(pairs!, minCount);
        if (json)
        {
            foreach (var (distance, mean) in bySequential)
                JsonOutput.Write(new
                {
                    sequential_distance = distance, count = mean.Count,
                    mean = double.IsNaN(mean.Mean) ? (double?)null : mean.Mean, standard_error = double.IsNaN(mean.StandardError) ? (double?)null : mean.StandardError,
                });
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{sentences.Count:N0} sentences, {words:N0} words ({unknown:N0} mapped to <unk>), {pairs!.Count:N0} pairs in {seconds:F1} s ({pairs.Count / seconds:N0} pairs/s)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"largest decomposition error {pairs.Select(p => p.Result.LogitError).DefaultIfEmpty(0).Max():E1} (logits), {pairs.Select(p => p.Result.StateError).DefaultIfEmpty(0).Max():E1} (h)"));
            Console.WriteLine($"{"distance",8} {"pairs",8} {"mean",8} {"s.e.",8}");
            foreach (var (distance, mean) in bySequential)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{distance,8} {mean.Count,8} {(double.IsNaN(mean.Mean) ? $"< {minCount}" : mean.Mean.ToString("F4", CultureInfo.InvariantCulture)),8} {(double.IsNaN(mean.StandardError) ? "" : mean.StandardError.ToString("F4", CultureInfo.InvariantCulture)),8}"));
        }
        if (outDirectory is null) return 0;
        InterdependenceFiles.Write(output!.Open(), pairs!, minCount, r.GetValue(o.Space)!);
        if (!json) Console.WriteLine($"wrote {outDirectory}/pairs.csv, by-sequential-distance.csv, by-syntactic-distance.csv and figures");
        RunReportOutput.Finish(r, outDirectory, environment, started);
        output.Commit();
        return 0;
    }

    private static string Words(string[] words, int[] positions) => string.Join(' ', positions.Select(p => words[p]));
}
