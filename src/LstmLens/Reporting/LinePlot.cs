// Line plots as standalone SVG files: several series, optional shaded bands (mean ± sd, min–max),
// optional markers, nice or decade ticks (with unlabelled 2–9 minor ticks on log axes), linear or
// logarithmic axes, a legend (a band's swatch beside its line), a title. Colours are the Okabe–Ito palette,
// distinguishable with the common colour-vision deficiencies, and every second cycle of it is dashed so that
// lines stay apart in grey print. Points that are NaN (or not positive on a log axis) are skipped and break
// the line. Not a charting library: no interactivity, no styling beyond that; figures need to be correct
// and readable at print size (text 12–16 px on a 720 px figure). Kept over ScottPlot after a measurement
// (docs/report.md): 0.4 ms and 6 KB per figure against 10 ms and 35 KB, no native libraries, fonts left to
// the page.
using System.Globalization;
using System.Security;
using System.Text;

namespace LstmLens.Reporting;

/// <summary>How a band around a series' mean is drawn from several runs.</summary>
public enum BandKind
{
    /// <summary>Mean ± one standard deviation.</summary>
    StandardDeviation,
    /// <summary>From the smallest to the largest run.</summary>
    MinMax,
}

/// <summary>One line: points (x, y), optionally a band [Lower, Upper] with one value per point.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
{
    /// <summary>Lower edge of the band, or null for no band.</summary>
    public IReadOnlyList<double>? Lower { get; init; }

    /// <summary>Upper edge of the band, or null for no band.</summary>
    public IReadOnlyList<double>? Upper { get; init; }

    /// <summary>
    /// The mean over <paramref name="runs"/> (each a Y list aligned with <paramref name="x"/>; NaN entries and runs
    /// that ended early are left out of a point's statistics) with a band of the chosen kind.
    /// </summary>
    public static Series FromRuns(string name, IReadOnlyList<double> x, IReadOnlyList<IReadOnlyList<double>> runs, BandKind band)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(runs);
        var (mean, lower, upper) = (new double[x.Count], new double[x.Count], new double[x.Count]);
        for (int i = 0; i < x.Count; i++)
        {
            var values = runs.Where(r => i < r.Count && !double.IsNaN(r[i])).Select(r => r[i]).ToArray();
            if (values.Length == 0)
            {
                mean[i] = lower[i] = upper[i] = double.NaN;
                continue;
            }
            mean[i] = values.Average();
            double sd = Math.Sqrt(values.Sum(v => (v - mean[i]) * (v - mean[i])) / values.Length);
            (lower[i], upper[i]) = band == BandKind.MinMax ? (values.Min(), values.Max()) : (mean[i] - sd, mean[i] + sd);
        }
        return new Series(name, x, mean) { Lower = lower, Upper = upper };
    }
}

/// <summary>An axis: label, linear or logarithmic, optional fixed limits.</summary>
public sealed record Axis(string Label, bool Logarithmic = false)
{
    /// <summary>Fixed lower limit (otherwise from the data).</summary>
    public double? Min { get; init; }

    /// <summary>Fixed upper limit (otherwise from the data).</summary>
    public double? Max { get; init; }
}

/// <summary>A line plot written as SVG.</summary>
public sealed class LinePlot
{
    private const double Width = 760, Height = 440, Left = 70, Right = 220, Top = 40, Bottom = 55;
    // Okabe & Ito (2008), black moved last: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black.
    private static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

    private static string Color(int i) => Palette[i % Palette.Length];

    private static string Dash(int i) => i / Palette.Length % 2 == 1 ? " stroke-dasharray=\"6 3\"" : "";

    /// <summary>A plot with a title and two axes.</summary>
    public LinePlot(string title, Axis x, Axis y) => (Title, X, Y) = (title, x, y);

    /// <summary>Title above the plot.</summary>
    public string Title { get; }

    /// <summary>Horizontal axis.</summary>
    public Axis X { get; }

    /// <summary>Vertical axis.</summary>
    public Axis Y { get; }

    /// <summary>The lines, drawn in order, one legend entry each.</summary>
    public List<Series> Series { get; } = [];

    /// <summary>Draws a circle at every point.</summary>
    public bool Markers { get; init; }

    /// <summary>Writes the SVG document to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => Data.AtomicFile.WriteAllText(path, ToSvg());

