// The copying task (Arjovsky et al.; h-detach paper appendix A): remember a few symbols across a long
// blank delay and reproduce them after a delimiter. Generates batches time-major; scores accuracy on
// the recalled symbols only. Not a data set on disk: every batch is drawn fresh from the generator.
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Copying task with delay T: input = <c>symbols</c> tokens from {1..alphabet}, T−1 blanks (0), the
/// delimiter (alphabet + 1), then <c>symbols</c> blanks; target = T + symbols blanks, then the symbols.
/// Sequence length T + 2·symbols (T + 20 for the paper's 10 symbols over {1..8}).
/// </summary>
public sealed class CopyingTask
{
    /// <summary>Creates the task; the paper uses 10 symbols over an alphabet of 8.</summary>
    public CopyingTask(int delay, int symbols = 10, int alphabet = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(symbols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(alphabet, 1);
        (Delay, Symbols, Alphabet) = (delay, symbols, alphabet);
    }

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

    /// <summary>Draws a batch: <paramref name="inputs"/> and <paramref name="targets"/> are [Length, batch] token ids.</summary>
    public void Sample(Rng rng, int batch, Span<int> inputs, Span<int> targets)
    {
        if (inputs.Length != Length * batch || targets.Length != Length * batch)
            throw new ArgumentException($"copying batches are [{Length}, {batch}]");
        inputs.Clear();
        targets.Clear();
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < Symbols; s++)
            {
                int symbol = 1 + rng.NextInt(Alphabet);
                inputs[s * batch + b] = symbol;
                targets[(Delay + Symbols + s) * batch + b] = symbol;
            }
            inputs[(Symbols + Delay - 1) * batch + b] = Delimiter;
        }
    }

    /// <summary>Fraction of recalled symbols (the last <see cref="Symbols"/> steps) predicted correctly; arrays [Length, batch].</summary>
    public double Accuracy(ReadOnlySpan<int> predictions, ReadOnlySpan<int> targets, int batch)
    {
        int correct = 0, start = (Delay + Symbols) * batch;
        for (int i = start; i < Length * batch; i++)
            if (predictions[i] == targets[i]) correct++;
        return correct / (double)(Symbols * batch);
    }
}
