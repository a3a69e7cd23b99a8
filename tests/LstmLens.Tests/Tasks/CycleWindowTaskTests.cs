using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class CycleWindowTaskTests
{
    [Fact]
    public void Windows_predict_the_next_token_after_the_warmup()
    {
        var corpus = new CycleCorpus();
        var task = new CycleWindowTask(corpus, window: 40, warmup: 16);
        var batch = new TaskBatch<float>(task, 3);
        task.Sample(new Rng(4), batch);

        Assert.Equal(40, batch.Steps);
        Assert.Equal([40, 40, 40], batch.Lengths.ToArray());
        for (int b = 0; b < 3; b++)
            for (int t = 0; t < 40; t++)
            {
                int target = batch.StepClasses[t * 3 + b];
                if (t < 16) Assert.Equal(SequenceTask.IgnoreClass, target);
                else if (t < 39) Assert.Equal(batch.Tokens[(t + 1) * 3 + b], target);
                Assert.InRange(batch.Tokens[t * 3 + b], 1, corpus.Vocabulary.Count - 1); // never <unk>
            }
        // A cycle repeats its previous new token 15 times: long runs of one token, broken by a new token or <eos>.
        int repeats = Enumerable.Range(1, 39).Count(t => batch.Tokens[t * 3] == batch.Tokens[(t - 1) * 3]);
        Assert.InRange(repeats, 30, 39);
    }

    [Fact]
    public void Score_counts_every_step_after_the_warmup()
    {
        var task = new CycleWindowTask(new CycleCorpus(), window: 20, warmup: 5);
        var batch = new TaskBatch<double>(task, 2);
        task.Sample(new Rng(1), batch);
        var outputs = new double[batch.OutputLength];
        for (int t = 0; t < 20; t++)
            for (int b = 0; b < 2; b++)
                if (batch.StepClasses[t * 2 + b] is int target and >= 0) outputs[(t * 2 + b) * task.OutputSize + target] = 1;

        var score = task.Score(batch, outputs);

        Assert.Equal(2 * 15, score.Predictions);
        Assert.Equal(0, score.Wrong);
        Assert.True(task.Solved(score));
    }
}
