// A corpus as one continuous stream of token ids (an <eos> after every sentence), keeping for every
// position its sentence and word index so that tags and dependency trees reach the analyses aligned
// with the tokens. Also the truncated-BPTT view of such a stream: B parallel streams cut in windows.
namespace LstmLens.Data;

/// <summary>Token ids of a corpus with the alignment back to its sentences.</summary>
public sealed class TokenStream
{
    private TokenStream(int[] ids, int[] sentenceIndex, int[] wordIndex, IReadOnlyList<Sentence> sentences, int unknown)
    {
        Ids = ids;
        SentenceIndex = sentenceIndex;
        WordIndex = wordIndex;
        Sentences = sentences;
        UnknownCount = unknown;
    }

    /// <summary>Token ids, one &lt;eos&gt; after each sentence.</summary>
    public int[] Ids { get; }

    /// <summary>Per position: index of its sentence in <see cref="Sentences"/>.</summary>
    public int[] SentenceIndex { get; }

    /// <summary>Per position: index of its word in the sentence, or -1 for the appended &lt;eos&gt;.</summary>
    public int[] WordIndex { get; }

    /// <summary>The sentences the stream was made from.</summary>
    public IReadOnlyList<Sentence> Sentences { get; }

    /// <summary>Words mapped to &lt;unk&gt; (not counting literal &lt;unk&gt; tokens).</summary>
    public int UnknownCount { get; }

    /// <summary>Number of positions.</summary>
    public int Count => Ids.Length;

    /// <summary>Tag of position <paramref name="i"/> (null for &lt;eos&gt; or untagged corpora).</summary>
    public string? TagAt(int i) => WordIndex[i] < 0 ? null : Sentences[SentenceIndex[i]].Tags?[WordIndex[i]];

    /// <summary>
    /// Maps sentences to ids; words outside the vocabulary become &lt;unk&gt;. With <paramref name="limit"/>, the stream
    /// stops after that many positions.
    /// </summary>
    public static TokenStream From(IReadOnlyList<Sentence> sentences, Vocabulary vocabulary, int? limit = null)
    {
        if (limit < 1) throw new ArgumentOutOfRangeException(nameof(limit), $"a stream needs at least one position (got {limit})");
        int total = Math.Min(sentences.Sum(s => s.Words.Length + 1), limit ?? int.MaxValue), unknown = 0, at = 0;
        int[] ids = new int[total], sentenceIndex = new int[total], wordIndex = new int[total];
        for (int s = 0; s < sentences.Count && at < total; s++)
        {
            var words = sentences[s].Words;
            for (int w = 0; w <= words.Length && at < total; w++, at++)
            {
                bool eos = w == words.Length;
                ids[at] = eos ? vocabulary.EndOfSentence : vocabulary[words[w]];
                if (!eos && ids[at] == vocabulary.Unknown && words[w] != Vocabulary.UnknownToken) unknown++;
                sentenceIndex[at] = s;
                wordIndex[at] = eos ? -1 : w;
            }
        }
        return new TokenStream(ids, sentenceIndex, wordIndex, sentences, unknown);
    }
}

/// <summary>
/// Truncated-BPTT batching of a stream (PyTorch word_language_model convention): the stream is cut into
/// B contiguous columns of n = ⌊N / B⌋ tokens (the remainder is dropped), and read in windows of T steps;
/// window k covers steps kT … min(kT + T, n − 1) − 1 with targets one step ahead, so the last window may
/// be shorter. Column b's hidden state carries from one window to the next.
/// </summary>
public sealed class BpttBatches
{
    private readonly int[] _ids;

    /// <summary>Batches <paramref name="ids"/> into <paramref name="batch"/> streams read <paramref name="window"/> steps at a time.</summary>
    public BpttBatches(int[] ids, int batch, int window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        if (ids.Length / batch < 2)
            throw new InvalidDataException($"{ids.Length} tokens are too few for {batch} parallel streams (each needs at least 2)");
        _ids = ids;
        Batch = batch;
        Window = window;
        ColumnLength = ids.Length / batch;
    }

    /// <summary>B, parallel streams.</summary>
    public int Batch { get; }

    /// <summary>T, steps per window.</summary>
    public int Window { get; }

    /// <summary>n, tokens per stream.</summary>
    public int ColumnLength { get; }

    /// <summary>Windows per pass over the data.</summary>
    public int Count => (ColumnLength - 1 + Window - 1) / Window;

    /// <summary>Predicted tokens per pass: (n − 1) · B.</summary>
    public long TargetCount => (long)(ColumnLength - 1) * Batch;

    /// <summary>Steps in window <paramref name="k"/> (T, or fewer for the last).</summary>
    public int StepsIn(int k) => Math.Min(Window, ColumnLength - 1 - k * Window);

    /// <summary>
    /// Index in the stream of the target of step <paramref name="t"/> of window <paramref name="k"/> in column
    /// <paramref name="b"/>: b·n + kT + t + 1. Its column has read kT + t + 1 tokens up to and including the input.
    /// </summary>
    public int TargetPosition(int k, int t, int b) => b * ColumnLength + k * Window + t + 1;

    /// <summary>Fills window <paramref name="k"/>: inputs and targets [steps, B] time-major; returns steps.</summary>
    public int Fill(int k, Span<int> inputs, Span<int> targets)
    {
        if ((uint)k >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(k));
        int steps = StepsIn(k);
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < Batch; b++)
            {
                int target = TargetPosition(k, t, b);
                inputs[t * Batch + b] = _ids[target - 1];
                targets[t * Batch + b] = _ids[target];
            }
        }
        return steps;
    }
}
