namespace LstmLens.Tests.Cli;

public class ReproduceCommandTests
{
    [Theory]
    [InlineData(new[] { "reproduce", "nonsense" }, "nonsense", 2)]
    [InlineData(new[] { "reproduce", "hdetach-copy", "--seeds", "0" }, "--seeds", 2)]
    [InlineData(new[] { "reproduce", "hdetach-copy", "--quick", "--full" }, "--full", 2)]
    [InlineData(new[] { "reproduce", "hdetach-pixel" }, "--images", 2)]
    [InlineData(new[] { "reproduce", "verwimp-memory" }, "--corpus", 2)]
    [InlineData(new[] { "reproduce", "verwimp-memory", "--corpus", "/nonexistent/brown" }, "/nonexistent/brown", 1)]
    public void Bad_requests_give_one_line(string[] args, string named, int expectedExit)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lstmlens-repro-{Guid.NewGuid():N}");
        try
        {
            var (exit, _, error) = CliRunner.Run([.. args, "--out", directory]);
            Assert.Equal(expectedExit, exit);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Contains(named, error);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }
}
