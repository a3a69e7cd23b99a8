using System.Text.Json;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Tests.Data;
using LstmLens.Training;

namespace LstmLens.Tests.Training;

public class LanguageModelTrainerTests
{
    private const int Vocabulary = 6;

    private static SequenceModel<float> Model(ulong seed)
    {
        var rng = new Rng(seed);
        var model = new SequenceModel<float>(new ModelConfig { InputSize = Vocabulary, EmbeddingSize = 5, HiddenSize = 7, OutputSize = Vocabulary }, rng.Split());
        model.Initialize(rng.Split());
        return model;
    }

    private static int[] Stream(int length, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, length).Select(_ => rng.NextInt(Vocabulary))];
    }

    [Fact]
    public void Target_probability_equals_each_column_read_whole_and_skips_short_contexts()
    {
        var model = Model(1);
        int[] ids = Stream(61, 2);                 // 3 columns of 20, one token dropped
        const int batch = 3, bptt = 4, context = 3, chosen = 2;

        var (mean, targets) = LanguageModelTrainer.MeanTargetProbability(model, ids, batch, bptt, p => ids[p] == chosen, context);

        // Reference: each column alone, as one window from a zero state; the target of step t is at column start + t + 1.
        var expected = new List<double>();
        for (int b = 0; b < batch; b++)
        {
            int start = b * 20;
            int[] inputs = ids[start..(start + 19)];
            model.Forward(new SequenceBatch<float>(19, 1) { Tokens = inputs }, [], []);
            var probabilities = new float[19 * Vocabulary];
            model.Outputs(probabilities);
            for (int t = context - 1; t < 19; t++)
                if (ids[start + t + 1] == chosen) expected.Add(probabilities[t * Vocabulary + chosen]);
        }
        Assert.True(expected.Count >= 5, $"only {expected.Count} targets chosen");
        Assert.Equal(expected.Count, targets);
        Assert.Equal(expected.Average(), mean, 1e-5);

        var (none, zero) = LanguageModelTrainer.MeanTargetProbability(model, ids, batch, bptt, _ => false);
        Assert.True(double.IsNaN(none));
        Assert.Equal(0, zero);
    }

    [Fact]
    public void Every_validation_reaches_the_callback_as_written_to_the_metrics()
    {
        using var directory = new TempDirectory();
        var model = Model(3);
        int[] train = Stream(403, 4), valid = Stream(101, 5);
        var settings = new LanguageModelSettings { Batch = 2, Bptt = 5, EvalEvery = 15, CheckpointEvery = 1000 };
        var seen = new List<LanguageModelValidation>();
        var trainer = new LanguageModelTrainer(model, new TrainingOptions { Epochs = 2, LearningRate = 0.5 }, settings, train, valid, directory.Path, new Rng(6))
        {
            Validated = seen.Add,
        };

        trainer.Run(resume: false, CancellationToken.None);

        var lines = File.ReadAllLines(trainer.MetricsPath).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(lines.Length, seen.Count);
        // 40 windows per epoch: validations after updates 15, 30, epoch end (40), 45, 60, 75, epoch end (80).
        for (int i = 0; i < seen.Count; i++)
        {
            Assert.Equal(lines[i].GetProperty("epoch").GetInt32(), seen[i].Epoch);
            Assert.Equal(lines[i].GetProperty("end_of_epoch").GetBoolean(), seen[i].EndOfEpoch);
            Assert.Equal(lines[i].GetProperty("updates").GetInt64(), seen[i].Updates);
            Assert.Equal(lines[i].GetProperty("valid_loss").GetDouble(), seen[i].ValidLoss);
        }
        Assert.Equal([false, false, true, false, false, false, true], seen.Select(v => v.EndOfEpoch));
        long perEpoch = trainer.Batches.TargetCount;
        Assert.Equal([perEpoch, 2 * perEpoch], seen.Where(v => v.EndOfEpoch).Select(v => v.TrainedTokens));
        Assert.Equal(15L * settings.Batch * settings.Bptt, seen[0].TrainedTokens);
    }
}
