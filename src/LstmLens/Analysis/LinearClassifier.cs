// The decision rule shared by the linear probes (LinearDiscriminantAnalysis, LogisticRegression): one
// score per class, w_c·x + b_c, and the class with the largest score wins; plus the argument checks
// both Fit methods make. Not a model of its own: it never fits anything.
namespace LstmLens.Analysis;

/// <summary>Linear scores <c>s_c = w_c·x + b_c</c> over <see cref="Classes"/> classes; classes with b_c = −∞ are never predicted.</summary>
internal sealed class LinearClassifier
{
    private readonly double[] _weights; // [C, D]
    private readonly double[] _biases;  // [C], −∞ for classes absent from training

    public LinearClassifier(double[] weights, double[] biases, int dimensions)
    {
        (_weights, _biases, Dimensions) = (weights, biases, dimensions);
        Classes = biases.Length;
    }

    public int Classes { get; }

    public int Dimensions { get; }

    /// <summary>The class with the largest score (the lowest index on ties); x is [D].</summary>
    public int Predict(ReadOnlySpan<double> x)
    {
        if (x.Length != Dimensions) throw new ArgumentException($"x has {x.Length} values, the model {Dimensions} dimensions.", nameof(x));
        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int c = 0; c < Classes; c++)
        {
            if (double.IsNegativeInfinity(_biases[c])) continue;
            double score = _biases[c];
            var w = _weights.AsSpan(c * Dimensions, Dimensions);
            for (int j = 0; j < Dimensions; j++) score += w[j] * x[j];
            if (best < 0 || score > bestScore) (best, bestScore) = (c, score);
        }
        return best;
    }

    /// <summary>Fraction of the rows of features [rows, D] whose prediction equals the label; NaN for no rows.</summary>
    public double Accuracy(ReadOnlySpan<double> features, int rows, ReadOnlySpan<int> labels)
    {
        CheckShapes(features, rows, Dimensions, labels);
        if (rows == 0) return double.NaN;
        int correct = 0;
        for (int i = 0; i < rows; i++)
            if (Predict(features.Slice(i * Dimensions, Dimensions)) == labels[i]) correct++;
        return (double)correct / rows;
    }

    /// <summary>Throws unless features is [rows, dimensions] and labels is [rows].</summary>
    public static void CheckShapes(ReadOnlySpan<double> features, int rows, int dimensions, ReadOnlySpan<int> labels)
    {
        CheckFeatures(features, rows, dimensions);
        if (labels.Length != rows) throw new ArgumentException($"labels has {labels.Length} values, not rows = {rows}.", nameof(labels));
    }

    /// <summary>Throws unless features is [rows, dimensions].</summary>
    public static void CheckFeatures(ReadOnlySpan<double> features, int rows, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        if (features.Length != rows * dimensions)
            throw new ArgumentException($"features has {features.Length} values, not rows·dimensions = {rows}·{dimensions}.", nameof(features));
    }

    /// <summary>Rows per class [classes] of training labels, which must lie in [0, classes).</summary>
    public static int[] CountClasses(ReadOnlySpan<int> labels, int classes)
    {
        var counts = new int[classes];
        foreach (int label in labels)
        {
            if ((uint)label >= (uint)classes) throw new ArgumentException($"label {label} is outside [0, {classes}).", nameof(labels));
            counts[label]++;
        }
        return counts;
    }
}
