using LstmLens.Analysis;
using LstmLens.Models;
using LstmLens.Numerics;
using Xunit.Abstractions;

namespace LstmLens.Tests.Analysis;

/// <summary>
/// State gradients Ḡ_τ against PyTorch autograd Jacobians in float64 (tools/make_state_gradient_fixtures.py:
/// 2-layer LSTM, GRU and RNN embedding models and a one-hot LSTM, a 16-token stream, groups all / word / positions,
/// τ ≤ 5, with and without a reset after every &lt;eos&gt;), and the two computations of the library against each other.
/// </summary>
public class StateGradientTests(ITestOutputHelper output)
{
    private const int Delays = 5;

    public static TheoryData<string, int, string, bool> FixtureCases()
    {
        var cases = new TheoryData<string, int, string, bool>();
        foreach (string model in new[] { "lstm", "gru", "rnn", "onehot" })
        {
            int layers = model == "onehot" ? 1 : 2;
            string[] states = model is "lstm" or "onehot" ? ["c", "h"] : ["h"];
            for (int layer = 0; layer < layers; layer++)
                foreach (string state in states)
                {
                    cases.Add(model, layer, state, false);
                    if (model == "lstm") cases.Add(model, layer, state, true);
                }
        }
        return cases;
    }

    [Theory]
    [MemberData(nameof(FixtureCases))]
    public void Fast_and_reference_paths_match_PyTorch(string name, int layer, string state, bool reset)
    {
        var (model, expected, tokens, groups) = Fixture(name);
        var input = StateGradientInput.FromTokens(tokens, reset ? [.. tokens.Select(t => t == 1)] : null);
        var options = new StateGradientOptions { Layer = layer, State = state == "c" ? StateKind.Cell : StateKind.Hidden, MaxDelay = Delays };
        string prefix = reset ? "reset." : "";
        foreach (var (label, result) in new[]
        {
            ("fast", StateGradients.Compute(model, input, groups, options)),
            ("reference", StateGradients.ComputeReference(model, input, groups, options)),
        })
        {
            double worst = 0;
            for (int g = 0; g < groups.Length; g++)
            {
                long[] counts = expected[$"{prefix}count.{groups[g].Name}"].ToInt64();
                var mean = Values(expected[$"{prefix}mean.{groups[g].Name}.l{layer}.{state}"]); // [τ, H, E]
                int block = result.StateSize * result.InputSize;
                for (int tau = 0; tau <= Delays; tau++)
                {
                    Assert.Equal(counts[tau], result.Count(g, tau));
                    var actual = result.Mean(g, tau);
                    for (int i = 0; i < block; i++) worst = Math.Max(worst, Math.Abs(actual[i] - mean[tau * block + i]));
                }
            }
            output.WriteLine($"{name} layer {layer} {state}{(reset ? " reset" : "")} {label}: largest difference {worst:E2}");
            Assert.True(worst < 1e-10, $"{label}: largest difference from PyTorch {worst:E2}");
        }
    }

    [Fact]
    public void Mean_is_not_vacuous_and_reset_changes_it()
    {
        var (model, _, tokens, groups) = Fixture("lstm");
        var options = new StateGradientOptions { Layer = 1, MaxDelay = Delays };
        var plain = StateGradients.Compute(model, StateGradientInput.FromTokens(tokens), groups, options);
        var reset = StateGradients.Compute(model, StateGradientInput.FromTokens(tokens, [.. tokens.Select(t => t == 1)]), groups, options);
        Assert.Contains(plain.Mean(0, 3), v => Math.Abs(v) > 1e-4);
        Assert.NotEqual(plain.Mean(0, 3), reset.Mean(0, 3));
    }

    public static TheoryData<string> Cells() => ["lstm", "gru", "rnn"];

