using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class MarkedPairsTaskTests
{
    private static TaskBatch<double> Draw(SequenceTask task, int batch, ulong seed = 1)
    {
        var data = new TaskBatch<double>(task, batch);
        task.Sample(new Rng(seed), data);
        return data;
    }

    // Checks the layout of every sequence and returns the marked positions and values.
    private static List<(int First, int Second, double X1, double X2, double Target)> Marked(MarkedPairsTask task, TaskBatch<double> data)
    {
        int t0 = task.MinimalLength;
        var found = new List<(int, int, double, double, double)>();
        for (int b = 0; b < data.BatchSize; b++)
        {
            double[] values = SequenceOf.Feature(data, b, 0), markers = SequenceOf.Feature(data, b, 1);
            Assert.InRange(values.Length, t0, t0 + t0 / 10);
            int[] marked = [.. Enumerable.Range(0, markers.Length).Where(t => markers[t] == 1.0)];
            Assert.Equal(2, marked.Length);
            for (int t = 0; t < markers.Length; t++)
            {
                if (marked.Contains(t)) continue;
                Assert.Equal(t == 0 || t == markers.Length - 1 ? -1.0 : 0.0, markers[t]);
                Assert.InRange(values[t], task.ValueLow, 1.0);
            }
            // X1 is one of the first ten; X2 one of the first T/2 − 1 others, so both lie below T/2.
            Assert.True(marked[0] < 10 || marked[1] < 10);
            Assert.True(marked[1] < t0 / 2);
            if (marked[0] == 0) Assert.Equal(task.MarkedFirstPairValue, values[0]);
            double x1 = values[marked[0]], x2 = values[marked[1]];
            found.Add((marked[0], marked[1], x1, x2, data.Values[b]));
        }
        return found;
    }

    [Fact]
    public void Adding_targets_are_the_scaled_sum_of_the_marked_values()
    {
        var task = new AddingTask(100);
        var marked = Marked(task, Draw(task, 5000));
        Assert.All(marked, m => Assert.Equal(0.5 + (m.X1 + m.X2) / 4, m.Target, 12));
        Assert.Contains(marked, m => m.First == 0);      // the rare marked first pair (≈ 1 in 10), X1 = 0
        Assert.Contains(marked, m => m.Second == 49);    // X2 reaches pair T/2 − 1: minimal lag 50 from the end at length 100
        Assert.DoesNotContain(marked, m => m.Second > 49);
        Assert.InRange(marked.Average(m => m.Target), 0.49, 0.51);
    }

    [Fact]
    public void Multiplication_targets_are_the_product_of_values_in_the_unit_interval()
    {
        var task = new MultiplicationTask(100);
        var marked = Marked(task, Draw(task, 3000));
        Assert.All(marked, m => Assert.Equal(m.X1 * m.X2, m.Target, 12));
        Assert.Contains(marked, m => m.First == 0 && m.X1 == 1.0);
    }

    [Fact]
    public void Adding_needs_every_error_below_0_04_and_mean_below_0_01()
    {
        var task = new AddingTask(40);
        var data = Draw(task, 2000);
        double[] Off(Func<int, double> error) => [.. Enumerable.Range(0, 2000).Select(b => data.Values[b] + error(b))];
        Assert.True(task.Solved(task.Score(data, Off(_ => 0.0099))));
        Assert.False(task.Solved(task.Score(data, Off(_ => 0.0101))));
        var one = task.Score(data, Off(b => b == 7 ? -0.041 : 0));
        Assert.Equal(1, one.Wrong);
        Assert.False(task.Solved(one));
    }

    [Fact]
    public void Multiplication_allows_fewer_than_n_seq_wrong_of_2000()
    {
        var data = Draw(new MultiplicationTask(40), 2000);
        double[] Wrong(int count) => [.. Enumerable.Range(0, 2000).Select(b => data.Values[b] + (b < count ? 0.05 : 0.02))];
        var strict = new MultiplicationTask(40);
        Assert.True(strict.Solved(strict.Score(data, Wrong(12))));
        Assert.False(strict.Solved(strict.Score(data, Wrong(13))));
        var loose = new MultiplicationTask(40, wrongPer2000: 140);
        Assert.True(loose.Solved(loose.Score(data, Wrong(139))));
        Assert.False(loose.Solved(loose.Score(data, Wrong(140))));
    }
}
