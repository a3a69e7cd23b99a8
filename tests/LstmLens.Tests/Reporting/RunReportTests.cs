using LstmLens.Reporting;
using LstmLens.Tests.Cli;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Reporting;

/// <summary>report.html from the files of a directory: documents, tables, figures, subdirectories, escaping, bad input.</summary>
public sealed class RunReportTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\"><clipPath id=\"area\"><rect width=\"10\" height=\"10\"/></clipPath>" +
        "<g clip-path=\"url(#area)\"><text>x</text></g></svg>\n";

    [Fact]
    public void Shows_every_document_table_and_figure_and_places_named_figures_after_their_paragraph()
    {
        _dir.Write("results.md", "# A run\n\nOurs beside the paper's:\n\n| model | ours (paper) |\n|---|---:|\n| LSTM <b> | 1.30 (1.29) |\n\nCurves in curve.svg.\n");
        _dir.Write("curve.svg", Svg);
        _dir.Write("other.svg", Svg);
        _dir.Write("results.csv", "seed,value\n1,0.123456789012\n2,\"a,b\"\n");
        _dir.Write("run.json", "{\"verb\": \"reproduce\", \"command\": \"lstmlens reproduce x\", \"environment\": \"LstmLens 1.0.0: kernels reference\"}");
        Directory.CreateDirectory(Path.Combine(_dir.Path, "runs", "a-seed1"));
        _dir.Write("runs/a-seed1/metrics.jsonl", string.Concat(Enumerable.Range(1, 100).Select(i => $"{{\"updates\":{i},\"loss\":{1.0 / i}}}\n")));

        var (html, contents) = RunReport.Render(_dir.Path);
        Assert.Equal(new ReportContents(Figures: 2, Tables: 4), contents); // results.md's table, run.json, results.csv, metrics.jsonl
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>A run</title>", html);
        Assert.Contains("LSTM &lt;b&gt;", html);                        // escaped, not markup
        Assert.Contains("<td class=\"num\">0.123457</td>", html);        // long decimals shortened
        Assert.Contains("<td>a,b</td>", html);
        Assert.Contains("lstmlens reproduce x", html);
        Assert.Contains("runs/a-seed1/", html);
        Assert.Contains("… 60 rows not shown …", html);                  // 100 rows, the first and last 20 shown
        Assert.True(html.IndexOf("Curves in curve.svg", StringComparison.Ordinal) < html.IndexOf("data-source=\"curve.svg\"", StringComparison.Ordinal));
        Assert.True(html.IndexOf("data-source=\"curve.svg\"", StringComparison.Ordinal) < html.IndexOf("<h2 id=\"s-figures\">More figures", StringComparison.Ordinal));
        Assert.Contains("id=\"f1-area\"", html);                          // ids unique per figure
        Assert.Contains("url(#f2-area)", html);
        Assert.DoesNotContain("<?xml", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain(" src=", html);
        Assert.Empty(System.Text.RegularExpressions.Regex.Matches(html, "https?://(?!www.w3.org/2000/svg)")); // only the SVG namespace names a URL
    }

    [Fact]
    public void Bad_input_is_named_and_leaves_no_report()
    {
        _dir.Write("metrics.jsonl", "{\"a\": 1}\n{\"a\": \n");
        var e = Assert.Throws<InvalidDataException>(() => RunReport.Write(_dir.Path));
        Assert.Contains("metrics.jsonl:2: not JSON", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "report.html")));
        using var empty = new TempDirectory();
        Assert.Contains("no run files", Assert.Throws<InvalidDataException>(() => RunReport.Write(empty.Path)).Message);
    }

    [Fact]
    public void Report_verb_writes_the_page_and_refuses_to_overwrite_without_force()
    {
        string run = Path.Combine(ReportBrowserTests.RepositoryRoot(), "docs", "reproductions", "hdetach-copy-quick");
        string page = Path.Combine(_dir.Path, "page.html");
        var (exit, output, error) = CliRunner.Run("report", run, "--html", page);
        Assert.True(exit == 0, error);
        Assert.Equal($"wrote {page}: 2 figures, 2 tables\n", output);
        (exit, _, error) = CliRunner.Run("report", run, "--html", page);
        Assert.Equal(2, exit);
        Assert.Equal($"lstmlens: --html {page} exists; add --force to replace it\n", error);
        Assert.Equal(0, CliRunner.Run("report", run, "--html", page, "--force").Exit);
        (exit, _, error) = CliRunner.Run("report", Path.Combine(_dir.Path, "missing"));
        Assert.Equal(1, exit);
        Assert.Contains("no such run directory", error);
        Assert.Equal(2, CliRunner.Run("report").Exit);
    }
}
