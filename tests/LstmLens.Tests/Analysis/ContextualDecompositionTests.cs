using LstmLens.Analysis;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Tests.Analysis;

/// <summary>
/// Contextual decomposition against PyTorch golden tensors in float64 (tools/make_cd_fixtures.py: a 2-layer LSTM with
/// weights in [−1, 1), a 7-token sentence, contiguous, split, single, empty and full relevant sets under each bias
/// policy), the batched engine against the one-set reference, and the identities the equations imply exactly.
/// </summary>
public class ContextualDecompositionTests
{
    private static readonly BiasPolicy[] Policies = [BiasPolicy.InPhrase, BiasPolicy.Never, BiasPolicy.MurdochExclusive];

    public static TheoryData<string, string> FixtureCases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string set in new[] { "phrase", "split", "first", "empty", "all" })
            foreach (string policy in new[] { "in-phrase", "never", "murdoch-exclusive" })
                if (!(set == "empty" && policy == "murdoch-exclusive")) cases.Add(set, policy);
        return cases;
    }

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void Reference_and_batched_paths_match_PyTorch(string set, string policyName)
    {
        var file = SafeTensors.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cd", "lstm2.safetensors"));
        var model = FixtureModel(file);
        var policy = Enum.Parse<BiasPolicy>(policyName.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
        var cd = new ContextualDecomposition(model, policy);
        var tokens = file["tokens"].ToInt64().Select(t => (int)t).ToArray();
        var positions = file.Metadata["sets"].Split(';').Single(s => s.StartsWith(set + "=", StringComparison.Ordinal))[(set.Length + 1)..]
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var sentence = cd.Run(tokens);
        var reference = cd.DecomposeReference(sentence, positions);
        var batched = cd.Decompose(sentence, [new DecompositionLane(positions, tokens.Length - 1)])[0];

        for (int layer = 0; layer < 2; layer++)
        {
            AssertClose(Values(file[$"true.h{layer}"]), Steps(t => sentence.State(t, layer), tokens.Length), 1e-14);
            AssertClose(Values(file[$"true.c{layer}"]), Steps(t => sentence.State(t, layer, StateKind.Cell), tokens.Length), 1e-14);
            foreach (var d in new[] { reference, batched })
            {
                string prefix = $"{set}.{policyName}.";
                AssertClose(Values(file[prefix + $"beta_h{layer}"]), Steps(t => d.Relevant(t, layer), tokens.Length), 1e-13);
                AssertClose(Values(file[prefix + $"gamma_h{layer}"]), Steps(t => d.Irrelevant(t, layer), tokens.Length), 1e-13);
                AssertClose(Values(file[prefix + $"beta_c{layer}"]), Steps(t => d.Relevant(t, layer, StateKind.Cell), tokens.Length), 1e-13);
                AssertClose(Values(file[prefix + $"gamma_c{layer}"]), Steps(t => d.Irrelevant(t, layer, StateKind.Cell), tokens.Length), 1e-13);
                if (layer == 1)
                    AssertClose(Values(file[prefix + "relevant_logits"]), Steps(t => cd.Logits(d.Relevant(t)), tokens.Length), 1e-13);
            }
        }
    }

    [Fact]
    public void The_fixture_is_far_from_linear()
    {
        // Guards the fixture's power to catch a wrong split: the relevant part of a two-word phrase is not just a scaled copy of the state.
        var file = SafeTensors.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cd", "lstm2.safetensors"));
        var beta = Values(file["phrase.in-phrase.beta_h1"]);
        var gamma = Values(file["phrase.in-phrase.gamma_h1"]);
        var never = Values(file["phrase.never.beta_h1"]);
        Assert.True(beta.Zip(never).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "the bias policies should differ visibly");
        Assert.True(beta.Skip(3 * 4).Max(Math.Abs) > 0.05 && gamma.Max(Math.Abs) > 0.05);
    }

    [Fact]
    public void Parts_sum_to_the_true_state_at_rounding_level_in_every_layer()
    {
        var (cd, sentence) = RandomSentence(layers: 3, seed: 1);
        foreach (var policy in Policies)
        {
            var engine = new ContextualDecomposition(RandomModel(3, seed: 1), policy);
            var d = engine.Decompose(sentence, [new DecompositionLane([1, 4, 5, 9], sentence.Length - 1)])[0];
            for (int t = 0; t < sentence.Length; t++)
            {
                for (int layer = 0; layer < 3; layer++)
                {
                    Assert.True(ContextualDecomposition.StateError(sentence, d, t, layer) < 1e-14);
                    Assert.True(ContextualDecomposition.StateError(sentence, d, t, layer, StateKind.Cell) < 1e-14);
                }
                Assert.True(engine.LogitError(sentence, d, t) < 1e-13);
                engine.Check(sentence, d, t);
            }
        }
        Assert.Equal(3, cd.Layers);
    }

    [Fact]
    public void Batched_lanes_that_start_late_or_branch_match_the_reference()
    {
        foreach (var policy in Policies)
        {
            var model = RandomModel(2, seed: 2);
            var cd = new ContextualDecomposition(model, policy);
            var sentence = cd.Run(Tokens(14, seed: 3));
            int[][] sets = [[3], [3, 7], [0, 13], [5, 6, 7], [12], [2, 9, 11]];
            var lanes = new List<DecompositionLane>();
            foreach (var s in sets) lanes.Add(new DecompositionLane(s, sentence.Length - 1));
            // [3, 7] again, branching from [3] (the pair planner's shape); under murdoch-exclusive they differ at 3, so no parent.
            lanes.Add(new DecompositionLane([3, 7], 10, recordFrom: 2, parent: policy == BiasPolicy.MurdochExclusive ? -1 : 0));
            var batched = cd.Decompose(sentence, lanes);
            for (int i = 0; i < lanes.Count; i++)
            {
                var reference = cd.DecomposeReference(sentence, lanes[i].Relevant);
                for (int t = lanes[i].RecordFrom; t <= lanes[i].End; t++)
                    for (int layer = 0; layer < 2; layer++)
                        foreach (var state in new[] { StateKind.Hidden, StateKind.Cell })
                        {
                            AssertClose(reference.Relevant(t, layer, state).ToArray(), batched[i].Relevant(t, layer, state).ToArray(), 1e-13);
                            AssertClose(reference.Irrelevant(t, layer, state).ToArray(), batched[i].Irrelevant(t, layer, state).ToArray(), 1e-13);
                        }
            }
        }
    }

    [Fact]
    public void Every_position_relevant_leaves_nothing_irrelevant_in_a_one_layer_model()
    {
        var cd = new ContextualDecomposition(RandomModel(1, seed: 4));
        var sentence = cd.Run(Tokens(9, seed: 5));
        var all = Enumerable.Range(0, sentence.Length).ToArray();
        foreach (var d in new[] { cd.DecomposeReference(sentence, all), cd.Decompose(sentence, [new DecompositionLane(all, sentence.Length - 1)])[0] })
            for (int t = 0; t < sentence.Length; t++)
            {
                Assert.All(d.Irrelevant(t).ToArray(), v => Assert.Equal(0.0, v));
                Assert.All(d.Irrelevant(t, 0, StateKind.Cell).ToArray(), v => Assert.Equal(0.0, v));
            }
    }

    [Fact]
    public void Upper_layers_keep_their_bias_term_irrelevant_when_every_position_is_relevant()
    {
        var cd = new ContextualDecomposition(RandomModel(2, seed: 4));
        var sentence = cd.Run(Tokens(9, seed: 5));
        var d = cd.DecomposeReference(sentence, Enumerable.Range(0, sentence.Length));
        for (int t = 0; t < sentence.Length; t++) Assert.All(d.Irrelevant(t, 0).ToArray(), v => Assert.Equal(0.0, v));
        Assert.Contains(d.Irrelevant(0, 1, StateKind.Cell).ToArray(), v => v != 0);
    }

    [Fact]
    public void An_empty_relevant_set_gives_zero_relevant_parts()
    {
        var (cd, sentence) = RandomSentence(layers: 2, seed: 6);
        foreach (var d in new[] { cd.DecomposeReference(sentence, []), cd.Decompose(sentence, [new DecompositionLane([], sentence.Length - 1)])[0] })
            for (int t = 0; t < sentence.Length; t++)
                for (int layer = 0; layer < 2; layer++)
                {
                    Assert.All(d.Relevant(t, layer).ToArray(), v => Assert.Equal(0.0, v));
                    Assert.All(d.Relevant(t, layer, StateKind.Cell).ToArray(), v => Assert.Equal(0.0, v));
                }
    }

    [Fact]
    public void The_policies_differ_exactly_by_the_bias_term_where_it_is_placed()
    {
        var model = RandomModel(1, seed: 7);
        var lstm = model.Stack.Layers[0];
        int h = lstm.HiddenSize;
        var tokens = Tokens(6, seed: 8);
        int[] relevant = [2, 4];
        var runs = Policies.ToDictionary(p => p, p =>
        {
            var cd = new ContextualDecomposition(model, p);
            return cd.DecomposeReference(cd.Run(tokens), relevant);
        });
        var biasTerm = new double[h];
        for (int j = 0; j < h; j++)
        {
            double bi = lstm.BiasIH.Value[j] + lstm.BiasHH.Value[j], bg = lstm.BiasIH.Value[2 * h + j] + lstm.BiasHH.Value[2 * h + j];
            biasTerm[j] = 1 / (1 + Math.Exp(-bi)) * Math.Tanh(bg);
        }
        // At the first relevant step everything before is identical, so β^c differs by exactly i_b g_b (and γ^c by its negative).
        var inPhrase = runs[BiasPolicy.InPhrase].Relevant(2, 0, StateKind.Cell).ToArray();
        var never = runs[BiasPolicy.Never].Relevant(2, 0, StateKind.Cell).ToArray();
        var exclusive = runs[BiasPolicy.MurdochExclusive].Relevant(2, 0, StateKind.Cell).ToArray();
        AssertClose(biasTerm, inPhrase.Zip(never, (a, b) => a - b).ToArray(), 1e-15);
        AssertClose(inPhrase, exclusive, 0);
        var gammaIn = runs[BiasPolicy.InPhrase].Irrelevant(2, 0, StateKind.Cell).ToArray();
        var gammaNever = runs[BiasPolicy.Never].Irrelevant(2, 0, StateKind.Cell).ToArray();
        AssertClose(biasTerm, gammaNever.Zip(gammaIn, (a, b) => a - b).ToArray(), 1e-15);
        // Before the first relevant step all three agree exactly: nothing is relevant yet.
        AssertClose(runs[BiasPolicy.Never].Relevant(1, 0, StateKind.Cell).ToArray(), new double[h], 0);
        AssertClose(runs[BiasPolicy.InPhrase].Relevant(1).ToArray(), new double[h], 0);
        // At the last relevant position murdoch-exclusive leaves the term irrelevant, as never does; in-phrase does not.
        var at4 = Policies.ToDictionary(p => p, p => runs[p].Relevant(4, 0, StateKind.Cell).ToArray());
        Assert.True(at4[BiasPolicy.InPhrase].Zip(at4[BiasPolicy.MurdochExclusive]).Max(p => Math.Abs(p.First - p.Second)) > 1e-6);
    }

    [Fact]
    public void The_true_pass_equals_the_model_forward_pass_and_carries_state()
    {
        var model = RandomModel(2, seed: 9);
        var cd = new ContextualDecomposition(model);
        var tokens = Tokens(11, seed: 10);
        var sentence = cd.Run(tokens);
        var batch = new SequenceBatch<double>(tokens.Length, 1) { Tokens = tokens };
        var final = new double[model.StateLength(1)];
        model.Forward(batch, [], final);
        var hidden = model.Stack.Layers[1].Hidden.ToArray();
        AssertClose(hidden, Steps(t => sentence.State(t), tokens.Length), 1e-13);
        AssertClose(final, sentence.FinalState(), 1e-13);

        var next = cd.Run(tokens.AsSpan(0, 4), sentence.FinalState());
        var whole = cd.Run([.. tokens, .. tokens[..4]]);
        AssertClose(Steps(t => whole.State(tokens.Length + t), 4), Steps(t => next.State(t), 4), 1e-13);
    }

    [Fact]
    public void Cells_other_than_the_LSTM_are_refused_by_name()
    {
        var config = new ModelConfig { Cell = CellType.Gru, InputSize = 5, EmbeddingSize = 3, HiddenSize = 4, OutputSize = 5 };
        var e = Assert.Throws<NotSupportedException>(() => new ContextualDecomposition(new SequenceModel<double>(config, new Rng(0))));
        Assert.Contains("Gru", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Positions_outside_the_sentence_are_refused()
    {
        var (cd, sentence) = RandomSentence(layers: 1, seed: 11);
        var e = Assert.Throws<ArgumentException>(() => cd.DecomposeReference(sentence, [sentence.Length]));
        Assert.Contains($"position {sentence.Length}", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => cd.Decompose(sentence, [new DecompositionLane([1], sentence.Length)]));
        Assert.Throws<ArgumentException>(() => cd.Run([0, 99]));
    }

    internal static SequenceModel<double> RandomModel(int layers, int seed, int vocabulary = 12, int hidden = 6)
    {
        var config = new ModelConfig { Cell = CellType.Lstm, InputSize = vocabulary, EmbeddingSize = 5, HiddenSize = hidden, NumLayers = layers, OutputSize = vocabulary };
        var model = new SequenceModel<double>(config, new Rng((ulong)seed));
        var rng = new Rng((ulong)seed + 100);
        rng.FillUniform(model.Store.Values, 0.9); // well outside the gates' linear range
        model.Training = false;
        return model;
    }

    internal static int[] Tokens(int count, int seed, int vocabulary = 12)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => random.Next(vocabulary))];
    }

    private static (ContextualDecomposition Cd, DecomposedSentence Sentence) RandomSentence(int layers, int seed)
    {
        var cd = new ContextualDecomposition(RandomModel(layers, seed));
        return (cd, cd.Run(Tokens(12, seed)));
    }

    private static SequenceModel<double> FixtureModel(SafeTensorFile file)
    {
        var config = new ModelConfig
        {
            Cell = CellType.Lstm,
            InputSize = file["encoder.weight"].Shape[0],
            EmbeddingSize = file["encoder.weight"].Shape[1],
            HiddenSize = file["rnn.weight_hh_l0"].Shape[1],
            NumLayers = 2,
            OutputSize = file["decoder.bias"].Shape[0],
        };
        var model = new SequenceModel<double>(config, new Rng(0));
        foreach (var p in model.Store.Parameters) file[p.Name].CopyTo(p.Value);
        return model;
    }

    private static double[] Values(SafeTensor tensor)
    {
        var values = new double[tensor.ElementCount];
        tensor.CopyTo<double>(values);
        return values;
    }

    private static double[] Steps(Func<int, ReadOnlySpan<double>> row, int steps)
    {
        var all = new List<double>();
        for (int t = 0; t < steps; t++) all.AddRange(row(t).ToArray());
        return [.. all];
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
