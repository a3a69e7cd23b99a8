// The end of every verb that writes a run directory: run.json (the verb, its command line, the environment
// line printed at start-up, the CPU, when it started and how long it took) and report.html, the one page that
// shows the directory (LstmLens.Reporting.RunReport). Not the report itself.
using System.CommandLine;
using LstmLens.Reporting;

namespace LstmLens.Cli.Output;

/// <summary>Writes the run record and the report at the end of a run.</summary>
public static class RunReportOutput
{
    /// <summary>
    /// Writes run.json and report.html into <paramref name="directory"/> and prints the report's path. Returns the path.
    /// </summary>
    public static string Finish(ParseResult parsed, string directory, string environment, DateTime started)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        RunFiles.WriteRecord(directory, parsed.CommandResult.Command.Name, CommandLine(parsed), environment, started, DateTime.UtcNow - started);
        var contents = RunReport.Write(directory);
        string path = Path.Combine(directory, RunReport.FileName);
        Console.WriteLine($"report: {path} ({Count(contents.Figures, "figure")}, {Count(contents.Tables, "table")})");
        return path;
    }

    /// <summary>"2 figures", "1 table".</summary>
    public static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    /// <summary>The command line as typed, quoted where a word needs it: `lstmlens memory --model 'my runs/lm' …`.</summary>
    public static string CommandLine(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return string.Join(' ', parsed.Tokens.Select(t => t.Value).Prepend("lstmlens").Select(RunFiles.ShellWord));
    }
}
