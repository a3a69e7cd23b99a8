using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class TemporalOrderTaskTests
{
    public static TheoryData<int, int[]> Variants => new()
    {
        { 2, [10, 20, 50, 60] },
        { 3, [10, 20, 33, 43, 66, 76] },
    };

    [Theory, MemberData(nameof(Variants))]
    public void Relevant_symbols_sit_in_their_ranges_and_their_order_is_the_class(int relevant, int[] ranges)
    {
        var task = relevant == 2 ? TemporalOrderTask.TwoSymbols() : TemporalOrderTask.ThreeSymbols();
        Assert.Equal(1 << relevant, task.OutputSize);
        const int n = 8000;
        var data = new TaskBatch<double>(task, n);
        task.Sample(new Rng(9), data);
        var classCounts = new int[task.OutputSize];
        var positions = new HashSet<int>();
        for (int b = 0; b < n; b++)
        {
            int[] x = SequenceOf.Tokens(data, b);
            Assert.InRange(x.Length, 100, 110);
            Assert.Equal(0, x[0]);      // E
            Assert.Equal(1, x[^1]);     // B, the trigger
            int[] steps = [.. Enumerable.Range(1, x.Length).Where(t => x[t - 1] >= 6)]; // 1-based steps of X, Y
            Assert.Equal(relevant, steps.Length);
            for (int i = 0; i < relevant; i++) Assert.InRange(steps[i], ranges[2 * i], ranges[2 * i + 1]);
            positions.UnionWith(steps);
            Assert.All(x[1..^1].Where(s => s < 6), s => Assert.InRange(s, 2, 5)); // a b c d
            int c = steps.Aggregate(0, (code, t) => 2 * code + (x[t - 1] - 6));
            Assert.Equal(c, data.Classes[b]);
            classCounts[c]++;
        }
        Assert.All(classCounts, count => Assert.InRange(count, 0.85 * n / task.OutputSize, 1.15 * n / task.OutputSize));
        Assert.Equal(11 * relevant, positions.Count); // every step of every range occurs
    }

    [Fact]
    public void Class_letters_follow_the_papers_rules()
    {
        Assert.Equal("QRSU", TemporalOrderTask.TwoSymbols().ClassNames);         // XX XY YX YY
        Assert.Equal("QRSUVABC", TemporalOrderTask.ThreeSymbols().ClassNames);   // XXX … YYY
    }

    [Fact]
    public void Misclassified_at_an_output_error_of_0_3_solved_below_mean_0_1()
    {
        var task = TemporalOrderTask.TwoSymbols();
        var data = new TaskBatch<double>(task, 100);
        task.Sample(new Rng(2), data);
        double[] Confidence(Func<int, double> p)
        {
            var outputs = new double[400];
            for (int b = 0; b < 100; b++)
                for (int k = 0; k < 4; k++) outputs[b * 4 + k] = k == data.Classes[b] ? p(b) : (1 - p(b)) / 3;
            return outputs;
        }
        Assert.True(task.Solved(task.Score(data, Confidence(_ => 0.91))));
        var loose = task.Score(data, Confidence(_ => 0.89));
        Assert.Equal(0, loose.Wrong);
        Assert.False(task.Solved(loose));                                        // average error 0.11
        Assert.Equal(1, task.Score(data, Confidence(b => b == 0 ? 0.69 : 1)).Wrong);
    }
}
