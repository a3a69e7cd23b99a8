using System.Text.Json;

namespace LstmLens.Tests.Cli;

public class TaskCommandTests
{
    [Fact]
    public void Task_trains_prints_evaluations_and_a_result_line()
    {
        var (exit, output, error) = CliRunner.Run("task", "copying", "--delay", "2", "--symbols", "2", "--alphabet", "2", "--hidden", "16",
            "--lr", "0.02", "--max-sequences", "6000", "--eval-every-sequences", "1000", "--eval-sequences", "64", "--seed", "3", "--threads", "1", "--transfer", "4");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        string[] lines = output.Trim().Split('\n');
        Assert.StartsWith("LstmLens ", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("sequences ", StringComparison.Ordinal));
        Assert.StartsWith("transfer length 4: accuracy ", lines[^2]);
        // Seeds 1–3 all solve it after 2,000 sequences; guessing scores 50 %.
        Assert.Matches(@"^copying: solved after [\d,]+ sequences; [\d,]+ sequences seen; final accuracy 100.00 %", lines[^1]);
    }

    [Fact]
    public void Scalar_copying_trains_from_the_command_line()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lstmlens-task-{Guid.NewGuid():N}");
        try
        {
            var (exit, output, error) = CliRunner.Run("task", "copying", "--encoding", "scalar", "--delay", "3", "--symbols", "2", "--alphabet", "2",
                "--hidden", "8", "--batch", "4", "--max-sequences", "64", "--eval-every-sequences", "32", "--eval-sequences", "16", "--no-stop", "--json",
                "--out", directory, "--threads", "1");
            Assert.Equal(0, exit);
            Assert.StartsWith("LstmLens ", error); // human lines go to stderr with --json
            using var result = JsonDocument.Parse(output);
            Assert.Equal(64, result.RootElement.GetProperty("sequences").GetInt64());
            using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "config.json")));
            Assert.Equal("scalar", config.RootElement.GetProperty("parameters").GetProperty("encoding").GetString());
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Json_result_and_run_directory()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lstmlens-task-{Guid.NewGuid():N}");
        try
        {
            var (exit, output, error) = CliRunner.Run("task", "longlag-2b", "--delay", "4", "--hidden", "8", "--batch", "4",
                "--max-sequences", "96", "--eval-every-sequences", "32", "--eval-sequences", "16", "--no-stop", "--json", "--out", directory, "--threads", "1");
            Assert.Equal(0, exit);
            Assert.StartsWith("LstmLens ", error); // human lines go to stderr with --json
            using var result = JsonDocument.Parse(output);
            Assert.Equal(96, result.RootElement.GetProperty("sequences").GetInt64());
            Assert.Equal(24, result.RootElement.GetProperty("updates").GetInt64());
            Assert.Equal(3, File.ReadAllLines(Path.Combine(directory, "metrics.jsonl")).Length);
            foreach (string file in new[] { "config.json", "result.json", "accuracy.svg", "loss.svg" })
                Assert.True(File.Exists(Path.Combine(directory, file)), file);
            // One run-directory format: config.json as train writes it, readable as a model directory's.
            var (model, config) = LstmLens.Models.ModelFiles.ReadConfig(directory);
            Assert.Equal(8, model.HiddenSize);
            Assert.Equal(LstmLens.Layers.CellType.Lstm, model.Cell);
            Assert.Equal("longlag-2b", config["task"]!.GetValue<string>());
            Assert.Equal(4, config["parameters"]!["delay"]!.GetValue<int>());
            Assert.Equal(0.01, config["training"]!["learning_rate"]!.GetValue<double>());
            Assert.Equal("constant", config["training"]!["schedule"]!.GetValue<string>());
            Assert.Equal(4, config["schedule"]!["batch_size"]!.GetValue<int>());
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "task", "bogus-task" }, "bogus-task", 2)]
    [InlineData(new[] { "task", "copying", "--batch", "0" }, "--batch", 2)]
    [InlineData(new[] { "task", "copying", "--h-detach", "2" }, "--h-detach", 2)]
    [InlineData(new[] { "task", "copying", "--clip", "often" }, "--clip", 2)]
    [InlineData(new[] { "task", "copying", "--optimizer", "lbfgs" }, "lbfgs", 2)]
    [InlineData(new[] { "task", "copying", "--delay", "0" }, "--delay", 2)]
    [InlineData(new[] { "task", "adding", "--length", "5" }, "--length", 2)]
    [InlineData(new[] { "task", "pixel" }, "--images", 2)]
    [InlineData(new[] { "task", "reber", "--transfer", "50" }, "reber", 2)]
    [InlineData(new[] { "task", "copying", "--block-size", "2" }, "--block-size", 2)]
    [InlineData(new[] { "task", "copying", "--lr", "-1" }, "--lr", 2)]
    [InlineData(new[] { "task", "copying", "--encoding", "binary" }, "binary", 2)]
    [InlineData(new[] { "task", "adding", "--encoding", "scalar" }, "--encoding", 2)]
    public void Bad_options_give_one_line_naming_the_option(string[] args, string named, int expectedExit)
    {
        var (exit, output, error) = CliRunner.Run(args);
        Assert.Equal(expectedExit, exit);
        Assert.DoesNotContain("sequences", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(named, error);
    }
}
