using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class LongTimeLagTaskTests
{
    private static TaskBatch<double> Draw(SequenceTask task, int batch, ulong seed = 1)
    {
        var data = new TaskBatch<double>(task, batch);
        task.Sample(new Rng(seed), data);
        return data;
    }

    [Fact]
    public void Task_2a_has_exactly_two_sequences()
    {
        var task = LongTimeLagTask.NoiseFree(delay: 10);
        var data = Draw(task, 400);
        var sequences = new HashSet<string>();
        for (int b = 0; b < 400; b++)
        {
            int[] inputs = SequenceOf.Tokens(data, b), targets = SequenceOf.StepClasses(data, b);
            Assert.Equal(inputs.Skip(1), targets.SkipLast(1)); // predict the next element
            sequences.Add(string.Join(',', [.. inputs, targets[^1]]));
        }
        Assert.Equal(["10,0,1,2,3,4,5,6,7,8,10", "9,0,1,2,3,4,5,6,7,8,9"], sequences.Order());
    }

    [Fact]
    public void Task_2b_middles_are_uniform_and_the_end_repeats_the_start()
    {
        const int p = 6;
        var task = LongTimeLagTask.NoLocalRegularities(p);
        var data = Draw(task, 4000);
        var counts = new int[p + 1];
        int ys = 0;
        for (int b = 0; b < 4000; b++)
        {
            int[] inputs = SequenceOf.Tokens(data, b), targets = SequenceOf.StepClasses(data, b);
            Assert.Contains(inputs[0], new[] { task.X, task.Y });
            Assert.Equal(inputs[0], targets[^1]);
            foreach (int symbol in inputs.Skip(1)) counts[symbol]++;
            if (inputs[0] == task.Y) ys++;
        }
        Assert.Equal(0, counts[task.X] + counts[task.Y]);
        Assert.All(counts.Take(p - 1), c => Assert.InRange(c, 3600, 4400)); // 4000·5/5 each
        Assert.InRange(ys, 1850, 2150);
    }

    [Fact]
    public void Tasks_2a_2b_judge_only_the_final_prediction_at_0_25()
    {
        var task = LongTimeLagTask.NoLocalRegularities(5);
        var data = Draw(task, 1);
        int target = SequenceOf.StepClasses(data, 0)[^1], c = task.OutputSize;
        var outputs = new double[data.OutputLength]; // every earlier step left all wrong: not scored
        void Final(double p)
        {
            for (int k = 0; k < c; k++) outputs[4 * c + k] = k == target ? p : (1 - p) / (c - 1);
        }
        Final(0.76);
        Assert.Equal(0, task.Score(data, outputs).Wrong);
        Final(0.74);
        Assert.Equal(1, task.Score(data, outputs).Wrong);
    }

    [Fact]
    public void Task_2c_has_prefix_distractors_geometric_suffix_and_trigger()
    {
        const int p = 8, q = 30, n = 20000;
        var task = new VeryLongTimeLagTask(distractors: p, minimalLag: q);
        var data = Draw(task, n);
        var distractorCounts = new long[p];
        long suffix = 0;
        for (int b = 0; b < n; b++)
        {
            int[] x = SequenceOf.Tokens(data, b);
            Assert.Equal(task.Start, x[0]);
            Assert.Equal(task.X + data.Classes[b], x[1]);
            Assert.Equal(task.Trigger, x[^1]);
            Assert.True(x.Length >= q + 3);
            Assert.All(x[2..^1], symbol => Assert.InRange(symbol, 0, p - 1));
            foreach (int symbol in x[2..^1]) distractorCounts[symbol]++;
            suffix += x.Length - (q + 3);
        }
        Assert.InRange(suffix / (double)n, 8.7, 9.3);            // geometric, mean 9/10 ÷ 1/10
        double perSymbol = distractorCounts.Sum() / (double)p;
        Assert.All(distractorCounts, count => Assert.InRange(count, 0.97 * perSymbol, 1.03 * perSymbol));
        Assert.InRange(data.Classes.ToArray().Average(), 0.48, 0.52);
    }

    [Fact]
    public void Task_2c_judges_both_outputs_at_0_2()
    {
        var task = new VeryLongTimeLagTask(3, 5);
        var data = Draw(task, 1);
        int target = data.Classes[0];
        double[] Outputs(double p) => target == 0 ? [p, 1 - p] : [1 - p, p];
        Assert.Equal(0, task.Score(data, Outputs(0.81)).Wrong);
        Assert.Equal(1, task.Score(data, Outputs(0.79)).Wrong);
        Assert.Equal(0.21, task.Score(data, Outputs(0.79)).AbsoluteErrorSum, 12);
    }
}
