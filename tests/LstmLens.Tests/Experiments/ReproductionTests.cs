using LstmLens.Experiments;
using LstmLens.Models;
using LstmLens.Tasks;
using LstmLens.Tests.Data;
using LstmLens.Training;

namespace LstmLens.Tests.Experiments;

public class ReproductionTests
{
    [Fact]
    public void Parallel_seeded_runs_equal_single_runs_and_keep_their_metrics()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lstmlens-repro-{Guid.NewGuid():N}");
        try
        {
            var group = new RunGroup("tiny copy", new CopyingTask(3, 2, 2), new ModelConfig { InputSize = 1, HiddenSize = 8, OutputSize = 1 },
                new TrainingOptions { Optimizer = "adam", LearningRate = 0.01 },
                new TaskTrainingOptions { BatchSize = 4, MaxSequences = 64, EvaluateEvery = 32, EvaluationSequences = 16, StopWhenSolved = false })
            { Transfer = [("T=6", new CopyingTask(6, 2, 2))] };
            var lines = new List<string>();
            var context = new ReproductionContext(ReproductionScale.Quick, 2, directory, l => { lock (lines) lines.Add(l); });

            var runs = Reproduction.Train(context, [group]);

            Assert.Equal([1UL, 2UL], runs.Select(r => r.Seed));
            Assert.Equal(2, lines.Count);
            foreach (var run in runs)
            {
                var alone = new TaskTrainer<float>(group.Task, group.Model, group.Training with { Seed = run.Seed }, group.Schedule);
                Assert.Equal(alone.Train().Evaluations, run.Result.Evaluations);
                Assert.Equal(alone.Evaluate(group.Transfer[0].Task).Score, Assert.Single(run.Transfer));
                Assert.Equal(2, File.ReadAllLines(Path.Combine(directory, "runs", $"tiny-copy-seed{run.Seed}", "metrics.jsonl")).Length);
            }
            Assert.NotEqual(runs[0].Result.Evaluations, runs[1].Result.Evaluations);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Pixel_recipe_runs_end_to_end_on_tiny_images()
    {
        using var directory = new TempDirectory();
        // 12 images of 2 × 2 pixels, label = image index mod 10.
        string images = Path.Combine(directory.Path, "images.idx"), labels = Path.Combine(directory.Path, "labels.idx");
        File.WriteAllBytes(images, Data.IdxFileTests.Idx([12, 2, 2], [.. Enumerable.Range(0, 48).Select(i => (byte)(i * 5))]));
        File.WriteAllBytes(labels, Data.IdxFileTests.Idx([12], [.. Enumerable.Range(0, 12).Select(i => (byte)(i % 10))]));
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.Combine(directory.Path, "out"), _ => { })
        {
            Data = new TaskParameters { Images = images, Labels = labels },
        };

        string markdown = Reproduction.Run("hdetach-pixel", context);

        foreach (string variant in new[] { "pixel vanilla", "pixel h-detach 0.25", "permuted vanilla", "permuted h-detach 0.25" })
            Assert.Contains($"| {variant} |", markdown);
        foreach (string file in new[] { "results.md", "results.csv", "accuracy.svg", "loss.svg" })
            Assert.True(File.Exists(Path.Combine(context.Directory, file)), file);
    }

