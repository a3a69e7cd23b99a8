using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Tasks;
using LstmLens.Training;

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
    public void Scalar_encoding_feeds_the_token_id_as_one_value_with_the_same_targets()
    {
        var oneHot = new CopyingTask(delay: 7, symbols: 3, alphabet: 5);
        var scalar = new CopyingTask(delay: 7, symbols: 3, alphabet: 5, CopyingEncoding.Scalar);
        Assert.Equal((TaskInputKind.Tokens, 7), (oneHot.InputKind, oneHot.InputSize));
        Assert.Equal((TaskInputKind.Vectors, 1), (scalar.InputKind, scalar.InputSize));
        Assert.Equal(oneHot.OutputSize, scalar.OutputSize);
        var tokens = new TaskBatch<double>(oneHot, 3);
        var values = new TaskBatch<double>(scalar, 3);
        oneHot.Sample(new Rng(8), tokens);
        scalar.Sample(new Rng(8), values);                              // the same draws

        for (int b = 0; b < 3; b++)
        {
            int[] x = SequenceOf.Tokens(tokens, b);
            Assert.Equal(x.Select(id => (double)id), SequenceOf.Feature(values, b, 0));
            Assert.Equal(SequenceOf.StepClasses(tokens, b), SequenceOf.StepClasses(values, b));
            Assert.Equal(6, x[9]);                                     // the delimiter, alphabet + 1, after 3 symbols and 6 blanks
        }
        Assert.True(values.Vectors.ToArray().Distinct().Count() > 3);  // blanks, delimiter and several symbols as distinct values

        var model = new TaskTrainer<float>(scalar, new ModelConfig { InputSize = 1, HiddenSize = 4, OutputSize = 1 }, new TrainingOptions(), new TaskTrainingOptions()).Model.Config;
        Assert.Equal((InputKind.Vectors, 1), (model.Input, model.InputSize));
    }

    [Fact]
    public void Catalog_passes_the_encoding_to_copying_only()
    {
        var task = Assert.IsType<CopyingTask>(TaskCatalog.Create("copying", new TaskParameters { Delay = 5, Encoding = CopyingEncoding.Scalar }));
        Assert.Equal(CopyingEncoding.Scalar, task.Encoding);
        Assert.Equal(CopyingEncoding.OneHot, Assert.IsType<CopyingTask>(TaskCatalog.Create("copying", new TaskParameters())).Encoding);
        var transfer = TaskCatalog.WithLength("copying", new TaskParameters { Encoding = CopyingEncoding.Scalar }, 20);
        Assert.Equal(CopyingEncoding.Scalar, Assert.IsType<CopyingTask>(TaskCatalog.Create("copying", transfer)).Encoding);
        Assert.Contains("--encoding", Assert.Throws<OptionException>(() => TaskCatalog.Create("adding", new TaskParameters { Encoding = CopyingEncoding.Scalar })).Message);
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
