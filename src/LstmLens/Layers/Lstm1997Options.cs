// Options of the 1997 memory-cell LSTM (Hochreiter & Schmidhuber 1997): memory cell block size, the
// squashing functions g and h, the truncated gradient, and the staggered initial gate biases that
// remedy the abuse and drift problems. The cell itself is Lstm1997.cs; training settings (learning
// rate, initial weight range) are not options of the cell.
namespace LstmLens.Layers;

/// <summary>
/// Initial gate biases that step from block to block: block k (0-based) gets <c>First + k · Step</c>.
/// </summary>
/// <remarks>
/// Every schedule of the 1997 experiments has this form: output gates −1, −2, −3 (experiment 1) is
/// <c>(−1, −1)</c>; input gates −1, −3, −5 with output gates −2, −4, −6 (experiment 3) are <c>(−1, −2)</c>
/// and <c>(−2, −2)</c>; input gates −3, −6 (experiments 4, 5) are <c>(−3, −3)</c>; input gates −2, −4, −6
/// (experiment 6) are <c>(−2, −2)</c>. A more negative bias keeps a gate closed longer, so its block is
/// "allocated" later.
/// </remarks>
public readonly record struct StaggeredBias(double First, double Step)
{
    /// <summary>The initial bias of block <paramref name="block"/>.</summary>
    public double ForBlock(int block) => First + block * Step;
}

/// <summary>Options of <see cref="Lstm1997{T}"/>; the defaults are the cell of SPEC §1 with blocks of size 1.</summary>
/// <remarks>
/// No gate biases are staggered by default: the 1997 experiments each chose their own (or none, or random), and
/// a schedule such as −1, −2, −3, … over many blocks would shut the later blocks' gates almost completely
/// (σ(−20) ≈ 2·10⁻⁹), so a task sets the schedule it reproduces.
/// </remarks>
public sealed record Lstm1997Options
{
    /// <summary>The default cell: blocks of size 1, both squashings, truncated gradient, gate biases from the uniform draw.</summary>
    public static Lstm1997Options Default { get; } = new();

    /// <summary>Memory cells per block, S; the cells of a block share one input and one output gate. H must be a multiple of S.</summary>
    public int BlockSize { get; init; } = 1;

    /// <summary>g(z) = 4σ(z) − 2, range [−2, 2], when true; the identity g(z) = z when false.</summary>
    public bool SquashCellInput { get; init; } = true;

    /// <summary>h(c) = 2σ(c) − 1, range [−1, 1], when true; the identity h(c) = c when false (experiments 2a, 2b).</summary>
    public bool SquashCellOutput { get; init; } = true;

    /// <summary>
    /// The 1997 truncated gradient: errors reaching the gate and cell-input nets are not propagated back in
    /// time through h(t-1); error flows back only along the cell state (the constant error carousel).
    /// This is h-detach with probability 1. Forward-mode tangents are never truncated.
    /// </summary>
    public bool TruncatedGradient { get; init; } = true;

    /// <summary>Initial input gate biases per block (drift remedy); null keeps the uniform draw.</summary>
    public StaggeredBias? InputGateBias { get; init; }

    /// <summary>Initial output gate biases per block (abuse remedy); null keeps the uniform draw.</summary>
    public StaggeredBias? OutputGateBias { get; init; }
}
