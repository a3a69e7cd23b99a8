// The report of a run directory: one self-contained HTML page (report.html) that shows what was run (the
// command line of run.json and config.json), the environment, the directory's documents (results.md with the
// paper's numbers beside ours, the demo's summary.md) with each figure placed after the first paragraph that
// names it, every SVG figure inline, every table (CSV, JSON Lines, JSON) and the same for each subdirectory,
// recursively; then the files with their sizes and the tensors of each safetensors file. The files are found
// by their kind, not by the verb that wrote them, so every verb's directory (and later ones) reports the same
// way. Nothing is loaded from outside the page: no script, no font, no image, no style sheet; it prints
// cleanly. Not a plotter (the figures are the directory's own SVG files) and not a data reader beyond display.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LstmLens.Data;
using LstmLens.Models;

namespace LstmLens.Reporting;

/// <summary>What a report shows: figures (SVG files) and tables (CSV, JSON Lines and JSON files, and pipe tables of Markdown files).</summary>
public sealed record ReportContents(int Figures, int Tables);

/// <summary>Writes report.html for a run directory.</summary>
public static partial class RunReport
{
    /// <summary>The report's file name in a run directory.</summary>
    public const string FileName = "report.html";

    /// <summary>The run record every verb writes (command line, environment, timing).</summary>
    public const string RecordFile = "run.json";

    /// <summary>Rows of a long table shown (half from its start, half from its end); the rest is in the file.</summary>
    public const int RowsShown = 40;

    /// <summary>Writes the report of <paramref name="directory"/> to <paramref name="output"/> (default: report.html in it) atomically.</summary>
    public static ReportContents Write(string directory, string? output = null)
    {
        var (html, contents) = Render(directory);
        AtomicFile.WriteAllText(output ?? Path.Combine(directory, FileName), html);
        return contents;
    }

    /// <summary>The report of <paramref name="directory"/> as HTML, with what it shows.</summary>
    /// <exception cref="DirectoryNotFoundException">No such directory.</exception>
    /// <exception cref="InvalidDataException">A JSON or JSON Lines file that does not parse (named with its line), or a directory with no run files.</exception>
    public static (string Html, ReportContents Contents) Render(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such directory");
        if (!Files(directory, recursive: true).Any(f => Kind(f) is not FileKind.Other))
            throw new InvalidDataException($"{directory}: no run files (run.json, config.json, metrics.jsonl, *.csv, *.json, *.svg, *.md) in it or below it");
        var page = new Page(Path.GetFullPath(directory));
        page.Build();
        return (page.ToString(), new ReportContents(page.Figures, page.Tables));
    }

    private enum FileKind { Figure, Csv, JsonLines, Json, Markdown, Other }

    private static FileKind Kind(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".svg" => FileKind.Figure,
        ".csv" => FileKind.Csv,
        ".jsonl" => FileKind.JsonLines,
        ".json" => FileKind.Json,
        ".md" => FileKind.Markdown,
        _ => FileKind.Other,
    };

