// The figure a reader of Murdoch et al. (2018) expects from contextual decomposition: the sentence with every word on a
// background coloured by its own contribution to one logit, blue for negative and vermillion for positive (the
// colour-blind-safe ends of the Okabe–Ito palette), the value under the word, and a key. Self-contained SVG.
using System.Globalization;
using System.Net;
using System.Text;

namespace LstmLens.Reporting;

/// <summary>A sentence coloured word by word.</summary>
public static class SentenceView
{
    private const int Width = 760, Margin = 16, WordHeight = 30, RowHeight = 52, CharWidth = 9;

    /// <summary>
    /// The SVG: <paramref name="words"/> with <paramref name="values"/> (NaN: not coloured, e.g. words after the target),
    /// the word at <paramref name="marked"/> outlined (−1: none), under <paramref name="title"/>.
    /// </summary>
    public static string ToSvg(IReadOnlyList<string> words, IReadOnlyList<double> values, string title, int marked = -1)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(values);
        if (words.Count != values.Count) throw new ArgumentException($"{words.Count} words but {values.Count} values");
        double scale = values.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        var boxes = new List<(double X, int Row, double W)>();
        double x = Margin;
        int row = 0;
        foreach (string word in words)
        {
            double w = Math.Max(word.Length, 6) * CharWidth + 12;
            if (x + w > Width - Margin && x > Margin)
            {
                row++;
                x = Margin;
            }
            boxes.Add((x, row, w));
            x += w + 6;
        }
        int height = 48 + (row + 1) * RowHeight + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {height}\" width=\"{Width}\" height=\"{height}\" font-family=\"sans-serif\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{Escape(title)}</text>\n");
        for (int i = 0; i < words.Count; i++)
        {
            var (bx, r, bw) = boxes[i];
            double y = 44 + r * RowHeight;
            string fill = double.IsFinite(values[i]) ? Colour(scale == 0 ? 0 : values[i] / scale) : "#f2f2f2";
            string stroke = i == marked ? " stroke=\"#000000\" stroke-width=\"2\"" : "";
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{bx:F1}\" y=\"{y:F1}\" width=\"{bw:F1}\" height=\"{WordHeight}\" rx=\"4\" fill=\"{fill}\"{stroke}/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{bx + bw / 2:F1}\" y=\"{y + 20:F1}\" font-size=\"15\" text-anchor=\"middle\">{Escape(words[i])}</text>\n");
            string label = double.IsFinite(values[i]) ? values[i].ToString("+0.00;−0.00;0.00", CultureInfo.InvariantCulture) : "";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{bx + bw / 2:F1}\" y=\"{y + WordHeight + 14:F1}\" font-size=\"11\" fill=\"#444444\" text-anchor=\"middle\">{label}</text>\n");
        }
        double keyY = height - 26;
        for (int k = 0; k <= 20; k++)
        {
            double v = -1 + k / 10.0;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Margin + 120 + k * 14}\" y=\"{keyY:F1}\" width=\"14\" height=\"12\" fill=\"{Colour(v)}\"/>\n");
        }
        string bound = scale.ToString("0.00", CultureInfo.InvariantCulture);
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin}\" y=\"{keyY + 11:F1}\" font-size=\"12\">contribution</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin + 116}\" y=\"{keyY + 11:F1}\" font-size=\"12\" text-anchor=\"end\">−{bound}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin + 124 + 21 * 14}\" y=\"{keyY + 11:F1}\" font-size=\"12\">+{bound}</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>White at 0, Okabe–Ito blue at −1, vermillion at +1.</summary>
    private static string Colour(double v)
    {
        v = Math.Clamp(v, -1, 1);
        var (r, g, b) = v < 0 ? (0x00, 0x72, 0xB2) : (0xD5, 0x5E, 0x00);
        double a = Math.Abs(v) * 0.85;
        int Mix(int c) => (int)Math.Round(255 + (c - 255) * a);
        return $"#{Mix(r):x2}{Mix(g):x2}{Mix(b):x2}";
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
