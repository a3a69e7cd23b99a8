using System.Globalization;
using System.Xml.Linq;
using LstmLens.Reporting;

namespace LstmLens.Tests.Reporting;

public class LinePlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Theory]
    [InlineData(0, 1, 5)]
    [InlineData(0.013, 0.987, 5)]
    [InlineData(-3.7, 12.2, 5)]
    [InlineData(1234, 98765, 4)]
    [InlineData(5, 5, 5)]
    [InlineData(-0.0002, 0.00031, 6)]
    public void Linear_ticks_are_nice_evenly_spaced_and_cover_the_data(double min, double max, int target)
    {
        double[] ticks = Ticks.Linear(min, max, target);
        Assert.True(ticks[0] <= min && ticks[^1] >= max, string.Join(", ", ticks));
        double step = ticks[1] - ticks[0];
        double mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step) + 1e-9));
        Assert.Contains(Math.Round(mantissa, 6), new[] { 1.0, 2.0, 5.0 });
        for (int i = 1; i < ticks.Length; i++) Assert.Equal(step, ticks[i] - ticks[i - 1], step * 1e-6);
        Assert.All(ticks, t => Assert.Equal(0, Math.Abs(t / step - Math.Round(t / step)), 6)); // multiples of the step
        Assert.InRange(ticks.Length, 2, 2 * target + 3);
    }

    [Fact]
    public void Decade_ticks_span_the_data_in_powers_of_ten()
    {
        Assert.Equal([0.01, 0.1, 1, 10, 100, 1000], Ticks.Decades(0.05, 200));
        Assert.Equal([1, 10], Ticks.Decades(2, 3));
        Assert.Throws<ArgumentException>(() => Ticks.Decades(0, 10));
    }

    [Fact]
    public void Plot_is_well_formed_with_one_legend_entry_per_series()
    {
        var plot = new LinePlot("accuracy <vs> steps & more", new Axis("steps"), new Axis("accuracy")) { Markers = true };
        plot.Series.Add(new Series("vanilla", [1, 2, 3], [0.1, 0.5, 0.9]));
        plot.Series.Add(new Series("h-detach 0.25", [1, 2, 3], [0.2, 0.6, 1.0]));
        plot.Series.Add(Series.FromRuns("mean of 2", [1, 2, 3], [[0.1, 0.2, 0.3], [0.3, 0.4, double.NaN]], BandKind.StandardDeviation));

        var doc = XDocument.Parse(plot.ToSvg());

        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.Equal(3, doc.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "series"));
        Assert.Equal(3, doc.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "legend-entry"));
        Assert.Single(doc.Descendants(Svg + "polygon"));
        Assert.Equal(3 + 3 + 3, doc.Descendants(Svg + "circle").Count()); // markers at the 9 drawable points
        Assert.Equal("accuracy <vs> steps & more", doc.Descendants(Svg + "text").First(t => (string?)t.Attribute("class") == "title").Value);
    }

    [Fact]
    public void NaN_points_are_skipped_and_break_the_line()
    {
        var plot = new LinePlot("t", new Axis("x"), new Axis("y"));
        plot.Series.Add(new Series("gappy", [1, 2, 3, 4, 5], [1, 2, double.NaN, 4, 5]));

        string svg = plot.ToSvg();
        string d = (string)XDocument.Parse(svg).Descendants(Svg + "path").Single().Attribute("d")!;

        Assert.DoesNotContain("NaN", svg);
        Assert.Equal(2, d.Count(c => c == 'M')); // two pieces
        Assert.Equal(2, d.Count(c => c == 'L'));
    }

    [Fact]
    public void Log_axes_place_decades_evenly_and_values_between_them()
    {
        var plot = new LinePlot("t", new Axis("sequences", Logarithmic: true), new Axis("error", Logarithmic: true));
        plot.Series.Add(new Series("s", [1, 10, 100, 1000], [0.5, 0.05, 0.005, 0]));
        var doc = XDocument.Parse(plot.ToSvg());

        var ticks = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "tick-x")
            .Select(t => (Label: t.Value, X: double.Parse((string)t.Attribute("x")!, CultureInfo.InvariantCulture))).ToArray();
        Assert.Equal(["1", "10", "100", "1000"], ticks.Select(t => t.Label));
        double gap = ticks[1].X - ticks[0].X;
        for (int i = 2; i < ticks.Length; i++) Assert.Equal(gap, ticks[i].X - ticks[i - 1].X, 0.02);
        var yTicks = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "tick-y").Select(t => t.Value).ToArray();
        Assert.Equal(["0.001", "0.01", "0.1", "1"], yTicks);

        string d = (string)doc.Descendants(Svg + "path").Single().Attribute("d")!;
        Assert.Equal(3, d.Split(' ').Length); // the zero has no place on a log axis: three points remain
        double firstX = double.Parse(d[1..].Split(',')[0], CultureInfo.InvariantCulture);
        Assert.Equal(ticks[0].X, firstX, 0.02);
    }

    [Fact]
    public void Save_writes_the_document()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lstmlens-plot-{Guid.NewGuid():N}.svg");
        try
        {
            var plot = new LinePlot("t", new Axis("x"), new Axis("y"));
            plot.Series.Add(new Series("a", [0, 1], [0, 1]));
            plot.Save(path);
            Assert.Equal(plot.ToSvg(), File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
