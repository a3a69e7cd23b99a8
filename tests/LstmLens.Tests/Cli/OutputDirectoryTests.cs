using LstmLens.Tests.Data;

namespace LstmLens.Tests.Cli;

/// <summary>Every verb that writes a run directory refuses one that holds something, unless told to replace it.</summary>
public sealed class OutputDirectoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("task", "copying", "--max-sequences", "32")]
    [InlineData("reproduce", "hdetach-copy")]
    [InlineData("memory", "--model", "{fixture}", "--data", "{text}")]
    [InlineData("memory", "--compare", "{fixture}")]
    [InlineData("demo", "--quick")]
    public void A_non_empty_out_is_refused_and_left_alone(params string[] args)
    {
        string text = _dir.Write("text.txt", "a b c\n");
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "state_gradients", "lstm");
        string run = Path.Combine(_dir.Path, "run");
        Directory.CreateDirectory(run);
        string notes = Path.Combine(run, "notes.txt");
        File.WriteAllText(notes, "mine");
        string[] command = [.. args.Select(a => a.Replace("{fixture}", fixture, StringComparison.Ordinal).Replace("{text}", text, StringComparison.Ordinal)), "--out", run];
        var (exit, output, error) = CliRunner.Run(command);
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.Equal("", output);
        Assert.StartsWith($"lstmlens: --out {run} is not empty", error);
        Assert.Contains("add --force to replace it", error);
        Assert.Equal("mine", File.ReadAllText(notes));
        Assert.Single(Directory.GetFileSystemEntries(run));
    }

    [Fact]
    public void Force_replaces_a_task_run_directory_whole()
    {
        string run = Path.Combine(_dir.Path, "run");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "notes.txt"), "mine");
        var (exit, _, error) = CliRunner.Run("task", "longlag-2b", "--delay", "4", "--hidden", "8", "--batch", "4", "--max-sequences", "32",
            "--eval-every-sequences", "32", "--eval-sequences", "16", "--threads", "1", "--out", run, "--force");
        Assert.True(exit == 0, error);
        Assert.False(File.Exists(Path.Combine(run, "notes.txt")));
        Assert.True(File.Exists(Path.Combine(run, "result.json")));
        Assert.Empty(Directory.GetDirectories(_dir.Path, ".run.replaced-*"));
    }
}
