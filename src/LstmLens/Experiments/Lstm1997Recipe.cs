// The 1997 reproductions (Hochreiter & Schmidhuber 1997, experiments 1–6): each task trained online
// (one sequence per update, plain SGD at the paper's learning rate, no clipping) with the 1997 memory-cell
// LSTM in the paper's block layout, gate-bias schedule and initial weight range, stopped when the task's
// criterion holds on a fixed test set; the table gives the success rate over seeds and the mean number of
// training sequences to success beside the paper's. --quick keeps the tasks the paper solved within about
// 75,000 sequences and caps the budget; --full runs all of them with the paper's test-set sizes. Not the
// 1997 learning algorithm itself: our nets use a softmax (or linear) head with cross-entropy (squared
// error) and update once per sequence, where the paper used logistic outputs with squared error and
// updated after every time step.
using System.Globalization;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>The lstm1997 recipe.</summary>
public static class Lstm1997Recipe
{
    /// <summary>One experiment: the task, the architecture and rate, budgets at both scales, the paper's result.</summary>
    private sealed record Experiment(string Task, TaskParameters Parameters, int Blocks, int BlockSize, double LearningRate, double InitRange,
        Lstm1997Options Cell, long QuickBudget, long FullBudget, int TestSequences, string PaperSuccess, double PaperSequences)
    {
        public bool InQuick => PaperSequences <= 75_000;

        public string Architecture => string.Create(CultureInfo.InvariantCulture,
            $"{Blocks} block{(Blocks > 1 ? "s" : "")} × {BlockSize}, lr {LearningRate}, init ±{InitRange}");
    }

    private static readonly Experiment[] Experiments =
    [
        // Experiment 1: output gate biases −1, −2, −3; the best row of Table 1 (3 blocks of size 2, lr 0.5, mean of 30 trials).
        new("reber", new(), 3, 2, 0.5, 0.2, new() { BlockSize = 2, OutputGateBias = new(-1, -1) }, 40_000, 100_000, 256, "100% (30 trials)", 8_440),
        // Experiments 2a/2b: h the identity; p = 100; success on 10,000 successive sequences.
        new("longlag-2a", new() { Delay = 100 }, 8, 1, 1.0, 0.2, new() { SquashCellOutput = false }, 10_000, 50_000, 10_000, "100%", 5_040),
        new("longlag-2b", new() { Delay = 100 }, 8, 1, 1.0, 0.2, new() { SquashCellOutput = false }, 10_000, 50_000, 10_000, "100% (18 trials)", 5_680),
        // Experiment 3a: T = 100, N = 3; input gate biases −1, −3, −5, output gate biases −2, −4, −6; ST2.
        new("two-sequence-3a", new() { Length = 100, Informative = 3 }, 3, 1, 1.0, 0.1,
            new() { InputGateBias = new(-1, -2), OutputGateBias = new(-2, -2) }, 80_000, 200_000, 256, "ST2 reached", 39_850),
        // Experiment 4: T = 100, 2 blocks of size 2, input gate biases −3, −6.
        new("adding", new() { Length = 100 }, 2, 2, 0.5, 0.1, new() { BlockSize = 2, InputGateBias = new(-3, -3) }, 80_000, 300_000, 2_560, "1 wrong of 2560", 74_000),
        // Experiment 5: as 4, lr 0.1, n_seq = 13.
        new("multiplication", new() { Length = 100 }, 2, 2, 0.1, 0.1, new() { BlockSize = 2, InputGateBias = new(-3, -3) }, 0, 2_000_000, 2_560, "14 wrong of 2560", 1_273_000),
        // Experiment 6a/6b: input gate biases −2, −4, (−6).
        new("temporal-order-6a", new(), 2, 2, 0.5, 0.1, new() { BlockSize = 2, InputGateBias = new(-2, -2) }, 40_000, 200_000, 2_560, "1 wrong of 2560", 31_390),
        new("temporal-order-6b", new(), 3, 2, 0.1, 0.1, new() { BlockSize = 2, InputGateBias = new(-2, -2) }, 0, 1_500_000, 2_560, "2 wrong of 2560", 571_100),
    ];

