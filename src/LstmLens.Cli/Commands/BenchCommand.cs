// `lstmlens bench`: training throughput on the configurations of the PyTorch anchor script
// (bench/torch_lstm_bench.py): one full step — forward, backward, gradient-norm clip, SGD — on random
// tokens, plus forward-only (evaluation) throughput, peak working set and managed bytes allocated per
// training step. Timing starts after a warm-up of at least 2 steps and 1 s, by which time the JIT has
// replaced the first, unoptimised code of the hot methods. Not a unit test: figures are measured, never
// asserted.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Cli.Commands;

/// <summary>The bench verb.</summary>
public static class BenchCommand
{
    /// <summary>The anchor's configurations: vocabulary, embedding, hidden, batch, steps.</summary>
    public static readonly IReadOnlyDictionary<string, (int Vocab, int Embed, int Hidden, int Batch, int Steps)> Configs =
        new Dictionary<string, (int, int, int, int, int)>
        {
            ["copy"] = (10, 10, 128, 100, 120),        // h-detach copying task
            ["ptb"] = (10000, 64, 256, 20, 200),       // state-gradients PTB language model
            ["synthetic"] = (1002, 200, 200, 20, 35),  // interdependence synthetic language model
        };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var configs = new Option<string>("--configs") { Description = "Comma-separated: copy, ptb, synthetic", DefaultValueFactory = _ => "copy,ptb,synthetic" };
        var iterations = new Option<int>("--steps") { Description = "Timed steps per configuration (after a warm-up of at least 2 steps and 1 s)", DefaultValueFactory = _ => 5 };
        var threads = CommonOptions.Threads();
        var kernels = CommonOptions.Kernels();
        var json = CommonOptions.Json();
        var command = new Command("bench", "Training and evaluation throughput on the PyTorch anchor's configurations") { configs, iterations, threads, kernels, json };
        command.SetAction(r =>
        {
            string environment = CommonOptions.Configure(r.GetValue(threads), r.GetValue(kernels)!);
            if (r.GetValue(iterations) < 1) throw new OptionException("--steps must be at least 1");
            var names = r.GetValue(configs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names.FirstOrDefault(n => !Configs.ContainsKey(n));
            if (unknown is not null) throw new OptionException($"--configs: unknown configuration '{unknown}' (expected {string.Join(", ", Configs.Keys)})");
            Console.WriteLine(environment);
            foreach (string name in names)
            {
                var result = Measure(Configs[name], r.GetValue(iterations));
                if (r.GetValue(json))
                    JsonOutput.Write(new
                    {
                        config = name, threads = Compute.Threads, kernels = Compute.KernelSet, tokens_per_s = Math.Round(result.Train),
                        eval_tokens_per_s = Math.Round(result.Eval), peak_working_set_mb = result.PeakMegabytes, allocated_bytes_per_step = result.AllocatedPerStep,
                    });
                else
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name}: {result.Train:N0} tokens/s training, {result.Eval:N0} tokens/s evaluation (threads={Compute.Threads}); peak working set {result.PeakMegabytes:N0} MB; {result.AllocatedPerStep:N0} bytes allocated per step"));
            }
            return 0;
        });
        return command;
    }

    private static (double Train, double Eval, long PeakMegabytes, long AllocatedPerStep) Measure((int Vocab, int Embed, int Hidden, int Batch, int Steps) c, int iterations)
    {
        var rng = new Rng(0);
        var model = new SequenceModel<float>(new ModelConfig
        {
            InputSize = c.Vocab, EmbeddingSize = c.Embed, HiddenSize = c.Hidden, OutputSize = c.Vocab,
        }, rng.Split());
        model.Initialize(rng.Split());
        var updater = new Updater<float>(model, new TrainingOptions { Optimizer = "sgd", LearningRate = 0.1, ClipNorm = 5 }, rng.Split());
        int n = c.Batch * c.Steps;
        int[] x = new int[n], y = new int[n];
        for (int i = 0; i < n; i++) (x[i], y[i]) = (rng.NextInt(c.Vocab), rng.NextInt(c.Vocab));
        void Train() => updater.Update(new SequenceBatch<float>(c.Steps, c.Batch) { Tokens = x, TargetIds = y }, [], []);
        void Evaluate()
        {
            model.Training = false;
            model.Forward(new SequenceBatch<float>(c.Steps, c.Batch) { Tokens = x, TargetIds = y }, [], []);
        }

        WarmUp(Train);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) Train();
        double train = (double)n * iterations / clock.Elapsed.TotalSeconds;
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / iterations;
        WarmUp(Evaluate);
        clock.Restart();
        for (int i = 0; i < iterations; i++) Evaluate();
        double eval = (double)n * iterations / clock.Elapsed.TotalSeconds;
        using var process = Process.GetCurrentProcess();
        return (train, eval, process.PeakWorkingSet64 >> 20, perStep);
    }

    private static void WarmUp(Action step)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 2 || clock.Elapsed.TotalSeconds < 1; i++) step();
    }
}
