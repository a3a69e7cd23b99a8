// Markdown to HTML for the documents a run directory holds (results.md of the reproductions, the demo's
// summary.md, notes): headings, paragraphs, pipe tables, fenced code, bullet and numbered lists, and inline
// code, bold and links. Every character of the source is escaped, so a document cannot inject markup. Not
// CommonMark: no nested lists, block quotes, raw HTML, images or reference links (run documents use none).
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace LstmLens.Reporting;

/// <summary>One rendered block: its HTML and the source text it came from (for finding the files it names).</summary>
public sealed record MarkdownBlock(string Html, string Source, bool IsTable);

/// <summary>A small Markdown renderer.</summary>
public static partial class Markdown
{
    /// <summary>
    /// The blocks of <paramref name="markdown"/> as HTML. Headings move down by <paramref name="headingOffset"/> levels (at most
    /// h6); every table gets <paramref name="tableAttributes"/> (e.g. a data-source attribute) in its start tag.
    /// </summary>
    public static IReadOnlyList<MarkdownBlock> ToHtml(string markdown, int headingOffset = 0, string tableAttributes = "")
    {
        ArgumentNullException.ThrowIfNull(markdown);
        string[] lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var blocks = new List<MarkdownBlock>();
        for (int i = 0; i < lines.Length;)
        {
            string line = lines[i];
            if (line.Trim().Length == 0) { i++; continue; }
            int start = i;
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                var code = new List<string>();
                for (i++; i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal); i++) code.Add(lines[i]);
                i++; // the closing fence (or the end of the document)
                blocks.Add(new($"<pre><code>{Escape(string.Join('\n', code))}</code></pre>", string.Join('\n', code), false));
                continue;
            }
            if (HeadingPattern().Match(line) is { Success: true } heading)
            {
                int level = Math.Min(6, heading.Groups[1].Length + headingOffset);
                blocks.Add(new($"<h{level}>{Inline(heading.Groups[2].Value.Trim())}</h{level}>", line, false));
                i++;
                continue;
            }
            if (IsTableRow(line) && i + 1 < lines.Length && SeparatorPattern().IsMatch(lines[i + 1].Trim()))
            {
                var rows = new List<string>();
                for (; i < lines.Length && IsTableRow(lines[i]); i++) rows.Add(lines[i]);
                blocks.Add(new(Table(rows, tableAttributes), string.Join('\n', rows), true));
                continue;
            }
            if (ListItemPattern().Match(line) is { Success: true } first)
            {
                bool numbered = char.IsAsciiDigit(first.Groups[1].Value[0]);
                var items = new List<string>();
                for (; i < lines.Length && lines[i].Trim().Length > 0; i++)
                {
                    var item = ListItemPattern().Match(lines[i]);
                    if (item.Success) items.Add(item.Groups[2].Value);
                    else if (items.Count > 0) items[^1] += " " + lines[i].Trim(); // a continuation line
                }
                string tag = numbered ? "ol" : "ul";
                blocks.Add(new($"<{tag}>{string.Concat(items.Select(t => $"<li>{Inline(t.Trim())}</li>"))}</{tag}>", string.Join('\n', lines[start..i]), false));
                continue;
            }
            var paragraph = new List<string>();
            for (; i < lines.Length && lines[i].Trim().Length > 0 && !StartsBlock(lines, i); i++) paragraph.Add(lines[i].Trim());
            if (paragraph.Count == 0) { paragraph.Add(lines[i].Trim()); i++; } // a line that only looked like a block start
            blocks.Add(new($"<p>{Inline(string.Join(' ', paragraph))}</p>", string.Join('\n', paragraph), false));
        }
        return blocks;
    }

    /// <summary>Number of pipe tables in <paramref name="markdown"/> (what <see cref="ToHtml"/> renders as tables).</summary>
    public static int CountTables(string markdown) => ToHtml(markdown).Count(b => b.IsTable);

    /// <summary>HTML-escapes text (&amp;, &lt;, &gt;, quotes).</summary>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Inline Markdown of one line of text: `code`, **bold** and [text](target); everything else escaped.</summary>
    public static string Inline(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var html = new StringBuilder();
        string[] parts = text.Split('`');
        for (int k = 0; k < parts.Length; k++)
        {
            bool code = k % 2 == 1 && k < parts.Length - 1; // an unpaired last backtick stays literal
            if (code) { html.Append("<code>").Append(Escape(parts[k])).Append("</code>"); continue; }
            if (k % 2 == 1) html.Append('`');
            string escaped = Escape(parts[k]);
            escaped = LinkPattern().Replace(escaped, m => $"<a href=\"{m.Groups[2].Value}\">{m.Groups[1].Value}</a>");
            escaped = BoldPattern().Replace(escaped, m => $"<strong>{m.Groups[1].Value}</strong>");
            html.Append(escaped);
        }
        return html.ToString();
    }

    private static string Table(List<string> rows, string attributes)
    {
        string[] alignments = [.. Cells(rows[1]).Select(c => c.EndsWith(':') ? (c.StartsWith(':') ? "center" : "right") : "")];
        string Cell(string tag, string text, int column)
        {
            string align = column < alignments.Length && alignments[column].Length > 0 ? $" style=\"text-align:{alignments[column]}\""
                : tag == "td" && LooksNumeric(text) ? " class=\"num\"" : "";
            return $"<{tag}{align}>{Inline(text)}</{tag}>";
        }
        var html = new StringBuilder($"<table{attributes}><thead><tr>");
        html.AppendJoin("", Cells(rows[0]).Select((c, j) => Cell("th", c, j))).Append("</tr></thead><tbody>");
        foreach (string row in rows.Skip(2))
            html.Append("<tr>").AppendJoin("", Cells(row).Select((c, j) => Cell("td", c, j))).Append("</tr>");
        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>True for a cell that reads as a number, a number with a bracketed or ranged companion, or a percentage.</summary>
    internal static bool LooksNumeric(string text) => NumericPattern().IsMatch(text.Trim());

    private static string[] Cells(string row)
    {
        string inner = row.Trim();
        if (inner.StartsWith('|')) inner = inner[1..];
        if (inner.EndsWith('|')) inner = inner[..^1];
        return [.. inner.Split('|').Select(c => c.Trim())];
    }

    private static bool IsTableRow(string line) => line.TrimStart().StartsWith('|');

    private static bool StartsBlock(string[] lines, int i) =>
        lines[i].StartsWith("```", StringComparison.Ordinal) || HeadingPattern().IsMatch(lines[i]) || ListItemPattern().IsMatch(lines[i])
        || (IsTableRow(lines[i]) && i + 1 < lines.Length && SeparatorPattern().IsMatch(lines[i + 1].Trim()));

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")]
    private static partial Regex SeparatorPattern();

    [GeneratedRegex(@"^\s{0,3}([-*]|\d+\.)\s+(.*)$")]
    private static partial Regex ListItemPattern();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex BoldPattern();

    [GeneratedRegex(@"^[−+-]?\d[\d,]*(\.\d+)?([eE][−+-]?\d+)?\s*%?(\s*[(\[].*[)\]])?$")]
    private static partial Regex NumericPattern();
}
