// Argument checks shared by the layers: buffer lengths against the shapes they must hold, and token
// ids against the vocabulary (an id outside it is the caller's error, reported with its position,
// never read as a neighbouring row of a table).
namespace LstmLens.Layers;

/// <summary>Validation helpers for layer arguments.</summary>
internal static class Checks
{
    /// <summary>Throws when a buffer named <paramref name="name"/> has <paramref name="actual"/> elements instead of <paramref name="expected"/>.</summary>
    public static void Length(int actual, int expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"{name} has {actual} elements; expected {expected}", name);
    }

    /// <summary>Throws when <paramref name="token"/> is outside [0, <paramref name="vocabularySize"/>).</summary>
    public static void Token(int token, int position, int vocabularySize)
    {
        if ((uint)token >= (uint)vocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), token,
                $"token id {token} at position {position} is outside the vocabulary [0, {vocabularySize})");
    }
}
