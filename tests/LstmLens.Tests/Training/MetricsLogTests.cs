using System.Text.Json;
using LstmLens.Training;
using Xunit;

namespace LstmLens.Tests.Training;

public class MetricsLogTests
{
    [Fact]
    public void Non_finite_values_are_written_as_valid_json()
    {
        string path = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.jsonl");
        try
        {
            var log = new MetricsLog(path);
            log.Write(new { loss = 750.0, perplexity = double.PositiveInfinity, gradient = double.NaN });
            string line = Assert.Single(File.ReadAllLines(path));
            using var record = JsonDocument.Parse(line);
            Assert.Equal(750.0, record.RootElement.GetProperty("loss").GetDouble());
            Assert.Equal("Infinity", record.RootElement.GetProperty("perplexity").GetString());
            Assert.Equal("NaN", record.RootElement.GetProperty("gradient").GetString());
            Assert.Equal(double.PositiveInfinity, MetricsLog.Number(record.RootElement.GetProperty("perplexity")));
            Assert.Equal(750.0, MetricsLog.Number(record.RootElement.GetProperty("loss")));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
