using System.Diagnostics;
using LstmLens.Models;
using LstmLens.Tests.Data;
using LstmLens.Training;

namespace LstmLens.Tests.Cli;

/// <summary>`train`, `eval` and `sample` end to end on a small generated corpus.</summary>
[Collection(Numerics.ProcessWideComputeState.Name)] // runs compared bit for bit: no other test may switch the kernels meanwhile
public sealed class TrainCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public TrainCommandTests()
    {
        var rng = new LstmLens.Numerics.Rng(1);
        string[] words = ["the", "a", "cat", "dog", "sat", "ran", "on", "under", "mat", "rug", "big", "small"];
        string Text(int lines) => string.Join('\n', Enumerable.Range(0, lines).Select(_ =>
            string.Join(' ', Enumerable.Range(0, 3 + rng.NextInt(6)).Select(_ => words[rng.NextInt(words.Length)])))) + "\n";
        _dir.Write("train.txt", Text(300));
        _dir.Write("valid.txt", Text(40));
        _dir.Write("test.txt", Text(40));
    }

    public void Dispose() => _dir.Dispose();

    private string Out(string name) => Path.Combine(_dir.Path, name);

    /// <summary>Arguments of a small training run; <paramref name="overrides"/> (option, value pairs) replace defaults.</summary>
    private string[] Train(string run, params string[] overrides)
    {
        var options = new Dictionary<string, string>
        {
            ["--corpus"] = _dir.Path, ["--embed"] = "8", ["--hidden"] = "12", ["--batch"] = "4", ["--bptt"] = "8", ["--epochs"] = "3",
            ["--dropout"] = "0.2", ["--h-detach"] = "0.25", ["--lr-decay"] = "0.5", ["--eval-every"] = "25", ["--checkpoint-every"] = "5",
            ["--threads"] = "1", ["--out"] = Out(run),
        };
        for (int i = 0; i < overrides.Length; i += 2) options[overrides[i]] = overrides[i + 1];
        return ["train", .. options.SelectMany(kv => new[] { kv.Key, kv.Value })];
    }

    [Fact]
    public void Training_writes_a_run_directory_that_eval_and_sample_read()
    {
        var (exit, output, error) = CliRunner.Run(Train("run"));
        Assert.True(exit == 0, error);
        Assert.Contains("test perplexity", output);
        foreach (string file in new[] { "config.json", "vocab.txt", "model.safetensors", "metrics.jsonl", TrainingCheckpoint.FileName })
            Assert.True(File.Exists(Path.Combine(Out("run"), file)), file);
        var metrics = File.ReadAllLines(Path.Combine(Out("run"), "metrics.jsonl"));
        Assert.Equal(3, metrics.Count(l => l.Contains("\"end_of_epoch\":true")));

        var (evalExit, evalOutput, _) = CliRunner.Run("eval", "--model", Out("run"), "--data", Path.Combine(_dir.Path, "test.txt"), "--json");
        Assert.Equal(0, evalExit);
        double perplexity = System.Text.Json.JsonDocument.Parse(evalOutput).RootElement.GetProperty("perplexity").GetDouble();
        // Words are uniform over 12 and lines 3–8 words long, so no model beats 10.79 (the generator's entropy rate) by much on
        // these 250 tokens; word frequencies alone give 12.66, an untrained model 14.0–14.7. Trained, seeds 1–6 reach 11.49–11.69.
        Assert.InRange(perplexity, 10, 12.2);
        Assert.Contains($"test perplexity {perplexity:F2}", output);

        var (sampleExit, sample, _) = CliRunner.Run("sample", "--model", Out("run"), "--tokens", "20", "--seed", "4");
        Assert.Equal(0, sampleExit);
        Assert.All(sample.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), w => Assert.Contains(w, File.ReadAllText(Path.Combine(Out("run"), "vocab.txt"))));
    }

    [Theory]
    [InlineData("KILL", 137)]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_run_stopped_by_a_signal_and_resumed_equals_the_uninterrupted_run(string signal, int stoppedExit)
    {
        Assert.Equal(0, CliRunner.Run(Train("whole")).Exit);

        string cli = Path.Combine(AppContext.BaseDirectory, "LstmLens.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in Train("stopped").Prepend(cli)) start.ArgumentList.Add(arg);
        using (var process = Process.Start(start)!)
        {
            string metrics = Path.Combine(Out("stopped"), "metrics.jsonl");
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 2) && clock.Elapsed < TimeSpan.FromMinutes(2))
                Thread.Sleep(20);
            Assert.False(process.HasExited, "the run finished before it could be stopped");
            using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString()])) kill.WaitForExit();
            process.WaitForExit();
            Assert.Equal(stoppedExit, process.ExitCode);
            if (signal != "KILL") Assert.Contains("checkpoint saved", process.StandardOutput.ReadToEnd());
        }
        var (exit, _, error) = CliRunner.Run("train", "--resume", "--out", Out("stopped"), "--threads", "1");
        Assert.True(exit == 0, error);
        Assert.Equal(File.ReadAllText(Path.Combine(Out("whole"), "metrics.jsonl")), File.ReadAllText(Path.Combine(Out("stopped"), "metrics.jsonl")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Out("whole"), "model.safetensors")), File.ReadAllBytes(Path.Combine(Out("stopped"), "model.safetensors")));
    }

    [Fact]
    public void Non_finite_loss_stops_with_the_update_named_and_the_checkpoint_intact()
    {
        var (exit, _, error) = CliRunner.Run(Train("nan", "--lr", "1e38", "--clip", "none", "--checkpoint-every", "1"));
        Assert.Equal(1, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Matches("training stopped: (loss|gradient norm) is .* at update [0-9]+", error);
        string checkpoint = Path.Combine(Out("nan"), TrainingCheckpoint.FileName);
        if (File.Exists(checkpoint)) // written only if at least one update succeeded; then it must load and be finite
        {
            var file = SafeTensors.Read(checkpoint);
            Assert.All(file.Tensors.Where(t => t.Name.StartsWith("param.")), t =>
            {
                var values = new float[t.ElementCount];
                t.CopyTo<float>(values);
                Assert.All(values, v => Assert.True(float.IsFinite(v)));
            });
        }
    }

    [Fact]
    public void Resume_accepts_the_original_command_line()
    {
        Assert.Equal(0, CliRunner.Run(Train("fixed", "--epochs", "1", "--clip", "5.0")).Exit);
        var (exit, output, error) = CliRunner.Run(Train("fixed", "--epochs", "1", "--clip", "5", "--resume", "true"));
        Assert.True(exit == 0, error);
        Assert.Contains("completed: best validation perplexity", output);
    }

    [Theory]
    [InlineData("--hidden", "5", "--hidden 5 differs from the run's 12")]
    [InlineData("--epochs", "5", "--epochs 5 differs from the run's 3")]
    [InlineData("--clip", "none", "--clip (none) differs from the run's 5")]
    [InlineData("--lr-decay", "0.8", "--lr-decay 0.8 differs from the run's 0.5")]
    [InlineData("--decay-after", "2", "--decay-after 2 differs from the run's (none)")]
    [InlineData("--cell", "gru", "--cell gru differs from the run's lstm")]
    [InlineData("--skip-blank-lines", "true", "--skip-blank-lines true differs from the run's false")]
    public void Resume_refuses_a_different_value_naming_both(string option, string value, string message)
    {
        Assert.Equal(0, CliRunner.Run(Train("fixed")).Exit);
        var (exit, _, error) = CliRunner.Run("train", "--resume", "--out", Out("fixed"), option, value);
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(message, error);
        Assert.Contains(Path.Combine(Out("fixed"), "config.json"), error);
    }

    [Fact]
    public void Resume_refuses_other_data()
    {
        Assert.Equal(0, CliRunner.Run(Train("fixed", "--epochs", "1")).Exit);
        string other = Path.Combine(_dir.Path, "other");
        Directory.CreateDirectory(other);
        foreach (string split in new[] { "train", "valid" }) File.Copy(Path.Combine(_dir.Path, $"{split}.txt"), Path.Combine(other, $"{split}.txt"));
        string train = Path.Combine(_dir.Path, "train.txt"), valid = Path.Combine(_dir.Path, "valid.txt"), test = Path.Combine(_dir.Path, "test.txt");
        (string[] Args, string Message)[] cases =
        [
            (["--corpus", other], $"--corpus {Path.Combine(other, "train.txt")}, {Path.Combine(other, "valid.txt")} differs from the run's {train}, {valid}, {test}"),
            (["--train", valid], $"--train {valid} differs from the run's {train}"),
            (["--test", train], $"--test {train} differs from the run's {test}"),
        ];
        foreach (var (args, message) in cases)
        {
            var (exit, _, error) = CliRunner.Run(["train", "--resume", "--out", Out("fixed"), .. args]);
            Assert.True(exit == 2, $"{string.Join(' ', args)}: exit {exit}, {error}");
            Assert.Contains(message, error);
        }
        Assert.Equal(0, CliRunner.Run("train", "--resume", "--out", Out("fixed"), "--train", train, "--valid", valid, "--test", test).Exit);
    }

    [Fact]
    public void Resume_with_a_damaged_config_section_names_the_file_and_the_section()
    {
        Assert.Equal(0, CliRunner.Run(Train("damaged", "--epochs", "1")).Exit);
        string config = Path.Combine(Out("damaged"), "config.json");
        string text = File.ReadAllText(config);
        Assert.Contains("\"epochs\": 1,", text);
        File.WriteAllText(config, text.Replace("\"epochs\": 1,", "\"epochs\": \"one\","));
        var (exit, _, error) = CliRunner.Run("train", "--resume", "--out", Out("damaged"), "--threads", "1");
        Assert.True(exit == 1, $"exit {exit}: {error}");
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{config}: section \"training\"", line);
    }

    [Fact]
    public void Bad_input_gives_one_line_and_leaves_existing_files_alone()
    {
        Assert.Equal(0, CliRunner.Run(Train("keep")).Exit);
        byte[] model = File.ReadAllBytes(Path.Combine(Out("keep"), "model.safetensors"));
        string empty = _dir.Write("empty.txt", "\n\n");
        (string[] Args, int Exit, string Message)[] cases =
        [
            (["train", "--train", empty, "--valid", empty, "--out", Out("keep"), "--force"], 1, "no sentences"),
            (["train", "--corpus", _dir.Path, "--out", Out("keep")], 2, $"--out {Out("keep")} is not empty; choose a new directory, add --resume to continue its run, or add --force to replace it"),
            (["train", "--corpus", _dir.Path, "--train", empty], 2, "either --corpus or --train"),
            (["train", "--train", Path.Combine(_dir.Path, "missing.txt"), "--valid", empty], 1, "missing.txt"),
            (["train", "--corpus", _dir.Path, "--clip", "lots"], 2, "--clip"),
            (["train", "--corpus", _dir.Path, "--momentum", "0.9", "--optimizer", "adam"], 2, "--momentum"),
            (["train", "--corpus", _dir.Path, "--batch", "0"], 2, "--batch"),
            (["train", "--corpus", _dir.Path, "--no-such-option"], 2, "--no-such-option"),
            (["eval", "--model", _dir.Path, "--data", empty], 1, "config.json"),
        ];
        foreach (var (args, expectedExit, message) in cases)
        {
            var (exit, _, error) = CliRunner.Run(args);
            Assert.True(exit == expectedExit, $"{string.Join(' ', args)}: exit {exit}, {error}");
            Assert.Single(error.Trim().Split('\n'));
            Assert.Contains(message, error);
        }
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(Out("keep"), "model.safetensors")));
    }

    [Fact]
    public void Force_replaces_a_run_only_once_the_new_run_has_a_checkpoint()
    {
        Assert.Equal(0, CliRunner.Run(Train("run", "--epochs", "1")).Exit);
        string run = Out("run");
        string notes = Path.Combine(run, "notes.txt");
        File.WriteAllText(notes, "mine");
        byte[] model = File.ReadAllBytes(Path.Combine(run, "model.safetensors"));

        // A new run that diverges at its first updates, before any checkpoint: the earlier run comes back whole.
        var (exit, _, error) = CliRunner.Run(Train("run", "--force", "true", "--lr", "1e38", "--clip", "none", "--checkpoint-every", "1000"));
        Assert.True(exit == 1, error);
        Assert.Equal("mine", File.ReadAllText(notes));
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(run, "model.safetensors")));
        Assert.Empty(Directory.GetDirectories(_dir.Path, ".run.replaced-*"));

        // A new run that gets going replaces it: nothing of the earlier run is left.
        (exit, _, error) = CliRunner.Run(Train("run", "--force", "true", "--epochs", "1", "--hidden", "10"));
        Assert.True(exit == 0, error);
        Assert.False(File.Exists(notes));
        Assert.Contains("\"hidden_size\": 10", File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Empty(Directory.GetDirectories(_dir.Path, ".run.replaced-*"));
    }

    [Fact]
    public void Force_is_refused_with_resume()
    {
        Assert.Equal(0, CliRunner.Run(Train("run", "--epochs", "1")).Exit);
        var (exit, _, error) = CliRunner.Run("train", "--resume", "--force", "--out", Out("run"));
        Assert.Equal(2, exit);
        Assert.Contains("--force cannot be used with --resume", error);
    }

    /// <summary>Runs a training that must succeed (dropout and h-detach off: the seed then only draws the initial parameters) and returns its metrics.jsonl.</summary>
    private string Metrics(string run, params string[] overrides)
    {
        var (exit, _, error) = CliRunner.Run(Train(run, ["--dropout", "0", "--h-detach", "0", .. overrides]));
        Assert.True(exit == 0, error);
        return File.ReadAllText(Path.Combine(Out(run), "metrics.jsonl"));
    }

    [Fact]
    public void Init_from_starts_from_the_directory_s_parameters_whatever_the_seed()
    {
        Assert.Equal(0, CliRunner.Run(Train("source", "--epochs", "1")).Exit);
        string source = Out("source");

        Assert.Equal(Metrics("init-2", "--seed", "2", "--init-from", source), Metrics("init-3", "--seed", "3", "--init-from", source));
        Assert.NotEqual(Metrics("drawn-2", "--seed", "2"), Metrics("drawn-3", "--seed", "3"));

        // Steps of at most 1e-30 × 5 (the clip) move no weight, so the best model, written at the first validation, is the loaded one.
        Metrics("unmoved", "--init-from", source, "--lr", "1e-30", "--epochs", "1");
        Assert.Equal(File.ReadAllBytes(Path.Combine(source, "model.safetensors")), File.ReadAllBytes(Path.Combine(Out("unmoved"), "model.safetensors")));
        Assert.Contains($"\"init_from\": \"{source.Replace("\\", "\\\\")}\"", File.ReadAllText(Path.Combine(Out("unmoved"), "config.json")));
    }

    [Theory]
    [InlineData("--hidden", "10", "config.json has --hidden 12, but this run has --hidden 10")]
    [InlineData("--layers", "2", "config.json has --layers 1, but this run has --layers 2")]
    [InlineData("--embed", "6", "config.json has --embed 8, but this run has --embed 6")]
    [InlineData("--cell", "gru", "config.json has --cell lstm, but this run has --cell gru")]
    [InlineData("--max-vocab", "8", "vocab.txt is not this run's vocabulary (14 tokens, this run 8; line 9 has")]
    public void Init_from_a_directory_of_another_architecture_or_vocabulary_gives_one_line(string option, string value, string message)
    {
        Assert.Equal(0, CliRunner.Run(Train("source", "--epochs", "1")).Exit);
        var (exit, _, error) = CliRunner.Run(Train("target", "--init-from", Out("source"), option, value));
        Assert.True(exit == 1, $"exit {exit}: {error}");
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(Out("target")), "a refused run must not create its directory");
    }

    [Fact]
    public void Init_from_a_reordered_vocabulary_names_the_first_differing_line()
    {
        Assert.Equal(0, CliRunner.Run(Train("source", "--epochs", "1")).Exit);
        string vocabulary = Path.Combine(Out("source"), "vocab.txt");
        var tokens = File.ReadAllLines(vocabulary);
        (tokens[4], tokens[5]) = (tokens[5], tokens[4]); // same size, so the weights alone would load
        File.WriteAllLines(vocabulary, tokens);
        var (exit, _, error) = CliRunner.Run(Train("target", "--init-from", Out("source")));
        Assert.Equal(1, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains($"vocab.txt is not this run's vocabulary (14 tokens, this run 14; line 5 has '{tokens[4]}', this run '{tokens[5]}')", error);
    }

    [Fact]
    public void Init_from_with_resume_must_be_the_run_s()
    {
        Assert.Equal(0, CliRunner.Run(Train("source", "--epochs", "1")).Exit);
        Assert.Equal(0, CliRunner.Run(Train("run", "--epochs", "1", "--init-from", Out("source"))).Exit);
        var (exit, _, error) = CliRunner.Run("train", "--resume", "--out", Out("run"), "--init-from", Out("run"));
        Assert.Equal(2, exit);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains($"--init-from {Out("run")} differs from the run's {Out("source")}", error);
        Assert.Equal(0, CliRunner.Run("train", "--resume", "--out", Out("run"), "--init-from", Out("source")).Exit);
    }

    [Fact]
    public void Damaged_weights_are_reported_by_file_and_problem()
    {
        Assert.Equal(0, CliRunner.Run(Train("damaged", "--epochs", "1")).Exit);
        string weights = Path.Combine(Out("damaged"), "model.safetensors");
        byte[] bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        var (exit, _, error) = CliRunner.Run("eval", "--model", Out("damaged"), "--data", Path.Combine(_dir.Path, "test.txt"));
        Assert.Equal(1, exit);
        Assert.Contains("model.safetensors", error);
    }
}
