using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class TwoSequenceTaskTests
{
    private static TaskBatch<double> Draw(SequenceTask task, int batch, ulong seed = 1)
    {
        var data = new TaskBatch<double>(task, batch);
        task.Sample(new Rng(seed), data);
        return data;
    }

    private static (double Mean, double Variance) Moments(List<double> values)
    {
        double mean = values.Average();
        return (mean, values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    [Fact]
    public void Task_3a_class_shows_in_the_first_N_elements_only()
    {
        var task = TwoSequenceTask.Clean(minLength: 100, informative: 3);
        var data = Draw(task, 3000);
        var noise = new List<double>();
        var lengths = new HashSet<int>();
        for (int b = 0; b < 3000; b++)
        {
            double[] x = SequenceOf.Feature(data, b, 0);
            lengths.Add(x.Length);
            double signal = data.Classes[b] == 0 ? 1.0 : -1.0;
            Assert.Equal([signal, signal, signal], x[..3]);
            Assert.Equal(data.Classes[b] == 0 ? 1.0 : 0.0, data.Values[b]);
            noise.AddRange(x[3..]);
        }
        Assert.Equal(Enumerable.Range(100, 11), lengths.Order());   // T … T + T/10
        var (mean, variance) = Moments(noise);
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange(variance, 0.197, 0.203);
        Assert.InRange(data.Classes.ToArray().Average(), 0.47, 0.53);
    }

    [Fact]
    public void Task_3b_adds_noise_to_the_informative_elements()
    {
        var data = Draw(TwoSequenceTask.NoisyInputs(100, 1), 20000);
        var first = Enumerable.Range(0, 20000).Select(b => SequenceOf.Feature(data, b, 0)[0] - (data.Classes[b] == 0 ? 1 : -1)).ToList();
        var (mean, variance) = Moments(first);
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.19, 0.21);
    }

    [Fact]
    public void Task_3c_targets_are_noisy_around_0_2_and_0_8()
    {
        var task = TwoSequenceTask.NoisyTargets(100, 3);
        var data = Draw(task, 20000);
        foreach (int c in new[] { 0, 1 })
        {
            var targets = Enumerable.Range(0, 20000).Where(b => data.Classes[b] == c).Select(b => data.Values[b]).ToList();
            var (mean, variance) = Moments(targets);
            Assert.InRange(mean, task.ClassTarget(c) - 0.01, task.ClassTarget(c) + 0.01);
            Assert.InRange(variance, 0.095, 0.105);
        }
        Assert.Equal([1.0, 1.0, 1.0], SequenceOf.Feature(data, data.Classes.IndexOf(0), 0)[..3]); // inputs as in 3a
    }

    // Outputs at the noise-free target plus `errors[b]`.
    private static double[] Off(TwoSequenceTask task, TaskBatch<double> data, Func<int, double> error) =>
        [.. Enumerable.Range(0, data.BatchSize).Select(b => task.ClassTarget(data.Classes[b]) + error(b))];

    [Fact]
    public void Task_3a_needs_no_misclassification_and_mean_error_below_0_01()
    {
        var task = TwoSequenceTask.Clean(50, 1);
        var data = Draw(task, 256);
        Assert.True(task.Solved(task.Score(data, Off(task, data, _ => 0.009))));
        Assert.False(task.Solved(task.Score(data, Off(task, data, _ => -0.011))));            // ST1 but not ST2
        var one = task.Score(data, Off(task, data, b => b == 0 ? 0.21 : 0));
        Assert.Equal(1, one.Wrong);
        Assert.False(task.Solved(one));
    }

    [Fact]
    public void Task_3b_allows_five_of_256_misclassified()
    {
        var task = TwoSequenceTask.NoisyInputs(50, 1);
        var data = Draw(task, 256);
        Assert.True(task.Solved(task.Score(data, Off(task, data, b => b < 5 ? 0.5 : 0.01))));
        Assert.False(task.Solved(task.Score(data, Off(task, data, b => b < 6 ? 0.5 : 0.01))));
        Assert.False(task.Solved(task.Score(data, Off(task, data, _ => 0.041))));
    }

    [Fact]
    public void Task_3c_is_judged_against_the_noise_free_target()
    {
        var task = TwoSequenceTask.NoisyTargets(50, 3);
        var data = Draw(task, 256);
        var atNoisyTargets = task.Score(data, data.Values.ToArray());
        Assert.True(atNoisyTargets.MeanAbsoluteError > 0.2);           // the noise itself: E|N(0, 0.1)| ≈ 0.25
        Assert.False(task.Solved(atNoisyTargets));
        Assert.True(task.Solved(task.Score(data, Off(task, data, _ => 0.014))));
        Assert.False(task.Solved(task.Score(data, Off(task, data, _ => 0.016))));
        Assert.Equal(1, task.Score(data, Off(task, data, b => b == 3 ? -0.11 : 0)).Wrong);
    }
}
