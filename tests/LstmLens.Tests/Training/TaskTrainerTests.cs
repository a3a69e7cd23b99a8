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
