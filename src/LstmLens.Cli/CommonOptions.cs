// Options shared by several verbs (threads, kernel set, seed, JSON output), their validation, and the
// start-up line that records the environment of every run.
using System.CommandLine;
using LstmLens.Numerics;

namespace LstmLens.Cli;

/// <summary>Options every compute verb accepts.</summary>
public static class CommonOptions
{
    /// <summary>--threads N.</summary>
    public static Option<int> Threads() => new("--threads")
    {
        Description = "Threads for matrix products (default: all cores; results do not depend on it)",
        DefaultValueFactory = _ => Environment.ProcessorCount,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--threads must be at least 1"); } },
    };

    /// <summary>--kernels NAME.</summary>
    public static Option<string> Kernels() => new Option<string>("--kernels")
    {
        Description = $"Kernel set: {string.Join(", ", Compute.KernelSetNames)} (auto: per product shape, by calibration)",
        DefaultValueFactory = _ => "auto",
    }.AcceptOnlyFromAmong([.. Compute.KernelSetNames]);

    /// <summary>--seed S.</summary>
    public static Option<ulong> Seed(ulong fallback = 1) => new("--seed")
    {
        Description = "Random seed (same seed, data and threads give a bit-identical run)",
        DefaultValueFactory = _ => fallback,
    };

    /// <summary>--json.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print machine-readable JSON instead of text" };

    /// <summary>A probability option such as --h-detach P, validated to [0, 1].</summary>
    public static Option<double> Probability(string name, string description) => new(name)
    {
        Description = description,
        Validators = { r => { double p = r.GetValueOrDefault<double>(); if (p is < 0 or > 1) r.AddError($"{name} must be in [0, 1], got {p}"); } },
    };

    /// <summary>Applies --threads and --kernels and returns the environment line to print at start-up.</summary>
    public static string Configure(int threads, string kernels)
    {
        if (!Compute.IsAvailable(kernels))
            throw new OptionException($"--kernels {kernels}: OpenBLAS (libopenblas.so.0) could not be loaded; install the Debian package libopenblas0, or choose --kernels simd or auto");
        Compute.Threads = threads;
        Compute.Use(kernels);
        return $"LstmLens {typeof(Compute).Assembly.GetName().Version?.ToString(3)}: {Compute.Describe()}";
    }
}
