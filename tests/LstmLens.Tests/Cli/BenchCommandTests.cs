using System.Text.Json;

namespace LstmLens.Tests.Cli;

[Collection(Numerics.ProcessWideComputeState.Name)] // reads the process-wide thread count back: no other test may set it meanwhile
public class BenchCommandTests
{
    [Fact]
    public void Bench_reports_throughput_memory_and_allocations_as_json()
    {
        var (exit, output, error) = CliRunner.Run("bench", "--configs", "copy", "--steps", "1", "--threads", "1", "--json");
        Assert.True(exit == 0, error);
        var result = JsonDocument.Parse(output.Trim()).RootElement;
        Assert.Equal("copy", result.GetProperty("config").GetString());
        Assert.Equal(1, result.GetProperty("threads").GetInt32());
        Assert.True(result.GetProperty("tokens_per_s").GetDouble() > 0);
        Assert.True(result.GetProperty("eval_tokens_per_s").GetDouble() > 0);
        Assert.True(result.GetProperty("peak_working_set_mb").GetInt64() > 0);
        Assert.True(result.GetProperty("allocated_bytes_per_step").GetInt64() >= 0);
    }

    [Fact]
    public void Unknown_configuration_is_named()
    {
        var (exit, _, error) = CliRunner.Run("bench", "--configs", "copy,imagenet");
        Assert.Equal(2, exit);
        Assert.Contains("'imagenet'", error);
    }
}