    /// <summary>Runs the recipe; returns the Markdown table.</summary>
    public static string Run(ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var chosen = Experiments.Where(e => !context.Quick || e.InQuick).ToArray();
        var groups = chosen.Select(e => new RunGroup(e.Task, TaskCatalog.Create(e.Task, e.Parameters),
            new ModelConfig { Cell = CellType.Lstm1997, InputSize = 1, HiddenSize = e.Blocks * e.BlockSize, OutputSize = 1, InitRange = e.InitRange, Lstm1997 = e.Cell },
            new TrainingOptions { Optimizer = "sgd", LearningRate = e.LearningRate, ClipNorm = null },
            new TaskTrainingOptions
            {
                BatchSize = 1,
                MaxSequences = context.Quick ? e.QuickBudget : e.FullBudget,
                EvaluateEvery = context.Quick ? 1_000 : 2_000,
                EvaluationSequences = context.Quick ? Math.Min(e.TestSequences, 1_000) : e.TestSequences,
            })).ToArray();
        var runs = Reproduction.Train(context, groups);

        Reproduction.WriteCsv(Path.Combine(context.Directory, "results.csv"),
            ["task", "seed", "solved", "sequences_to_success", "sequences", "accuracy", "mean_absolute_error", "diverged"],
            runs.Select(r => (IReadOnlyList<string>)[r.Group.Name, r.Seed.ToString(CultureInfo.InvariantCulture), r.Result.Solved ? "true" : "false",
                r.Result.SequencesToSuccess?.ToString(CultureInfo.InvariantCulture) ?? "", r.Result.Sequences.ToString(CultureInfo.InvariantCulture),
                Reproduction.Number(r.Result.Final.Score.Accuracy, "R"), Reproduction.Number(r.Result.Final.Score.MeanAbsoluteError, "R"),
                r.Result.Diverged is null ? "false" : "true"]));
        foreach (var group in runs.GroupBy(r => r.Group.Name))
            Reproduction.PlotGroups(context, $"{group.Key}-", group.Key, [.. group]);

        var table = Reproduction.MarkdownTable(
            ["task", "architecture", "budget", "ours: solved", "ours: sequences to success (mean)", "ours: final accuracy (%)", "paper: result", "paper: sequences to success"],
            chosen.Select(e =>
            {
                var mine = runs.Where(r => r.Group.Name == e.Task).ToArray();
                var solved = mine.Where(r => r.Result.Solved).Select(r => (double)r.Result.SequencesToSuccess!.Value).ToArray();
                return (IReadOnlyList<string>)[e.Task, e.Architecture, Reproduction.Number(mine[0].Group.Schedule.MaxSequences, "N0"),
                    $"{solved.Length}/{mine.Length}", solved.Length == 0 ? "–" : Reproduction.Number(solved.Average(), "N0"),
                    Reproduction.MeanRange([.. mine.Select(r => 100 * r.Result.Final.Score.Accuracy)], "F1"),
                    e.PaperSuccess, Reproduction.Number(e.PaperSequences, "N0")];
            }));
        return Reproduction.WriteMarkdown(context, "1997 LSTM experiments 1–6 (Hochreiter & Schmidhuber 1997)",
            "LSTM-1997 cell (truncated gradient, squashing g ∈ [−2, 2], h ∈ [−1, 1] unless noted), online SGD, no clipping, state reset per sequence; "
            + "evaluation on a fixed set of fresh sequences every 1,000 (quick) or 2,000 (full) training sequences, stopping at the first that meets the paper's criterion.",
            table,
            "Differences from the paper: softmax/linear heads with cross-entropy/squared error and one update per sequence (the paper: logistic outputs, squared error, "
            + "updates at every step); the criterion is checked on a fixed test set every 1,000/2,000 sequences, so sequences to success are rounded up to that grain. "
            + "Task 2c and 3b/3c are not in the table (their result rows are unreadable in our copy of the paper).");
    }
}
