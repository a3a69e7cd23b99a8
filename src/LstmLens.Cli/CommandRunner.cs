// The one top-level handler of `lstmlens`: parses and runs a command line and turns every failure into one
// line on stderr starting with "lstmlens:" and an exit code: 2 for a malformed command line (parse errors
// and OptionException), 1 for bad input or a failed check (unreadable or malformed files, a diverged
// training run), 70 for anything else, which is a bug: "internal error: …", with the stack trace only
// under --verbose.
using System.CommandLine;
using System.Reflection;
using LstmLens.Training;

namespace LstmLens.Cli;

/// <summary>Error-reporting wrapper around System.CommandLine.</summary>
public static class CommandRunner
{
    /// <summary>Exit code for an unusable command line.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for bad input or a failed check.</summary>
    public const int Failure = 1;

    /// <summary>Exit code for an internal error (EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    /// <summary>--verbose, accepted by every verb: the stack trace of an internal error.</summary>
    public static Option<bool> Verbose() => new("--verbose") { Description = "Print the stack trace of an internal error", Recursive = true };

    /// <summary>Parses and invokes; returns the process exit code.</summary>
    public static int Run(RootCommand root, string[] args)
    {
        ArgumentNullException.ThrowIfNull(root);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"lstmlens: {OneLine(parsed.Errors[0].Message)}");
            return UsageError;
        }
        bool json = parsed.CommandResult.Command.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--json") is { } option && parsed.GetValue(option);
        try
        {
            using var human = json ? Output.JsonOutput.Begin() : null;
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }); // errors reach the handler below
        }
        catch (Exception e)
        {
            var verbose = root.Options.OfType<Option<bool>>().FirstOrDefault(o => o.Name == "--verbose");
            return Report(e, verbose is not null && parsed.GetValue(verbose));
        }
    }

    private static int Report(Exception thrown, bool verbose)
    {
        var e = Cause(thrown);
        int code = e switch
        {
            OptionException => UsageError,
            InvalidDataException or IOException or UnauthorizedAccessException or NonFiniteException => Failure, // IOException covers missing files
            _ => InternalError,
        };
        Console.Error.WriteLine(code == InternalError
            ? $"lstmlens: internal error: {e.GetType().Name}: {OneLine(e.Message)}{(verbose ? "" : " (--verbose prints where)")}"
            : $"lstmlens: {OneLine(e.Message)}");
        if (verbose && code == InternalError) Console.Error.WriteLine(thrown);
        return code;
    }

    /// <summary>The exception that caused <paramref name="e"/>: parallel runs wrap theirs in AggregateException, reflection in TargetInvocationException.</summary>
    private static Exception Cause(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: > 0 } a => Cause(a.InnerExceptions[0]),
        TargetInvocationException { InnerException: { } inner } => Cause(inner),
        _ => e,
    };

    /// <summary>Folds a multi-line message (e.g. a list of accepted values) onto one line.</summary>
    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(s => s.Trim()));
}
