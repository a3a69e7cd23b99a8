// Gaussian blobs for the probe tests: class c of C is centred at centres[c], with noise ε ~ N(0, I)
// mixed by an optional matrix A (x = μ_c + A ε, covariance A Aᵀ), rows interleaved by class. Test data,
// not a data set.
using LstmLens.Numerics;

namespace LstmLens.Tests.Analysis;

internal static class Blobs
{
    /// <summary>features [C · perClass, D] and labels [C · perClass]; row i has class i mod C; mixing is [D, D].</summary>
    public static (double[] Features, int[] Labels) Sample(double[][] centres, int perClass, Rng rng, double[,]? mixing = null)
    {
        int classes = centres.Length, d = centres[0].Length, rows = classes * perClass;
        var features = new double[rows * d];
        var labels = new int[rows];
        var noise = new double[d];
        for (int i = 0; i < rows; i++)
        {
            int c = labels[i] = i % classes;
            for (int j = 0; j < d; j++) noise[j] = rng.Normal();
            for (int j = 0; j < d; j++) features[i * d + j] = centres[c][j] + Mix(j);
        }
        return (features, labels);

        double Mix(int j)
        {
            if (mixing is null) return noise[j];
            double sum = 0;
            for (int p = 0; p < d; p++) sum += mixing[j, p] * noise[p];
            return sum;
        }
    }

    /// <summary>Cosine of the angle between x and y.</summary>
    public static double Cosine(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double xy = 0, xx = 0, yy = 0;
        for (int j = 0; j < x.Length; j++) (xy, xx, yy) = (xy + x[j] * y[j], xx + x[j] * x[j], yy + y[j] * y[j]);
        return xy / Math.Sqrt(xx * yy);
    }
}
