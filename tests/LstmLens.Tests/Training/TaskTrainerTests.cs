using System.Text.Json;
using LstmLens.Models;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Tests.Training;

public class TaskTrainerTests
{
    private static readonly ModelConfig Small = new() { InputSize = 1, HiddenSize = 16, OutputSize = 1 };
    private static readonly TrainingOptions Adam = new() { Optimizer = "adam", LearningRate = 0.02, ClipNorm = 1.0, Seed = 3 };

    [Fact]
    public void Training_stops_at_the_first_solved_evaluation_and_logs_every_evaluation()
    {
        var task = new CopyingTask(delay: 2, symbols: 2, alphabet: 2);
        string path = Path.Combine(Path.GetTempPath(), $"lstmlens-task-{Guid.NewGuid():N}.jsonl");
        try
        {
            var seen = new List<TaskEvaluation>();
            var trainer = new TaskTrainer<float>(task, Small, Adam,
                new TaskTrainingOptions { BatchSize = 16, MaxSequences = 40_000, EvaluateEvery = 800, EvaluationSequences = 128 })
            { Metrics = new MetricsLog(path), Evaluated = seen.Add };

            var result = trainer.Train();

            Assert.True(result.Solved, $"final accuracy {result.Final.Score.Accuracy}");
            Assert.Equal(result.Final.Sequences, result.SequencesToSuccess);
            Assert.Equal(result.Sequences, result.Final.Sequences);
            Assert.True(result.Sequences < 40_000);
            Assert.Equal(result.Evaluations, seen);
            Assert.All(result.Evaluations.SkipLast(1), e => Assert.False(e.Solved));
            Assert.All(result.Evaluations, e => Assert.Equal(0, e.Sequences % 800));
            var lines = File.ReadAllLines(path);
            Assert.Equal(result.Evaluations.Count, lines.Length);
            using var last = JsonDocument.Parse(lines[^1]);
            Assert.True(last.RootElement.GetProperty("solved").GetBoolean());
            Assert.Equal(result.Sequences, last.RootElement.GetProperty("sequences").GetInt64());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_stopped_run_resumes_from_its_checkpoint_and_equals_the_uninterrupted_run()
    {
        using var directory = new Data.TempDirectory();
        var task = new CopyingTask(delay: 3, symbols: 2, alphabet: 3);
        var model = Small with { Dropout = 0.2 };
        var training = Adam with { HDetach = 0.25 }; // every generator in play: data, dropout, detach
        var schedule = new TaskTrainingOptions { BatchSize = 4, MaxSequences = 400, EvaluateEvery = 96, EvaluationSequences = 32, StopWhenSolved = false };
        string Metrics(string name) => Path.Combine(directory.Path, name);
        string checkpoint = Path.Combine(directory.Path, TrainingCheckpoint.FileName);
        var whole = new TaskTrainer<float>(task, model, training, schedule) { Metrics = new MetricsLog(Metrics("whole.jsonl")) };
        var uninterrupted = whole.Train();

        using var stop = new CancellationTokenSource();
        var first = new TaskTrainer<float>(task, model, training, schedule) { Metrics = new MetricsLog(Metrics("parts.jsonl")), CheckpointPath = checkpoint, Stop = stop.Token };
        var stopped = Assert.Throws<OperationCanceledException>(() => first.Train(seen => { if (seen == 220) stop.Cancel(); }));
        Assert.Contains("220 sequences", stopped.Message);
        Assert.Equal(2, File.ReadAllLines(Metrics("parts.jsonl")).Length); // evaluations at 96 and 192
        long resumedAt = -1;
        var second = new TaskTrainer<float>(task, model, training, schedule)
        {
            Metrics = new MetricsLog(Metrics("parts.jsonl")), CheckpointPath = checkpoint, Resumed = s => resumedAt = s,
        };
        var resumed = second.Train();

        Assert.Equal(220, resumedAt);
        Assert.Equal(uninterrupted.Evaluations, resumed.Evaluations);
        Assert.Equal((uninterrupted.Sequences, uninterrupted.Updates), (resumed.Sequences, resumed.Updates));
        Assert.Equal(File.ReadAllText(Metrics("whole.jsonl")), File.ReadAllText(Metrics("parts.jsonl")));
        Assert.Equal(whole.Model.Store.Values.ToArray(), second.Model.Store.Values.ToArray());
    }

    [Fact]
    public void Same_seed_gives_the_same_run_and_evaluation_sets_are_fixed()
    {
        var task = LongTimeLagTask.NoLocalRegularities(5);
        TaskTrainingResult Run() => new TaskTrainer<float>(task, Small, Adam,
            new TaskTrainingOptions { MaxSequences = 60, EvaluateEvery = 20, EvaluationSequences = 70, StopWhenSolved = false }).Train();

        var (first, second) = (Run(), Run());

        Assert.Equal(first.Evaluations, second.Evaluations);
        Assert.Equal(3, first.Evaluations.Count);
        Assert.Equal(60, first.Updates); // online: one update per sequence
        var trainer = new TaskTrainer<float>(task, Small, Adam, new TaskTrainingOptions { EvaluationSequences = 70 });
        Assert.Equal(trainer.Evaluate(task), trainer.Evaluate(task));
        Assert.Equal(70, trainer.Evaluate(task).Score.Predictions);
    }

    [Fact]
    public void Transfer_evaluation_needs_the_same_shape()
    {
        var trainer = new TaskTrainer<float>(new CopyingTask(delay: 5), Small, Adam, new TaskTrainingOptions { EvaluationSequences = 8 });
        var (_, score) = trainer.Evaluate(new CopyingTask(delay: 40));
        Assert.Equal(8 * 10, score.Predictions); // ten recalled symbols per sequence
        Assert.Throws<ArgumentException>(() => trainer.Evaluate(new CopyingTask(delay: 5, alphabet: 4)));
    }

    [Fact]
    public void Each_task_kind_gets_its_head_and_variable_lengths_reach_the_model()
    {
        Assert.Equal(HeadKind.PerStepSigmoid, TaskTrainer<float>.ConfigFor(new EmbeddedReberTask(), Small).Head);
        Assert.Equal(HeadKind.LastStepSquaredError, TaskTrainer<float>.ConfigFor(new AddingTask(20), Small).Head);
        Assert.Equal(HeadKind.LastStepSoftmax, TaskTrainer<float>.ConfigFor(TemporalOrderTask.TwoSymbols(), Small).Head);
        var copying = TaskTrainer<float>.ConfigFor(new CopyingTask(3), Small);
        Assert.Equal((HeadKind.PerStepSoftmax, InputKind.OneHot, 10), (copying.Head, copying.Input, copying.InputSize));
        Assert.Equal(InputKind.Vectors, TaskTrainer<float>.ConfigFor(new AddingTask(20), Small).Input);

        var task = new AddingTask(20);
        var batch = new TaskBatch<float>(task, 4);
        task.Sample(new LstmLens.Numerics.Rng(1), batch);
        var modelBatch = TaskTrainer<float>.ModelBatch(batch);
        Assert.Equal(batch.Lengths.ToArray(), modelBatch.Lengths.ToArray());
        Assert.Equal(4, modelBatch.TargetValues.Length);
        Assert.True(modelBatch.TargetIds.IsEmpty);
    }
}
