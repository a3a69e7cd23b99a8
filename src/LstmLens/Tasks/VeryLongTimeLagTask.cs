// 1997 task 2c: very long time lags, no local regularities. A start symbol b, the symbol x or y to be
// remembered, at least q random distractors, a geometric number of further distractors, the trigger e;
// the network must then name the remembered symbol (last-step softmax over x, y). Not tasks 2a/2b
// (LongTimeLagTask), which predict every next element.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Sequences (b, x, a_i1, …, a_i(q+k), e, x) and (b, y, …, e, y) over p + 4 symbols: distractors a1 … a_p
/// (ids 0 … p−1), e (p), b (p + 1), x (p + 2), y (p + 3). The prefix b, x|y, q distractors is followed by
/// further distractors, each with probability 9/10, until e (probability 1/10). Inputs are every element
/// but the last (q + k + 3 steps); the target is the last element as class 0 (x) or 1 (y). The minimal
/// lag is q + 1 steps; k is geometric with mean 9, so sequences have q + 13 elements on average and each
/// distractor occurs (q + 9)/p times (the paper rounds these to q + 14 and (q + 10)/p).
/// </summary>
/// <remarks>
/// Choice where the slides are garbled: distractors are uniform over a1 … a_p (the paper prints the index
/// bound as q, which only makes sense for p = q; its table of expected distractor frequency q/p needs p).
/// Success: the absolute error of both output units at sequence end is below 0.2 on 10,000 successive
/// random sequences.
/// </remarks>
public sealed class VeryLongTimeLagTask : SequenceTask
{
    private const double ErrorBound = 0.2;
    private const double TriggerProbability = 0.1;

    /// <summary>Creates the task with p distractor symbols and minimal distractor run q (paper: p, q up to 1000).</summary>
    public VeryLongTimeLagTask(int distractors, int minimalLag)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(distractors, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimalLag, 0);
        (Distractors, MinimalLag) = (distractors, minimalLag);
    }

    /// <summary>p, the number of distractor symbols.</summary>
    public int Distractors { get; }

    /// <summary>q, the number of distractors every sequence has.</summary>
    public int MinimalLag { get; }

    /// <summary>Id of the trigger symbol e.</summary>
    public int Trigger => Distractors;

    /// <summary>Id of the start symbol b.</summary>
    public int Start => Distractors + 1;

    /// <summary>Id of x (class 0); y is X + 1 (class 1).</summary>
    public int X => Distractors + 2;

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Tokens;

    /// <inheritdoc/>
    public override int InputSize => Distractors + 4;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.LastStepSoftmax;

    /// <summary>Two classes, x and y.</summary>
    public override int OutputSize => 2;

    /// <inheritdoc/>
    public override int MinLength => MinimalLag + 3;

    /// <summary>Unbounded: the suffix is geometric.</summary>
    public override int? MaxLength => null;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; } = new($"an output's absolute error at sequence end is ≥ {ErrorBound}");

    /// <inheritdoc/>
    protected override void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence)
    {
        int remembered = rng.NextInt(2);
        sequence.Token(0, Start);
        sequence.Token(1, X + remembered);
        int t = 2;
        for (; t < MinimalLag + 2; t++) sequence.Token(t, rng.NextInt(Distractors));
        for (; !rng.Bernoulli(TriggerProbability); t++) sequence.Token(t, rng.NextInt(Distractors));
        sequence.Token(t, Trigger);
        sequence.Class(remembered);
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence) =>
        OneHotScore(sequence.Final, sequence.Class, ErrorBound);
}
