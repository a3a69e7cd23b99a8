// 1997 tasks 2a and 2b: symbol sequences whose last element repeats the first after p steps, predicted
// one step ahead at every step (per-step softmax over the p + 1 symbols). 2a has one fixed middle
// a1 … a(p−1) (only two training sequences); 2b draws the middle at random so that nothing but the end
// is predictable. Task 2c (prefix, distractors, geometric suffix) is VeryLongTimeLagTask.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Sequences (y, a1, …, a(p−1), y) and (x, a1, …, a(p−1), x), each with probability 1/2, over p + 1 symbols
/// a1 … a(p−1) (ids 0 … p−2), x = a_p (id p − 1), y = a(p+1) (id p). The network reads the first p
/// elements and predicts the next element at every step. Task 2a: the middle is a1 … a(p−1) in order;
/// task 2b: each middle element is drawn uniformly from a1 … a(p−1).
/// </summary>
/// <remarks>
/// Success (the paper, 2b; the table gives 2a the same ABS(0.25)): at sequence end — the prediction of the
/// final x or y — the absolute error of every output unit is below 0.25, on 10,000 successive random
/// sequences.
/// </remarks>
public sealed class LongTimeLagTask : SequenceTask
{
    private const double ErrorBound = 0.25;

    private LongTimeLagTask(int delay, bool randomMiddle)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, 2);
        (Delay, RandomMiddle) = (delay, randomMiddle);
        Criterion = new($"an output's absolute error at the final prediction is ≥ {ErrorBound}");
    }

    /// <summary>Task 2a: noise-free sequences with long time lags (the paper uses p = 100).</summary>
    public static LongTimeLagTask NoiseFree(int delay) => new(delay, randomMiddle: false);

    /// <summary>Task 2b: no local regularities, the middle is random (the paper uses p = 100).</summary>
    public static LongTimeLagTask NoLocalRegularities(int delay) => new(delay, randomMiddle: true);

    /// <summary>p: the first element must be remembered for p steps.</summary>
    public int Delay { get; }

    /// <summary>True for task 2b.</summary>
    public bool RandomMiddle { get; }

    /// <summary>Id of x = a_p.</summary>
    public int X => Delay - 1;

    /// <summary>Id of y = a(p+1).</summary>
    public int Y => Delay;

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Tokens;

    /// <inheritdoc/>
    public override int InputSize => Delay + 1;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.PerStepSoftmax;

    /// <inheritdoc/>
    public override int OutputSize => Delay + 1;

    /// <inheritdoc/>
    public override int MinLength => Delay;

    /// <inheritdoc/>
    public override int? MaxLength => Delay;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; }

    /// <inheritdoc/>
    protected override void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence)
    {
        int first = rng.Bernoulli(0.5) ? X : Y;
        int previous = first;
        for (int t = 1; t <= Delay; t++)
        {
            int element = t == Delay ? first : RandomMiddle ? rng.NextInt(Delay - 1) : t - 1;
            sequence.Token(t - 1, previous);
            sequence.StepClass(t - 1, element);
            previous = element;
        }
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence)
    {
        int last = sequence.Length - 1;
        return OneHotScore(sequence.At(last), sequence.StepClass(last), ErrorBound);
    }
}
