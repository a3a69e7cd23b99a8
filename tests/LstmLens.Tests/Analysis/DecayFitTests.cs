// The decay fit of Verwimp et al. eq. 13: exact exponentials are recovered to rounding (also from a far
// start and with zeros at long delays), noisy ones to within their noise at a true least-squares
// minimum, constant data gives b = 0, and undetermined inputs give a non-converged NaN result.
using LstmLens.Analysis;
using LstmLens.Numerics;

namespace LstmLens.Tests.Analysis;

public class DecayFitTests
{
    private static (double[] Delays, double[] Values) Exponential(double a, double b, int points)
    {
        double[] delays = [.. Enumerable.Range(0, points).Select(t => (double)t)];
        return (delays, [.. delays.Select(t => a * Math.Exp(-b * t))]);
    }

    [Fact]
    public void Exact_data_is_recovered_with_r_squared_one()
    {
        var (delays, values) = Exponential(2.5, 0.15, 40);
        var fit = DecayFit.Fit(delays, values);
        Assert.True(fit.Converged);
        Assert.Equal(2.5, fit.A, 1e-8);
        Assert.Equal(0.15, fit.B, 1e-8);
        Assert.Equal(1.0, fit.RSquared, 1e-12);
        Assert.True(fit.Rmse < 1e-12, $"rmse {fit.Rmse:E2}");
        Assert.Equal(40, fit.Points);
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(10.0, 0.01)]
    [InlineData(0.1, -0.05)]
    public void Levenberg_Marquardt_reaches_exact_parameters_from_a_far_start(double startA, double startB)
    {
        var (delays, values) = Exponential(2.5, 0.15, 40);
        var fit = DecayFit.Refine(delays, values, startA, startB);
        Assert.True(fit.Converged);
        Assert.Equal(2.5, fit.A, 1e-8);
        Assert.Equal(0.15, fit.B, 1e-8);
    }

    [Fact]
    public void Values_that_reach_zero_at_long_delays_still_fit()
    {
        var (delays, values) = Exponential(1.0, 0.5, 100);
        for (int t = 60; t < 100; t++) values[t] = 0; // the model is below 1e-13 there
        var fit = DecayFit.Fit(delays, values);
        Assert.True(fit.Converged);
        Assert.Equal(1.0, fit.A, 1e-8);
        Assert.Equal(0.5, fit.B, 1e-8);
    }

    [Fact]
    public void Noisy_data_gives_a_least_squares_minimum_near_the_truth()
    {
        var (delays, values) = Exponential(3.0, 0.1, 60);
        var rng = new Rng(5);
        for (int t = 0; t < values.Length; t++) values[t] += 0.02 * rng.Normal(); // the tail goes negative
        Assert.Contains(values, v => v <= 0);
        var fit = DecayFit.Fit(delays, values);
        Assert.True(fit.Converged);
        Assert.Equal(3.0, fit.A, 0.03);
        Assert.Equal(0.1, fit.B, 0.003);
        Assert.InRange(fit.RSquared, 0.99, 1.0);
        Assert.InRange(fit.Rmse, 0.015, 0.025);
        double sse = DecayFit.SumOfSquares(delays, values, fit.A, fit.B);
        Assert.Equal(fit.Rmse, Math.Sqrt(sse / values.Length), 1e-15);
        foreach (var (da, db) in new[] { (1e-5, 0.0), (-1e-5, 0.0), (0.0, 1e-6), (0.0, -1e-6) })
            Assert.True(DecayFit.SumOfSquares(delays, values, fit.A + da, fit.B + db) > sse, $"SSE falls along ({da}, {db})");
    }

    [Fact]
    public void Constant_data_has_no_decay()
    {
        double[] delays = [.. Enumerable.Range(1, 20).Select(t => (double)t)];
        double[] values = [.. delays.Select(_ => 0.7)];
        var fit = DecayFit.Fit(delays, values);
        Assert.True(fit.Converged);
        Assert.Equal(0.0, fit.B, 1e-12);
        Assert.Equal(0.7, fit.A, 1e-12);
        Assert.True(double.IsNaN(fit.RSquared)); // SST = 0
    }

    [Theory]
    [InlineData(new double[] { }, new double[] { })]
    [InlineData(new double[] { 1 }, new double[] { 0.5 })]
    [InlineData(new double[] { 0, 1, 2 }, new double[] { 0, -0.1, 0 })]
    [InlineData(new double[] { 0, 1, 2 }, new double[] { 0.5, 0, 0 })]
    [InlineData(new double[] { 3, 3, 3 }, new double[] { 0.5, 0.4, 0.6 })]
    public void Undetermined_fits_are_reported_not_thrown(double[] delays, double[] values)
    {
        var fit = DecayFit.Fit(delays, values);
        Assert.False(fit.Converged);
        Assert.True(double.IsNaN(fit.A) && double.IsNaN(fit.B));
        Assert.Equal(values.Length, fit.Points);
    }

    [Fact]
    public void Mismatched_or_non_finite_inputs_throw()
    {
        Assert.Throws<ArgumentException>(() => DecayFit.Fit([0, 1, 2], [1, 0.5]));
        Assert.Throws<ArgumentException>(() => DecayFit.Fit([0, 1, 2], [1, double.NaN, 0.2]));
    }
}
