// `lstmlens bench`: training throughput on the configurations of the PyTorch anchor script
// (bench/torch_lstm_bench.py): one full step — forward, backward, gradient-norm clip, SGD — on random
// tokens, plus forward-only (evaluation) throughput, peak working set and managed bytes allocated per
// training step, and the rate of the step's matrix-product FLOPs. Timing starts after a warm-up of at
// least 2 steps and 1 s, by which time the JIT has replaced the first, unoptimised code of the hot
// methods; it runs for at least the given steps and at least 2 s, so that a short step is not timed
// over a tenth of a second, where one interruption of the machine moves the figure by a third. Not a unit test: figures are measured, never asserted.
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LstmLens.Cli.Output;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Cli.Commands;

/// <summary>The bench verb.</summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var configs = new Option<string>("--configs") { Description = "Comma-separated: copy, ptb, synthetic", DefaultValueFactory = _ => "copy,ptb,synthetic" };
        var iterations = new Option<int>("--steps") { Description = "Timed steps per configuration, at least (timing also lasts at least 2 s, after a warm-up of 2 steps and 1 s)", DefaultValueFactory = _ => 5 };
        var threads = CommonOptions.Threads();
        var kernels = CommonOptions.Kernels();
        var json = CommonOptions.Json();
        var command = new Command("bench", "Training and evaluation throughput on the PyTorch anchor's configurations") { configs, iterations, threads, kernels, json };
        command.SetAction(r =>
        {
            string environment = CommonOptions.Configure(r.GetValue(threads), r.GetValue(kernels)!);
            if (r.GetValue(iterations) < 1) throw new OptionException("--steps must be at least 1");
            var names = r.GetValue(configs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names.FirstOrDefault(n => !ThroughputBenchmark.Configs.ContainsKey(n));
            if (unknown is not null) throw new OptionException($"--configs: unknown configuration '{unknown}' (expected {string.Join(", ", ThroughputBenchmark.Configs.Keys)})");
            Console.WriteLine(environment);
            foreach (string name in names)
            {
                var result = Measure(ThroughputBenchmark.Configs[name], r.GetValue(iterations));
                double gflops = result.Train * ThroughputBenchmark.Configs[name].FlopsPerToken / 1e9;
                if (r.GetValue(json))
                    JsonOutput.Write(new
                    {
                        config = name, threads = Compute.Threads, kernels = Compute.KernelSet, tokens_per_s = Math.Round(result.Train), gflops = Math.Round(gflops, 1),
                        eval_tokens_per_s = Math.Round(result.Eval), peak_working_set_mb = result.PeakMegabytes, allocated_bytes_per_step = result.AllocatedPerStep,
                    });
                else
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name}: {result.Train:N0} tokens/s training ({gflops:F1} GFLOP/s in its matrix products), {result.Eval:N0} tokens/s evaluation (threads={Compute.Threads}); peak working set {result.PeakMegabytes:N0} MB; {result.AllocatedPerStep:N0} bytes allocated per step"));
            }
            return 0;
        });
        return command;
    }

    private static (double Train, double Eval, long PeakMegabytes, long AllocatedPerStep) Measure(ThroughputConfig config, int iterations)
    {
        var benchmark = new ThroughputBenchmark(config);
        int n = benchmark.TokensPerStep;
        ThroughputBenchmark.WarmUp(benchmark.Train);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var (train, trainSteps) = Time(benchmark.Train, iterations);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / trainSteps;
        ThroughputBenchmark.WarmUp(benchmark.Evaluate);
        double eval = Time(benchmark.Evaluate, iterations).StepsPerSecond;
        using var process = Process.GetCurrentProcess();
        return (train * n, eval * n, process.PeakWorkingSet64 >> 20, perStep);
    }

    /// <summary>Runs <paramref name="step"/> at least <paramref name="steps"/> times and for at least <see cref="MinimumSeconds"/>.</summary>
    private static (double StepsPerSecond, int Steps) Time(Action step, int steps)
    {
        var clock = Stopwatch.StartNew();
        int done = 0;
        for (; done < steps || clock.Elapsed.TotalSeconds < MinimumSeconds; done++) step();
        return (done / clock.Elapsed.TotalSeconds, done);
    }

    private const double MinimumSeconds = 2;
}
