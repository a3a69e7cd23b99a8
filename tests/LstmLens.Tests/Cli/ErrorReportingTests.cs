using System.CommandLine;
using System.Diagnostics;
using LstmLens.Cli;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Tests.Cli;

/// <summary>The one top-level handler: user errors are one line with exit 1 or 2, anything else an internal error (exit 70).</summary>
public class ErrorReportingTests
{
    /// <summary>The real command tree plus a verb that throws <paramref name="error"/>.</summary>
    private static (int Exit, string Out, string Err) RunThrowing(Exception error, params string[] options)
    {
        var root = Verbs.Root();
        var fail = new Command("fail");
        fail.SetAction(new Func<ParseResult, int>(_ => throw error));
        root.Subcommands.Add(fail);
        return CliRunner.Run(root, ["fail", .. options]);
    }

    public static TheoryData<Exception, int, string> Errors => new()
    {
        { new OptionException("--lr must be positive (got -1)"), CommandRunner.UsageError, "lstmlens: --lr must be positive (got -1)" },
        { new InvalidDataException("a.txt:3: 'x' is not word/TAG"), CommandRunner.Failure, "lstmlens: a.txt:3: 'x' is not word/TAG" },
        { new FileNotFoundException("b.txt: no such file"), CommandRunner.Failure, "lstmlens: b.txt: no such file" },
        { new NonFiniteException("loss is NaN at update 3"), CommandRunner.Failure, "lstmlens: loss is NaN at update 3" },
        { new AggregateException(new InvalidDataException("runs/x: truncated")), CommandRunner.Failure, "lstmlens: runs/x: truncated" },
        { new ArgumentException("dz has 3 elements; expected 4", "dz"), CommandRunner.InternalError, "lstmlens: internal error: ArgumentException: dz has 3 elements; expected 4 (Parameter 'dz')" },
        { new InvalidOperationException("no kernels"), CommandRunner.InternalError, "lstmlens: internal error: InvalidOperationException: no kernels" },
        { new AggregateException(new KeyNotFoundException("x")), CommandRunner.InternalError, "lstmlens: internal error: KeyNotFoundException: x" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Every_error_is_one_line_with_its_exit_code(Exception error, int exit, string line)
    {
        var (code, output, stderr) = RunThrowing(error);
        Assert.Equal(exit, code);
        Assert.Equal("", output);
        string only = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(line, only);
    }

    [Fact]
    public void Verbose_adds_the_stack_trace_of_an_internal_error()
    {
        static void Deep() => throw new InvalidOperationException("no kernels");
        Exception thrown;
        try { Deep(); throw new UnreachableException(); }
        catch (InvalidOperationException e) { thrown = e; }

        var (quiet, _, brief) = RunThrowing(thrown);
        Assert.Equal(CommandRunner.InternalError, quiet);
        Assert.DoesNotContain("   at ", brief);
        Assert.Contains("--verbose", brief);

        var (exit, _, verbose) = RunThrowing(thrown, "--verbose");
        Assert.Equal(CommandRunner.InternalError, exit);
        Assert.StartsWith("lstmlens: internal error: InvalidOperationException: no kernels", verbose);
        Assert.Contains("   at ", verbose);
        Assert.Contains(nameof(ErrorReportingTests), verbose);
    }

    [Fact]
    public void Openblas_kernels_without_the_library_are_a_usage_error()
    {
        string[] args = ["bench", "--kernels", "openblas", "--configs", "copy", "--steps", "1", "--threads", "1"];
        if (!Compute.IsAvailable("openblas"))
        {
            var (exit, output, error) = CliRunner.Run(args);
            AssertUsageError(exit, output, error);
            return;
        }
        // OpenBLAS is installed here: hide it from a child process by binding /dev/null over the library in a private mount namespace.
        string library = File.ReadLines("/proc/self/maps").Select(l => l[(l.LastIndexOf(' ') + 1)..]).First(p => p.Contains("openblas", StringComparison.Ordinal));
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-rm", "sh", "-c", "mount --bind /dev/null \"$0\" && exec dotnet \"$@\"", library,
            Path.Combine(AppContext.BaseDirectory, "LstmLens.Cli.dll") }.Concat(args))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        AssertUsageError(process.ExitCode, stdout, stderr);
    }

    private static void AssertUsageError(int exit, string output, string error)
    {
        Assert.True(exit == CommandRunner.UsageError, $"exit {exit}: {error}");
        Assert.Equal("", output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--kernels openblas", line);
        Assert.Contains("libopenblas0", line);
    }
}
