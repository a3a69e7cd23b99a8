// The h-detach reproductions (Kanuparthi et al. 2019): copying-task accuracy curves of vanilla LSTM
// against h-detach 0.25 and 0.5 (§3.1, Figure 2), transfer copying (§3.2, Table 1), pixel-by-pixel and
// permuted images (§3.3), and the ablations of §3.5 (c-detach instead of h-detach, no gradient clipping).
// --full uses the paper's settings (LSTM 128, Adam 0.001, batch 100, clip 1); --quick shrinks the delay,
// the alphabet, the model and the budget so each recipe runs in minutes on 2 cores. Not the training
// loop (TaskTrainer) and not the task generators.
using System.Globalization;
using LstmLens.Models;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>The h-detach recipes.</summary>
public static class HDetachRecipes
{
    // Table 1 of the paper: transfer accuracy (%) after training at T = 100, for vanilla, h-detach 0.5, h-detach 0.25.
    private static readonly (int Delay, double Vanilla, double Half, double Quarter)[] PaperTransfer =
    [
        (200, 64.85, 74.79, 90.72), (400, 48.17, 54.91, 77.76), (500, 43.03, 52.43, 74.68),
        (1000, 28.82, 43.54, 63.19), (2000, 19.48, 34.34, 51.83), (5000, 14.58, 24.55, 42.35),
    ];

    private const string PaperCopy = "T = 100: vanilla and h-detach both reach ~100% validation accuracy (vanilla in ~150 epochs of 100k sequences); h-detach converges faster (Figure 2)";

    /// <summary>hdetach-copy: vanilla against h-detach 0.25 and 0.5 on the copying task.</summary>
    public static string Copy(ReproductionContext context)
    {
        var setup = CopySetup(context);
        var runs = Reproduction.Train(context, [setup.Group("vanilla", 0, 0), setup.Group("h-detach 0.25", 0.25, 0), setup.Group("h-detach 0.5", 0.5, 0)]);
        return CopyReport(context, setup, runs, "Copying task: vanilla LSTM against h-detach (Kanuparthi et al. §3.1)",
            [.. runs.Select(r => r.Group.Name).Distinct().Select(n => n == "vanilla" ? PaperCopy : "")]);
    }

    /// <summary>hdetach-ablation: c-detach 0.25 / 0.5 and training without clipping, beside vanilla and h-detach 0.25.</summary>
    public static string Ablation(ReproductionContext context)
    {
        var setup = CopySetup(context);
        RunGroup[] groups =
        [
            setup.Group("vanilla", 0, 0),
            setup.Group("h-detach 0.25", 0.25, 0),
            setup.Group("c-detach 0.25", 0, 0.25),
            setup.Group("c-detach 0.5", 0, 0.5),
            setup.Group("vanilla, no clipping", 0, 0, clip: false),
            setup.Group("h-detach 0.25, no clipping", 0.25, 0, clip: false),
        ];
        var runs = Reproduction.Train(context, groups);
        return CopyReport(context, setup, runs, "Copying task ablations: c-detach and no gradient clipping (Kanuparthi et al. §3.5)",
        [
            PaperCopy,
            "faster than vanilla",
            "Figure 5(a), c-detach: learning very slow, no convergence after 500 epochs",
            "as c-detach 0.25",
            "Figure 4 / 8 (pixel MNIST, not copying): without clipping vanilla LSTM training is unstable",
            "Figure 4 / 8 (pixel MNIST, not copying): h-detach stays stable without clipping",
        ]);
    }

