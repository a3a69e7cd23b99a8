// Runs a parsed command line and maps failures to exit codes: 2 for a malformed command line, 1 for
// bad input (a file, a value) or a failed check, each reported as one line starting with "lstmlens:".
using System.CommandLine;

namespace LstmLens.Cli;

/// <summary>Error-reporting wrapper around System.CommandLine.</summary>
public static class CommandRunner
{
    /// <summary>Exit code for an unusable command line.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for bad input or a failed check.</summary>
    public const int Failure = 1;

    /// <summary>Parses and invokes; returns the process exit code.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"lstmlens: {OneLine(parsed.Errors[0].Message)}");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }); // errors reach the filter below
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"lstmlens: {OneLine(e.Message)}");
            return Failure;
        }
    }

    /// <summary>Folds a multi-line message (e.g. a list of accepted values) onto one line.</summary>
    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));

    /// <summary>Errors caused by the input, reported without a stack trace.</summary>
    private static bool IsUserError(Exception e) =>
        e is ArgumentException or InvalidDataException or NotSupportedException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException or FormatException or IOException;
}
