using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Training;
using static LstmLens.Tests.Layers.CellTestData;

namespace LstmLens.Tests.Model;

/// <summary>
/// Finite differences (float64) of the whole model against its backward pass, for every cell in
/// <see cref="Layers.CellTestData.Cells"/>, input kind, head kind and depth: every parameter tensor
/// and the initial state. Random draws of the analytic pass (dropout masks, detach masks, the 1997
/// truncated gradient) are frozen, so the finite differences see the surrogate the backward pass differentiates.
/// </summary>
/// <remarks>
/// The loss is a mean over rows: O(1) in value while many gradient elements are O(1e-6), and the finite
/// difference carries a rounding error near 1e-12. The relative error therefore uses a floor of 1e-5: gradients
/// above it must match to 1e-6 relative, smaller ones to 1e-11 absolute (worst measured 8.4e-8 over all cells).
/// </remarks>
public class SequenceModelGradientTests
{
    private const int Steps = 5, Batch = 3, Vocabulary = 7, Features = 3, Targets = 3;
    private const double Tolerance = 1e-6, Floor = 1e-5;

    public static TheoryData<string, InputKind, HeadKind, int> Cases()
    {
        var data = new TheoryData<string, InputKind, HeadKind, int>();
        foreach (string cell in Cells)
            foreach (var input in Enum.GetValues<InputKind>())
                foreach (var head in Enum.GetValues<HeadKind>())
                    foreach (int layers in new[] { 1, 2 })
                        data.Add(cell, input, head, layers);
        return data;
    }

    public static TheoryData<string> CellNames() => [.. Cells];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Finite_differences_match_analytic_gradients(string cell, InputKind input, HeadKind head, int layers)
    {
        var config = Config(cell, input, head, layers);
        var model = new SequenceModel<double>(config, new Rng(9), new Kernels<double>()) { Training = true };
        model.Initialize(new Rng(5));
        var data = new Data(config, new Rng(6), model.StateLength(Batch));

        var report = Check(model, data);

        Assert.Equal(model.Store.Parameters.Count + 1, report.Tensors.Count);
        Assert.All(report.Tensors, t => Assert.True(t.MaxRelativeError < Tolerance, $"{t.Name}: {t.MaxRelativeError:E2}"));
    }

    /// <summary>With dropout on the embeddings, between layers and before the decoder (masks frozen after the analytic pass).</summary>
    [Theory]
    [MemberData(nameof(CellNames))]
    public void Finite_differences_match_analytic_gradients_through_dropout(string cell)
    {
        var config = Config(cell, InputKind.Embedding, HeadKind.PerStepSoftmax, 2) with { Dropout = 0.3, InputDropout = 0.2 };
        var model = new SequenceModel<double>(config, new Rng(9), new Kernels<double>()) { Training = true };
        model.Initialize(new Rng(5));
        var data = new Data(config, new Rng(6), model.StateLength(Batch));

        var report = Check(model, data);
        double trainingLoss = data.Loss(model); // a fresh draw of masks

        Assert.All(report.Tensors, t => Assert.True(t.MaxRelativeError < Tolerance, $"{t.Name}: {t.MaxRelativeError:E2}"));
        model.Training = false;
        Assert.NotEqual(trainingLoss, data.Loss(model), 1e-9); // the masks did drop something
    }

    /// <summary>Padded batches of unequal sequences: each last-step head reads its own last step, per-step heads skip padding.</summary>
    [Theory]
    [MemberData(nameof(CellNames))]
    public void Finite_differences_match_analytic_gradients_with_sequence_lengths(string cell)
    {
        foreach (var head in Enum.GetValues<HeadKind>())
        {
            var config = Config(cell, InputKind.OneHot, head, 2);
            var model = new SequenceModel<double>(config, new Rng(9), new Kernels<double>()) { Training = true };
            model.Initialize(new Rng(5));
            var data = new Data(config, new Rng(6), model.StateLength(Batch), [Steps, 2, 4]);

            var report = Check(model, data);

            Assert.All(report.Tensors, t => Assert.True(t.MaxRelativeError < Tolerance, $"{head} {t.Name}: {t.MaxRelativeError:E2}"));
        }
    }

