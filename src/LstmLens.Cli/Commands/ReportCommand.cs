// `lstmlens report RUN_DIR [--html FILE]`: writes the self-contained report.html of a run directory (any
// verb's: train, task, memory, reproduce, demo), the one page with its command line, environment, documents,
// figures and tables (LstmLens.Reporting.RunReport). Every verb that writes a run directory already writes
// one at its end; this verb rewrites it, or writes it elsewhere, e.g. for a directory copied from another machine.
using System.CommandLine;
using LstmLens.Cli.Output;
using LstmLens.Reporting;

namespace LstmLens.Cli.Commands;

/// <summary>The report verb.</summary>
public static class ReportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var run = new Argument<string>("run-dir") { Description = "Run directory (written by train, task, memory, reproduce or demo)" };
        var output = new Option<string?>("--html") { Description = "HTML file to write (default: report.html in the run directory, replaced)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing --out file" };
        var command = new Command("report", "Write one self-contained HTML page that shows a run directory: what was run, figures and tables") { run, output, force };
        command.SetAction(r =>
        {
            string directory = r.GetValue(run)!;
            string? path = r.GetValue(output);
            if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such run directory");
            if (path is not null && Directory.Exists(path)) throw new OptionException($"--html {path} is a directory; give the HTML file's name");
            if (path is not null && File.Exists(path) && !r.GetValue(force)) throw new OptionException($"--html {path} exists; add --force to replace it");
            path ??= Path.Combine(directory, RunReport.FileName);
            var contents = RunReport.Write(directory, path);
            Console.WriteLine($"wrote {path}: {RunReportOutput.Count(contents.Figures, "figure")}, {RunReportOutput.Count(contents.Tables, "table")}");
            return 0;
        });
        return command;
    }
}
