// `lstmlens demo`: the main job on built-in data, no download. Trains a small LSTM on a short copying
// task (remember symbols across a blank delay) and prints the loss and recall accuracy as they improve.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Models;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Cli.Commands;

/// <summary>The demo verb.</summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Training updates", DefaultValueFactory = _ => 600 };
        steps.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--steps must be at least 1"); });
        var threads = CommonOptions.Threads();
        var kernels = CommonOptions.Kernels();
        var seed = CommonOptions.Seed();
        var command = new Command("demo", "Train a small LSTM on a built-in copying task and show it learn") { steps, threads, kernels, seed };
        command.SetAction(r =>
        {
            Console.WriteLine(CommonOptions.Configure(r.GetValue(threads), r.GetValue(kernels)!));
            Run(r.GetValue(steps), r.GetValue(seed));
            return 0;
        });
        return command;
    }

    private static void Run(int updates, ulong seed)
    {
        const int batchSize = 32, hidden = 64, reportEvery = 50;
        var task = new CopyingTask(delay: 10, symbols: 5, alphabet: 4);
        var clock = new Stopwatch();
        var trainer = new TaskTrainer<float>(task, new ModelConfig { InputSize = task.InputSize, HiddenSize = hidden, OutputSize = task.OutputSize },
            new TrainingOptions { Optimizer = "adam", LearningRate = 0.01, ClipNorm = 1.0, Seed = seed },
            new TaskTrainingOptions { BatchSize = batchSize, MaxSequences = (long)updates * batchSize, EvaluateEvery = reportEvery * batchSize, StopWhenSolved = false })
        {
            Evaluated = e => ProgressDisplay.Line(string.Create(CultureInfo.InvariantCulture,
                $"step {e.Updates,5}  loss {e.TrainingLoss:F4}  recall accuracy {e.Score.Accuracy:P1}  ({e.Sequences * task.Length / clock.Elapsed.TotalSeconds:N0} tokens/s)")),
        };

        Console.WriteLine($"Copying task: remember {task.Symbols} symbols over {task.Delay} blank steps; LSTM with {hidden} units, " +
            $"{trainer.Model.Store.Length:N0} parameters, Adam, batch {batchSize}. Chance accuracy {1.0 / task.Alphabet:P0}.");
        clock.Restart();
        ProgressDisplay.Run("training", updates, progress =>
        {
            trainer.Train(sequences => progress(sequences / batchSize));
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {clock.Elapsed.TotalSeconds:F1} s"));
    }
}
