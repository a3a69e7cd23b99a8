// The synthetic tasks by name (as `lstmlens task` and the reproduction recipes call them) with their
// parameters and the paper's defaults, plus the one "length" knob of each task that transfer evaluation
// turns (copying delay, 1997 lag or minimal length). Not a generator: it only constructs the tasks.
namespace LstmLens.Tasks;

/// <summary>Task parameters; null means the paper's default for the task.</summary>
public sealed record TaskParameters
{
    /// <summary>Copying: blank delay T (default 100); 2a/2b: lag p (default 100).</summary>
    public int? Delay { get; init; }

    /// <summary>Adding, multiplication, two-sequence: minimal length T (default 100).</summary>
    public int? Length { get; init; }

    /// <summary>2c: p, the number of distractor symbols (default 100).</summary>
    public int? P { get; init; }

    /// <summary>2c: q, the minimal number of distractors in a sequence (default 100).</summary>
    public int? Q { get; init; }

    /// <summary>Two-sequence: N, informative first elements (default 3).</summary>
    public int? Informative { get; init; }

    /// <summary>Copying: symbols to remember (default 10).</summary>
    public int? Symbols { get; init; }

    /// <summary>Copying: symbols drawn from {1..alphabet} (default 8).</summary>
    public int? Alphabet { get; init; }

    /// <summary>Copying: token ids (one-hot, default) or the id as one real input (the h-detach reference code).</summary>
    public CopyingEncoding? Encoding { get; init; }

    /// <summary>Pixel: IDX file of images [N, rows, columns].</summary>
    public string? Images { get; init; }

    /// <summary>Pixel: IDX file of labels [N].</summary>
    public string? Labels { get; init; }

    /// <summary>Pixel: seed of the fixed pixel permutation (permuted images), or null for row-by-row order.</summary>
    public ulong? PermutationSeed { get; init; }
}

/// <summary>Creates tasks by name.</summary>
public static class TaskCatalog
{
    /// <summary>Every task name.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "reber", "longlag-2a", "longlag-2b", "longlag-2c", "two-sequence-3a", "two-sequence-3b", "two-sequence-3c",
        "adding", "multiplication", "temporal-order-6a", "temporal-order-6b", "copying", "pixel",
    ];

    /// <summary>The task <paramref name="name"/> with <paramref name="parameters"/>; throws <see cref="OptionException"/> naming a bad option.</summary>
    public static SequenceTask Create(string name, TaskParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var p = parameters;
        if (Names.Contains(name))
        {
            var uses = OptionsOf(name);
            var ignored = Given(p).FirstOrDefault(option => !uses.Contains(option));
            if (ignored is not null)
                throw new OptionException($"{ignored} does not apply to {name} (its options: {(uses.Count == 0 ? "none" : string.Join(", ", uses))})");
        }
        try
        {
            return name switch
            {
                "reber" => new EmbeddedReberTask(),
                "longlag-2a" => LongTimeLagTask.NoiseFree(p.Delay ?? 100),
                "longlag-2b" => LongTimeLagTask.NoLocalRegularities(p.Delay ?? 100),
                "longlag-2c" => new VeryLongTimeLagTask(p.P ?? 100, p.Q ?? 100),
                "two-sequence-3a" => TwoSequenceTask.Clean(p.Length ?? 100, p.Informative ?? 3),
                "two-sequence-3b" => TwoSequenceTask.NoisyInputs(p.Length ?? 100, p.Informative ?? 3),
                "two-sequence-3c" => TwoSequenceTask.NoisyTargets(p.Length ?? 100, p.Informative ?? 3),
                "adding" => new AddingTask(p.Length ?? 100),
                "multiplication" => new MultiplicationTask(p.Length ?? 100),
                "temporal-order-6a" => TemporalOrderTask.TwoSymbols(),
                "temporal-order-6b" => TemporalOrderTask.ThreeSymbols(),
                "copying" => new CopyingTask(p.Delay ?? 100, p.Symbols ?? 10, p.Alphabet ?? 8, p.Encoding ?? CopyingEncoding.OneHot),
                "pixel" => PixelSequenceTask.Load(
                    p.Images ?? throw new OptionException("pixel needs --images (an IDX file of images)"),
                    p.Labels ?? throw new OptionException("pixel needs --labels (an IDX file of labels)"),
                    p.PermutationSeed),
                _ => throw new OptionException($"unknown task '{name}' (expected one of {string.Join(", ", Names)})"),
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new OptionException($"{name}: {OptionOf(e.ParamName)} is out of range ({e.ActualValue})", e);
        }
    }

    /// <summary>The task options <paramref name="name"/> reads (--permuted stands for a permutation seed).</summary>
    public static IReadOnlyList<string> OptionsOf(string name) => name switch
    {
        "longlag-2a" or "longlag-2b" => ["--delay"],
        "longlag-2c" => ["--p", "--q"],
        "two-sequence-3a" or "two-sequence-3b" or "two-sequence-3c" => ["--length", "--informative"],
        "adding" or "multiplication" => ["--length"],
        "copying" => ["--delay", "--symbols", "--alphabet", "--encoding"],
        "pixel" => ["--images", "--labels", "--permuted"],
        _ => [],
    };

    // The options behind the parameters that are set.
    private static IEnumerable<string> Given(TaskParameters p)
    {
        (string Option, bool Set)[] all =
        [
            ("--delay", p.Delay is not null), ("--length", p.Length is not null), ("--p", p.P is not null), ("--q", p.Q is not null),
            ("--informative", p.Informative is not null), ("--symbols", p.Symbols is not null), ("--alphabet", p.Alphabet is not null),
            ("--encoding", p.Encoding is not null), ("--images", p.Images is not null), ("--labels", p.Labels is not null),
            ("--permuted", p.PermutationSeed is not null),
        ];
        return all.Where(o => o.Set).Select(o => o.Option);
    }

    /// <summary>
    /// <paramref name="parameters"/> with the task's length knob set to <paramref name="length"/>: the delay of copying
    /// and 2a/2b, q of 2c, the minimal length of adding, multiplication and the two-sequence problem.
    /// </summary>
    public static TaskParameters WithLength(string name, TaskParameters parameters, int length)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return name switch
        {
            "copying" or "longlag-2a" or "longlag-2b" => parameters with { Delay = length },
            "longlag-2c" => parameters with { Q = length },
            "adding" or "multiplication" or "two-sequence-3a" or "two-sequence-3b" or "two-sequence-3c" => parameters with { Length = length },
            _ => throw new OptionException($"{name} has no length to transfer to"),
        };
    }

    // Constructor parameter names to the command-line options that set them.
    private static string OptionOf(string? parameter) => parameter switch
    {
        "delay" => "--delay",
        "minLength" => "--length",
        "distractors" => "--p",
        "minimalLag" => "--q",
        "informative" => "--informative",
        "symbols" => "--symbols",
        "alphabet" => "--alphabet",
        _ => parameter ?? "a parameter",
    };
}