    [Theory]
    [MemberData(nameof(Cells))]
    public void Batched_lanes_equal_one_lane_at_a_time_on_a_longer_stream(string cell)
    {
        // 3 layers of different widths, 300 positions, delays up to 40: many live lanes, blocks and ring wrap-around.
        var model = RandomModel<double>(cell, vocabulary: 13, embedding: 7, hidden: 9, layers: 3, seed: 5);
        int[] tokens = RandomTokens(300, 13, seed: 6);
        PositionGroup[] groups = [new("all", [.. Enumerable.Range(0, tokens.Length)]), new("word", [.. Enumerable.Range(0, tokens.Length).Where(u => tokens[u] == 4)])];
        var state = cell == "lstm" ? StateKind.Cell : StateKind.Hidden;
        for (int layer = 0; layer < 3; layer++)
        {
            var options = new StateGradientOptions { Layer = layer, State = state, MaxDelay = 40 };
            var fast = StateGradients.Compute(model, StateGradientInput.FromTokens(tokens), groups, options);
            var reference = StateGradients.ComputeReference(model, StateGradientInput.FromTokens(tokens), groups, options);
            for (int g = 0; g < groups.Length; g++)
                for (int tau = 0; tau <= 40; tau += 7)
                {
                    Assert.Equal(reference.Count(g, tau), fast.Count(g, tau));
                    AssertClose(reference.Mean(g, tau), fast.Mean(g, tau), 1e-12, $"layer {layer} group {g} τ {tau}");
                }
        }
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("lstm1997")]
    public void Vector_input_gradients_equal_finite_differences(string cell)
    {
        // Real-valued inputs, one start position: Ḡ_τ is G_{u,τ} itself, checked column by column by central differences
        // of the forward pass (LSTM-1997 has no factored step and takes the reference path).
        const int steps = 12, features = 3, hidden = 4, u = 2, delays = 6;
        var config = new ModelConfig
        {
            Cell = LstmLens.Layers.RecurrentLayers.ParseCell(cell), Input = InputKind.Vectors, InputSize = features, HiddenSize = hidden,
            NumLayers = 2, OutputSize = 2, InitRange = 0.7,
        };
        var model = new SequenceModel<double>(config, new Rng(1));
        model.Initialize(new Rng(2));
        var rng = new Rng(3);
        double[] x = [.. Enumerable.Range(0, steps * features).Select(_ => rng.NextDouble() * 2 - 1)];
        var result = StateGradients.Compute(model, StateGradientInput.FromVectors(x, features), [new("u", [u])],
            new StateGradientOptions { Layer = 1, State = StateKind.Cell, MaxDelay = delays });
        double[] Cells()
        {
            var output = new double[steps * hidden];
            model.Stack.Forward(x, steps, 1, [], output, []);
            return [.. model.Stack.Layers[1].Cells];
        }
        const double h = 1e-6;
        double worst = 0, largest = 0;
        for (int k = 0; k < features; k++)
        {
            double original = x[u * features + k];
            x[u * features + k] = original + h;
            double[] plus = Cells();
            x[u * features + k] = original - h;
            double[] minus = Cells();
            x[u * features + k] = original;
            for (int tau = 0; tau <= delays; tau++)
            {
                var mean = result.Mean(0, tau);                      // [H, E]
                for (int j = 0; j < hidden; j++)
                {
                    double expected = (plus[(u + tau) * hidden + j] - minus[(u + tau) * hidden + j]) / (2 * h);
                    worst = Math.Max(worst, Math.Abs(mean[j * features + k] - expected));
                    largest = Math.Max(largest, Math.Abs(expected));
                }
            }
        }
        Assert.True(largest > 1e-3, "the check is vacuous");
        Assert.True(worst < 1e-8, $"largest difference from finite differences {worst:E2}");
    }

    [Fact]
    public void Results_are_bit_identical_for_any_thread_count()
    {
        // The simd kernels' products do not depend on the thread count (OpenBLAS's may).
        var model = RandomModel("lstm", vocabulary: 20, embedding: 16, hidden: 24, layers: 2, seed: 8, Compute.Create<float>("simd"));
        int[] tokens = RandomTokens(400, 20, seed: 9);
        PositionGroup[] groups = [new("all", [.. Enumerable.Range(0, tokens.Length)])];
        var results = new[] { 1, 2, 3 }.Select(threads => StateGradients.Compute(model, StateGradientInput.FromTokens(tokens), groups,
            new StateGradientOptions { Layer = 1, MaxDelay = 30, Threads = threads })).ToArray();
        for (int tau = 0; tau <= 30; tau++)
        {
            Assert.Equal(results[0].Mean(0, tau), results[1].Mean(0, tau));
            Assert.Equal(results[0].Mean(0, tau), results[2].Mean(0, tau));
        }
    }

