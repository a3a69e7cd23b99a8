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
        const int batch = 32, hidden = 64, reportEvery = 50;
        var task = new CopyingTask(delay: 10, symbols: 5, alphabet: 4);
        var rng = new Rng(seed);
        var model = new SequenceModel<float>(new ModelConfig
        {
            Input = InputKind.OneHot,
            InputSize = task.VocabularySize,
            HiddenSize = hidden,
            OutputSize = task.VocabularySize,
        }, rng.Split());
        model.Initialize(rng.Split());
        model.Training = true;
        var optimizer = new Adam<float>(model.Store.Length, learningRate: 0.01);
        var data = rng.Split();
        int[] inputs = new int[task.Length * batch], targets = new int[task.Length * batch], predictions = new int[task.Length * batch];

        Console.WriteLine($"Copying task: remember {task.Symbols} symbols over {task.Delay} blank steps; LSTM with {hidden} units, " +
            $"{model.Store.Length:N0} parameters, Adam, batch {batch}. Chance accuracy {1.0 / task.Alphabet:P0}.");
        var clock = Stopwatch.StartNew();
        double lossSum = 0, accuracySum = 0;
        ProgressDisplay.Run("training", updates, progress =>
        {
            for (int step = 1; step <= updates; step++)
            {
                task.Sample(data, batch, inputs, targets);
                model.Store.ZeroGradients();
                lossSum += model.Forward(new SequenceBatch<float>(task.Length, batch) { Tokens = inputs, TargetIds = targets }, [], []);
                model.Backward();
                GradientClipping.ClipGlobalNorm<float>(model.Store.Gradients, 1.0);
                optimizer.Step(model.Store.Values, model.Store.Gradients);
                Argmax(model.Logits, task.VocabularySize, predictions);
                accuracySum += task.Accuracy(predictions, targets, batch);
                if (step % reportEvery == 0)
                {
                    ProgressDisplay.Line(string.Create(CultureInfo.InvariantCulture,
                        $"step {step,5}  loss {lossSum / reportEvery:F4}  recall accuracy {accuracySum / reportEvery:P1}  ({step * batch * task.Length / clock.Elapsed.TotalSeconds:N0} tokens/s)"));
                    lossSum = accuracySum = 0;
                }
                progress(step);
            }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {clock.Elapsed.TotalSeconds:F1} s"));
    }

    private static void Argmax(ReadOnlySpan<float> logits, int classes, Span<int> predictions)
    {
        for (int row = 0; row < predictions.Length; row++)
            predictions[row] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(row * classes, classes));
    }
}