    /// <summary>A short sequence padded into a longer batch gets the outputs and loss it gets alone.</summary>
    [Theory]
    [InlineData(HeadKind.LastStepSoftmax)]
    [InlineData(HeadKind.PerStepSigmoid)]
    [InlineData(HeadKind.PerStepSoftmax)]
    public void Padding_changes_neither_outputs_nor_loss_of_a_short_sequence(HeadKind head)
    {
        var config = Config("lstm", InputKind.OneHot, head, 1);
        var model = new SequenceModel<double>(config, new Rng(9), new Kernels<double>());
        model.Initialize(new Rng(5));
        int width = config.OutputSize, shortLength = 2;
        int[] tokens = [1, 2, 3, 4, 5, 6];                             // [T=3, B=2]; sequence 1 has 2 steps
        int[] classes = head == HeadKind.PerStepSoftmax ? [0, 1, 2, 3, 4, 5] : [3, 4];
        double[] labels = [.. Enumerable.Range(0, 3 * 2 * width).Select(i => (double)(i % 2))];
        double Loss(int steps, int batch, int[] t, int[] c, double[] l, int[] lengths) => model.Forward(
            new SequenceBatch<double>(steps, batch) { Tokens = t, TargetIds = c, TargetValues = l, Lengths = lengths }, [], []);

        double paddedLoss = Loss(3, 2, tokens, classes, labels, [3, shortLength]);
        var padded = new double[model.Logits.Length];
        model.Outputs(padded);
        int[] aloneTokens = [tokens[1], tokens[3]];
        int[] aloneClasses = head == HeadKind.PerStepSoftmax ? [classes[1], classes[3]] : [classes[1]];
        double[] aloneLabels = [.. labels.AsSpan(width, width), .. labels.AsSpan(3 * width, width)];
        double aloneLoss = Loss(shortLength, 1, aloneTokens, aloneClasses, aloneLabels, []);
        var alone = new double[model.Logits.Length];
        model.Outputs(alone);

        if (config.ScoresEveryStep)
        {
            Assert.Equal(alone.AsSpan(0, width).ToArray(), padded.AsSpan(width, width).ToArray());
            Assert.Equal(alone.AsSpan(width, width).ToArray(), padded.AsSpan(3 * width, width).ToArray());
        }
        else
        {
            Assert.Equal(alone, padded.AsSpan(width, width).ToArray());
            double fullLoss = Loss(3, 2, tokens, classes, labels, []);
            Assert.NotEqual(fullLoss, paddedLoss, 1e-9); // without lengths the head reads step 3 of sequence 1
        }
        double firstLoss = Loss(3, 1, [tokens[0], tokens[2], tokens[4]],
            head == HeadKind.PerStepSoftmax ? [classes[0], classes[2], classes[4]] : [classes[0]],
            [.. labels.AsSpan(0, width), .. labels.AsSpan(2 * width, width), .. labels.AsSpan(4 * width, width)], []);
        double expected = head == HeadKind.LastStepSoftmax ? (firstLoss + aloneLoss) / 2 : (3 * firstLoss + 2 * aloneLoss) / 5;
        Assert.Equal(expected, paddedLoss, 1e-12);
    }

