// 1997 task 1: the embedded Reber grammar (Hochreiter & Schmidhuber, Figures 3 and 4). Strings are
// drawn by walking the grammar with a fair coin at every choice; the network reads one symbol per step
// and predicts the set of legal next symbols (multi-hot, per-step sigmoid). Not the plain Reber grammar
// task and not a fixed training/test set: fixed sets are drawn by re-using a seed.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Embedded Reber strings B (T|P) &lt;Reber string&gt; (same T|P) E over the symbols B T P S X V E (ids 0–6,
/// one token per step). Inputs: every symbol but the final E; targets at step t: the symbols that may
/// legally follow symbol t. Predicting the symbol before last needs the second symbol remembered.
/// </summary>
/// <remarks>
/// Success (the paper): a string is predicted correctly when at every step the output units of the legal
/// next symbols are the most active ones — every legal output above every illegal one; a trial succeeds
/// when all strings of the test (and training) set are predicted correctly.
/// </remarks>
public sealed class EmbeddedReberTask : SequenceTask
{
    /// <summary>The symbols in id order.</summary>
    public const string Symbols = "BTPSXVE";

    private const int B = 0, T = 1, P = 2, S = 3, X = 4, V = 5, E = 6;

    // Figure 3, the Reber grammar: Transitions[node] = the (symbol, next node) edges leaving node.
    // Node 0 is the entry, node 6 emits the final E, node 7 is the exit.
    private static readonly (int Symbol, int Next)[][] Transitions =
    [
        [(B, 1)],
        [(T, 2), (P, 3)],
        [(S, 2), (X, 4)],
        [(T, 3), (V, 5)],
        [(X, 3), (S, 6)],
        [(P, 4), (V, 6)],
        [(E, 7)],
    ];

    private const int Exit = 7;

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Tokens;

    /// <inheritdoc/>
    public override int InputSize => Symbols.Length;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.PerStepSigmoid;

    /// <inheritdoc/>
    public override int OutputSize => Symbols.Length;

    /// <summary>The shortest string, B T B T X S E T E (or with P, V V), has 9 symbols: 8 input steps.</summary>
    public override int MinLength => 8;

    /// <summary>Unbounded: the S and T self-loops and the X/P cycle repeat with probability 1/2.</summary>
    public override int? MaxLength => null;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; } =
        new("at some step of the string an output of a legal next symbol is not above every output of an illegal one");

    /// <summary>
    /// Draws one embedded Reber string: its symbol ids and, per symbol, the bit mask (bit k = symbol k) of
    /// the symbols that may legally follow it (0 after the final E).
    /// </summary>
    public static (List<int> Symbols, List<int> LegalNext) DrawString(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var symbols = new List<int>();
        var legalNext = new List<int>();
        void Emit(int symbol, int next)
        {
            symbols.Add(symbol);
            legalNext.Add(next);
        }

        int branch = rng.Bernoulli(0.5) ? T : P;
        Emit(B, Bit(T) | Bit(P));
        Emit(branch, Bit(B));
        for (int node = 0; node != Exit;)
        {
            var edges = Transitions[node];
            (int symbol, node) = edges[edges.Length == 1 ? 0 : rng.NextInt(edges.Length)];
            Emit(symbol, node == Exit ? Bit(branch) : Leaving(node));
        }
        Emit(branch, Bit(E));
        Emit(E, 0);
        return (symbols, legalNext);
    }

    private static int Leaving(int node)
    {
        int mask = 0;
        foreach (var (symbol, _) in Transitions[node]) mask |= Bit(symbol);
        return mask;
    }

    private static int Bit(int symbol) => 1 << symbol;

    /// <inheritdoc/>
    protected override void DrawSequence<TValue>(Rng rng, SequenceWriter<TValue> sequence)
    {
        var (symbols, legalNext) = DrawString(rng);
        for (int t = 0; t < symbols.Count - 1; t++)
        {
            sequence.Token(t, symbols[t]);
            for (int k = 0; k < Symbols.Length; k++)
                if ((legalNext[t] & Bit(k)) != 0) sequence.StepLabel(t, k);
        }
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<TValue>(SequenceOutputs<TValue> sequence)
    {
        for (int t = 0; t < sequence.Length; t++)
        {
            ReadOnlySpan<TValue> outputs = sequence.At(t), legal = sequence.StepLabels(t);
            TValue lowestLegal = TValue.PositiveInfinity, highestIllegal = TValue.NegativeInfinity;
            for (int k = 0; k < outputs.Length; k++)
            {
                if (legal[k] > TValue.Zero) lowestLegal = TValue.Min(lowestLegal, outputs[k]);
                else highestIllegal = TValue.Max(highestIllegal, outputs[k]);
            }
            if (!(lowestLegal > highestIllegal)) return TaskScore.Single(wrong: true);
        }
        return TaskScore.Single(wrong: false);
    }
}
