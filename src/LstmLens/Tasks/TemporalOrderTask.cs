// 1997 tasks 6a and 6b, temporal order: classify a sequence by the order in which two (6a) or three (6b)
// widely separated X/Y symbols occur among random distractors (last-step softmax over 4 or 8 classes).
// Not a counting task: only the order of the relevant symbols decides the class.
using System.Numerics;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Sequences over E B a b c d X Y (ids 0–7) of length uniform in [100, 110]: E first, the trigger B last,
/// random distractors from {a, b, c, d} elsewhere, except at the relevant steps (1-based, each uniform in
/// its range) which hold X or Y. The class reads the X/Y symbols as binary digits, first symbol most
/// significant, X = 0, Y = 1: 6a X,X→Q X,Y→R Y,X→S Y,Y→U; 6b X,X,X→Q … Y,Y,Y→C in the order Q R S U V A B C.
/// </summary>
/// <remarks>
/// Success: a sequence is classified correctly when every output unit's absolute error at the end is below
/// 0.3; solved (ST3(0.1)) when no sequence is misclassified and the average error is below 0.1, where we
/// take a sequence's error to be its largest output-unit error (the quantity the 0.3 bound applies to).
/// </remarks>
public sealed class TemporalOrderTask : SequenceTask
{
    /// <summary>The symbols in id order.</summary>
    public const string Symbols = "EBabcdXY";

    private const int Begin = 0, Trigger = 1, FirstDistractor = 2, Distractors = 4, X = 6;
    private const int ShortestLength = 100, LongestLength = 110;
    private const double ErrorBound = 0.3;

    private readonly (int First, int Last)[] _relevantSteps;

    private TemporalOrderTask(string classNames, params (int First, int Last)[] relevantSteps)
    {
        (ClassNames, _relevantSteps) = (classNames, relevantSteps);
        Criterion = new($"an output's absolute error at sequence end is ≥ {ErrorBound}", 0, 0.1);
    }

    /// <summary>Task 6a: X/Y at steps t1 ∈ [10, 20] and t2 ∈ [50, 60]; classes Q R S U.</summary>
    public static TemporalOrderTask TwoSymbols() => new("QRSU", (10, 20), (50, 60));

    /// <summary>Task 6b: X/Y at steps t1 ∈ [10, 20], t2 ∈ [33, 43], t3 ∈ [66, 76]; classes Q R S U V A B C.</summary>
    public static TemporalOrderTask ThreeSymbols() => new("QRSUVABC", (10, 20), (33, 43), (66, 76));

    /// <summary>The paper's class letters in class-id order.</summary>
    public string ClassNames { get; }

    /// <summary>Number of relevant X/Y symbols.</summary>
    public int RelevantSymbols => _relevantSteps.Length;

    /// <inheritdoc/>
    public override TaskInputKind InputKind => TaskInputKind.Tokens;

    /// <inheritdoc/>
    public override int InputSize => Symbols.Length;

    /// <inheritdoc/>
    public override OutputKind OutputKind => OutputKind.LastStepSoftmax;

    /// <inheritdoc/>
    public override int OutputSize => 1 << _relevantSteps.Length;

    /// <inheritdoc/>
    public override int MinLength => ShortestLength;

    /// <inheritdoc/>
    public override int? MaxLength => LongestLength;

    /// <inheritdoc/>
    public override SuccessCriterion Criterion { get; }

    /// <inheritdoc/>
    protected override void DrawSequence<T>(Rng rng, SequenceWriter<T> sequence)
    {
        int length = ShortestLength + rng.NextInt(LongestLength - ShortestLength + 1);
        Span<int> steps = stackalloc int[_relevantSteps.Length];   // 0-based steps of the X/Y symbols, ascending
        int c = 0;
        for (int i = 0; i < steps.Length; i++)
        {
            var (first, last) = _relevantSteps[i];
            steps[i] = first - 1 + rng.NextInt(last - first + 1);
            c = 2 * c + rng.NextInt(2);
        }
        for (int t = 0, relevant = 0; t < length; t++)
        {
            int symbol;
            if (t == 0) symbol = Begin;
            else if (t == length - 1) symbol = Trigger;
            else if (relevant < steps.Length && t == steps[relevant])
            {
                symbol = X + ((c >> (steps.Length - 1 - relevant)) & 1); // the class's binary digits, first symbol most significant
                relevant++;
            }
            else symbol = FirstDistractor + rng.NextInt(Distractors);
            sequence.Token(t, symbol);
        }
        sequence.Class(c);
    }

    /// <inheritdoc/>
    protected override TaskScore ScoreSequence<T>(SequenceOutputs<T> sequence) =>
        OneHotScore(sequence.Final, sequence.Class, ErrorBound);
}
