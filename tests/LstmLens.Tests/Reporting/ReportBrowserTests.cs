using System.Text.RegularExpressions;
using LstmLens.Tests.Cli;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Reporting;

/// <summary>
/// The demo's report and a committed reproduction's report opened in headless Chromium: no request beyond the page itself, no
/// console error, every figure and table of the run directory on the page (counted from its files), a screenshot PNG under the
/// test output (screenshots/) and a PDF from the print style sheet.
/// </summary>
public sealed partial class ReportBrowserTests : IDisposable
{
    private static readonly string Screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [ChromiumFact]
    public async Task Demo_report_is_complete_and_self_contained()
    {
        string run = Path.Combine(_dir.Path, "demo");
        var (exit, _, error) = CliRunner.Run("demo", "--quick", "--threads", "1", "--out", run);
        Assert.True(exit == 0, error);
        await Check(run, Path.Combine(run, "report.html"), "demo");
    }

    [ChromiumFact]
    public async Task Reproduction_report_is_complete_and_self_contained()
    {
        string run = Path.Combine(RepositoryRoot(), "docs", "reproductions", "verwimp-synthetic-quick");
        string page = Path.Combine(_dir.Path, "verwimp-synthetic.html");
        var (exit, _, error) = CliRunner.Run("report", run, "--html", page);
        Assert.True(exit == 0, error);
        await Check(run, page, "verwimp-synthetic-quick");
    }

    private static async Task Check(string run, string page, string name)
    {
        string url = new Uri(page).AbsoluteUri;
        await using var browser = await Chromium.Start();
        await browser.Open(url);

        var requests = browser.Events.Where(e => e.Method == "Network.requestWillBeSent").Select(e => (string)e.Params["request"]!["url"]!).ToArray();
        Assert.All(requests, r => Assert.Equal(url, r));
        var errors = browser.Events.Where(e => e.Method == "Runtime.exceptionThrown"
                || (e.Method == "Runtime.consoleAPICalled" && (string?)e.Params["type"] is "error" or "assert")
                || (e.Method == "Log.entryAdded" && (string?)e.Params["entry"]!["level"] == "error"))
            .Select(e => e.Params.ToJsonString()).ToArray();
        Assert.True(errors.Length == 0, string.Join('\n', errors));

        // What the directory holds, counted from its files.
        var files = Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('.')).ToArray();
        var figures = files.Where(f => f.EndsWith(".svg", StringComparison.Ordinal)).Select(f => Relative(run, f)).Order(StringComparer.Ordinal).ToArray();
        var dataTables = files.Where(f => f.EndsWith(".csv", StringComparison.Ordinal) || f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .Select(f => Relative(run, f)).ToArray();
        int markdownTables = files.Where(f => f.EndsWith(".md", StringComparison.Ordinal)).Sum(f => TableSeparator().Count(File.ReadAllText(f)));
        Assert.NotEmpty(figures);

        var shown = (await browser.Evaluate("""
            JSON.stringify({
              figures: [...document.querySelectorAll('figure[data-source]')]
                .filter(f => { const s = f.querySelector('svg'); if (!s) return false; const r = s.getBoundingClientRect(); return r.width > 100 && r.height > 50; })
                .map(f => f.dataset.source).sort(),
              tables: [...document.querySelectorAll('table[data-source]')].filter(t => t.rows.length > 0 || t.dataset.source.endsWith('.csv')).map(t => t.dataset.source),
              external: [...document.querySelectorAll('[src], link[href], image, use')].length
            })
            """))!.GetValue<string>();
        var json = System.Text.Json.Nodes.JsonNode.Parse(shown)!;
        Assert.Equal(figures, json["figures"]!.AsArray().Select(n => (string)n!).ToArray());
        var tables = json["tables"]!.AsArray().Select(n => (string)n!).ToArray();
        Assert.Equal(dataTables.Order(StringComparer.Ordinal), tables.Where(t => !t.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(markdownTables, tables.Count(t => t.EndsWith(".md", StringComparison.Ordinal)));
        Assert.Equal(0, json["external"]!.GetValue<int>());

        byte[] png = await browser.Screenshot(1200, 4000);
        Assert.True(png.Length > 10_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        await File.WriteAllBytesAsync(Path.Combine(Screenshots, $"{name}.png"), png);
        byte[] pdf = await browser.PrintToPdf();
        Assert.True(pdf.Length > 10_000 && pdf[0] == '%' && pdf[1] == 'P');
        await File.WriteAllBytesAsync(Path.Combine(Screenshots, $"{name}.pdf"), pdf);
    }

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');

    internal static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LstmLens.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("the repository root (LstmLens.slnx) is not above the test output");
    }

    [GeneratedRegex(@"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)+\|?\s*$", RegexOptions.Multiline)]
    private static partial Regex TableSeparator();
}
