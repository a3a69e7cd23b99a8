// `lstmlens task <name>`: trains and evaluates one synthetic sequence task (1997 tasks 1–6, copying,
// pixel-by-pixel images) with the library's TaskTrainer, shows progress and one line per evaluation,
// ends with a one-line result (or --json), optionally evaluates at other lengths (--transfer) and writes
// a run directory (--out: config.json, metrics.jsonl, result.json, accuracy.svg, loss.svg). Not the
// language-model trainer (`train`), and no reproduction recipes (`reproduce`).
using System.CommandLine;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Reporting;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Cli.Commands;

/// <summary>The task verb.</summary>
public static class TaskCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var o = new TaskOptions();
        var taskName = new Argument<string>("name") { Description = $"Task to train: {string.Join(", ", TaskCatalog.Names)}", HelpName = "name" }
            .AcceptOnlyFromAmong([.. TaskCatalog.Names]);
        var command = new Command("task", "Train and evaluate a recurrent network on a synthetic long-time-lag task") { taskName };
        o.AddTo(command);
        command.SetAction(r =>
        {
            var started = DateTime.UtcNow;
            string environment = CommonOptions.Configure(r.GetValue(o.Threads), r.GetValue(o.Kernels)!);
            string name = r.GetValue(taskName)!;
            var parameters = o.Parameters(r);
            var task = TaskCatalog.Create(name, parameters);
            var evaluationTask = o.EvaluationTask(r, name, parameters);
            var (model, training, schedule) = (o.Model(r), o.Training(r), o.Schedule(r));
            CommonOptions.CheckCDetach(training.CDetach, r.GetValue(o.Cell)!);
            int[] transfer = r.GetValue(o.Transfer) ?? [];
            var transferTasks = transfer.Select(t => (Length: t, Task: TransferTask(name, parameters, t))).ToArray();
            string? directory = r.GetValue(o.Out);
            if (directory is null) CommonOptions.RefuseGiven(r, "without --out", o.Force);
            using var output = directory is null ? null : OutputDirectory.Claim(directory, r.GetValue(o.Force));
            Console.WriteLine(environment);

            var trainer = new TaskTrainer<float>(task, model, training, schedule, evaluationTask)
            {
                Metrics = output is null ? null : new MetricsLog(Path.Combine(output.Open(), "metrics.jsonl")),
                Evaluated = e => ProgressDisplay.Line(Describe(e)),
            };
            if (output is not null)
            {
                ModelFiles.WriteConfig(output.Path, trainer.Model.Config, new Dictionary<string, object>
                {
                    ["task"] = name, ["parameters"] = parameters, ["training"] = training, ["schedule"] = schedule, ["transfer"] = transfer,
                });
            }
            Console.WriteLine($"{name}: {task.Criterion}. {trainer.Model.Config.Cell} {trainer.Model.Config.HiddenSize} units × {trainer.Model.Config.NumLayers}, " +
                    $"{trainer.Model.Store.Length:N0} parameters, {training.Optimizer} lr {training.LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {schedule.BatchSize}.");
            TaskTrainingResult result = null!;
            ProgressDisplay.Run("training", schedule.MaxSequences, progress => result = trainer.Train(s => progress(s)));
            var transferResults = transferTasks.Select(t =>
            {
                var (loss, score) = trainer.Evaluate(t.Task);
                return new { length = t.Length, loss, accuracy = score.Accuracy, mean_absolute_error = score.MeanAbsoluteError, solved = t.Task.Solved(score) };
            }).ToArray();

            var summary = new
            {
                task = name,
                solved = result.Solved,
                sequences_to_success = result.SequencesToSuccess,
                sequences = result.Sequences,
                updates = result.Updates,
                final = result.Final.ToRecord(),
                diverged = result.Diverged,
                transfer = transferResults,
            };
            if (directory is not null)
            {
                RunFiles.WriteJson(Path.Combine(directory, "result.json"), summary);
                RunFiles.PlotCurves(directory, "", name, [(name, [result.Evaluations])]);
            }
            if (r.GetValue(o.Json)) JsonOutput.Write(summary);
            foreach (var t in transferResults)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"transfer length {t.length}: accuracy {t.accuracy:P2}  mean absolute error {t.mean_absolute_error:G4}  {(t.solved ? "solved" : "not solved")}"));
            var final = result.Final;
            string outcome = result.Diverged is not null ? $"diverged ({result.Diverged})"
                : result.Solved ? $"solved after {result.SequencesToSuccess:N0} sequences" : "not solved";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {outcome}; {result.Sequences:N0} sequences seen; final accuracy {final.Score.Accuracy:P2}, mean absolute error {final.Score.MeanAbsoluteError:G4}, loss {final.Loss:G4}"));
            if (directory is not null) RunReportOutput.Finish(r, directory, environment, started);
            output?.Commit();
            return 0;
        });
        return command;
    }

    /// <summary>The task at length <paramref name="length"/> of --transfer; an unusable length is an error naming --transfer.</summary>
    private static SequenceTask TransferTask(string name, TaskParameters parameters, int length)
    {
        try
        {
            return TaskCatalog.Create(name, TaskCatalog.WithLength(name, parameters, length));
        }
        catch (OptionException e)
        {
            throw new OptionException($"--transfer {length}: {e.Message}", e);
        }
    }

    /// <summary>One evaluation as a progress line.</summary>
    public static string Describe(TaskEvaluation e) => string.Create(CultureInfo.InvariantCulture,
        $"sequences {e.Sequences,9:N0}  train loss {e.TrainingLoss,9:G4}  loss {e.Loss,9:G4}  accuracy {e.Score.Accuracy,8:P2}  mean abs error {e.Score.MeanAbsoluteError,8:G4}{(e.Solved ? "  solved" : "")}");

    /// <summary>Every option of the verb, read into the library's option records.</summary>
    private sealed class TaskOptions
    {
        public readonly Option<int?> Delay = new("--delay") { Description = "Copying: blank delay T (100); 2a/2b: lag p (100)" };
        public readonly Option<int?> Length = new("--length") { Description = "Adding, multiplication, two-sequence: minimal length T (100)" };
        public readonly Option<int?> P = new("--p") { Description = "2c: distractor symbols p (100)" };
        public readonly Option<int?> Q = new("--q") { Description = "2c: minimal distractors q (100)" };
        public readonly Option<int?> Informative = new("--informative") { Description = "Two-sequence: informative first elements N (3)" };
        public readonly Option<int?> Symbols = new("--symbols") { Description = "Copying: symbols to remember (10)" };
        public readonly Option<int?> Alphabet = new("--alphabet") { Description = "Copying: alphabet size (8)" };
        public readonly Option<string?> Encoding = new Option<string?>("--encoding")
        {
            Description = "Copying: onehot (token ids, the default) or scalar (the token id as one real input, as the h-detach reference code)",
        }.AcceptOnlyFromAmong("onehot", "scalar");
        public readonly Option<string?> Images = new("--images") { Description = "Pixel: IDX images [N, rows, columns]" };
        public readonly Option<string?> Labels = new("--labels") { Description = "Pixel: IDX labels [N]" };
        public readonly Option<string?> TestImages = new("--test-images") { Description = "Pixel: IDX images to evaluate on (default: draws from --images)" };
        public readonly Option<string?> TestLabels = new("--test-labels") { Description = "Pixel: IDX labels of --test-images" };
        public readonly Option<bool> Permuted = new("--permuted") { Description = "Pixel: read pixels in one fixed random order" };
        public readonly Option<ulong> PermutationSeed = new("--permutation-seed") { Description = "Pixel: seed of the permutation", DefaultValueFactory = _ => 92_916 };
        public readonly Option<int[]> Transfer = new("--transfer") { Description = "After training, evaluate at these lengths (e.g. --transfer 200 400)", AllowMultipleArgumentsPerToken = true };

        public readonly Option<string> Cell = CommonOptions.Cell();
        public readonly Option<int> Layers = CommonOptions.Positive("--layers", "Stacked layers", 1);
        public readonly Option<int> Hidden = CommonOptions.Positive("--hidden", "Units per layer", 32);
        public readonly Option<int> BlockSize = CommonOptions.Positive("--block-size", "lstm1997: memory cells per block", 1);
        public readonly Option<double?> InitRange = new("--init-range") { Description = "Uniform initialisation range ±a (default: PyTorch's)" };
        public readonly Option<double> ForgetBias = new("--forget-bias") { Description = "Added to LSTM forget-gate biases" };

        public readonly Option<string> Optimizer = new Option<string>("--optimizer") { Description = "Optimiser", DefaultValueFactory = _ => "adam" }
            .AcceptOnlyFromAmong("sgd", "adam", "adagrad");
        public readonly Option<double> Lr = new("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.01 };
        public readonly Option<double> Momentum = new("--momentum") { Description = "SGD momentum" };
        public readonly Option<string> Clip = CommonOptions.Clip("1");
        public readonly Option<double> HDetach = CommonOptions.Probability("--h-detach", "Probability of blocking the gradient through h(t-1) at a step");
        public readonly Option<double> CDetach = CommonOptions.Probability("--c-detach", "Probability of blocking the gradient through c(t-1) at a step");
        public readonly Option<int> AnnealDetach = new("--anneal-detach") { Description = "Switch detaching off for the last N epochs" };
        public readonly Option<int> Batch = CommonOptions.Positive("--batch", "Sequences per update (1 = online)", 16);
        public readonly Option<long> MaxSequences = new("--max-sequences") { Description = "Training budget in sequences", DefaultValueFactory = _ => 20_000 };
        public readonly Option<int> Epochs = CommonOptions.Positive("--epochs", "Split the budget into epochs (schedules, detach annealing)", 1);
        public readonly Option<long> EvalEvery = new("--eval-every-sequences") { Description = "Evaluate every N training sequences", DefaultValueFactory = _ => 2_000 };
        public readonly Option<int> EvalSequences = CommonOptions.Positive("--eval-sequences", "Fresh sequences per evaluation", 256);
        public readonly Option<bool> NoStop = new("--no-stop") { Description = "Train the whole budget even when solved" };

        public readonly Option<ulong> Seed = CommonOptions.Seed();
        public readonly Option<int> Threads = CommonOptions.Threads();
        public readonly Option<string> Kernels = CommonOptions.Kernels();
        public readonly Option<bool> Json = CommonOptions.Json();
        public readonly Option<string?> Out = new("--out") { Description = "Run directory (config.json, metrics.jsonl, result.json, curves); must be new or empty" };
        public readonly Option<bool> Force = new("--force") { Description = "Replace a non-empty --out (its contents are deleted once the new run is written)" };

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[]
            {
                Delay, Length, P, Q, Informative, Symbols, Alphabet, Encoding, Images, Labels, TestImages, TestLabels, Permuted, PermutationSeed, Transfer,
                Cell, Layers, Hidden, BlockSize, InitRange, ForgetBias,
                Optimizer, Lr, Momentum, Clip, HDetach, CDetach, AnnealDetach, Batch, MaxSequences, Epochs, EvalEvery, EvalSequences, NoStop,
                Seed, Threads, Kernels, Json, Out, Force,
            })
                command.Options.Add(option);
        }

        public TaskParameters Parameters(ParseResult r)
        {
            if (r.GetResult(PermutationSeed) is { Implicit: false } && !r.GetValue(Permuted)) throw new OptionException("--permutation-seed applies only with --permuted");
            return new()
            {
                Delay = r.GetValue(Delay),
                Length = r.GetValue(Length),
                P = r.GetValue(P),
                Q = r.GetValue(Q),
                Informative = r.GetValue(Informative),
                Symbols = r.GetValue(Symbols),
                Alphabet = r.GetValue(Alphabet),
                Encoding = r.GetValue(Encoding) switch { null => null, "scalar" => CopyingEncoding.Scalar, _ => CopyingEncoding.OneHot },
                Images = r.GetValue(Images),
                Labels = r.GetValue(Labels),
                PermutationSeed = r.GetValue(Permuted) ? r.GetValue(PermutationSeed) : null,
            };
        }

        /// <summary>The pixel task on the test images when given; otherwise null (evaluate on fresh training-task draws).</summary>
        public SequenceTask? EvaluationTask(ParseResult r, string name, TaskParameters parameters)
        {
            var (images, labels) = (r.GetValue(TestImages), r.GetValue(TestLabels));
            if (images is null && labels is null) return null;
            if (name != "pixel") throw new OptionException("--test-images and --test-labels apply to the pixel task only");
            if (images is null || labels is null) throw new OptionException("--test-images and --test-labels go together");
            return TaskCatalog.Create(name, parameters with { Images = images, Labels = labels });
        }

        public ModelConfig Model(ParseResult r)
        {
            var cell = RecurrentLayers.ParseCell(r.GetValue(Cell)!);
            int blockSize = r.GetValue(BlockSize), hidden = r.GetValue(Hidden);
            if (blockSize != 1 && cell != CellType.Lstm1997) throw new OptionException("--block-size applies to --cell lstm1997 only");
            if (hidden % blockSize != 0) throw new OptionException($"--hidden {hidden} must be a multiple of --block-size {blockSize}");
            if (r.GetValue(InitRange) is <= 0) throw new OptionException("--init-range must be positive");
            var config = new ModelConfig
            {
                Cell = cell,
                InputSize = 1,
                HiddenSize = hidden,
                NumLayers = r.GetValue(Layers),
                OutputSize = 1,
                InitRange = r.GetValue(InitRange),
                ForgetBias = r.GetValue(ForgetBias),
                Lstm1997 = cell == CellType.Lstm1997 ? new Lstm1997Options { BlockSize = blockSize } : null,
            };
            if (config.ForgetBias != 0 && cell != CellType.Lstm) throw new OptionException($"--forget-bias needs --cell lstm, not {r.GetValue(Cell)}");
            return config;
        }

        public TrainingOptions Training(ParseResult r)
        {
            var options = new TrainingOptions
            {
                Optimizer = r.GetValue(Optimizer)!,
                LearningRate = r.GetValue(Lr),
                Momentum = r.GetValue(Momentum),
                ClipNorm = CommonOptions.ClipNorm(r.GetValue(Clip)),
                HDetach = r.GetValue(HDetach),
                CDetach = r.GetValue(CDetach),
                AnnealDetachEpochs = r.GetValue(AnnealDetach),
                Epochs = r.GetValue(Epochs),
                Seed = r.GetValue(Seed),
            };
            options.Validate();
            return options;
        }

        public TaskTrainingOptions Schedule(ParseResult r)
        {
            var options = new TaskTrainingOptions
            {
                BatchSize = r.GetValue(Batch),
                MaxSequences = r.GetValue(MaxSequences),
                EvaluateEvery = r.GetValue(EvalEvery),
                EvaluationSequences = r.GetValue(EvalSequences),
                StopWhenSolved = !r.GetValue(NoStop),
            };
            options.Validate();
            return options;
        }
    }
}
