using LstmLens.Data;
using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

// Properties every task must have, checked on every task: seeded determinism, batch layout and padding,
// reuse of a batch equal to a fresh one, and the criterion on perfect and clueless outputs.
public class SequenceTaskTests
{
    public static TheoryData<string> TaskNames => [.. Tasks.Keys];

    private static readonly Dictionary<string, Func<SequenceTask>> Tasks = new()
    {
        ["copying"] = () => new CopyingTask(delay: 30),
        ["reber"] = () => new EmbeddedReberTask(),
        ["2a"] = () => LongTimeLagTask.NoiseFree(20),
        ["2b"] = () => LongTimeLagTask.NoLocalRegularities(20),
        ["2c"] = () => new VeryLongTimeLagTask(distractors: 10, minimalLag: 20),
        ["3a"] = () => TwoSequenceTask.Clean(50, 3),
        ["3b"] = () => TwoSequenceTask.NoisyInputs(50, 1),
        ["3c"] = () => TwoSequenceTask.NoisyTargets(50, 3),
        ["4"] = () => new AddingTask(40),
        ["5"] = () => new MultiplicationTask(40),
        ["6a"] = TemporalOrderTask.TwoSymbols,
        ["6b"] = TemporalOrderTask.ThreeSymbols,
        ["pixels"] = () => PixelSequenceTaskTests.TinyTask(permutationSeed: 3),
    };

    private static TaskBatch<double> Draw(SequenceTask task, ulong seed, int batch = 16)
    {
        var b = new TaskBatch<double>(task, batch);
        task.Sample(new Rng(seed), b);
        return b;
    }

    private static void AssertSameBatch(TaskBatch<double> x, TaskBatch<double> y)
    {
        Assert.Equal(x.Steps, y.Steps);
        Assert.Equal(x.Lengths.ToArray(), y.Lengths.ToArray());
        Assert.Equal(x.Tokens.ToArray(), y.Tokens.ToArray());
        Assert.Equal(x.Vectors.ToArray(), y.Vectors.ToArray());
        Assert.Equal(x.StepClasses.ToArray(), y.StepClasses.ToArray());
        Assert.Equal(x.StepLabels.ToArray(), y.StepLabels.ToArray());
        Assert.Equal(x.Classes.ToArray(), y.Classes.ToArray());
        Assert.Equal(x.Values.ToArray(), y.Values.ToArray());
    }

    [Theory, MemberData(nameof(TaskNames))]
    public void Same_seed_same_batch_other_seed_other_batch(string name)
    {
        var task = Tasks[name]();
        AssertSameBatch(Draw(task, 7), Draw(task, 7));
        var (a, b) = (Draw(task, 7), Draw(task, 8));
        Assert.False(a.Tokens.SequenceEqual(b.Tokens) && a.Vectors.SequenceEqual(b.Vectors));
    }

    [Theory, MemberData(nameof(TaskNames))]
    public void Reused_batch_equals_a_fresh_one(string name)
    {
        var task = Tasks[name]();
        var reused = new TaskBatch<double>(task, 16);
        var rng = new Rng(11);
        for (int i = 0; i < 5; i++) task.Sample(rng, reused);
        var rng2 = new Rng(11);
        var fresh = new TaskBatch<double>(task, 16);
        for (int i = 0; i < 4; i++) task.Sample(rng2, new TaskBatch<double>(task, 16));
        task.Sample(rng2, fresh);
        AssertSameBatch(fresh, reused);
    }

