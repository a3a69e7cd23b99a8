namespace LstmLens.Tests.Cli;

public class DemoCommandTests
{
    [Fact]
    public void Demo_reports_environment_progress_and_loss()
    {
        var (exit, output, error) = CliRunner.Run("demo", "--steps", "100", "--threads", "1");
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        string[] lines = output.Trim().Split('\n');
        Assert.StartsWith("LstmLens ", lines[0]);
        Assert.Contains("threads 1", lines[0]);
        var losses = lines.Where(l => l.StartsWith("step ")).Select(l => double.Parse(l.Split("loss ")[1].Split(' ')[0])).ToArray();
        Assert.Equal(2, losses.Length);
        Assert.True(losses[1] < losses[0], $"loss should fall: {string.Join(", ", losses)}");
        Assert.DoesNotContain('\u001b', output); // redirected output has no escape codes
    }
}
