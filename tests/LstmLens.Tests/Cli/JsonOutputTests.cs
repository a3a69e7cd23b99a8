using System.Text.Json;
using LstmLens.Tests.Data;

namespace LstmLens.Tests.Cli;

/// <summary>With --json, stdout carries JSON documents and nothing else, for every verb that has the option; human lines go to stderr.</summary>
public sealed class JsonOutputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Json_stdout_is_only_json_and_human_lines_go_to_stderr()
    {
        string text = string.Concat(Enumerable.Range(0, 60).Select(i => $"the cat {(i % 3 == 0 ? "sat" : "ran")} on the mat\n"));
        _dir.Write("train.txt", text);
        _dir.Write("valid.txt", text[..200]);
        string run = Path.Combine(_dir.Path, "run");
        string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "state_gradients", "lstm");
        string[][] commands =
        [
            ["train", "--corpus", _dir.Path, "--embed", "4", "--hidden", "4", "--batch", "2", "--bptt", "5", "--epochs", "1", "--threads", "1", "--out", run],
            ["eval", "--model", run, "--data", Path.Combine(_dir.Path, "valid.txt"), "--threads", "1"],
            ["task", "longlag-2b", "--delay", "4", "--hidden", "4", "--batch", "4", "--max-sequences", "32", "--eval-every-sequences", "16", "--eval-sequences", "8", "--threads", "1"],
            ["gradcheck", "--cell", "gru"],
            ["memory", "--model", fixture, "--data", Path.Combine(_dir.Path, "valid.txt"), "--max-delay", "2", "--threads", "1", "--out", Path.Combine(_dir.Path, "memory")],
            ["bench", "--configs", "copy", "--steps", "1", "--threads", "1"],
        ];
        foreach (var command in commands)
        {
            var (exit, output, error) = CliRunner.Run([.. command, "--json"]);
            string name = command[0];
            Assert.True(exit == 0, $"{name}: exit {exit}, {error}");
            string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            foreach (string line in lines)
            {
                using var document = JsonDocument.Parse(line); // throws on a human line
                Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            }
            if (name != "gradcheck") Assert.StartsWith("LstmLens ", error); // the start-up line, as without --json
        }
    }
}
