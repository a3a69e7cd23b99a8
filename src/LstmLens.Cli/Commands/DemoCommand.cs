// `lstmlens demo`: the main job on built-in data, no download. Trains a small LSTM on a short copying
// task (remember symbols across a blank delay) and prints the loss and recall accuracy as they improve.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Models;
using LstmLens.Numerics;
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
        var rng = new Rng(seed);
        var model = new SequenceModel<float>(new ModelConfig
        {
            Input = InputKind.OneHot,
            InputSize = task.InputSize,
            HiddenSize = hidden,
            OutputSize = task.OutputSize,
        }, rng.Split());
        model.Initialize(rng.Split());
        model.Training = true;
        var optimizer = new Adam<float>(model.Store.Length, learningRate: 0.01);
        var data = rng.Split();
        var batch = new TaskBatch<float>(task, batchSize);
        float[] outputs = new float[task.Length * batchSize * task.OutputSize];

        Console.WriteLine($"Copying task: remember {task.Symbols} symbols over {task.Delay} blank steps; LSTM with {hidden} units, " +
            $"{model.Store.Length:N0} parameters, Adam, batch {batchSize}. Chance accuracy {1.0 / task.Alphabet:P0}.");
        var clock = Stopwatch.StartNew();
        double lossSum = 0, accuracySum = 0;
        ProgressDisplay.Run("training", updates, progress =>
        {
            for (int step = 1; step <= updates; step++)
            {
                task.Sample(data, batch);
                model.Store.ZeroGradients();
                lossSum += model.Forward(new SequenceBatch<float>(batch.Steps, batchSize) { Tokens = batch.Tokens, TargetIds = batch.StepClasses }, [], []);
                model.Backward();
                GradientClipping.ClipGlobalNorm<float>(model.Store.Gradients, 1.0);
                optimizer.Step(model.Store.Values, model.Store.Gradients);
                model.Outputs(outputs);
                accuracySum += task.Score(batch, outputs).Accuracy;
                if (step % reportEvery == 0)
                {
                    ProgressDisplay.Line(string.Create(CultureInfo.InvariantCulture,
                        $"step {step,5}  loss {lossSum / reportEvery:F4}  recall accuracy {accuracySum / reportEvery:P1}  ({step * batchSize * task.Length / clock.Elapsed.TotalSeconds:N0} tokens/s)"));
                    lossSum = accuracySum = 0;
                }
                progress(step);
            }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {clock.Elapsed.TotalSeconds:F1} s"));
    }
}