    [Fact]
    public void Parameters_carry_PyTorch_names_in_state_dict_order()
    {
        var model = new SequenceModel<float>(Config("lstm", InputKind.Embedding, HeadKind.PerStepSoftmax, 2), new Rng(1));
        Assert.Equal(
            ["encoder.weight",
             "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
             "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1",
             "decoder.weight", "decoder.bias"],
            model.Store.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void PyTorch_default_initialisation_respects_each_bound_and_forget_bias_is_added()
    {
        var config = Config("lstm", InputKind.Embedding, HeadKind.PerStepSoftmax, 1) with { InitRange = null, ForgetBias = 1 };
        var model = new SequenceModel<double>(config, new Rng(1));
        model.Initialize(new Rng(2));
        double recurrentBound = 1 / Math.Sqrt(config.HiddenSize);
        Assert.All(model.Decoder.Weight.Value.ToArray(), w => Assert.InRange(Math.Abs(w), 0, recurrentBound));
        Assert.Contains(model.Embedding!.Weight.Value.ToArray(), w => Math.Abs(w) > 1); // N(0, 1), not a narrow uniform
        var layer = model.Stack.Layers[0];
        var forget = layer.BiasIH.Value.Slice(config.HiddenSize, config.HiddenSize).ToArray();
        Assert.All(forget, b => Assert.InRange(b, 1 - recurrentBound, 1 + recurrentBound));
        Assert.All(layer.WeightHH.Value.ToArray(), w => Assert.InRange(Math.Abs(w), 0, recurrentBound));
    }

    [Fact]
    public void Lstm1997_options_reach_every_layer()
    {
        var config = Config("lstm1997", InputKind.OneHot, HeadKind.PerStepSigmoid, 2) with { Lstm1997 = new() { BlockSize = 5 } };
        var model = new SequenceModel<double>(config, new Rng(1));
        Assert.All(model.Stack.Layers, layer => Assert.Equal(5, Assert.IsType<Lstm1997<double>>(layer).BlockSize));
        Assert.Throws<ArgumentException>(() => new SequenceModel<double>(config with { Cell = CellType.Gru }, new Rng(1)));
    }

    [Fact]
    public void Forward_without_targets_gives_logits_and_refuses_backward()
    {
        var config = Config("lstm", InputKind.OneHot, HeadKind.LastStepSoftmax, 1);
        var model = new SequenceModel<double>(config, new Rng(1));
        model.Initialize(new Rng(2));
        var tokens = new int[Steps * Batch];
        double loss = model.Forward(new SequenceBatch<double>(Steps, Batch) { Tokens = tokens }, [], []);
        Assert.True(double.IsNaN(loss));
        Assert.Equal(Batch * Vocabulary, model.Logits.Length);
        Assert.Throws<InvalidOperationException>(() => model.Backward());
    }

    private static ModelConfig Config(string cell, InputKind input, HeadKind head, int layers) => new()
    {
        Cell = RecurrentLayers.ParseCell(cell),
        Input = input,
        InputSize = input == InputKind.Vectors ? Features : Vocabulary,
        EmbeddingSize = 4,
        HiddenSize = 5,
        NumLayers = layers,
        Head = head,
        OutputSize = head is HeadKind.PerStepSoftmax or HeadKind.LastStepSoftmax ? Vocabulary : Targets,
        InitRange = 0.5,
    };

    private static GradientCheckReport Check(SequenceModel<double> model, Data data)
    {
        var dInitial = new double[data.Initial.Length];
        model.Store.ZeroGradients();
        data.Loss(model);
        model.Backward(dInitial);
        var targets = model.Store.Parameters.Select(CheckTarget.Of)
            .Append(new CheckTarget("initial_state", data.Initial, dInitial, 0, dInitial.Length));
        model.FreezeRandomDraws();
        try
        {
            return GradientCheck.Run(targets, () => data.Loss(model), floor: Floor);
        }
        finally
        {
            model.ThawRandomDraws();
        }
    }

    /// <summary>Random inputs and targets for a configuration; one target of each softmax head is ignored.</summary>
    private sealed class Data
    {
        private readonly int[] _tokens;
        private readonly double[] _vectors;
        private readonly int[] _targetIds;
        private readonly double[] _targetValues;
        private readonly int[] _lengths;

        public Data(ModelConfig config, Rng rng, int stateLength, int[]? lengths = null)
        {
            _lengths = lengths ?? [];
            int rows = config.ScoresEveryStep ? Steps * Batch : Batch;
            _tokens = [.. Enumerable.Range(0, Steps * Batch).Select(_ => rng.NextInt(Vocabulary))];
            _vectors = Random(rng, Steps * Batch * Features);
            _targetIds = [.. Enumerable.Range(0, rows).Select(_ => rng.NextInt(Vocabulary))];
            _targetIds[1] = Losses.IgnoreIndex;
            _targetValues = config.Head == HeadKind.PerStepSigmoid
                ? [.. Enumerable.Range(0, rows * Targets).Select(_ => (double)rng.NextInt(2))]
                : Random(rng, rows * Targets);
            Initial = Random(rng, stateLength);
        }

        public double[] Initial { get; }

        public double Loss(SequenceModel<double> model) => model.Forward(new SequenceBatch<double>(Steps, Batch)
        {
            Tokens = _tokens,
            Vectors = _vectors,
            TargetIds = _targetIds,
            TargetValues = _targetValues,
            Lengths = _lengths,
        }, Initial, []);
    }
}
