using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class CopyingTaskTests
{
    [Fact]
    public void Sequences_have_the_paper_layout()
    {
        var task = new CopyingTask(delay: 100);
        const int batch = 4;
        Assert.Equal(120, task.Length);
        int[] x = new int[task.Length * batch], y = new int[task.Length * batch];
        task.Sample(new Rng(5), batch, x, y);
        for (int b = 0; b < batch; b++)
        {
            int At(int[] a, int t) => a[t * batch + b];
            for (int t = 0; t < 10; t++) Assert.InRange(At(x, t), 1, 8);
            for (int t = 10; t < 109; t++) Assert.Equal(0, At(x, t));
            Assert.Equal(9, At(x, 109));
            for (int t = 110; t < 120; t++) Assert.Equal(0, At(x, t));
            for (int t = 0; t < 110; t++) Assert.Equal(0, At(y, t));
            for (int t = 0; t < 10; t++) Assert.Equal(At(x, t), At(y, 110 + t));
        }
    }

    [Fact]
    public void Accuracy_counts_only_the_recalled_symbols()
    {
        var task = new CopyingTask(delay: 3, symbols: 2, alphabet: 4);
        int[] x = new int[task.Length], y = new int[task.Length];
        task.Sample(new Rng(1), 1, x, y);
        int[] prediction = new int[task.Length]; // all blanks: right on every blank step, wrong on both symbols
        Assert.Equal(0.0, task.Accuracy(prediction, y, 1));
        prediction[^1] = y[^1];
        Assert.Equal(0.5, task.Accuracy(prediction, y, 1));
    }
}
