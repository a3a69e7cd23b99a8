// 1997 tasks 4 (adding problem) and 5 (multiplication problem): sequences of (value, marker) pairs in
// which two pairs are marked; after the last pair the network outputs a function of the two marked
// values (last-step regression). Both tasks share the sequence layout here and differ only in the value
// range, the rare first-pair case, the target and the criterion. Not the later "adding problem" variants
// (e.g. fixed length with markers anywhere).
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Sequences of length uniform in [T, T + T/10] of pairs (value, marker). One of the first ten pairs is
/// marked (X1), then one of the first T/2 − 1 still unmarked pairs (X2); markers are 1.0 there, −1.0 on
/// the first and last pair otherwise, 0 elsewhere. The minimal lag from X2 to the end is T/2.
/// </summary>
public abstract class MarkedPairsTask : SequenceTask
{
    private const double ErrorBound = 0.04;

    private protected MarkedPairsTask(int minLength, double allowedWrongFraction, double meanAbsoluteErrorBelow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minLength, 20); // X1 among the first ten pairs lies in the first T/2
        MinimalLength = minLength;
        Criterion = new($"the absolute error at sequence end is ≥ {ErrorBound}", allowedWrongFraction, meanAbsoluteErrorBelow);
    }

    /// <summary>T, the shortest sequence (the paper uses 100, 500, 1000).</summary>
    public int MinimalLength { get; }

    /// <summary>Values are uniform in [ValueLow, 1].</summary>
    public abstract double ValueLow { get; }

    /// <summary>The value a marked first pair gets (the paper sets X1 so that it does not change the target).</summary>
    public abstract double MarkedFirstPairValue { get; }

    /// <summary>Target at sequence end from the two marked values.</summary>
    public abstract double Target(double x1, double x2);

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Vectors;

    /// <summary>Two features: value and marker.</summary>
    public override int InputSize => 2;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.LastStepRegression;

    /// <inheritdoc/>
    public override int OutputSize => 1;

    /// <inheritdoc/>
    public override int MinLength => MinimalLength;

    /// <inheritdoc/>
    public override int? MaxLength => MinimalLength + MinimalLength / 10;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; }

    /// <inheritdoc/>
    protected override void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence)
    {
        int length = MinimalLength + rng.NextInt(MinimalLength / 10 + 1);
        int first = rng.NextInt(10);
        int second = rng.NextInt(MinimalLength / 2 - 1); // index among the first T/2 − 1 pairs other than the first marked
        if (second >= first) second++;
        double x1 = 0, x2 = 0;
        for (int t = 0; t < length; t++)
        {
            bool marked = t == first || t == second;
            double value = marked && t == 0 ? MarkedFirstPairValue : rng.Uniform(ValueLow, 1.0);
            double marker = marked ? 1.0 : t == 0 || t == length - 1 ? -1.0 : 0.0;
            if (t == first) x1 = value;
            if (t == second) x2 = value;
            sequence.Vector(t, 0, value);
            sequence.Vector(t, 1, marker);
        }
        sequence.Value(0, Target(x1, x2));
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence)
    {
        double error = Math.Abs(double.CreateChecked(sequence.Final[0]) - sequence.Value(0));
        return TaskScore.Single(error >= ErrorBound, error);
    }
}

/// <summary>
/// Task 4, the adding problem: values uniform in [−1, 1], target 0.5 + (X1 + X2)/4 (the sum scaled to
/// [0, 1]); a marked first pair has X1 = 0. Wrong when the absolute error at sequence end is ≥ 0.04; solved
/// (ST3(0.01)) when no sequence is wrong and the mean absolute error is below 0.01.
/// </summary>
/// <remarks>The paper stops on "average training error below 0.01"; we read it as mean absolute error.</remarks>
public sealed class AddingTask(int minLength) : MarkedPairsTask(minLength, 0, 0.01)
{
    /// <inheritdoc/>
    public override double ValueLow => -1.0;

    /// <inheritdoc/>
    public override double MarkedFirstPairValue => 0.0;

    /// <inheritdoc/>
    public override double Target(double x1, double x2) => 0.5 + (x1 + x2) / 4.0;
}

/// <summary>
/// Task 5, the multiplication problem: values uniform in [0, 1], target X1 · X2; a marked first pair has
/// X1 = 1. Wrong when the absolute error is ≥ 0.04; solved when fewer than n_seq of 2000 sequences are
/// wrong (the paper tests at n_seq = 140 and n_seq = 13).
/// </summary>
/// <remarks>The slides give only the target; the value range and first-pair value follow the paper's text.</remarks>
public sealed class MultiplicationTask(int minLength, int wrongPer2000 = 13) : MarkedPairsTask(minLength, (wrongPer2000 - 1) / 2000.0, double.PositiveInfinity)
{
    /// <inheritdoc/>
    public override double ValueLow => 0.0;

    /// <inheritdoc/>
    public override double MarkedFirstPairValue => 1.0;

    /// <inheritdoc/>
    public override double Target(double x1, double x2) => x1 * x2;
}
