using LstmLens.Analysis;
using LstmLens.Numerics;

namespace LstmLens.Tests.Analysis;

/// <summary>The embedding normalisation (Verwimp et al. eqs. 6–10) and the singular-value measures.</summary>
public class NormalizationAndSpectrumTests
{
    [Fact]
    public void Whitened_embeddings_have_identity_covariance()
    {
        // Correlated, unequally scaled columns: a real normalisation problem.
        const int v = 500, e = 6;
        var rng = new Rng(5);
        var table = new double[v * e];
        for (int i = 0; i < v; i++)
        {
            double shared = rng.NextDouble() - 0.5;
            for (int j = 0; j < e; j++) table[i * e + j] = 3 + (j + 1) * (rng.NextDouble() - 0.5) + 2 * shared * (j % 2);
        }
        var normalization = EmbeddingNormalization.FromTable(table, v, e);

        double[] mean = [.. Enumerable.Range(0, e).Select(j => Enumerable.Range(0, v).Average(i => table[i * e + j]))];
        var covariance = new double[e * e];
        for (int i = 0; i < v; i++)
        {
            var g = normalization.Whiten([.. Enumerable.Range(0, e).Select(j => table[i * e + j] - mean[j])]);
            for (int a = 0; a < e; a++)
                for (int b = 0; b < e; b++) covariance[a * e + b] += g[a] * g[b] / v;
        }
        for (int a = 0; a < e; a++)
            for (int b = 0; b < e; b++) Assert.Equal(a == b ? 1.0 : 0.0, covariance[a * e + b], 10);
        Assert.True(normalization.MaxCovarianceError < 1e-10);
        Assert.InRange(normalization.ConditionNumber, 1.5, 1e3);             // the columns' scales differ sixfold

        // Ḡ_norm = Ḡ D, and D Z = I.
        double[] d = normalization.D, z = normalization.Z;
        for (int a = 0; a < e; a++)
            for (int b = 0; b < e; b++)
                Assert.Equal(a == b ? 1.0 : 0.0, Enumerable.Range(0, e).Sum(k => d[a * e + k] * z[k * e + b]), 10);
        double[] gradient = [.. Enumerable.Range(0, 2 * e).Select(i => (double)(i % 5) - 2)];
        var normalized = normalization.Normalize(gradient, 2);
        for (int r = 0; r < 2; r++)
            for (int b = 0; b < e; b++)
                Assert.Equal(Enumerable.Range(0, e).Sum(k => gradient[r * e + k] * d[k * e + b]), normalized[r * e + b], 12);
    }

    [Fact]
    public void A_singular_covariance_is_refused_with_the_way_out()
    {
        double[] table = [1, 2, 3, 2, 4, 6, 3, 6, 9];   // rank 1: every row a multiple of (1, 2, 3)
        var error = Assert.Throws<InvalidDataException>(() => EmbeddingNormalization.FromTable(table, 3, 3));
        Assert.Contains("--no-normalize", error.Message);
    }

    [Fact]
    public void Spectrum_measures_and_subspace_cosines()
    {
        // Ḡ = diag(4, 3, 2, 1, 0.5, 0.5) in a 7 × 6 matrix.
        double[] sigmas = [4, 3, 2, 1, 0.5, 0.5];
        var matrix = new double[7 * 6];
        for (int i = 0; i < 6; i++) matrix[i * 6 + i] = sigmas[i];
        var spectrum = SingularSpectrum.Of(matrix, 7, 6);
        Assert.Equal(sigmas, spectrum.Sigmas.Select(s => Math.Round(s, 12)));
        Assert.Equal(11, spectrum.Sum, 12);
        Assert.Equal(4 / 11.0, spectrum.Sigma1Ratio, 12);
        Assert.Equal(10.5 / 11.0, spectrum.Top5Ratio, 12);
        Assert.Equal(1, Math.Abs(spectrum.RightVector(0)[0]), 12);
        double[] d = [0, 0.6, 0, 0, 0, 0.8];
        Assert.Equal(0, spectrum.SubspaceCosine(d, 1), 12);
        Assert.Equal(0.6, spectrum.SubspaceCosine(d, 5), 12);
        var empty = SingularSpectrum.Of(new double[12], 3, 4);
        Assert.Equal(0, empty.Sigma1Ratio);
        Assert.Equal(0, empty.Top5Ratio);
        Assert.Throws<InvalidOperationException>(() => SingularSpectrum.Of(matrix, 7, 6, vectors: false).RightVector(0));
    }
}
