// Scratch buffers that grow to the largest size asked for and are then reused, so that a warm training or
// analysis loop allocates nothing. Not a pool: each owner keeps its own arrays.
namespace LstmLens.Layers;

/// <summary>Growth of reusable scratch arrays.</summary>
internal static class Buffers
{
    /// <summary>Replaces <paramref name="buffer"/> by a new array when it holds fewer than <paramref name="length"/> elements (contents not kept).</summary>
    public static void Grow<TElement>(ref TElement[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new TElement[length];
    }
}
