// "profile" mode: where a training step's time goes, per phase (StepProfile), for each configuration of
// `lstmlens bench`, kernel set and thread count, as a Markdown table for bench/results. Each column is the
// fastest round (by wall time) of its variant, a round being the mean over a few steps; variants take
// turns within a round so that they share the machine's background load alike, and the fastest round is
// the one least disturbed by other work on a shared machine. Phases run on several threads at once (the
// recurrence over batch parts) add up their threads' time, so "other" can come out negative there. Not
// a timing test: nothing is asserted.
using System.Globalization;
using System.Runtime.InteropServices;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Bench;

internal static class ProfileReport
{
    private static readonly int DefaultRowsPerPart = LstmLens.Layers.Lstm<float>.MinimumRowsPerPart;

    private const string Usage = "usage: profile [--configs copy,ptb,synthetic] [--kernels simd,openblas] [--threads 1,2] [--rounds 3] [--steps 4] [--split whole,parts]";

    public static int Run(string[] args)
    {
        string configs = "copy,ptb,synthetic", kernels = Compute.IsAvailable("openblas") ? "simd,openblas" : "simd", threads = "1,2";
        string splits = "parts";
        int rounds = 3, steps = 4;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--configs": configs = args[i + 1]; break;
                case "--kernels": kernels = args[i + 1]; break;
                case "--threads": threads = args[i + 1]; break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--steps": steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--split": splits = args[i + 1]; break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'; {Usage}");
                    return 2;
            }
        }
        if (args.Length % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        // "whole": the recurrence runs over the whole batch with threaded products; "parts": over batch parts, one per thread.
        var variants = (from t in threads.Split(',') from k in kernels.Split(',') from split in splits.Split(',')
                        select (Kernels: k, Threads: int.Parse(t, CultureInfo.InvariantCulture), Parts: split == "parts")).ToList();
        Console.WriteLine($"CPU: {LstmLens.Reporting.RunFiles.CpuModel()}; {Environment.ProcessorCount} logical cores");
        Console.WriteLine($"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {RuntimeInformation.FrameworkDescription}; load average before: {GflopsReport.LoadAverage()}");
        Console.WriteLine($"Compute (simd): {Describe("simd", 1)}");
        Console.WriteLine($"{rounds} rounds × {steps} steps per variant, the fastest round's means; ms per training step.");
        foreach (string name in configs.Split(','))
        {
            var config = ThroughputBenchmark.Configs[name];
            var phases = Enum.GetValues<StepPhase>();
            var samples = variants.Select(_ => new List<double[]>()).ToList();   // per variant: rounds × (phases, other, total)
            var benchmarks = variants.Select(v => { Compute.Use(v.Kernels); return new ThroughputBenchmark(config); }).ToList();
            for (int round = 0; round < rounds; round++)
            {
                for (int v = 0; v < variants.Count; v++)
                {
                    Compute.Use(variants[v].Kernels);
                    Compute.Threads = variants[v].Threads;
                    LstmLens.Layers.Lstm<float>.MinimumRowsPerPart = variants[v].Parts ? DefaultRowsPerPart : int.MaxValue;
                    if (round == 0) ThroughputBenchmark.WarmUp(benchmarks[v].Train);
                    samples[v].Add(Measure(benchmarks[v], steps, phases));
                }
            }
            Console.WriteLine();
            Console.WriteLine($"### {name} (vocabulary {config.Vocab}, embedding {config.Embed}, hidden {config.Hidden}, batch {config.Batch}, steps {config.Steps}; {config.FlopsPerToken * benchmarks[0].TokensPerStep / 1e9:F2} GFLOP per step)");
            Console.WriteLine();
            Console.WriteLine("| phase | " + string.Join(" | ", variants.Select(v => $"{v.Kernels}, {v.Threads} thread{(v.Threads == 1 ? "" : "s")}{(v.Threads > 1 && splits.Contains(',', StringComparison.Ordinal) ? (v.Parts ? ", batch parts" : ", whole batch") : "")}")) + " |");
            Console.WriteLine("|---" + string.Concat(variants.Select(_ => "|---:")) + "|");
            var medians = samples.Select(s => s.MinBy(r => r[^1])!).ToList();
            var labels = phases.Select(Label).Append("other (embedding, dropout, zeroing, bookkeeping)").Append("**step (wall)**").ToList();
            for (int j = 0; j < labels.Count; j++)
                Console.WriteLine($"| {labels[j]} | " + string.Join(" | ", medians.Select(m => Cell(m[j], m[^1]))) + " |");
            Console.WriteLine("| tokens/s | " + string.Join(" | ", medians.Select(m => (benchmarks[0].TokensPerStep / (m[^1] / 1000)).ToString("N0", CultureInfo.InvariantCulture))) + " |");
            Console.WriteLine("| GFLOP/s (matrix products) | " + string.Join(" | ", medians.Select(m => (config.FlopsPerToken * benchmarks[0].TokensPerStep / (m[^1] / 1000) / 1e9).ToString("F1", CultureInfo.InvariantCulture))) + " |");
        }
        Console.WriteLine();
        Console.WriteLine($"Load average after: {GflopsReport.LoadAverage()}");
        return 0;
    }

    private static string Describe(string kernels, int threads)
    {
        Compute.Use(kernels);
        Compute.Threads = threads;
        return Compute.Describe();
    }

    /// <summary>Milliseconds per step of each phase, the rest, and the whole step, over <paramref name="steps"/> steps.</summary>
    private static double[] Measure(ThroughputBenchmark benchmark, int steps, StepPhase[] phases)
    {
        StepProfile.Reset();
        StepProfile.Enabled = true;
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) benchmark.Train();
        double total = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds / steps;
        StepProfile.Enabled = false;
        var result = new double[phases.Length + 2];
        for (int j = 0; j < phases.Length; j++) result[j] = StepProfile.Seconds(phases[j]) * 1000 / steps;
        result[phases.Length] = total - result[..phases.Length].Sum();
        result[^1] = total;
        return result;
    }

    private static string Label(StepPhase phase) => phase switch
    {
        StepPhase.InputProjection => "input projection (forward, dX)",
        StepPhase.RecurrentProducts => "recurrent products (forward, backward)",
        StepPhase.CellForward => "cell element-wise forward",
        StepPhase.CellBackward => "cell element-wise backward",
        StepPhase.DecoderAndSoftmax => "decoder and softmax (forward, loss, dX)",
        StepPhase.WeightGradients => "weight gradients (all layers)",
        StepPhase.Clipping => "clipping",
        StepPhase.Update => "update (SGD)",
        _ => phase.ToString(),
    };

    private static string Cell(double ms, double total) =>
        string.Create(CultureInfo.InvariantCulture, $"{ms:F2} ({ms / total:P0})");
}
