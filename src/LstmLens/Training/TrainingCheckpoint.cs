// The resumable state of a training run in one safetensors file, written atomically: parameters,
// optimiser state, every random generator, the hidden state carried between BPTT windows, and the
// position in the data (as JSON metadata). Restoring all of it makes a resumed run bit-identical to
// an uninterrupted one. The position is the trainer's own record (TrainerPosition for language models);
// generators the model does not own (a task trainer's data stream) are saved after the model's. Float32
// training only.
using System.Runtime.InteropServices;
using System.Text.Json;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Training;

/// <summary>Where a run stands: enough, with the tensors, to continue exactly.</summary>
public sealed record TrainerPosition
{
    /// <summary>Epoch in progress (0-based).</summary>
    public int Epoch { get; init; }

    /// <summary>Next BPTT window of the epoch.</summary>
    public int Window { get; init; }

    /// <summary>Updates applied so far.</summary>
    public long Updates { get; init; }

    /// <summary>Current learning rate.</summary>
    public double LearningRate { get; init; }

    /// <summary>Best validation loss so far (per token).</summary>
    public double BestValidLoss { get; init; } = double.PositiveInfinity;

    /// <summary>Evaluations in a row without improvement (early stopping).</summary>
    public int BadEvaluations { get; init; }

    /// <summary>Lines of metrics.jsonl written at this point.</summary>
    public int MetricsLines { get; init; }

    /// <summary>Summed training loss of the epoch in progress (over <see cref="TrainTokens"/> predictions).</summary>
    public double TrainLossSum { get; init; }

    /// <summary>Predictions counted in <see cref="TrainLossSum"/>.</summary>
    public long TrainTokens { get; init; }
}

/// <summary>Saves and restores <see cref="TrainerPosition"/> with the model, optimiser, generators and carried state.</summary>
public static class TrainingCheckpoint
{
    /// <summary>File name inside a run directory.</summary>
    public const string FileName = "checkpoint.safetensors";

    private const string PositionKey = "position", StepsKey = "optimizer_steps";

    /// <summary>Writes the checkpoint atomically; <paramref name="generators"/> are saved after the model's own.</summary>
    public static void Save<TPosition>(string path, SequenceModel<float> model, Optimizer<float> optimizer, ReadOnlySpan<float> carriedState, TPosition position,
        params IEnumerable<Rng> generators)
    {
        var tensors = new ParameterStoreView<float>(model.Store).Tensors()
            .Select(t => SafeTensor.Create<float>("param." + t.Name, MemoryMarshal.Cast<byte, float>(t.Data.Span), [.. t.Shape]))
            .ToList();
        foreach (var (name, values) in optimizer.State) tensors.Add(SafeTensor.Create<float>("optimizer." + name, values, values.Length));
        int i = 0;
        foreach (var rng in model.Generators.Concat(generators))
            tensors.Add(SafeTensor.Create<long>($"rng.{i++}", MemoryMarshal.Cast<ulong, long>(rng.GetState()), 4));
        tensors.Add(SafeTensor.Create<float>("carried_state", carriedState, carriedState.Length));
        SafeTensors.Write(path, tensors, new Dictionary<string, string>
        {
            [PositionKey] = JsonSerializer.Serialize(position, ModelFiles.Json),
            [StepsKey] = optimizer.Steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Restores everything <see cref="Save"/> wrote into objects of the same shape (and the same extra generators); returns the position.</summary>
    public static TPosition Load<TPosition>(string path, SequenceModel<float> model, Optimizer<float> optimizer, Span<float> carriedState,
        params IEnumerable<Rng> generators)
    {
        var file = SafeTensors.Read(path);
        try
        {
            foreach (var p in model.Store.Parameters) Tensor(file, "param." + p.Name, path).CopyTo(p.Value);
            foreach (var (name, values) in optimizer.State) Tensor(file, "optimizer." + name, path).CopyTo<float>(values);
            int i = 0;
            foreach (var rng in model.Generators.Concat(generators))
                rng.SetState(MemoryMarshal.Cast<long, ulong>(Tensor(file, $"rng.{i++}", path).ToInt64()));
            Tensor(file, "carried_state", path).CopyTo(carriedState);
            optimizer.Steps = long.Parse(file.Metadata[StepsKey], System.Globalization.CultureInfo.InvariantCulture);
            return JsonSerializer.Deserialize<TPosition>(file.Metadata[PositionKey], ModelFiles.Json)
                ?? throw new InvalidDataException($"{path}: empty position");
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: does not match this run ({e.Message})", e);
        }
    }

    private static SafeTensor Tensor(SafeTensorFile file, string name, string path) =>
        file.Contains(name) ? file[name] : throw new InvalidDataException($"{path}: missing '{name}' (checkpoint of a different run?)");
}
