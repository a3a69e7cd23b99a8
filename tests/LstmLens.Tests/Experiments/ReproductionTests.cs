using LstmLens.Experiments;
using LstmLens.Models;
using LstmLens.Tasks;
using LstmLens.Tests.Data;
using LstmLens.Training;

namespace LstmLens.Tests.Experiments;

public class ReproductionTests
{
    [Fact]
    public void Parallel_seeded_runs_equal_single_runs_and_keep_their_metrics()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lstmlens-repro-{Guid.NewGuid():N}");
        try
        {
            var group = new RunGroup("tiny copy", new CopyingTask(3, 2, 2), new ModelConfig { InputSize = 1, HiddenSize = 8, OutputSize = 1 },
                new TrainingOptions { Optimizer = "adam", LearningRate = 0.01 },
                new TaskTrainingOptions { BatchSize = 4, MaxSequences = 64, EvaluateEvery = 32, EvaluationSequences = 16, StopWhenSolved = false })
            { Transfer = [("T=6", new CopyingTask(6, 2, 2))] };
            var lines = new List<string>();
            var context = new ReproductionContext(ReproductionScale.Quick, 2, directory, l => { lock (lines) lines.Add(l); });

            var runs = Reproduction.Train(context, [group]);

            Assert.Equal([1UL, 2UL], runs.Select(r => r.Seed));
            Assert.Equal(2, lines.Count);
            foreach (var run in runs)
            {
                var alone = new TaskTrainer<float>(group.Task, group.Model, group.Training with { Seed = run.Seed }, group.Schedule);
                Assert.Equal(alone.Train().Evaluations, run.Result.Evaluations);
                Assert.Equal(alone.Evaluate(group.Transfer[0].Task).Score, Assert.Single(run.Transfer));
                Assert.Equal(2, File.ReadAllLines(Path.Combine(directory, "runs", $"tiny-copy-seed{run.Seed}", "metrics.jsonl")).Length);
            }
            Assert.NotEqual(runs[0].Result.Evaluations, runs[1].Result.Evaluations);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Pixel_recipe_runs_end_to_end_on_tiny_images()
    {
        using var directory = new TempDirectory();
        // 12 images of 2 × 2 pixels, label = image index mod 10.
        string images = Path.Combine(directory.Path, "images.idx"), labels = Path.Combine(directory.Path, "labels.idx");
        File.WriteAllBytes(images, Data.IdxFileTests.Idx([12, 2, 2], [.. Enumerable.Range(0, 48).Select(i => (byte)(i * 5))]));
        File.WriteAllBytes(labels, Data.IdxFileTests.Idx([12], [.. Enumerable.Range(0, 12).Select(i => (byte)(i % 10))]));
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.Combine(directory.Path, "out"), _ => { })
        {
            Data = new TaskParameters { Images = images, Labels = labels },
        };

        string markdown = Reproduction.Run("hdetach-pixel", context);

        foreach (string variant in new[] { "pixel vanilla", "pixel h-detach 0.25", "permuted vanilla", "permuted h-detach 0.25" })
            Assert.Contains($"| {variant} |", markdown);
        foreach (string file in new[] { "results.md", "results.csv", "accuracy.svg", "loss.svg" })
            Assert.True(File.Exists(Path.Combine(context.Directory, file)), file);
    }

    [Fact]
    public void Tables_and_csv_are_well_formed()
    {
        string table = Reproduction.MarkdownTable(["a", "b"], [["1", "2"], ["3", "4"]]);
        Assert.Equal("| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n", table);
        Assert.Equal("0.5 (0.25–0.75)", Reproduction.MeanRange([0.25, 0.75], "G4"));
        string path = Path.Combine(Path.GetTempPath(), $"lstmlens-{Guid.NewGuid():N}.csv");
        try
        {
            Reproduction.WriteCsv(path, ["name", "value"], [["a, b", "1"], ["say \"hi\"", "2"]]);
            Assert.Equal("name,value\n\"a, b\",1\n\"say \"\"hi\"\"\",2\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
