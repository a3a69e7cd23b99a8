using LstmLens.Experiments;
using LstmLens.Tasks;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Experiments;

/// <summary>The run-group machinery on the tiny pixel recipe (8 runs of 2 × 2 images): local, entry by entry, collect, reruns.</summary>
[Collection(Numerics.ProcessWideComputeState.Name)] // runs compared bit for bit: no other test may switch the kernels meanwhile
public class RunGroupTests
{
    /// <summary>12 images of <paramref name="side"/> × <paramref name="side"/> pixels and their labels (image index mod 10) in <paramref name="directory"/>.</summary>
    internal static (string Images, string Labels) TinyImages(string directory, int side = 2)
    {
        string images = Path.Combine(directory, "images.idx"), labels = Path.Combine(directory, "labels.idx");
        File.WriteAllBytes(images, IdxFileTests.Idx([12, side, side], [.. Enumerable.Range(0, 12 * side * side).Select(i => (byte)(i * 5))]));
        File.WriteAllBytes(labels, IdxFileTests.Idx([12], [.. Enumerable.Range(0, 12).Select(i => (byte)(i % 10))]));
        return (images, labels);
    }

    /// <summary>The result files every executor must write alike (run.json and report.html record when and how, so they differ).</summary>
    internal static readonly string[] ResultFiles = ["results.csv", "results.md", "accuracy.svg", "loss.svg"];

    private static ReproductionContext Context(string directory, string root, RunGroupRole role, List<string>? log = null)
    {
        var (images, labels) = TinyImages(root);
        return new ReproductionContext(ReproductionScale.Quick, 2, directory, l => { if (log is not null) lock (log) log.Add(l); })
        {
            Data = new TaskParameters { Images = images, Labels = labels },
            Role = role,
        };
    }

    [Fact]
    public void Entry_by_entry_then_collect_writes_the_files_of_a_local_run()
    {
        using var root = new TempDirectory();
        string local = Path.Combine(root.Path, "local"), split = Path.Combine(root.Path, "split");
        Reproduction.Run("hdetach-pixel", Context(local, root.Path, RunGroupRole.Local));

        var plan = Reproduction.Plan("hdetach-pixel", Context(split, root.Path, RunGroupRole.Plan));
        Assert.Equal(8, plan.Entries.Count);
        Assert.Equal(["pixel vanilla", "pixel vanilla", "pixel h-detach 0.25"], plan.Entries.Take(3).Select(e => e.Variant));
        Assert.Equal(Path.Combine("runs", "pixel-h-detach-0.25-seed2"), plan.Entries[3].Directory);
        Assert.False(Directory.Exists(Path.Combine(split, "runs"))); // planning trains nothing
        plan.Save(split);
        var log = new List<string>();
        Assert.Equal("", Reproduction.Run("hdetach-pixel", Context(split, root.Path, RunGroupRole.Entry, log) with { Entry = 3 }));
        Assert.Equal(["pixel h-detach 0.25 seed 2"], log.Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]));
        Assert.Equal([3], plan.Entries.Where(e => plan.IsComplete(split, e)).Select(e => e.Index));
        foreach (var entry in plan.Entries.Where(e => e.Index != 3))
            Reproduction.Run("hdetach-pixel", Context(split, root.Path, RunGroupRole.Entry) with { Entry = entry.Index });

        string markdown = Reproduction.Run("hdetach-pixel", Context(split, root.Path, RunGroupRole.Collect));

        Assert.Contains("| pixel vanilla |", markdown);
        foreach (string file in ResultFiles)
            Assert.Equal(File.ReadAllBytes(Path.Combine(local, file)), File.ReadAllBytes(Path.Combine(split, file)));
        Assert.Empty(Reproduction.Incomplete(split));
    }

    [Fact]
    public void Collect_leaves_out_and_lists_incomplete_runs_and_a_local_rerun_runs_only_those()
    {
        using var root = new TempDirectory();
        string directory = Path.Combine(root.Path, "out");
        Reproduction.Run("hdetach-pixel", Context(directory, root.Path, RunGroupRole.Local));
        string complete = File.ReadAllText(Path.Combine(directory, "results.csv"));
        File.Delete(Path.Combine(directory, "runs", "permuted-vanilla-seed2", Reproduction.EntryFile));
        Directory.Delete(Path.Combine(directory, "runs", "pixel-vanilla-seed1"), recursive: true);

        Reproduction.Run("hdetach-pixel", Context(directory, root.Path, RunGroupRole.Collect));

        Assert.Equal([
            $"{Path.Combine("runs", "pixel-vanilla-seed1")} (pixel vanilla, seed 1): not started",
            $"{Path.Combine("runs", "permuted-vanilla-seed2")} (permuted vanilla, seed 2): failed or stopped"], Reproduction.Incomplete(directory));
        var rows = File.ReadAllLines(Path.Combine(directory, "results.csv"));
        Assert.DoesNotContain(rows, r => r.StartsWith("pixel vanilla,1,", StringComparison.Ordinal) || r.StartsWith("permuted vanilla,2,", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith("pixel vanilla,2,", StringComparison.Ordinal));

        var log = new List<string>();
        Reproduction.Run("hdetach-pixel", Context(directory, root.Path, RunGroupRole.Local, log));

        // The run without its entry.json continues from its final checkpoint; the deleted one trains again.
        Assert.Equal(["permuted vanilla seed 2: not solved", "permuted vanilla seed 2: resumed from its checkpoint after 1,600 sequences", "pixel vanilla seed 1: not solved"],
            log.Select(l => l.Split(';')[0]).Order(StringComparer.Ordinal));
        Assert.Equal(complete, File.ReadAllText(Path.Combine(directory, "results.csv")));
    }

    [Fact]
    public void A_directory_holding_another_plan_is_refused()
    {
        using var root = new TempDirectory();
        string directory = Path.Combine(root.Path, "out");
        Reproduction.Run("hdetach-pixel", Context(directory, root.Path, RunGroupRole.Local) with { Seeds = 1 });

        var refused = Assert.Throws<OptionException>(() => Reproduction.Run("hdetach-pixel", Context(directory, root.Path, RunGroupRole.Local)));

        Assert.Contains($"--out {directory} holds the plan of another run group", refused.Message);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 3 }, "0-3")]
    [InlineData(new[] { 0, 2, 3, 4, 7, 9, 10 }, "0,2-4,7,9-10")]
    [InlineData(new[] { 5 }, "5")]
    public void Array_indices_are_written_as_sbatch_ranges(int[] indices, string expected) => Assert.Equal(expected, SlurmJobs.Ranges(indices));
}