    /// <summary>The files a report looks at, in name order: hidden and temporary files and reports left out.</summary>
    private static IEnumerable<string> Files(string directory, bool recursive = false) =>
        Directory.EnumerateFiles(directory, "*", recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => !Path.GetFileName(f).StartsWith('.') && !Path.GetFileName(f).Equals(FileName, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private sealed class Page(string root)
    {
        private readonly StringBuilder _body = new();
        private readonly List<(string Id, string Title)> _sections = [];
        private string _title = Path.GetFileName(root);

        public int Figures { get; private set; }

        public int Tables { get; private set; }

        public void Build()
        {
            _title = TitleOf(root);
            Directory_(root, level: 2);
        }

        public override string ToString()
        {
            var html = new StringBuilder();
            html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
            html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
            html.Append($"<meta name=\"generator\" content=\"LstmLens {Version}\">\n");
            html.Append($"<title>{E(_title)}</title>\n<style>\n{Style}</style>\n</head>\n<body>\n<header>\n<h1>{E(_title)}</h1>\n");
            html.Append($"<p class=\"where\">Run directory <code>{E(root)}</code> · report by LstmLens {Version}: {Figures} figure{(Figures == 1 ? "" : "s")}, {Tables} table{(Tables == 1 ? "" : "s")}</p>\n</header>\n");
            if (_sections.Count > 1)
                html.Append("<nav><ol>").AppendJoin("", _sections.Select(s => $"<li><a href=\"#{s.Id}\">{E(s.Title)}</a></li>")).Append("</ol></nav>\n");
            html.Append("<main>\n").Append(_body).Append("</main>\n</body>\n</html>\n");
            return html.ToString();
        }

        private void Directory_(string directory, int level)
        {
            string relative = Path.GetRelativePath(root, directory);
            string prefix = relative == "." ? "" : relative.Replace('\\', '/') + "/";
            var files = Files(directory).ToArray();
            var subdirectories = Directory.EnumerateDirectories(directory).Where(d => !Path.GetFileName(d).StartsWith('.') && Files(d, recursive: true).Any())
                .Order(StringComparer.Ordinal).ToArray();
            if (prefix.Length > 0 && files.Length == 0)
            {
                foreach (string sub in subdirectories) Directory_(sub, level); // a folder of runs: its runs at its level
                return;
            }
            if (prefix.Length > 0) Heading(level - 1, prefix, Slug("run-" + prefix));
            int h = Math.Min(6, level);
            var figures = files.Where(f => Kind(f) == FileKind.Figure).ToList();
            var placed = new HashSet<string>(StringComparer.Ordinal);

            // Documents first, summary before results before the rest; each figure after the block that first names it.
            foreach (string doc in files.Where(f => Kind(f) == FileKind.Markdown).OrderBy(f => Path.GetFileName(f) switch { "summary.md" => 0, "results.md" => 1, _ => 2 }))
            {
                var blocks = Markdown.ToHtml(File.ReadAllText(doc), headingOffset: h - 1, $" data-source=\"{E(prefix + Path.GetFileName(doc))}\"");
                if (prefix.Length == 0 && blocks.Count > 0 && blocks[0].Source.StartsWith("# ", StringComparison.Ordinal) && blocks[0].Source[2..].Trim() == _title)
                    blocks = blocks.Skip(1).ToArray(); // the page title already says it
                if (prefix.Length == 0) Heading(h, Path.GetFileName(doc) switch { "summary.md" => "Summary", "results.md" => "Results", var n => n }, Slug(doc));
                _body.Append($"<div class=\"document\" data-document=\"{E(prefix + Path.GetFileName(doc))}\">\n");
                foreach (var block in blocks)
                {
                    _body.Append(block.Html).Append('\n');
                    if (block.IsTable) Tables++;
                    foreach (Match m in FigureNamePattern().Matches(block.Source))
                        if (figures.FirstOrDefault(f => Path.GetFileName(f) == m.Value) is { } named && placed.Add(named)) Figure(named, prefix);
                }
                _body.Append("</div>\n");
            }

            var record = files.FirstOrDefault(f => Path.GetFileName(f) == RecordFile);
            var config = files.FirstOrDefault(f => Path.GetFileName(f) == ModelFiles.ConfigFile);
            if (record is not null || config is not null)
            {
                Heading(h, prefix.Length == 0 ? "What was run" : "Run", Slug(prefix + "run"));
                if (record is not null)
                {
                    using var json = ParseJson(record);
                    if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("command", out var command))
                        _body.Append($"<pre class=\"command\"><code>{E(command.ToString())}</code></pre>\n");
                    JsonTable(record, prefix, json.RootElement);
                }
                if (config is not null)
                {
                    using var json = ParseJson(config);
                    JsonTable(config, prefix, json.RootElement);
                }
            }

            var rest = figures.Where(f => !placed.Contains(f)).ToArray();
            if (rest.Length > 0)
            {
                Heading(h, placed.Count > 0 ? "More figures" : "Figures", Slug(prefix + "figures"));
                foreach (string figure in rest) Figure(figure, prefix);
            }

            var tables = files.Where(f => Kind(f) is FileKind.Csv or FileKind.JsonLines || (Kind(f) == FileKind.Json && f != record && f != config)).ToArray();
            if (tables.Length > 0)
            {
                Heading(h, "Tables", Slug(prefix + "tables"));
                foreach (string table in tables)
                {
                    if (Kind(table) == FileKind.Csv) CsvTable(table, prefix);
                    else if (Kind(table) == FileKind.JsonLines) JsonLinesTable(table, prefix);
                    else
                    {
                        using var json = ParseJson(table);
                        JsonTable(table, prefix, json.RootElement);
                    }
                }
            }

            foreach (string sub in subdirectories) Directory_(sub, level + 1);

            if (prefix.Length == 0) FileList();
        }

        private void Heading(int level, string title, string id)
        {
            level = Math.Clamp(level, 2, 6);
            if (level == 2) _sections.Add((id, title));
            _body.Append($"<h{level} id=\"{id}\">{E(title)}</h{level}>\n");
        }

        private void Figure(string path, string prefix)
        {
            Figures++;
            string name = prefix + Path.GetFileName(path);
            _body.Append($"<figure data-source=\"{E(name)}\">\n").Append(InlineSvg(File.ReadAllText(path), $"f{Figures}-"))
                .Append($"<figcaption>{E(name)}</figcaption>\n</figure>\n");
        }

        private void TableStart(string path, string prefix, string? note = null)
        {
            Tables++;
            string name = prefix + Path.GetFileName(path);
            _body.Append($"<div class=\"table\"><p class=\"caption\"><code>{E(name)}</code>{(note is null ? "" : $" · {E(note)}")}</p><div class=\"scroll\"><table data-source=\"{E(name)}\">");
        }

        private void TableEnd() => _body.Append("</table></div></div>\n");

        private void Rows(IReadOnlyList<string> header, IReadOnlyList<string>[] rows, long total, long skippedAfter)
        {
            _body.Append("<thead><tr>").AppendJoin("", header.Select(c => $"<th>{E(c)}</th>")).Append("</tr></thead><tbody>");
            for (int i = 0; i < rows.Length; i++)
            {
                if (i == skippedAfter)
                    _body.Append($"<tr class=\"skipped\"><td colspan=\"{header.Count}\">… {total - rows.Length:N0} rows not shown …</td></tr>");
                _body.Append("<tr>").AppendJoin("", rows[i].Select(Cell)).Append("</tr>");
            }
            _body.Append("</tbody>");
        }

        private void CsvTable(string path, string prefix)
        {
            var (head, tail, total) = HeadAndTail(File.ReadLines(path).Where(l => l.Length > 0));
            if (head.Count == 0)
            {
                TableStart(path, prefix, "empty");
                TableEnd();
                return;
            }
            var rows = head.Skip(1).Concat(tail).Select(l => (IReadOnlyList<string>)Csv.Split(l)).ToArray();
            TableStart(path, prefix, RowNote(total - 1));
            Rows(Csv.Split(head[0]), rows, total - 1, tail.Count > 0 ? head.Count - 1 : -1);
            TableEnd();
        }

        private void JsonLinesTable(string path, string prefix)
        {
            int number = 0;
            var parsed = File.ReadLines(path).Select(l => (Line: ++number, Text: l)).Where(l => l.Text.Trim().Length > 0);
            var (head, tail, total) = HeadAndTail(parsed);
            var records = head.Concat(tail).Select(l =>
            {
                var fields = new List<(string, string)>();
                try
                {
                    using var json = JsonDocument.Parse(l.Text);
                    Flatten(json.RootElement, "", fields);
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"{path}:{l.Line}: not JSON ({JsonErrors.OneLine(e)})", e);
                }
                return fields.ToDictionary(f => f.Item1, f => f.Item2);
            }).ToArray();
            var columns = records.SelectMany(r => r.Keys).Distinct().ToArray();
            TableStart(path, prefix, RowNote(total));
            Rows(columns, [.. records.Select(r => (IReadOnlyList<string>)[.. columns.Select(c => r.GetValueOrDefault(c, ""))])], total, tail.Count > 0 ? head.Count : -1);
            TableEnd();
        }

        private void JsonTable(string path, string prefix, JsonElement root)
        {
            TableStart(path, prefix);
            _body.Append("<tbody>");
            if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in root.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        _body.Append($"<tr class=\"group\"><th colspan=\"2\">{E(property.Name)}</th></tr>");
                        KeyValues(property.Value, "");
                    }
                    else KeyValues(property.Value, property.Name);
                }
            }
            else KeyValues(root, "");
            _body.Append("</tbody>");
            TableEnd();
        }

        private void KeyValues(JsonElement value, string prefix)
        {
            var fields = new List<(string, string)>();
            Flatten(value, prefix, fields);
            foreach (var (key, text) in fields) _body.Append($"<tr><th>{E(key)}</th>{Cell(text)}</tr>");
        }

        private void FileList()
        {
            Heading(2, "Files", "files");
            _body.Append("<div class=\"scroll\"><table class=\"files\"><thead><tr><th>file</th><th>size</th><th>contents</th></tr></thead><tbody>");
            foreach (string file in Files(root, recursive: true))
            {
                string contents = Path.GetExtension(file) == ".safetensors" ? Tensors(file) : Kind(file) switch
                {
                    FileKind.Figure => "figure",
                    FileKind.Csv or FileKind.JsonLines or FileKind.Json => "table",
                    FileKind.Markdown => "document",
                    _ => "",
                };
                _body.Append($"<tr><td><code>{E(Path.GetRelativePath(root, file).Replace('\\', '/'))}</code></td><td class=\"num\">{Size(new FileInfo(file).Length)}</td><td>{E(contents)}</td></tr>");
            }
            _body.Append("</tbody></table></div>\n");
        }
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{(e.LineNumber ?? 0) + 1}: not JSON ({JsonErrors.OneLine(e)})", e);
        }
    }

    /// <summary>The page title: the first heading of summary.md or results.md, else the verb and directory.</summary>
    private static string TitleOf(string directory)
    {
        foreach (string name in new[] { "summary.md", "results.md" })
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path) && File.ReadLines(path).FirstOrDefault(l => l.StartsWith("# ", StringComparison.Ordinal)) is { } heading)
                return heading[2..].Trim();
        }
        string folder = Path.GetFileName(directory), record = Path.Combine(directory, RecordFile);
        if (!File.Exists(record)) return folder;
        using var json = ParseJson(record);
        return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("verb", out var verb) ? $"lstmlens {verb}: {folder}" : folder;
    }

    /// <summary>Scalars of a JSON value as (dotted key, text) pairs; arrays of scalars joined, arrays of objects indexed.</summary>
    private static void Flatten(JsonElement value, string key, List<(string, string)> fields)
    {
        const int MaxText = 240;
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                    Flatten(property.Value, key.Length == 0 ? property.Name : $"{key}.{property.Name}", fields);
                break;
            case JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                string joined = string.Join(", ", value.EnumerateArray().Select(v => Display(v.ToString())));
                fields.Add((key, joined.Length <= MaxText ? $"[{joined}]" : $"[{joined[..MaxText]}…] ({value.GetArrayLength():N0} values)"));
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in value.EnumerateArray()) Flatten(item, $"{key}[{i++}]", fields);
                break;
            case JsonValueKind.Null:
                fields.Add((key, "null"));
                break;
            default:
                fields.Add((key, value.ToString()));
                break;
        }
    }

    /// <summary>The first and last <see cref="RowsShown"/>/2 items when there are more than <see cref="RowsShown"/> (then <c>tail</c> is not empty), and the count.</summary>
    private static (List<T> Head, List<T> Tail, long Total) HeadAndTail<T>(IEnumerable<T> items)
    {
        var head = new List<T>();
        var tail = new Queue<T>();
        long total = 0;
        foreach (var item in items)
        {
            total++;
            if (head.Count < RowsShown / 2) { head.Add(item); continue; }
            tail.Enqueue(item);
            if (tail.Count > RowsShown / 2 + 1) tail.Dequeue();
        }
        if (total <= RowsShown + 1) return ([.. head.Concat(tail)], [], total);
        tail.Dequeue();
        return (head, [.. tail], total);
    }

    private static string RowNote(long rows) => rows <= RowsShown + 1 ? $"{rows:N0} rows" : $"{rows:N0} rows, the first and last {RowsShown / 2} shown";

    private static string Cell(string text) => Markdown.LooksNumeric(text) ? $"<td class=\"num\">{E(Display(text))}</td>" : $"<td>{E(text)}</td>";

    /// <summary>Long decimals (a CSV's round-trip doubles) shortened to 6 significant digits; everything else as written.</summary>
    private static string Display(string text) =>
        text.Length > 8 && (text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.OrdinalIgnoreCase))
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value.ToString("G6", CultureInfo.InvariantCulture) : text;

    private static string Tensors(string path)
    {
        try
        {
            var file = SafeTensors.Read(path);
            long parameters = file.Tensors.Sum(t => t.ElementCount);
            return $"{parameters:N0} values: " + string.Join(", ", file.Tensors.Select(t => $"{t.Name} [{string.Join('×', t.Shape)}]"));
        }
        catch (InvalidDataException e)
        {
            return $"unreadable: {e.Message}";
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes / (1024.0 * 1024):F1} MiB",
    };

    /// <summary>
    /// An SVG document ready to sit inside HTML: the XML declaration and doctype dropped, and every id (and the url(#…) and
    /// href="#…" that point at one) given <paramref name="prefix"/>, so that two figures' clip paths cannot collide.
    /// </summary>
    internal static string InlineSvg(string svg, string prefix)
    {
        svg = XmlPrologPattern().Replace(svg, "");
        svg = IdPattern().Replace(svg, m => $"{m.Groups[1].Value}=\"{prefix}{m.Groups[2].Value}\"");
        svg = UrlReferencePattern().Replace(svg, m => $"url(#{prefix}{m.Groups[1].Value})");
        svg = HrefReferencePattern().Replace(svg, m => $"{m.Groups[1].Value}=\"#{prefix}{m.Groups[2].Value}\"");
        return svg.Trim() + "\n";
    }

    private static string Slug(string text) => "s-" + string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')).Trim('-');

    private static string E(string text) => Markdown.Escape(text);

    private static string Version => typeof(RunReport).Assembly.GetName().Version?.ToString(3) ?? "?";

    [GeneratedRegex(@"[A-Za-z0-9_.\-]+\.svg")]
    private static partial Regex FigureNamePattern();

    [GeneratedRegex(@"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>")]
    private static partial Regex XmlPrologPattern();

    [GeneratedRegex(@"\b(id)=""([^""]+)""")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"url\(#([^)]+)\)")]
    private static partial Regex UrlReferencePattern();

    [GeneratedRegex(@"\b((?:xlink:)?href)=""#([^""]+)""")]
    private static partial Regex HrefReferencePattern();

    // Screen: a readable column, tables that scroll inside their box. Print: everything unrolled, no navigation, figures and
    // table rows kept whole, black on white. Fonts are the reader's own (no web fonts).
    private const string Style = """
        :root { --ink: #1a1a1a; --muted: #5c5c5c; --rule: #d8d8d8; --band: #f4f4f4; --accent: #0072b2; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 66rem; padding: 1.5rem 2rem 4rem; color: var(--ink); background: #fff;
               font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        header h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
        .where { color: var(--muted); margin: 0 0 1rem; font-size: .9rem; }
        nav ol { margin: 0 0 1.5rem; padding: .5rem 1rem .5rem 2rem; background: var(--band); border-radius: 4px; columns: 2; }
        a { color: var(--accent); }
        h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid var(--rule); }
        h3 { font-size: 1.1rem; margin: 1.5rem 0 .4rem; }
        h4, h5, h6 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
        p, li { max-width: 52rem; }
        code, pre { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, monospace; font-size: .88em; }
        pre { background: var(--band); padding: .6rem .8rem; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
        figure { margin: 1rem 0 1.5rem; }
        figure svg { display: block; width: 100%; max-width: 46rem; height: auto; }
        figcaption { color: var(--muted); font-size: .85rem; }
        .table { margin: .6rem 0 1.2rem; }
        .caption { margin: 0 0 .2rem; color: var(--muted); font-size: .85rem; }
        .scroll { max-height: 26rem; overflow: auto; border: 1px solid var(--rule); border-radius: 4px; }
        .document > table { margin: .6rem 0 1.2rem; }
        table { border-collapse: collapse; font-size: .85rem; }
        th, td { padding: .2rem .6rem; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
        thead th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid var(--ink); }
        td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.group th { background: var(--band); }
        tr.skipped td { color: var(--muted); text-align: center; font-style: italic; }
        table.files td:last-child { font-size: .8rem; color: var(--muted); }
        @media print {
          body { max-width: none; padding: 0; font-size: 10pt; }
          nav { display: none; }
          a { color: inherit; text-decoration: none; }
          .scroll { max-height: none; overflow: visible; border: none; }
          thead th { position: static; }
          figure, tr, pre { break-inside: avoid; }
          h2, h3, h4 { break-after: avoid; }
          figure svg { max-width: 17cm; }
        }

        """;
}