    /// <summary>hdetach-transfer: train on copying at one delay, evaluate at longer ones (Table 1).</summary>
    public static string Transfer(ReproductionContext context)
    {
        var setup = CopySetup(context);
        // The paper's test delays relative to the training delay 100, applied to our training delay.
        var delays = PaperTransfer.Select(p => p.Delay * setup.Delay / 100).ToArray();
        IReadOnlyList<(string, SequenceTask)> transfer = [.. delays.Select(d => ($"T={d}", (SequenceTask)setup.Task(d)))];
        var groups = new[] { setup.Group("vanilla", 0, 0), setup.Group("h-detach 0.5", 0.5, 0), setup.Group("h-detach 0.25", 0.25, 0) }
            .Select(g => g with { Transfer = transfer }).ToArray();
        var runs = Reproduction.Train(context, groups);

        var header = new[] { "variant", "seed", "train_delay", "test_delay", "accuracy" };
        Reproduction.WriteCsv(Path.Combine(context.Directory, "results.csv"), header,
            runs.SelectMany(r => delays.Select((d, i) => (IReadOnlyList<string>)[r.Group.Name, r.Seed.ToString(CultureInfo.InvariantCulture),
                setup.Delay.ToString(CultureInfo.InvariantCulture), d.ToString(CultureInfo.InvariantCulture), Reproduction.Number(r.Transfer[i].Accuracy, "R")])));
        Reproduction.PlotGroups(context, "training-", $"Copying T={setup.Delay}", runs);
        var plot = new Reporting.LinePlot("Transfer copying: accuracy at longer delays", new Reporting.Axis("test delay T", Logarithmic: true), new Reporting.Axis("accuracy (%)") { Min = 0, Max = 100 }) { Markers = true };
        foreach (var group in runs.GroupBy(r => r.Group.Name))
            plot.Series.Add(Reporting.Series.FromRuns($"ours, {group.Key}", [.. delays.Select(d => (double)d)],
                [.. group.Select(r => (IReadOnlyList<double>)[.. r.Transfer.Select(s => 100 * s.Accuracy)])], Reporting.BandKind.MinMax));
        plot.Series.Add(new Reporting.Series("paper, vanilla", [.. delays.Select(d => (double)d)], [.. PaperTransfer.Select(p => p.Vanilla)]));
        plot.Series.Add(new Reporting.Series("paper, h-detach 0.5", [.. delays.Select(d => (double)d)], [.. PaperTransfer.Select(p => p.Half)]));
        plot.Series.Add(new Reporting.Series("paper, h-detach 0.25", [.. delays.Select(d => (double)d)], [.. PaperTransfer.Select(p => p.Quarter)]));
        plot.Save(Path.Combine(context.Directory, "transfer.svg"));

        string Ours(string variant, int i) => Reproduction.MeanRange([.. runs.Where(r => r.Group.Name == variant).Select(r => 100 * r.Transfer[i].Accuracy)], "F1");
        var table = Reproduction.MarkdownTable(
            ["test T (paper T)", "ours vanilla", "ours h-detach 0.5", "ours h-detach 0.25", "paper vanilla", "paper h-detach 0.5", "paper h-detach 0.25"],
            delays.Select((d, i) => (IReadOnlyList<string>)[$"{d} ({PaperTransfer[i].Delay})", Ours("vanilla", i), Ours("h-detach 0.5", i), Ours("h-detach 0.25", i),
                Reproduction.Number(PaperTransfer[i].Vanilla), Reproduction.Number(PaperTransfer[i].Half), Reproduction.Number(PaperTransfer[i].Quarter)]));
        var trained = Reproduction.MarkdownTable(["variant", "accuracy at the training delay"],
            runs.GroupBy(r => r.Group.Name).Select(g => (IReadOnlyList<string>)[g.Key, Reproduction.MeanRange([.. g.Select(r => 100 * r.Result.Final.Score.Accuracy)], "F1")]));
        return Reproduction.WriteMarkdown(context, "Transfer copying (Kanuparthi et al. §3.2, Table 1)", setup.Describe(),
            table, $"Accuracy (%) over recalled symbols, mean (min–max) over seeds. Test delays are the paper's scaled by {setup.Delay}/100.\n\n{trained}");
    }