    [Fact]
    public void Float32_tangents_are_within_1e4_of_float64()
    {
        var single = RandomModel<float>("lstm", vocabulary: 15, embedding: 8, hidden: 16, layers: 2, seed: 3);
        var @double = RandomModel<double>("lstm", vocabulary: 15, embedding: 8, hidden: 16, layers: 2, seed: 3);
        int[] tokens = RandomTokens(500, 15, seed: 4);
        PositionGroup[] groups = [new("all", [.. Enumerable.Range(0, tokens.Length)])];
        foreach (var state in new[] { StateKind.Cell, StateKind.Hidden })
        {
            var options = new StateGradientOptions { Layer = 1, State = state, MaxDelay = 25 };
            var a = StateGradients.Compute(single, StateGradientInput.FromTokens(tokens), groups, options);
            var b = StateGradients.Compute(@double, StateGradientInput.FromTokens(tokens), groups, options);
            for (int tau = 0; tau <= 25; tau++) AssertClose(b.Mean(0, tau), a.Mean(0, tau), 1e-4, $"{state} τ {tau}");
        }
    }

    [Fact]
    public void Count_weighted_mean_of_the_word_groups_equals_all()
    {
        var model = RandomModel<double>("gru", vocabulary: 6, embedding: 5, hidden: 7, layers: 1, seed: 12);
        int[] tokens = RandomTokens(200, 6, seed: 13);
        var groups = new List<PositionGroup> { new("all", [.. Enumerable.Range(0, tokens.Length)]) };
        for (int w = 0; w < 6; w++) groups.Add(new($"word:{w}", [.. Enumerable.Range(0, tokens.Length).Where(u => tokens[u] == w)]));
        var result = StateGradients.Compute(model, StateGradientInput.FromTokens(tokens), groups, new StateGradientOptions { State = StateKind.Hidden, MaxDelay = 10 });
        for (int tau = 0; tau <= 10; tau++)
        {
            var combined = new double[result.StateSize * result.InputSize];
            long total = 0;
            for (int g = 1; g < groups.Count; g++)
            {
                long n = result.Count(g, tau);
                total += n;
                var mean = result.Mean(g, tau);
                for (int i = 0; i < combined.Length; i++) combined[i] += mean[i] * n;
            }
            Assert.Equal(result.Count(0, tau), total);
            AssertClose(result.Mean(0, tau), [.. combined.Select(v => v / total)], 1e-13, $"τ {tau}");
        }
    }

    [Fact]
    public void A_group_that_never_occurs_has_count_zero_and_zero_means()
    {
        var model = RandomModel<double>("lstm", vocabulary: 6, embedding: 3, hidden: 4, layers: 1, seed: 1);
        int[] tokens = RandomTokens(50, 6, seed: 2);
        var result = StateGradients.Compute(model, StateGradientInput.FromTokens(tokens), [new("empty", [])], new StateGradientOptions { MaxDelay = 5 });
        for (int tau = 0; tau <= 5; tau++)
        {
            Assert.Equal(0, result.Count(0, tau));
            Assert.All(result.Mean(0, tau), v => Assert.Equal(0.0, v));
        }
    }

    [Fact]
    public void Bad_requests_name_the_option_at_fault()
    {
        var gru = RandomModel<double>("gru", vocabulary: 6, embedding: 3, hidden: 4, layers: 1, seed: 1);
        var input = StateGradientInput.FromTokens(RandomTokens(20, 6, seed: 2));
        PositionGroup[] all = [new("all", [.. Enumerable.Range(0, 20)])];
        Assert.Contains("--state c", Assert.Throws<OptionException>(() => StateGradients.Compute(gru, input, all, new StateGradientOptions())).Message);
        Assert.Contains("--layer 1", Assert.Throws<OptionException>(() => StateGradients.Compute(gru, input, all, new StateGradientOptions { Layer = 1, State = StateKind.Hidden })).Message);
        Assert.Contains("--max-delay 20", Assert.Throws<OptionException>(() => StateGradients.Compute(gru, input, all, new StateGradientOptions { MaxDelay = 20, State = StateKind.Hidden })).Message);
        Assert.Contains("position 20", Assert.Throws<InvalidDataException>(() => StateGradients.Compute(gru, input, [new("bad", [20])], new StateGradientOptions { State = StateKind.Hidden, MaxDelay = 5 })).Message);
    }

