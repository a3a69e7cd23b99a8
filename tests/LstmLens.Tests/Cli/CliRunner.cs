using System.CommandLine;
using LstmLens.Cli;

namespace LstmLens.Tests.Cli;

/// <summary>Runs the CLI in-process with captured stdout and stderr.</summary>
internal static class CliRunner
{
    private static readonly Lock Gate = new();

    public static (int Exit, string Out, string Err) Run(params string[] args) => Run(Verbs.Root(), args);

    public static (int Exit, string Out, string Err) Run(RootCommand root, params string[] args) => Capture(() => CommandRunner.Run(root, args));

    /// <summary>Runs <paramref name="run"/> with the console captured; returns its exit code and what it printed.</summary>
    public static (int Exit, string Out, string Err) Capture(Func<int> run)
    {
        lock (Gate) // Console redirection is process-wide
        {
            var (stdout, stderr) = (Console.Out, Console.Error);
            using var outWriter = new StringWriter();
            using var errWriter = new StringWriter();
            Console.SetOut(outWriter);
            Console.SetError(errWriter);
            try
            {
                int exit = run();
                return (exit, outWriter.ToString(), errWriter.ToString());
            }
            finally
            {
                Console.SetOut(stdout);
                Console.SetError(stderr);
            }
        }
    }
}
