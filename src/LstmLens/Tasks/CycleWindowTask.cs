// Verwimp et al.'s cycles corpus as a sequence task: each sequence is a window of consecutive tokens cut
// from a fresh stream of cycle lines (with <eos>), read one token per step, with the next token as the
// per-step softmax target. The first warm-up steps carry no target, so every scored prediction has at
// least that much context — enough for the 16-step dependency when the warm-up is ≥ 16 — and a model that
// starts each window from a zero state can reach the stream's minimal perplexity. Not a language-model
// trainer: no state crosses windows; the paper trained with the state carried through one long stream.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Windows of <see cref="Window"/> tokens from <see cref="Corpus"/>; steps t ≥ <see cref="Warmup"/> predict token
/// t + 1. A prediction is wrong unless the target's probability is strictly the largest; the task counts as
/// solved when no more predictions are wrong than the unpredictable ones (the new token of each cycle and the
/// line ends: 1 / (Repetitions + 1) plus a margin of one percentage point).
/// </summary>
public sealed class CycleWindowTask : SequenceTask
{
    /// <summary>Windows of <paramref name="window"/> steps from <paramref name="corpus"/>, the first <paramref name="warmup"/> unscored.</summary>
    public CycleWindowTask(CycleCorpus corpus, int window = 64, int warmup = 32)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, warmup);
        (Corpus, Window, Warmup) = (corpus, window, warmup);
        Criterion = new("the next token's probability is not strictly the largest", 1.0 / (corpus.Repetitions + 1) + 0.01);
    }

    /// <summary>The corpus the windows are cut from.</summary>
    public CycleCorpus Corpus { get; }

    /// <summary>Steps per window.</summary>
    public int Window { get; }

    /// <summary>Leading steps without a target.</summary>
    public int Warmup { get; }

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Tokens;

    /// <summary>The corpus vocabulary (&lt;unk&gt;, &lt;eos&gt;, the tokens).</summary>
    public override int InputSize => Corpus.Vocabulary.Count;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.PerStepSoftmax;

    /// <inheritdoc/>
    public override int OutputSize => Corpus.Vocabulary.Count;

    /// <inheritdoc/>
    public override int MinLength => Window;

    /// <inheritdoc/>
    public override int? MaxLength => Window;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; }

    /// <inheritdoc/>
    protected override void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence)
    {
        // Window + 1 consecutive ids of the stream "words of line 1, <eos>, words of line 2, <eos>, …".
        var vocabulary = Corpus.Vocabulary;
        var ids = Corpus.Lines(rng).SelectMany(line => line.Words.Select(w => vocabulary[w]).Append(vocabulary.EndOfSentence))
            .Take(Window + 1).ToArray();
        for (int t = 0; t < Window; t++)
        {
            sequence.Token(t, ids[t]);
            if (t >= Warmup) sequence.StepClass(t, ids[t + 1]);
        }
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence)
    {
        var score = default(TaskScore);
        for (int t = Warmup; t < sequence.Length; t++) score += TaskScore.Single(!IsStrictArgMax(sequence.At(t), sequence.StepClass(t)));
        return score;
    }
}
