// "gflops" mode: GFLOP/s of the float matrix product for simd and openblas at the training shapes (B
// stored plain and transposed), the fastest of many individually timed calls, printed as a Markdown
// table with the environment and load so that the numbers can be committed under bench/results. Not
// BenchmarkDotNet: no statistics beyond the best time, which is what a peak-throughput comparison needs.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using LstmLens.Numerics;

namespace LstmLens.Bench;

internal static class GflopsReport
{
    private const int Repetitions = 15;
    private const double SecondsPerRepetition = 0.1;

    /// <summary>Pause before each timed batch, so that the previous set's idle threads (OpenBLAS's poll for a while) are asleep.</summary>
    private const int SettleMilliseconds = 250;

    private const string Usage = "usage: gflops [--threads N] [--clock wall|thread-cpu]";

    public static int Run(string[] args)
    {
        bool threadCpuClock = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads" && i + 1 < args.Length) Compute.Threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--clock" && i + 1 < args.Length && args[i + 1] is "wall" or "thread-cpu") threadCpuClock = args[++i] == "thread-cpu";
            else
            {
                Console.Error.WriteLine($"unknown argument '{args[i]}'; {Usage}");
                return 2;
            }
        }
        // The calling thread's CPU time leaves out the time other processes hold its core; it measures a
        // product only when the product runs entirely on that thread.
        if (threadCpuClock && (Compute.Threads != 1 || !ThreadCpuClock.IsAvailable))
        {
            Console.Error.WriteLine("--clock thread-cpu needs --threads 1 and Linux (clock_gettime).");
            return 2;
        }
        Func<double> clock = threadCpuClock ? ThreadCpuClock.Seconds : WallSeconds;
        var sets = new List<string> { "simd" };
        if (Compute.IsAvailable("openblas")) sets.Add("openblas");

        Console.WriteLine($"CPU: {LstmLens.Reporting.RunFiles.CpuModel()}");
        Console.WriteLine($"Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}");
        Console.WriteLine($"Compute: {Compute.Describe()}");
        Console.WriteLine($"Clock: {(threadCpuClock ? "CPU time of the calling thread" : "wall")}, load average before: {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine($"| shape (float, threads {Compute.Threads}) | " + string.Join(" | ", sets.Select(s => $"{s} GFLOP/s")) + " | simd / openblas |");
        Console.WriteLine("|---" + string.Concat(sets.Select(_ => "|---:")) + "|---:|");
        foreach (var shape in GemmShape.Training.SelectMany(s => new[] { s, s with { TransB = true } }))
        {
            var (a, b, c) = shape.Allocate(seed: 1);
            var rates = BestRates(shape, sets.Select(Compute.Create<float>).ToList(), a, b, c, clock);
            string ratio = rates.Count > 1 ? $"{rates[0] / rates[1]:P0}" : "n/a";
            Console.WriteLine($"| {shape} | " + string.Join(" | ", rates.Select(r => r.ToString("F1", CultureInfo.InvariantCulture))) + $" | {ratio} |");
        }
        Console.WriteLine();
        Console.WriteLine($"Load average after: {LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// GFLOP/s of each kernel set from its fastest single call: <see cref="Repetitions"/> batches of about
    /// <see cref="SecondsPerRepetition"/> each, every call timed on its own, the sets taking turns so that
    /// they share the machine's background load alike. Calls much shorter than a scheduler time slice
    /// are often undisturbed even on a busy machine, so the fastest is the one to quote.
    /// </summary>
    private static List<double> BestRates(GemmShape shape, List<Kernels<float>> kernelSets, float[] a, float[] b, float[] c,
        Func<double> clock)
    {
        var calls = new int[kernelSets.Count];
        var best = new double[kernelSets.Count];
        for (int s = 0; s < kernelSets.Count; s++)
        {
            shape.Multiply(kernelSets[s], a, b, c);   // warm-up: JIT, pack buffers, OpenBLAS threads
            double start = WallSeconds();
            shape.Multiply(kernelSets[s], a, b, c);
            calls[s] = Math.Max(1, (int)(SecondsPerRepetition / Math.Max(WallSeconds() - start, 1e-6)));
            best[s] = double.MaxValue;
        }
        for (int repetition = 0; repetition < Repetitions; repetition++)
        {
            for (int s = 0; s < kernelSets.Count; s++)
            {
                Thread.Sleep(SettleMilliseconds);
                for (int call = 0; call < calls[s]; call++)
                {
                    double start = clock();
                    shape.Multiply(kernelSets[s], a, b, c);
                    best[s] = Math.Min(best[s], clock() - start);
                }
            }
        }
        return best.Select(seconds => shape.Flops / seconds / 1e9).ToList();
    }

    private static double WallSeconds() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>clock_gettime(CLOCK_THREAD_CPUTIME_ID) from libc, bound at run time.</summary>
    private static unsafe class ThreadCpuClock
    {
        private const int ThreadCpuTimeId = 3;   // CLOCK_THREAD_CPUTIME_ID on Linux
        private static readonly delegate* unmanaged[Cdecl]<int, long*, int> s_clockGetTime = Bind();

        public static bool IsAvailable => s_clockGetTime != null;

        /// <summary>Seconds of CPU time this thread has used.</summary>
        public static double Seconds()
        {
            long* time = stackalloc long[2];   // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux
            s_clockGetTime(ThreadCpuTimeId, time);
            return time[0] + time[1] * 1e-9;
        }

        private static delegate* unmanaged[Cdecl]<int, long*, int> Bind() =>
            OperatingSystem.IsLinux() && Environment.Is64BitProcess
            && NativeLibrary.TryLoad("libc.so.6", out nint libc) && NativeLibrary.TryGetExport(libc, "clock_gettime", out nint export)
                ? (delegate* unmanaged[Cdecl]<int, long*, int>)export
                : null;
    }

    /// <summary>/proc/loadavg's 1, 5 and 15 minute averages (other processes competing for the cores), or "n/a".</summary>
    internal static string LoadAverage()
    {
        const string file = "/proc/loadavg";
        return File.Exists(file) ? string.Join(' ', File.ReadAllText(file).Split(' ').Take(3)) : "n/a";
    }
}
