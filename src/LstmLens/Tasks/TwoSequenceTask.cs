// 1997 tasks 3a/3b/3c, Bengio et al.'s 2-sequence problem: noise and signal on one real input line. The
// class shows only in the first N elements; the rest is Gaussian noise; the network answers after the
// last element (last-step regression, one output). 3b adds noise to the informative elements, 3c to the
// targets (0.2 / 0.8), which the network must average out. Not Bengio et al.'s variant with lengths
// down to T/2.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Sequences of length uniform in [T, T + T/10], one feature: the first N elements are +1 (class 0, the
/// paper's class 1) or −1 (class 1, the paper's class 2), each class with probability 1/2; later elements
/// are drawn from N(0, 0.2) (variance 0.2). The regression target at sequence end is 1.0 / 0.0 (3a, 3b) or
/// 0.2 / 0.8 plus N(0, 0.1) noise (3c). <see cref="TaskBatch{T}.Classes"/> holds the class, which fixes
/// the noise-free target the criterion uses.
/// </summary>
public sealed class TwoSequenceTask : SequenceTask
{
    private const double NoiseVariance = 0.2;
    private const double TargetNoiseVariance = 0.1;

    private readonly double[] _classTargets;
    private readonly double _inputNoise, _targetNoise, _errorBound;

    private TwoSequenceTask(int minLength, int informative, double inputNoise, double targetNoise, double[] classTargets,
        double errorBound, double allowedWrongFraction, double meanAbsoluteErrorBelow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(informative, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minLength, informative);
        (MinimalLength, Informative, _inputNoise, _targetNoise, _classTargets, _errorBound) =
            (minLength, informative, inputNoise, targetNoise, classTargets, errorBound);
        Criterion = new($"|output − noise-free target| at sequence end is ≥ {errorBound}", allowedWrongFraction, meanAbsoluteErrorBelow);
    }

    /// <summary>Task 3a. Solved (ST2): none of the test sequences misclassified (error ≥ 0.2) and mean absolute error &lt; 0.01.</summary>
    public static TwoSequenceTask Clean(int minLength, int informative) =>
        new(minLength, informative, 0, 0, [1.0, 0.0], 0.2, 0, 0.01);

    /// <summary>
    /// Task 3b: N(0, 0.2) noise on the first N elements too. Solved (ST2): fewer than 6 of 256 test sequences
    /// misclassified (a wrong fraction of at most 5/256) and mean absolute error &lt; 0.04.
    /// </summary>
    public static TwoSequenceTask NoisyInputs(int minLength, int informative) =>
        new(minLength, informative, Math.Sqrt(NoiseVariance), 0, [1.0, 0.0], 0.2, 5.0 / 256, 0.04);

    /// <summary>
    /// Task 3c: targets 0.2 / 0.8 with N(0, 0.1) noise. Misclassified when |output − noise-free target| &gt; 0.1;
    /// solved with none misclassified and mean absolute difference to the noise-free target &lt; 0.015.
    /// </summary>
    public static TwoSequenceTask NoisyTargets(int minLength, int informative) =>
        new(minLength, informative, 0, Math.Sqrt(TargetNoiseVariance), [0.2, 0.8], 0.1, 0, 0.015);

    /// <summary>T, the shortest sequence (the paper uses 100 and 1000).</summary>
    public int MinimalLength { get; }

    /// <summary>N, the informative first elements (the paper uses 1 and 3).</summary>
    public int Informative { get; }

    /// <summary>Noise-free target of class <paramref name="c"/> (0 or 1).</summary>
    public double ClassTarget(int c) => _classTargets[c];

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Vectors;

    /// <inheritdoc/>
    public override int InputSize => 1;

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
        int c = rng.NextInt(2);
        int length = MinimalLength + rng.NextInt(MinimalLength / 10 + 1);
        double signal = c == 0 ? 1.0 : -1.0, noise = Math.Sqrt(NoiseVariance);
        for (int t = 0; t < length; t++)
            sequence.Vector(t, 0, t < Informative ? signal + _inputNoise * rng.Normal() : noise * rng.Normal());
        sequence.Class(c);
        sequence.Value(0, _classTargets[c] + _targetNoise * rng.Normal());
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence)
    {
        double error = Math.Abs(double.CreateChecked(sequence.Final[0]) - _classTargets[sequence.Class]);
        return TaskScore.Single(error >= _errorBound, error);
    }
}