    [Theory, MemberData(nameof(TaskNames))]
    public void Batches_are_time_major_and_padded(string name)
    {
        var task = Tasks[name]();
        var batch = Draw(task, 3, batch: 32);
        int n = batch.BatchSize, steps = batch.Steps;
        Assert.Equal(batch.Lengths.ToArray().Max(), steps);
        bool tokens = task.InputKind == TaskInputKind.Tokens;
        Assert.Equal(tokens ? steps * n : 0, batch.Tokens.Length);
        Assert.Equal(tokens ? 0 : steps * n * task.InputSize, batch.Vectors.Length);
        for (int b = 0; b < n; b++)
        {
            int length = batch.Lengths[b];
            Assert.InRange(length, task.MinLength, task.MaxLength ?? int.MaxValue);
            for (int t = 0; t < steps; t++)
            {
                int row = t * n + b;
                if (tokens) Assert.InRange(batch.Tokens[row], 0, task.InputSize - 1);
                if (t >= length)
                {
                    if (tokens) Assert.Equal(0, batch.Tokens[row]);
                    else Assert.All(batch.Vectors.Slice(row * task.InputSize, task.InputSize).ToArray(), v => Assert.Equal(0.0, v));
                }
                if (task.OutputKind == OutputKind.PerStepSoftmax)
                {
                    if (t < length) Assert.InRange(batch.StepClasses[row], 0, task.OutputSize - 1);
                    else Assert.Equal(SequenceTask.IgnoreClass, batch.StepClasses[row]);
                }
                if (task.OutputKind == OutputKind.PerStepSigmoid && t >= length)
                    Assert.All(batch.StepLabels.Slice(row * task.OutputSize, task.OutputSize).ToArray(), v => Assert.Equal(0.0, v));
            }
            if (task.OutputKind == OutputKind.LastStepSoftmax) Assert.InRange(batch.Classes[b], 0, task.OutputSize - 1);
        }
        Assert.Equal(task.OutputKind == OutputKind.LastStepRegression ? n * task.OutputSize : 0, batch.Values.Length);
    }

    [Theory, MemberData(nameof(TaskNames))]
    public void Perfect_outputs_solve_the_task_and_clueless_ones_do_not(string name)
    {
        var task = Tasks[name]();
        var batch = Draw(task, 5, batch: 64);
        var perfect = task.Score(batch, TaskOutputs.Perfect(task, batch));
        Assert.Equal(0, perfect.Wrong);
        Assert.True(perfect.Predictions >= 64);
        Assert.True(task.Solved(perfect), task.Criterion.ToString());
        var clueless = task.Score(batch, TaskOutputs.Clueless(task, batch));
        Assert.Equal(clueless.Predictions, clueless.Wrong);
        Assert.False(task.Solved(clueless));
        Assert.False(task.Solved(default));
    }

    [Fact]
    public void Scores_add_up_over_batches()
    {
        var task = new AddingTask(40);
        var (a, b) = (Draw(task, 1), Draw(task, 2));
        var sum = task.Score(a, TaskOutputs.Clueless(task, a)) + task.Score(b, TaskOutputs.Perfect(task, b));
        Assert.Equal(32, sum.Predictions);
        Assert.Equal(16, sum.Wrong);
        Assert.Equal(0.5, sum.Accuracy);
        Assert.Equal(0.25, sum.MeanAbsoluteError, 12);
    }

    [Fact]
    public void Mismatched_outputs_and_batches_are_rejected()
    {
        var task = new CopyingTask(delay: 5);
        var batch = Draw(task, 1);
        var error = Assert.Throws<ArgumentException>(() => task.Score(batch, new double[3]));
        Assert.Contains("this batch needs", error.Message, StringComparison.Ordinal);
        var other = new TaskBatch<double>(new AddingTask(40), 16);
        Assert.Throws<ArgumentException>(() => task.Sample(new Rng(1), other));
        // A batch fits every task of the same shape: transfer copying evaluates at a longer delay.
        var longer = new CopyingTask(delay: 50);
        longer.Sample(new Rng(1), batch);
        Assert.Equal(70, batch.Steps);
    }

    [Fact]
    public void Float_batches_hold_the_same_sequences()
    {
        var task = TwoSequenceTask.NoisyTargets(50, 3);
        var single = new TaskBatch<float>(task, 8);
        task.Sample(new Rng(4), single);
        var wide = Draw(task, 4, batch: 8);
        Assert.Equal(wide.Vectors.ToArray().Select(v => (float)v), single.Vectors.ToArray());
        Assert.Equal(wide.Classes.ToArray(), single.Classes.ToArray());
    }

    [Fact]
    public void Criteria_read_as_the_papers_state_them()
    {
        Assert.Equal("wrong when the absolute error at sequence end is ≥ 0.04; solved with no prediction wrong and mean absolute error < 0.01",
            new AddingTask(100).Criterion.ToString());
        Assert.Contains("at most 0.01953 of predictions wrong", TwoSequenceTask.NoisyInputs(100, 3).Criterion.ToString(), StringComparison.Ordinal);
    }
}
