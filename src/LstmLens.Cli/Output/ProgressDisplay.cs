// Progress bars for long work: a live Spectre bar with rate and ETA on a terminal, nothing but the
// caller's own lines when output is redirected (logs and pipes get no escape codes).
using Spectre.Console;

namespace LstmLens.Cli.Output;

/// <summary>Runs work that reports progress through an <see cref="Action{T}"/> taking the completed units.</summary>
public static class ProgressDisplay
{
    /// <summary>True when a live bar can be drawn.</summary>
    public static bool Interactive => !JsonOutput.Active && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/>, which calls its argument with the units done so far (of <paramref name="total"/>).</summary>
    public static void Run(string description, double total, Action<Action<double>> work)
    {
        if (!Interactive)
        {
            work(_ => { });
            return;
        }
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(description, maxValue: total);
                work(done => bar.Value = done);
            });
    }

    /// <summary>
    /// Runs <paramref name="work"/>, which calls its argument with (units done, units in all); the bar shows the rate in
    /// <paramref name="unit"/> per second beside the elapsed and remaining time.
    /// </summary>
    public static void Run(string description, string unit, Action<Action<double, double>> work)
    {
        if (!Interactive)
        {
            work((_, _) => { });
            return;
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask(description, maxValue: 1);
                work((done, total) =>
                {
                    bar.MaxValue = Math.Max(1, total);
                    bar.Value = done;
                    double seconds = clock.Elapsed.TotalSeconds;
                    if (seconds > 0) bar.Description = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{description} ({done / seconds:N0} {unit}/s)");
                });
            });
    }

    /// <summary>Prints a line above the bar (or plainly when redirected).</summary>
    public static void Line(string text)
    {
        if (Interactive) AnsiConsole.MarkupLine(Markup.Escape(text));
        else Console.WriteLine(text);
    }
}