    /// <summary>hdetach-pixel: pixel-by-pixel and permuted images, vanilla against h-detach 0.25.</summary>
    public static string Pixel(ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Data.Images is null || context.Data.Labels is null)
            throw new OptionException("hdetach-pixel needs --images and --labels (IDX files, e.g. MNIST or Fashion-MNIST)");
        bool quick = context.Quick;
        var model = new ModelConfig { InputSize = 1, HiddenSize = quick ? 32 : 100, OutputSize = 1 };
        var training = new TrainingOptions { Optimizer = "adam", LearningRate = quick ? 0.002 : 0.0005, ClipNorm = 1.0 };
        var schedule = new TaskTrainingOptions
        {
            BatchSize = quick ? 16 : 50,
            MaxSequences = quick ? 1_600 : 60_000 * 100,
            EvaluateEvery = quick ? 400 : 60_000,
            EvaluationSequences = quick ? 256 : 10_000,
            StopWhenSolved = false,
        };
        var groups = new List<RunGroup>();
        foreach (ulong? permutation in new ulong?[] { null, 92_916 })
        {
            var parameters = context.Data with { PermutationSeed = permutation };
            var task = TaskCatalog.Create("pixel", parameters);
            var test = context.TestData is { } t ? TaskCatalog.Create("pixel", t with { PermutationSeed = permutation }) : null;
            string kind = permutation is null ? "pixel" : "permuted";
            groups.Add(new RunGroup($"{kind} vanilla", task, model, training, schedule) { EvaluationTask = test });
            groups.Add(new RunGroup($"{kind} h-detach 0.25", task, model, training with { HDetach = 0.25 }, schedule) { EvaluationTask = test });
        }
        var runs = Reproduction.Train(context, groups);
        WriteRunsCsv(context, runs);
        Reproduction.PlotGroups(context, "", "Pixel-by-pixel images", runs);
        var paper = new Dictionary<string, string>
        {
            ["pixel vanilla"] = "98.6 (MNIST; Table 2: 98.5)", ["pixel h-detach 0.25"] = "98.8 (MNIST; Table 2: 98.5)",
            ["permuted vanilla"] = "90.9 (MNIST; Table 2: 91.1)", ["permuted h-detach 0.25"] = "92.92 (MNIST; Table 2: 92.3)",
        };
        var table = Reproduction.MarkdownTable(["variant", "ours: test accuracy (%)", "paper: test accuracy (%)"],
            runs.GroupBy(r => r.Group.Name).Select(g => (IReadOnlyList<string>)[g.Key,
                Reproduction.MeanRange([.. g.Select(r => 100 * r.Result.Final.Score.Accuracy)], "F2"), paper[g.Key]]));
        string settings = string.Create(CultureInfo.InvariantCulture,
            $"LSTM {model.HiddenSize}, Adam {training.LearningRate}, batch {schedule.BatchSize}, clip 1, {schedule.MaxSequences:N0} training images; images from {context.Data.Images}.");
        return Reproduction.WriteMarkdown(context, "Pixel-by-pixel and permuted images (Kanuparthi et al. §3.3)", settings, table,
            context.TestData is null ? "Evaluated on fresh draws from the training images (no --test-images given)." : "Evaluated on the test images.");
    }

    /// <summary>The copying setup at the chosen scale: the task at a delay, the model, and groups that differ in detaching and clipping.</summary>
    private sealed record CopyingSetup(int Delay, int Symbols, int Alphabet, ModelConfig Model, TrainingOptions Training, TaskTrainingOptions Schedule)
    {
        public CopyingTask Task(int delay) => new(delay, Symbols, Alphabet);

        public RunGroup Group(string name, double hDetach, double cDetach, bool clip = true) =>
            new(name, Task(Delay), Model, Training with { HDetach = hDetach, CDetach = cDetach, ClipNorm = clip ? Training.ClipNorm : null }, Schedule);

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"Copying T = {Delay}, {Symbols} symbols from an alphabet of {Alphabet}; LSTM {Model.HiddenSize}, {Training.Optimizer} lr {Training.LearningRate}, " +
            $"batch {Schedule.BatchSize}, clip {Training.ClipNorm}; {Schedule.MaxSequences:N0} training sequences, evaluation on {Schedule.EvaluationSequences} fresh sequences every {Schedule.EvaluateEvery:N0}.");
    }

    private static CopyingSetup CopySetup(ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Quick
            ? new CopyingSetup(10, 3, 4,
                new ModelConfig { InputSize = 1, HiddenSize = 32, OutputSize = 1 },
                new TrainingOptions { Optimizer = "adam", LearningRate = 0.01, ClipNorm = 1.0 },
                new TaskTrainingOptions { BatchSize = 16, MaxSequences = 64_000, EvaluateEvery = 4_000, EvaluationSequences = 256, StopWhenSolved = false })
            : new CopyingSetup(100, 10, 8,
                new ModelConfig { InputSize = 1, HiddenSize = 128, OutputSize = 1 },
                new TrainingOptions { Optimizer = "adam", LearningRate = 0.001, ClipNorm = 1.0 },
                new TaskTrainingOptions { BatchSize = 100, MaxSequences = 100_000L * 600, EvaluateEvery = 100_000, EvaluationSequences = 5_000, StopWhenSolved = false });
    }

    private static string CopyReport(ReproductionContext context, CopyingSetup setup, IReadOnlyList<GroupRun> runs, string title, IReadOnlyList<string> paper)
    {
        WriteRunsCsv(context, runs);
        Reproduction.PlotGroups(context, "", $"Copying T={setup.Delay}", runs);
        var groups = runs.GroupBy(r => r.Group.Name).ToArray();
        var table = Reproduction.MarkdownTable(
            ["variant", "final accuracy (%)", "best accuracy (%)", "runs reaching 100%", "sequences to 100% (mean)", "diverged", "paper"],
            groups.Select((g, i) =>
            {
                var solved = g.Where(r => r.Result.Solved).Select(r => (double)r.Result.SequencesToSuccess!.Value).ToArray();
                return (IReadOnlyList<string>)[g.Key,
                    Reproduction.MeanRange([.. g.Select(r => 100 * r.Result.Final.Score.Accuracy)], "F1"),
                    Reproduction.MeanRange([.. g.Select(r => 100 * r.Result.Evaluations.Max(e => e.Score.Accuracy))], "F1"),
                    $"{solved.Length}/{g.Count()}",
                    solved.Length == 0 ? "–" : Reproduction.Number(solved.Average(), "N0"),
                    $"{g.Count(r => r.Result.Diverged is not null)}/{g.Count()}",
                    i < paper.Count ? paper[i] : ""];
            }));
        return Reproduction.WriteMarkdown(context, title, setup.Describe(), table,
            "Accuracy over recalled symbols on the fixed evaluation set, mean (min–max) over seeds; curves in accuracy.svg and loss.svg.");
    }

    /// <summary>results.csv with one row per evaluation of every run.</summary>
    private static void WriteRunsCsv(ReproductionContext context, IReadOnlyList<GroupRun> runs) =>
        Reproduction.WriteCsv(Path.Combine(context.Directory, "results.csv"),
            ["variant", "seed", "sequences", "updates", "train_loss", "loss", "accuracy", "mean_absolute_error", "solved"],
            runs.SelectMany(r => r.Result.Evaluations.Select(e => (IReadOnlyList<string>)[r.Group.Name, r.Seed.ToString(CultureInfo.InvariantCulture),
                e.Sequences.ToString(CultureInfo.InvariantCulture), e.Updates.ToString(CultureInfo.InvariantCulture),
                Reproduction.Number(e.TrainingLoss, "R"), Reproduction.Number(e.Loss, "R"), Reproduction.Number(e.Score.Accuracy, "R"),
                Reproduction.Number(e.Score.MeanAbsoluteError, "R"), e.Solved ? "true" : "false"])));
}