    /// <summary>The standalone SVG document.</summary>
    public string ToSvg()
    {
        foreach (var s in Series)
            if (s.Y.Count != s.X.Count || (s.Lower ?? s.X).Count != s.X.Count || (s.Upper ?? s.X).Count != s.X.Count)
                throw new ArgumentException($"series '{s.Name}': X, Y and band edges need one value per point");
        var xScale = Scale.For(X, Series.SelectMany(s => s.X), Left, Width - Right);
        var yScale = Scale.For(Y, Series.SelectMany(s => s.Y.Concat(s.Lower ?? []).Concat(s.Upper ?? [])), Height - Bottom, Top);
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"system-ui, 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif\" font-size=\"13\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text class=\"title\" x=\"{(Left + Width - Right) / 2}\" y=\"{Top - 15}\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"600\">{Escape(Title)}</text>\n"));
        DrawAxes(svg, xScale, yScale);
        svg.Append(Invariant($"<clipPath id=\"plot-area\"><rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\"/></clipPath>\n"));
        for (int i = 0; i < Series.Count; i++) DrawSeries(svg, Series[i], i, xScale, yScale, Markers);
        DrawLegend(svg);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private void DrawAxes(StringBuilder svg, Scale xScale, Scale yScale)
    {
        double bottom = Height - Bottom, right = Width - Right;
        svg.Append(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{right - Left}\" height=\"{bottom - Top}\" fill=\"none\" stroke=\"black\"/>\n"));
        foreach (double tick in xScale.Ticks)
        {
            double px = xScale.Position(tick);
            svg.Append(Invariant($"<line class=\"grid-x\" x1=\"{px:F2}\" y1=\"{Top}\" x2=\"{px:F2}\" y2=\"{bottom}\" stroke=\"#e0e0e0\"/>\n"));
            svg.Append(Invariant($"<text class=\"tick-x\" x=\"{px:F2}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{Label(tick)}</text>\n"));
        }
        foreach (double tick in yScale.MinorTicks)
            svg.Append(Invariant($"<line class=\"minor-y\" x1=\"{Left}\" y1=\"{yScale.Position(tick):F2}\" x2=\"{right}\" y2=\"{yScale.Position(tick):F2}\" stroke=\"#f0f0f0\"/>\n"));
        foreach (double tick in xScale.MinorTicks)
            svg.Append(Invariant($"<line class=\"minor-x\" x1=\"{xScale.Position(tick):F2}\" y1=\"{Top}\" x2=\"{xScale.Position(tick):F2}\" y2=\"{bottom}\" stroke=\"#f0f0f0\"/>\n"));
        foreach (double tick in yScale.Ticks)
        {
            double py = yScale.Position(tick);
            svg.Append(Invariant($"<line class=\"grid-y\" x1=\"{Left}\" y1=\"{py:F2}\" x2=\"{right}\" y2=\"{py:F2}\" stroke=\"#e0e0e0\"/>\n"));
            svg.Append(Invariant($"<text class=\"tick-y\" x=\"{Left - 6}\" y=\"{py + 4:F2}\" text-anchor=\"end\">{Label(tick)}</text>\n"));
        }
        svg.Append(Invariant($"<text class=\"label-x\" x=\"{(Left + right) / 2}\" y=\"{Height - 15}\" text-anchor=\"middle\" font-size=\"14\">{Escape(X.Label)}</text>\n"));
        svg.Append(Invariant($"<text class=\"label-y\" x=\"18\" y=\"{(Top + bottom) / 2}\" text-anchor=\"middle\" font-size=\"14\" transform=\"rotate(-90 18 {(Top + bottom) / 2})\">{Escape(Y.Label)}</text>\n"));
    }

    private static void DrawSeries(StringBuilder svg, Series series, int index, Scale xScale, Scale yScale, bool markers)
    {
        string color = Color(index);
        svg.Append(Invariant($"<g class=\"series\" data-name=\"{Escape(series.Name)}\" clip-path=\"url(#plot-area)\">\n"));
        if (series.Lower is { } lower && series.Upper is { } upper)
            foreach (var run in Runs(series.X, i => xScale.Accepts(series.X[i]) && yScale.Accepts(lower[i]) && yScale.Accepts(upper[i])))
            {
                var outline = run.Select(i => Point(xScale, yScale, series.X[i], upper[i]))
                    .Concat(run.AsEnumerable().Reverse().Select(i => Point(xScale, yScale, series.X[i], lower[i])));
                svg.Append(Invariant($"<polygon class=\"band\" points=\"{string.Join(' ', outline)}\" fill=\"{color}\" fill-opacity=\"0.2\" stroke=\"none\"/>\n"));
            }
        bool Valid(int i) => xScale.Accepts(series.X[i]) && yScale.Accepts(series.Y[i]);
        var path = string.Join(' ', Runs(series.X, Valid).Select(run => "M" + string.Join(" L", run.Select(i => Point(xScale, yScale, series.X[i], series.Y[i])))));
        if (path.Length > 0)
            svg.Append(Invariant($"<path class=\"line\" d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{Dash(index)}/>\n"));
        if (markers)
            foreach (int i in Enumerable.Range(0, series.X.Count).Where(Valid))
                svg.Append(Invariant($"<circle class=\"marker\" cx=\"{xScale.Position(series.X[i]):F2}\" cy=\"{yScale.Position(series.Y[i]):F2}\" r=\"3\" fill=\"{color}\"/>\n"));
        svg.Append("</g>\n");
    }

    private void DrawLegend(StringBuilder svg)
    {
        double x = Width - Right + 15;
        for (int i = 0; i < Series.Count; i++)
        {
            double y = Top + 10 + 20 * i;
            string color = Color(i);
            svg.Append("<g class=\"legend-entry\">");
            if (Series[i].Lower is not null)
                svg.Append(Invariant($"<rect x=\"{x}\" y=\"{y - 6}\" width=\"22\" height=\"12\" fill=\"{color}\" fill-opacity=\"0.2\"/>"));
            svg.Append(Invariant($"<line x1=\"{x}\" y1=\"{y}\" x2=\"{x + 22}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"2.5\"{Dash(i)}/>"));
            svg.Append(Invariant($"<text x=\"{x + 28}\" y=\"{y + 4}\" font-size=\"12\">{Escape(Series[i].Name)}</text></g>\n"));
        }
    }

    private static string Point(Scale xScale, Scale yScale, double x, double y) =>
        Invariant($"{xScale.Position(x):F2},{yScale.Position(y):F2}");

    /// <summary>Maximal runs of consecutive indices that pass <paramref name="valid"/>; a skipped point breaks the line.</summary>
    private static IEnumerable<int[]> Runs(IReadOnlyList<double> x, Func<int, bool> valid)
    {
        var run = new List<int>();
        for (int i = 0; i < x.Count; i++)
        {
            if (valid(i))
            {
                run.Add(i);
                continue;
            }
            if (run.Count > 0) yield return [.. run];
            run.Clear();
        }
        if (run.Count > 0) yield return [.. run];
    }

    /// <summary>Tick label: up to 4 significant digits; 20k and 1.5M from 10⁴ up, powers of ten below 10⁻³ as 1e-4.</summary>
    private static string Label(double value) => Math.Abs(value) switch
    {
        >= 1e6 => (value / 1e6).ToString("G4", CultureInfo.InvariantCulture) + "M",
        >= 1e4 => (value / 1e3).ToString("G4", CultureInfo.InvariantCulture) + "k",
        > 0 and < 1e-3 => value.ToString("0.###e0", CultureInfo.InvariantCulture),
        _ => value.ToString("G4", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Maps data values of one axis to pixels: the range spans the axis's ticks.</summary>
    private sealed class Scale
    {
        private readonly bool _log;
        private readonly double _low, _high, _from, _to; // data range (log10 on log axes) → pixel range

        private Scale(bool log, double[] ticks, double from, double to)
        {
            (_log, Ticks, _from, _to) = (log, ticks, from, to);
            (_low, _high) = (Transform(ticks[0]), Transform(ticks[^1]));
        }

        public double[] Ticks { get; }

        /// <summary>2·10^k … 9·10^k between the decades of a log axis (none on a linear one).</summary>
        public IEnumerable<double> MinorTicks => _log
            ? Ticks.SkipLast(1).SelectMany(decade => Enumerable.Range(2, 8).Select(m => m * decade))
            : [];

        public static Scale For(Axis axis, IEnumerable<double> values, double from, double to)
        {
            var usable = values.Where(v => double.IsFinite(v) && (!axis.Logarithmic || v > 0)).ToArray();
            double min = axis.Min ?? (usable.Length > 0 ? usable.Min() : axis.Logarithmic ? 1 : 0);
            double max = axis.Max ?? (usable.Length > 0 ? usable.Max() : axis.Logarithmic ? 10 : 1);
            if (max < min) max = min;
            var ticks = axis.Logarithmic ? Reporting.Ticks.Decades(min, max) : Reporting.Ticks.Linear(min, max);
            return new Scale(axis.Logarithmic, ticks, from, to);
        }

        /// <summary>True when <paramref name="value"/> can be drawn on this axis.</summary>
        public bool Accepts(double value) => double.IsFinite(value) && (!_log || value > 0);

        public double Position(double value) => _from + (Transform(value) - _low) / (_high - _low) * (_to - _from);

        private double Transform(double value) => _log ? Math.Log10(value) : value;
    }
}
