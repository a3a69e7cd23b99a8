using LstmLens.Tests.Data;

namespace LstmLens.Tests.Cli;

/// <summary>Options that do not apply, non-finite numbers and out-of-range values: one line naming the option, exit 2, nothing run.</summary>
public sealed class OptionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public OptionTests()
    {
        _dir.Write("train.txt", "a b c\nb c a\n");
        _dir.Write("valid.txt", "a b c\n");
    }

    public void Dispose() => _dir.Dispose();

    [Theory]
    // options that do not apply
    [InlineData("task reber --delay 5", "--delay does not apply to reber (its options: none)")]
    [InlineData("task copying --length 5", "--length does not apply to copying (its options: --delay, --symbols, --alphabet, --encoding)")]
    [InlineData("task adding --encoding scalar", "--encoding does not apply to adding")]
    [InlineData("task pixel --permutation-seed 3", "--permutation-seed applies only with --permuted")]
    [InlineData("task copying --force", "--force does not apply without --out")]
    [InlineData("task copying --h-detach 0.5 --anneal-detach 1", "--anneal-detach 1 must be less than --epochs 1, or detaching would never happen")]
    [InlineData("train {corpus} --h-detach 0.5 --anneal-detach 3 --epochs 3", "--anneal-detach 3 must be less than --epochs 3")]
    [InlineData("train {corpus} --decay-after 2", "--decay-after applies only with --lr-decay")]
    [InlineData("train {corpus} --init-from {dir} --init-range 0.1", "--init-range does not apply with --init-from")]
    [InlineData("memory --model {fixture} --data {text} --min-occurrences 3", "--min-occurrences does not apply without --per-word")]
    [InlineData("memory --model {fixture} --data {text} --probe-test 5", "--probe-test does not apply without --probe")]
    [InlineData("memory --model {fixture} --data {text} --label x", "--label does not apply without --compare")]
    [InlineData("memory --model {fixture} --data {text} --linear", "--linear does not apply without --out")]
    [InlineData("memory --compare {fixture} --model {fixture} --out {dir}/c", "--model does not apply with --compare")]
    [InlineData("reproduce hdetach-copy --corpus {dir}", "--corpus does not apply to hdetach-copy (only to verwimp-memory and saphra-english)")]
    [InlineData("reproduce lstm1997 --images {text}", "--images does not apply to lstm1997 (only to hdetach-pixel)")]
    // NaN and infinity
    [InlineData("train {corpus} --lr NaN", "--lr must be a finite number (got NaN)")]
    [InlineData("train {corpus} --dropout Infinity", "--dropout must be a finite number (got Infinity)")]
    [InlineData("train {corpus} --lr-decay -Infinity", "--lr-decay must be a finite number (got -Infinity)")]
    [InlineData("train {corpus} --clip NaN", "--clip must be a number or 'none' (got 'NaN')")]
    [InlineData("task copying --clip Infinity", "--clip must be a number or 'none' (got 'Infinity')")]
    [InlineData("task copying --forget-bias NaN", "--forget-bias must be a finite number (got NaN)")]
    [InlineData("task copying --init-range Infinity", "--init-range must be a finite number (got Infinity)")]
    [InlineData("sample --model {fixture} --temperature NaN", "--temperature must be a finite number (got NaN)")]
    // out of range (internal error or a misnamed option before)
    [InlineData("train {corpus} --max-vocab 1", "--max-vocab must be at least 2, for <unk> and <eos> (got 1)")]
    [InlineData("task copying --transfer 0", "--transfer 0: copying: --delay is out of range (0)")]
    [InlineData("memory --model {fixture} --data {text} --probe token --subspace-size -1", "--subspace-size must not be negative (got -1)")]
    public void Refused_with_one_line_naming_the_option(string command, string message)
    {
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "state_gradients", "lstm");
        string[] args = [.. command
            .Replace("{corpus}", $"--corpus {_dir.Path} --out {Path.Combine(_dir.Path, "run")}", StringComparison.Ordinal)
            .Replace("{fixture}", fixture, StringComparison.Ordinal)
            .Replace("{text}", Path.Combine(_dir.Path, "valid.txt"), StringComparison.Ordinal)
            .Replace("{dir}", _dir.Path, StringComparison.Ordinal)
            .Split(' ')];
        var (exit, _, error) = CliRunner.Run(args);
        Assert.True(exit == 2, $"exit {exit}: {error}");
        Assert.StartsWith($"lstmlens: {message}", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "run")), "a refused run must not create its directory");
    }
}
