// One-hot input encoding: token ids become unit vectors, for tasks whose inputs are symbols but whose
// papers feed them without an embedding table (1997 tasks, copying). It has no parameters and its
// input is discrete, so there is no backward pass.
using System.Numerics;

namespace LstmLens.Layers;

/// <summary>Token ids to one-hot vectors.</summary>
public static class OneHot
{
    /// <summary>
    /// Writes <paramref name="output"/> [N, V]: row n is the unit vector of <paramref name="tokens"/>[n].
    /// Throws <see cref="ArgumentOutOfRangeException"/> for an id outside [0, V).
    /// </summary>
    public static void Forward<T>(ReadOnlySpan<int> tokens, int vocabularySize, Span<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        Checks.Length(output.Length, tokens.Length * vocabularySize, nameof(output));
        output.Clear();
        for (int n = 0; n < tokens.Length; n++)
        {
            Checks.Token(tokens[n], n, vocabularySize);
            output[n * vocabularySize + tokens[n]] = T.One;
        }
    }
}
