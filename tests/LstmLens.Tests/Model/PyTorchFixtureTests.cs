using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;
using Xunit.Abstractions;

namespace LstmLens.Tests.Model;

/// <summary>
/// The model in float32 against PyTorch golden tensors (tools/make_fixtures.py): nn.Embedding(11, 5) →
/// 2-layer nn.LSTM / nn.GRU / nn.RNN(H = 6) → nn.Linear(6, 11), batch 3 × 7 steps, random initial state,
/// mean cross-entropy over all steps. Logits, loss, final state, every parameter gradient and the
/// initial-state gradient must agree within 1e-5 × max(1, |PyTorch value|) per element.
/// </summary>
public class PyTorchFixtureTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    /// <summary>Every fixture cell under every kernel set this machine can build.</summary>
    public static TheoryData<string, string> FixtureCells()
    {
        var data = new TheoryData<string, string>();
        foreach (string cell in new[] { "lstm", "gru", "rnn" })
            foreach (string kernels in Compute.KernelSetNames.Where(Compute.IsAvailable))
                data.Add(cell, kernels);
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureCells))]
    public void Forward_and_backward_match_PyTorch(string cell, string kernels)
    {
        var file = SafeTensors.Read(Path.Combine(AppContext.BaseDirectory, "Fixtures", $"{cell}.safetensors"));
        var encoder = file["encoder.weight"].Shape;
        var recurrent = file["rnn.weight_hh_l0"].Shape;
        var inputs = file["inputs"].Shape;
        int layers = file.Tensors.Count(t => t.Name.StartsWith("rnn.weight_ih_l", StringComparison.Ordinal));
        int steps = inputs[0], batch = inputs[1], hidden = recurrent[1];
        var config = new ModelConfig
        {
            Cell = RecurrentLayers.ParseCell(cell),
            InputSize = encoder[0],
            EmbeddingSize = encoder[1],
            HiddenSize = hidden,
            NumLayers = layers,
            OutputSize = file["decoder.bias"].Shape[0],
        };
        var model = new SequenceModel<float>(config, new Rng(0), Compute.Create<float>(kernels));
        foreach (var p in model.Store.Parameters)
        {
            Assert.Equal(file[p.Name].Shape, p.Shape);
            file[p.Name].CopyTo(p.Value);
        }
        string[] states = model.Stack.Layers[0].StateCount == 2 ? ["h", "c"] : ["h"];
        float[] initial = StackState(file, "initial_", states, layers, batch, hidden);
        float[] final = new float[initial.Length], dInitial = new float[initial.Length];
        var batchData = new SequenceBatch<float>(steps, batch)
        {
            Tokens = Ids(file["inputs"]),
            TargetIds = Ids(file["targets"]),
        };

        model.Store.ZeroGradients();
        double loss = model.Forward(batchData, initial, final);
        model.Backward(dInitial);

        var results = new List<(string Name, double Difference)>
        {
            Compare("logits", Values(file["logits"]), model.Logits),
            Compare("loss", Values(file["loss"]), [(float)loss]),
            Compare("final state", StackState(file, "final_", states, layers, batch, hidden), final),
            Compare("grad.initial state", StackState(file, "grad.initial_", states, layers, batch, hidden), dInitial),
        };
        results.AddRange(model.Store.Parameters.Select(p => Compare($"grad.{p.Name}", Values(file[$"grad.{p.Name}"]), p.Gradient)));
        string report = string.Join("; ", results.Select(r => $"{r.Name} {r.Difference:E2}"));
        output.WriteLine($"{cell} [{kernels}]: largest scaled difference per tensor: {report}");
        Assert.True(results.All(r => r.Difference <= Tolerance), $"{cell} [{kernels}] differs from PyTorch beyond {Tolerance:E0}: {report}");
    }

    /// <summary>Largest |a − e| / max(1, |e|) over the tensor.</summary>
    private static (string, double) Compare(string name, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.True(expected.Length == actual.Length, $"{name}: {actual.Length} values, PyTorch has {expected.Length}");
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - (double)expected[i]) / Math.Max(1, Math.Abs((double)expected[i])));
        return (name, worst);
    }

    private static float[] Values(SafeTensor tensor)
    {
        var values = new float[tensor.ElementCount];
        tensor.CopyTo<float>(values);
        return values;
    }

    private static int[] Ids(SafeTensor tensor) => [.. tensor.ToInt64().Select(v => checked((int)v))];

    /// <summary>PyTorch's per-kind state tensors [L, B, H] (h, c) rearranged to the stack's layout: per layer, h then c.</summary>
    private static float[] StackState(SafeTensorFile file, string prefix, string[] states, int layers, int batch, int hidden)
    {
        int block = batch * hidden;
        var result = new float[layers * states.Length * block];
        for (int s = 0; s < states.Length; s++)
        {
            var values = Values(file[prefix + states[s]]);
            for (int l = 0; l < layers; l++)
                values.AsSpan(l * block, block).CopyTo(result.AsSpan((l * states.Length + s) * block));
        }
        return result;
    }
}
