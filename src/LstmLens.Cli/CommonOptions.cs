// Options shared by several verbs (threads, kernel set, seed, JSON output), their validation, and the
// start-up line that records the environment of every run.
using System.CommandLine;
using System.Globalization;
using LstmLens.Layers;
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

    /// <summary>--cell NAME: lstm, lstm1997, gru or rnn.</summary>
    public static Option<string> Cell() =>
        new Option<string>("--cell") { Description = "Cell type", DefaultValueFactory = _ => "lstm" }.AcceptOnlyFromAmong([.. RecurrentLayers.CellNames]);

    /// <summary>Throws <see cref="OptionException"/> for c-detach on a cell without a cell state (GRU, Elman RNN).</summary>
    public static void CheckCDetach(double cDetach, string cell)
    {
        if (cDetach > 0 && RecurrentLayers.ParseCell(cell) is CellType.Gru or CellType.Rnn)
            throw new OptionException($"--c-detach needs a cell state; {cell} has none");
    }

    /// <summary>An integer option of at least 1.</summary>
    public static Option<int> Positive(string name, string description, int fallback) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => fallback,
        Validators = { r => { if (r.GetValueOrDefault<int>() < 1) r.AddError($"{name} must be at least 1"); } },
    };

    /// <summary>--clip X|none: the global gradient-norm clip.</summary>
    public static Option<string> Clip(string fallback) => new("--clip") { Description = "Global gradient-norm clip, or none", DefaultValueFactory = _ => fallback };

    /// <summary>The clip norm --clip gives: a positive number, or null for none.</summary>
    public static double? ClipNorm(string? clip) =>
        clip == "none" ? null
        : double.TryParse(clip, NumberStyles.Float, CultureInfo.InvariantCulture, out double c) && double.IsFinite(c) ? c
        : throw new OptionException($"--clip must be a number or 'none' (got '{clip}')");

    /// <summary>
    /// Adds to every floating-point option of <paramref name="command"/> and its subcommands a check that refuses NaN and
    /// infinity: no numeric setting has a use for them.
    /// </summary>
    public static void RefuseNonFinite(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in command.Options)
        {
            if (option is Option<double> number) number.Validators.Add(r => Finite(r, r.GetValueOrDefault<double>()));
            else if (option is Option<double?> optional) optional.Validators.Add(r => Finite(r, r.GetValueOrDefault<double?>()));
        }
        foreach (var subcommand in command.Subcommands) RefuseNonFinite(subcommand);
    }

    private static void Finite(System.CommandLine.Parsing.OptionResult r, double? value)
    {
        if (value is double v && !double.IsFinite(v))
            r.AddError($"{r.Option.Name} must be a finite number (got {v.ToString(CultureInfo.InvariantCulture)})");
    }

    /// <summary>Throws <see cref="OptionException"/> for the first of <paramref name="options"/> given on the command line: it does not apply <paramref name="why"/>.</summary>
    public static void RefuseGiven(ParseResult parsed, string why, params IEnumerable<Option> options)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var given = options.FirstOrDefault(option => parsed.GetResult(option) is { Implicit: false });
        if (given is not null) throw new OptionException($"{given.Name} does not apply {why}");
    }

    /// <summary>--skip-blank-lines, of every verb that reads a text corpus.</summary>
    public static Option<bool> SkipBlankLines() => new("--skip-blank-lines")
    {
        Description = "Skip blank lines of text corpora (default: an <eos> for every line, blank ones included, as PyTorch's word_language_model reads them)",
    };

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
