// The copying task (Arjovsky et al.; h-detach paper appendix A): remember a few symbols across a long
// blank delay and reproduce them after a delimiter. Per-step softmax over the tokens; scored on the
// recalled symbols only. Transfer copying is this task at a larger delay than the one trained on. The
// tokens reach the network as token ids (one-hot, the default) or, as in the h-detach reference code, as
// one real input holding the id. Not a data set on disk: every batch is drawn fresh from the generator.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>How the copying task feeds its tokens to the network.</summary>
public enum CopyingEncoding
{
    /// <summary>One token id per step, read one-hot (or through an embedding): the paper's ten distinct tokens.</summary>
    OneHot,
    /// <summary>One real input per step whose value is the token id (0 blank, 1..alphabet, delimiter alphabet + 1), as the h-detach reference code feeds it.</summary>
    Scalar,
}

/// <summary>
/// Copying task with delay T: input = <c>symbols</c> tokens from {1..alphabet}, T−1 blanks (0), the
/// delimiter (alphabet + 1), then <c>symbols</c> blanks; target = T + symbols blanks, then the symbols.
/// Sequence length T + 2·symbols (T + 20 for the paper's 10 symbols over {1..8}).
/// </summary>
/// <remarks>
/// The h-detach paper reports validation accuracy on the recalled symbols and calls ~100% converged; a
/// recalled symbol is wrong unless its output is strictly the largest, and the task counts as solved
/// when none is wrong.
/// </remarks>
public sealed class CopyingTask : SequenceTask
{
    /// <summary>Creates the task; the paper uses 10 symbols over an alphabet of 8.</summary>
    public CopyingTask(int delay, int symbols = 10, int alphabet = 8, CopyingEncoding encoding = CopyingEncoding.OneHot)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(symbols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(alphabet, 1);
        if (!Enum.IsDefined(encoding)) throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "unknown copying encoding");
        (Delay, Symbols, Alphabet, Encoding) = (delay, symbols, alphabet, encoding);
    }

    /// <summary>Token ids or the id as one real input.</summary>
    public CopyingEncoding Encoding { get; }

    /// <summary>T, the blank delay between the symbols and the delimiter.</summary>
    public int Delay { get; }

    /// <summary>Symbols to remember.</summary>
    public int Symbols { get; }

    /// <summary>Symbols are drawn from {1..Alphabet}.</summary>
    public int Alphabet { get; }

    /// <summary>Token count: blank 0, symbols 1..Alphabet, delimiter Alphabet + 1.</summary>
    public int VocabularySize => Alphabet + 2;

    /// <summary>Steps per sequence.</summary>
    public int Length => Delay + 2 * Symbols;

    /// <summary>The delimiter token.</summary>
    public int Delimiter => Alphabet + 1;

    /// <inheritdoc/>
    public override TaskInputKind InputKind => Encoding == CopyingEncoding.Scalar ? TaskInputKind.Vectors : TaskInputKind.Tokens;

    /// <summary>The token count (one-hot), or 1 (scalar).</summary>
    public override int InputSize => Encoding == CopyingEncoding.Scalar ? 1 : VocabularySize;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.PerStepSoftmax;

    /// <summary>The decoder predicts over the same tokens it reads.</summary>
    public override int OutputSize => VocabularySize;

    /// <inheritdoc/>
    public override int MinLength => Length;

    /// <inheritdoc/>
    public override int? MaxLength => Length;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; } = new("at a recalled symbol's step the symbol's output is not strictly the largest");

    /// <inheritdoc/>
    protected override void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence)
    {
        for (int t = 0; t < Length; t++)
        {
            Input(sequence, t, 0);
            sequence.StepClass(t, 0);
        }
        for (int s = 0; s < Symbols; s++)
        {
            int symbol = 1 + rng.NextInt(Alphabet);
            Input(sequence, s, symbol);
            sequence.StepClass(Delay + Symbols + s, symbol);
        }
        Input(sequence, Symbols + Delay - 1, Delimiter);
    }

    // Token `token` at step t in the task's encoding.
    private void Input<T>(SequenceWriter<T> sequence, int t, int token) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Encoding == CopyingEncoding.Scalar) sequence.Vector(t, 0, token);
        else sequence.Token(t, token);
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence)
    {
        var score = default(TaskScore);
        for (int t = Delay + Symbols; t < Length; t++)
            score += TaskScore.Single(!IsStrictArgMax(sequence.At(t), sequence.StepClass(t)));
        return score;
    }
}
