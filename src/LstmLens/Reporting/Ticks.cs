// Axis tick placement for plots: "nice" linear ticks (steps of 1, 2 or 5 × 10^k) and decade ticks for
// logarithmic axes, each covering the data range it is given. Not a renderer: positions come from Axis.
namespace LstmLens.Reporting;

/// <summary>Tick values for linear and logarithmic axes.</summary>
public static class Ticks
{
    /// <summary>
    /// About <paramref name="target"/> evenly spaced ticks, a step of 1, 2 or 5 × 10^k, the first at or below
    /// <paramref name="min"/> and the last at or above <paramref name="max"/>. A zero-width range is widened by 1
    /// (or by 10% of its magnitude) either side.
    /// </summary>
    public static double[] Linear(double min, double max, int target = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max) throw new ArgumentException($"no finite range [{min}, {max}]");
        ArgumentOutOfRangeException.ThrowIfLessThan(target, 1);
        if (min == max)
        {
            double pad = min == 0 ? 1 : Math.Abs(min) / 10;
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceStep((max - min) / target);
        long first = (long)Math.Floor(min / step + 1e-9), last = (long)Math.Ceiling(max / step - 1e-9);
        var ticks = new double[last - first + 1];
        for (long i = first; i <= last; i++)
            ticks[i - first] = Math.Round(i * step, 12); // 0.1 · 3 → 0.3, not 0.30000000000000004
        return ticks;
    }

    /// <summary>Powers of ten from the decade at or below <paramref name="min"/> to the decade at or above <paramref name="max"/> (both positive).</summary>
    public static double[] Decades(double min, double max)
    {
        if (!(min > 0) || !double.IsFinite(max) || min > max) throw new ArgumentException($"a logarithmic axis needs a positive range (got [{min}, {max}])");
        int first = (int)Math.Floor(Math.Log10(min) + 1e-9), last = (int)Math.Ceiling(Math.Log10(max) - 1e-9);
        if (last == first) last++;
        return [.. Enumerable.Range(first, last - first + 1).Select(k => Math.Pow(10, k))];
    }

    /// <summary>The smallest of 1, 2, 5 × 10^k that is at least <paramref name="rough"/>.</summary>
    public static double NiceStep(double rough)
    {
        if (!(rough > 0) || !double.IsFinite(rough)) throw new ArgumentOutOfRangeException(nameof(rough), rough, "a step must be positive");
        double decade = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        foreach (double m in new[] { 1.0, 2.0, 5.0, 10.0 })
            if (m * decade >= rough * (1 - 1e-9)) return m * decade;
        return 10 * decade;
    }
}
