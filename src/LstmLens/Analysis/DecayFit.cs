// The exponential decay fit of Verwimp et al. (2019) eq. 13: σ1(τ) = a·exp(−b·τ), fitted to the largest
// singular value of the state gradient against the delay τ by unweighted non-linear least squares in
// the original values (the paper used scipy.optimize.curve_fit, whose default is Levenberg–Marquardt),
// started from a log-linear fit of the positive values. Two parameters, so the Levenberg–Marquardt
// step is a 2×2 solve written out here. Not a general curve fitter and not a computation of σ1.
namespace LstmLens.Analysis;

/// <summary>Outcome of <see cref="DecayFit.Fit"/>.</summary>
/// <param name="A">Amplitude a of a·exp(−b·τ); NaN when no fit was possible.</param>
/// <param name="B">Decay rate b (per unit delay; 1/b is the decay length); NaN when no fit was possible.</param>
/// <param name="RSquared">1 − SSE/SST over all points; NaN when the values are all equal (SST = 0) or no fit was possible.</param>
/// <param name="Rmse">sqrt(SSE / Points); NaN when no fit was possible.</param>
/// <param name="Points">Number of (τ, value) points given.</param>
/// <param name="Converged">Whether the least-squares iteration reached a minimum; false also when no fit was possible.</param>
public sealed record DecayFitResult(double A, double B, double RSquared, double Rmse, int Points, bool Converged);

/// <summary>Least-squares fit of σ1(τ) = a·exp(−b·τ) (Verwimp et al. eq. 13).</summary>
public static class DecayFit
{
    private const int MaxIterations = 500;

    /// <summary>
    /// Fits a·exp(−b·τ) to the points (delays[i], values[i]) by minimising Σ (values[i] − a·exp(−b·delays[i]))².
    /// </summary>
    /// <remarks>
    /// The start is the straight-line fit of ln value = ln a − b·τ over the positive values; the
    /// Levenberg–Marquardt iteration then uses every point, so values that reach exactly zero at long
    /// delays still count. With fewer than two points, fewer than two positive values, or the positive
    /// values all at one delay, no fit is possible: the result has NaN a and b and Converged = false.
    /// </remarks>
    /// <param name="delays">Delays τ [n], finite.</param>
    /// <param name="values">Values σ1(τ) [n], finite.</param>
    public static DecayFitResult Fit(ReadOnlySpan<double> delays, ReadOnlySpan<double> values)
    {
        if (delays.Length != values.Length)
            throw new ArgumentException($"delays has {delays.Length} values, values {values.Length}.", nameof(values));
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(delays[i]) || !double.IsFinite(values[i]))
                throw new ArgumentException($"point {i} is not finite ({delays[i]}, {values[i]}).", nameof(values));
        return LogLinearStart(delays, values) is (double a, double b)
            ? Refine(delays, values, a, b)
            : new DecayFitResult(double.NaN, double.NaN, double.NaN, double.NaN, values.Length, false);
    }

    /// <summary>Least squares of ln v = ln a − b·τ over the positive values; null when that line is undetermined.</summary>
    private static (double A, double B)? LogLinearStart(ReadOnlySpan<double> delays, ReadOnlySpan<double> values)
    {
        int count = 0;
        double meanT = 0, meanLog = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] <= 0) continue;
            count++;
            meanT += (delays[i] - meanT) / count;
            meanLog += (Math.Log(values[i]) - meanLog) / count;
        }
        double sxx = 0, sxy = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] <= 0) continue;
            double dt = delays[i] - meanT;
            sxx += dt * dt;
            sxy += dt * (Math.Log(values[i]) - meanLog);
        }
        if (count < 2 || sxx == 0) return null;
        double slope = sxy / sxx;
        return (Math.Exp(meanLog - slope * meanT), -slope);
    }

    /// <summary>
    /// Levenberg–Marquardt from (a, b): residuals r_i = y_i − a·e_i with e_i = exp(−b·τ_i), Jacobian
    /// columns ∂f/∂a = e_i and ∂f/∂b = −a·τ_i·e_i, step (JᵀJ + λ·diag JᵀJ) δ = Jᵀr. A step is kept when
    /// it lowers the SSE (then λ shrinks tenfold), else λ grows tenfold. Converged once a kept step
    /// lowers the SSE by less than 1e-14 of itself, or once no step lowers it even at λ = 1e16 (a
    /// minimum to rounding), or the SSE is zero.
    /// </summary>
    internal static DecayFitResult Refine(ReadOnlySpan<double> delays, ReadOnlySpan<double> values, double a, double b)
    {
        double sse = SumOfSquares(delays, values, a, b), lambda = 1e-3;
        bool converged = sse == 0;
        for (int iteration = 0; iteration < MaxIterations && !converged && double.IsFinite(sse); iteration++)
        {
            double haa = 0, hab = 0, hbb = 0, ga = 0, gb = 0; // JᵀJ [2, 2] and Jᵀr [2]
            for (int i = 0; i < values.Length; i++)
            {
                double e = Math.Exp(-b * delays[i]), ja = e, jb = -a * delays[i] * e, r = values[i] - a * e;
                haa += ja * ja;
                hab += ja * jb;
                hbb += jb * jb;
                ga += ja * r;
                gb += jb * r;
            }
            double floor = 1e-30 * (haa + hbb); // keeps the damped diagonal positive when a column vanishes
            while (true)
            {
                double daa = haa + lambda * (haa + floor), dbb = hbb + lambda * (hbb + floor);
                double det = daa * dbb - hab * hab;
                double stepA = (dbb * ga - hab * gb) / det, stepB = (daa * gb - hab * ga) / det;
                double trial = SumOfSquares(delays, values, a + stepA, b + stepB);
                if (trial < sse)
                {
                    converged = sse - trial <= 1e-14 * sse || trial == 0;
                    (a, b, sse) = (a + stepA, b + stepB, trial);
                    lambda = Math.Max(lambda / 10, 1e-12);
                    break;
                }
                lambda *= 10;
                if (lambda > 1e16)
                {
                    converged = true;
                    break;
                }
            }
        }
        converged &= double.IsFinite(a) && double.IsFinite(b) && double.IsFinite(sse);

        double mean = 0;
        for (int i = 0; i < values.Length; i++) mean += (values[i] - mean) / (i + 1);
        double sst = 0;
        foreach (double v in values) sst += (v - mean) * (v - mean);
        double rSquared = sst == 0 ? double.NaN : 1 - sse / sst;
        return new DecayFitResult(a, b, rSquared, Math.Sqrt(sse / values.Length), values.Length, converged);
    }

    /// <summary>SSE = Σ (y_i − a·exp(−b·τ_i))².</summary>
    internal static double SumOfSquares(ReadOnlySpan<double> delays, ReadOnlySpan<double> values, double a, double b)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double r = values[i] - a * Math.Exp(-b * delays[i]);
            sum += r * r;
        }
        return sum;
    }
}
