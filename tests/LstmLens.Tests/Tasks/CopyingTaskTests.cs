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
        var data = new TaskBatch<float>(task, batch);
        task.Sample(new Rng(5), data);
        Assert.Equal(120, data.Steps);
        for (int b = 0; b < batch; b++)
        {
            int[] x = SequenceOf.Tokens(data, b), y = SequenceOf.StepClasses(data, b);
            for (int t = 0; t < 10; t++) Assert.InRange(x[t], 1, 8);
            for (int t = 10; t < 109; t++) Assert.Equal(0, x[t]);
            Assert.Equal(9, x[109]);
            for (int t = 110; t < 120; t++) Assert.Equal(0, x[t]);
            for (int t = 0; t < 110; t++) Assert.Equal(0, y[t]);
            for (int t = 0; t < 10; t++) Assert.Equal(x[t], y[110 + t]);
        }
    }

    [Fact]
    public void Accuracy_counts_only_the_recalled_symbols()
    {
        var task = new CopyingTask(delay: 3, symbols: 2, alphabet: 4);
        var data = new TaskBatch<double>(task, 1);
        task.Sample(new Rng(1), data);
        int[] y = SequenceOf.StepClasses(data, 0);
        int c = task.OutputSize;
        var outputs = new double[task.Length * c];
        for (int t = 0; t < task.Length; t++) outputs[t * c] = 1; // all blanks: right on every blank step, wrong on both symbols
        var score = task.Score(data, outputs);
        Assert.Equal((2, 2), (score.Predictions, score.Wrong));
        int last = task.Length - 1;
        outputs[last * c] = 0;
        outputs[last * c + y[last]] = 1;
        Assert.Equal(0.5, task.Score(data, outputs).Accuracy);
        outputs[last * c] = 1; // a tie with the blank is not a hit
        Assert.Equal(0.0, task.Score(data, outputs).Accuracy);
    }
}