    private static (SequenceModel<double> Model, SafeTensorFile Expected, int[] Tokens, PositionGroup[] Groups) Fixture(string name)
    {
        string directory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "state_gradients", name);
        var (model, _, _) = ModelFiles.Load<double>(directory);
        var expected = SafeTensors.Read(Path.Combine(directory, "expected.safetensors"));
        int[] tokens = [.. expected["tokens"].ToInt64().Select(v => (int)v)];
        int word = (int)expected["word"].ToInt64()[0];
        PositionGroup[] groups =
        [
            new("all", [.. Enumerable.Range(0, tokens.Length)]),
            new("word", [.. Enumerable.Range(0, tokens.Length).Where(u => tokens[u] == word)]),
            new("positions", [.. expected["positions"].ToInt64().Select(v => (int)v)]),
        ];
        return (model, expected, tokens, groups);
    }

    internal static SequenceModel<T> RandomModel<T>(string cell, int vocabulary, int embedding, int hidden, int layers, ulong seed, Kernels<T>? kernels = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var config = new ModelConfig
        {
            Cell = LstmLens.Layers.RecurrentLayers.ParseCell(cell),
            InputSize = vocabulary,
            EmbeddingSize = embedding,
            HiddenSize = hidden,
            NumLayers = layers,
            OutputSize = vocabulary,
            InitRange = 0.6,
        };
        var model = new SequenceModel<T>(config, new Rng(seed), kernels);
        model.Initialize(new Rng(seed + 100));
        return model;
    }

    internal static int[] RandomTokens(int count, int vocabulary, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, count).Select(_ => rng.NextInt(vocabulary))];
    }

    private static double[] Values(SafeTensor tensor)
    {
        var values = new double[tensor.ElementCount];
        tensor.CopyTo<double>(values);
        return values;
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-3, expected.Max(Math.Abs)), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]) / scale);
        Assert.True(worst <= tolerance, $"{what}: largest difference {worst:E2} relative to the largest entry {scale:E2}");
        Assert.True(expected.Max(Math.Abs) > 0, $"{what}: the reference is all zeros");
    }
}

/// <summary>A state-gradient run and the process-wide thread count (alone in its collection, which owns that setting).</summary>
[Collection(Numerics.ProcessWideComputeState.Name)]
public class StateGradientThreadTests
{
    [Fact]
    public async Task A_run_leaves_the_process_wide_thread_count_alone_while_it_runs()
    {
        // Its cells compute their products on their own threads; every other thread keeps seeing Compute.Threads.
        int saved = Compute.Threads;
        Compute.Threads = 2;
        try
        {
            var model = StateGradientTests.RandomModel("lstm", vocabulary: 20, embedding: 16, hidden: 24, layers: 1, seed: 8, Compute.Create<float>("simd"));
            int[] tokens = StateGradientTests.RandomTokens(3000, 20, seed: 9);
            PositionGroup[] groups = [new("all", [.. Enumerable.Range(0, tokens.Length)])];
            int seen = 2, reads = 0;
            var run = Task.Run(() => StateGradients.Compute(model, StateGradientInput.FromTokens(tokens), groups,
                new StateGradientOptions { MaxDelay = 30, Threads = 2 }));
            while (!run.IsCompleted)
            {
                if (Compute.Threads != 2) seen = Compute.Threads;
                reads++;
            }
            await run;
            Assert.True(reads > 100, $"only {reads} reads during the run");
            Assert.Equal(2, seen);
        }
        finally
        {
            Compute.Threads = saved;
        }
    }
}