    [Fact]
    public void Saphra_rules_recipe_measures_every_figure_after_every_epoch_in_both_settings_and_domains()
    {
        using var directory = new TempDirectory();
        var setup = SmallSaphraSetup(new TrainingOptions { LearningRate = 1, ClipNorm = 0.25, Epochs = 2 });
        var context = new ReproductionContext(ReproductionScale.Quick, 2, Path.Combine(directory.Path, "out"), _ => { });

        string markdown = SaphraRulesRecipe.Run(context, setup);

        // settings × seeds × epochs 0–2 × domains, times the rows each figure has per point
        const int points = 2 * 2 * 3 * 2, k = 3;
        var results = Csv("results.csv", "setting,seed,epoch,domain,mean_probability,rules", points);
        Assert.Equal(["familiar", "unfamiliar"], results.Select(f => f[0]).Distinct().Order());
        Assert.Equal(["in-domain", "out-domain"], results.Select(f => f[3]).Distinct().Order());
        Assert.All(results, f => Assert.InRange(Number(f[4]), 1e-6, 1));
        Assert.All(results, f => Assert.InRange(int.Parse(f[5], System.Globalization.CultureInfo.InvariantCulture), 20, 30)); // ω cut from its α by a column start is left out

        var alpha = Csv("alpha-probability.csv", "setting,seed,epoch,domain,mean_probability,rules", points);
        var prefix = Csv("prefix-probability.csv", "setting,seed,epoch,domain,conduit_symbols,mean_probability,rules", points * (k + 1));
        var interdependence = Csv("interdependence.csv", "setting,seed,epoch,domain,mean_interdependence,rules", points);
        var gradient = Csv("conduit-gradient.csv", "setting,seed,epoch,domain,conduit_position,mean_gradient_norm,rules", points * k);
        // unfamiliar × k = 3, 4 × seeds × epochs × domains × (α, conduit)
        var lengths = Csv("conduit-length.csv", "setting,conduit_length,seed,epoch,domain,relevant,mean_probability,rules", 2 * 2 * 3 * 2 * 2);
        foreach (var rows in new[] { alpha, prefix, interdependence, gradient, lengths })
            Assert.All(rows, f => Assert.Equal("5", f[^1]));                    // the first 5 rules of each test stream
        Assert.All(alpha, f => Assert.InRange(Number(f[4]), 1e-9, 1));
        Assert.All(prefix, f => Assert.InRange(Number(f[5]), 1e-9, 1));
        Assert.Equal(alpha.Select(f => f[4]), prefix.Where(f => f[4] == "0").Select(f => f[5])); // Figure 4 is Figure 5 at i = 0
        Assert.Equal(["0", "1", "2", "3"], prefix.Select(f => f[4]).Distinct());
        Assert.All(interdependence, f => Assert.True(double.IsFinite(Number(f[4])) && Number(f[4]) >= 0, f[4]));
        Assert.Equal(["1", "2", "3"], gradient.Select(f => f[4]).Distinct());
        Assert.All(gradient, f => Assert.True(Number(f[5]) > 0 && double.IsFinite(Number(f[5])), f[5]));
        Assert.Equal(["3", "4"], lengths.Select(f => f[1]).Distinct());
        Assert.Equal(["unfamiliar"], lengths.Select(f => f[0]).Distinct());
        var mainAlpha = lengths.Where(f => f[1] == "3" && f[5] == "alpha").Select(f => f[6]);
        Assert.Equal(alpha.Where(f => f[0] == "unfamiliar").Select(f => f[4]).Order(), mainAlpha.Order()); // k = 3 in Figure 10 is the main run

        foreach (string row in new[] { "| unfamiliar | in-domain |", "| familiar | out-domain |", "| in-domain, familiar conduits learn when to predict ω faster |",
            "| even out-domain, the presence of α predicts ω at the right step |", "| the familiar model's interdependence increases throughout training |",
            "| a longer conduit needs more examples before the rule is learned |", "| a predictable (familiar) conduit has a smaller error gradient |" })
            Assert.Contains(row, markdown);
        foreach (string figure in new[] { "omega-probability", "alpha-probability", "prefix-probability", "interdependence", "conduit-length", "conduit-gradient" })
            Assert.True(File.Exists(Path.Combine(context.Directory, figure + ".svg")), figure);
        var (model, vocabulary, _) = Models.ModelFiles.Load<float>(Path.Combine(context.Directory, "runs", "familiar-seed2"));
        Assert.Equal(14, model.Config.OutputSize);                     // <unk>, <eos>, α, ω and |Σ| = 10
        Assert.Equal(LstmLens.Tasks.ConduitRuleCorpus.Close, vocabulary!.Tokens[3]);
        Assert.True(Directory.Exists(Path.Combine(context.Directory, "runs", "unfamiliar-k4-seed1")));

        string[][] Csv(string file, string header, int count)
        {
            string[] lines = File.ReadAllLines(Path.Combine(context.Directory, file));
            Assert.Equal(header, lines[0]);
            Assert.Equal(count, lines.Length - 1);
            return [.. lines[1..].Select(r => r.Split(','))];
        }
        static double Number(string s) => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Verwimp_recipe_trains_on_a_carried_stream_and_reports_perplexities()
    {
        using var directory = new TempDirectory();
        var setup = new VerwimpCyclesSetup(TrainTokens: 4_000, ValidTokens: 600, TestTokens: 600,
            new ModelConfig { Input = InputKind.OneHot, InputSize = 1, HiddenSize = 8, OutputSize = 1, InitRange = 0.05 },
            new TrainingOptions { Optimizer = "adagrad", LearningRate = 0.05, ClipNorm = 5, Epochs = 2 },
            new LanguageModelSettings { Batch = 4, Bptt = 10, EvalEvery = 40 });
        var context = new ReproductionContext(ReproductionScale.Quick, 2, Path.Combine(directory.Path, "out"), _ => { });

        string markdown = VerwimpRecipe.Run(context, setup);

        string[] rows = File.ReadAllLines(Path.Combine(context.Directory, "results.csv"));
        Assert.Equal("seed,epoch,updates,training_tokens,train_perplexity,valid_perplexity", rows[0]);
        Assert.Equal(2 * 6, rows.Length - 1);                           // 100 windows per epoch: after 40, 80 and at 100, twice; per seed
        Assert.Contains("| paper | 1.2906 | 1.1932 |", markdown);
        Assert.Contains("| paper's minimum (line ends left out) | 1.1375 | 1.1375 |", markdown);
        var ours = markdown.Split('\n').Single(l => l.StartsWith("| ours", StringComparison.Ordinal)).Split('|');
        double test = double.Parse(ours[3].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        // Above a stream's minimum; trained, seeds 1–8 reach 2.50–2.99 (the mean of seeds 1–2 is 2.67), untrained ones 11.9–12.1.
        Assert.InRange(test, 1.1545, 3.5);
        Assert.True(File.Exists(Path.Combine(context.Directory, "perplexity.svg")));
        Assert.True(File.Exists(Path.Combine(context.Directory, "runs", "lstm50-seed1", "model.safetensors")));
    }

    [Fact]
    public void Verwimp_synthetic_recipe_writes_table_1_and_figure_3_from_real_analyses()
    {
        using var directory = new TempDirectory();
        var setup = new VerwimpCyclesSetup(TrainTokens: 6_000, ValidTokens: 2_000, TestTokens: 600,
            new ModelConfig { Input = InputKind.OneHot, InputSize = 1, HiddenSize = 10, OutputSize = 1, InitRange = 0.05 },
            new TrainingOptions { Optimizer = "adagrad", LearningRate = 0.05, ClipNorm = 5, Epochs = 1 },
            new LanguageModelSettings { Batch = 4, Bptt = 10 });
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.Combine(directory.Path, "out"), _ => { });

        string markdown = VerwimpSyntheticRecipe.Run(context, setup);

        Assert.Contains("| cell state 'counting subspace' |", markdown);
        string analysis = Path.Combine(context.Directory, "runs", "analysis-seed1");
        foreach (string file in new[] { "memory.csv", "probes.csv", "recall.csv", "subspaces.csv", "subspaces.svg", "recall.svg" })
            Assert.True(File.Exists(Path.Combine(analysis, file)), $"{file} missing");
        var probes = File.ReadAllLines(Path.Combine(analysis, "probes.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(3 * 2 + 3 * 2, probes.Length);                     // token, new, count on c and h, then on the subspace and its complement
        // The input token is in h at delay 0 of an LSTM with one-hot input: the probe must find it far above chance (1/10).
        double tokenFromH = double.Parse(probes.Single(p => p[0] == "token" && p[1] == "h" && p[2] == "state")[7], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(tokenFromH > 0.5, $"token id read from h with accuracy {tokenFromH}");
        var memory = File.ReadAllLines(Path.Combine(analysis, "memory.csv"));
        Assert.Equal(1 + 2 * 51, memory.Length);                         // all and cycles:new, delays 0–50
        Assert.Contains(File.ReadAllLines(Path.Combine(context.Directory, "results.csv")), l => l.Contains(",recall_accuracy,cycles:new,c,31,", StringComparison.Ordinal));
    }

    [Fact]
    public void A_failing_parallel_run_surfaces_its_own_exception()
    {
        var e = Assert.Throws<InvalidDataException>(() => Reproduction.InParallel([1, 2, 3], i => i == 2 ? throw new InvalidDataException("run 2: truncated") : i));
        Assert.Equal("run 2: truncated", e.Message);
    }

    [Fact]
    public void A_diverging_verwimp_run_stops_with_its_seed_named()
    {
        using var directory = new TempDirectory();
        var setup = new VerwimpCyclesSetup(TrainTokens: 2_000, ValidTokens: 400, TestTokens: 400,
            new ModelConfig { Input = InputKind.OneHot, InputSize = 1, HiddenSize = 4, OutputSize = 1, InitRange = 0.05 },
            new TrainingOptions { Optimizer = "adagrad", LearningRate = 1e38, ClipNorm = null, Epochs = 1 },
            new LanguageModelSettings { Batch = 4, Bptt = 10 });
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.Combine(directory.Path, "out"), _ => { });
        var e = Assert.Throws<NonFiniteException>(() => VerwimpRecipe.Run(context, setup));
        Assert.Matches("^verwimp-cycles seed 1: training stopped: (loss|gradient norm) is .* at update [0-9]+", e.Message);
    }

    [Fact]
    public void A_diverging_saphra_run_stops_with_its_setting_and_seed_named()
    {
        using var directory = new TempDirectory();
        var setup = SmallSaphraSetup(new TrainingOptions { LearningRate = 1e38, ClipNorm = null, Epochs = 1 });
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.Combine(directory.Path, "out"), _ => { });
        var e = Assert.Throws<NonFiniteException>(() => SaphraRulesRecipe.Run(context, setup));
        Assert.Matches("^saphra-rules (unfamiliar|familiar) seed 1: training stopped: (loss|gradient norm) is .* at update [0-9]+", e.Message);
    }

    /// <summary>A saphra-rules run small enough for a test: 3,000 tokens, an LSTM 8.</summary>
    private static SaphraRulesSetup SmallSaphraSetup(TrainingOptions training) => new(
        new ConduitRuleOptions(ConduitLength: 3, FamiliarConduits: false, AlphabetSize: 10, Length: 3_000, Rules: 60, Phrases: 6, OutsideOccurrences: 20, LineLength: 40),
        TestLength: 600, TestRules: 30, ValidLength: 300,
        new ModelConfig { InputSize = 1, EmbeddingSize = 8, HiddenSize = 8, OutputSize = 1 },
        training,
        new LanguageModelSettings { Batch = 4, Bptt = 10, EvalBatch = 2 }, DecomposedRules: 5, ConduitLengths: [3, 4]);

    [Fact]
    public void Tables_and_csv_are_well_formed()
    {
        string table = Reproduction.MarkdownTable(["a", "b"], [["1", "2"], ["3", "4"]]);
        Assert.Equal("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n", table);
        Assert.Equal("0.5 (0.25–0.75)", Reproduction.MeanRange([0.25, 0.75], "G4"));
        string path = Path.Combine(Path.GetTempPath(), $"lstmlens-{Guid.NewGuid():N}.csv");
        try
        {
            Reproduction.WriteCsv(path, ["name", "value"], [["a, b", "1"], ["say \"hi\"", "2"]]);
            Assert.Equal("name,value\n\"a, b\",1\n\"say \"\"hi\"\"\",2\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
