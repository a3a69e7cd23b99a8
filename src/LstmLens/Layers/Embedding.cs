// Token embedding table (PyTorch nn.Embedding): forward gathers rows, backward scatter-adds into the
// table's gradient. Not a sparse-gradient implementation: the gradient lives in the model's dense
// gradient store like every other parameter.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Layers;

/// <summary>Embedding table <c>{prefix}weight</c> [V, E]; row v is the vector of token v.</summary>
/// <remarks><code>y[n, :] = W[token[n], :]        dW[token[n], :] += dy[n, :]</code></remarks>
public sealed class Embedding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Kernels<T> K;

    /// <summary>Declares the table <c>{prefix}weight</c> [V, E] (e.g. prefix "encoder.").</summary>
    public Embedding(ParameterStore<T> store, string prefix, int vocabularySize, int embeddingSize, Kernels<T>? kernels = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        K = kernels ?? Compute.Kernels<T>();
        VocabularySize = vocabularySize;
        EmbeddingSize = embeddingSize;
        Weight = store.Add($"{prefix}weight", vocabularySize, embeddingSize);
    }

    /// <summary>V, the number of rows.</summary>
    public int VocabularySize { get; }

    /// <summary>E, the width of a row.</summary>
    public int EmbeddingSize { get; }

    /// <summary>The table [V, E].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>Fills the table with standard normal draws, PyTorch's default.</summary>
    public void InitializeDefault(Rng rng)
    {
        foreach (ref T w in Weight.Value) w = T.CreateChecked(rng.Normal());
    }

    /// <summary>
    /// Gathers the rows of <paramref name="tokens"/> [N] into <paramref name="output"/> [N, E].
    /// Throws <see cref="ArgumentOutOfRangeException"/> for an id outside [0, V).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, Span<T> output)
    {
        int e = EmbeddingSize;
        Checks.Length(output.Length, tokens.Length * e, nameof(output));
        ReadOnlySpan<T> table = Weight.Value;
        for (int n = 0; n < tokens.Length; n++)
        {
            Checks.Token(tokens[n], n, VocabularySize);
            table.Slice(tokens[n] * e, e).CopyTo(output.Slice(n * e, e));
        }
    }

    /// <summary>Adds <paramref name="dOutput"/> [N, E] into the rows of the table gradient named by <paramref name="tokens"/> [N].</summary>
    public void Backward(ReadOnlySpan<int> tokens, ReadOnlySpan<T> dOutput)
    {
        int e = EmbeddingSize;
        Checks.Length(dOutput.Length, tokens.Length * e, nameof(dOutput));
        var dWeight = Weight.Gradient;
        for (int n = 0; n < tokens.Length; n++)
        {
            Checks.Token(tokens[n], n, VocabularySize);
            var row = dWeight.Slice(tokens[n] * e, e);
            K.Add(row, dOutput.Slice(n * e, e), row);
        }
    }
}
