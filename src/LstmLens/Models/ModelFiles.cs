// A trained model on disk, loadable by PyTorch and by LstmLens alike: config.json (architecture, and
// the training settings that made it), model.safetensors (parameters under PyTorch's names and
// shapes) and vocab.txt. Not the resumable training state: see TrainingCheckpoint.
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using LstmLens.Data;
using LstmLens.Numerics;

namespace LstmLens.Models;

/// <summary>Reads and writes model directories.</summary>
public static class ModelFiles
{
    /// <summary>File names inside a model directory.</summary>
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", VocabularyFile = "vocab.txt";

    /// <summary>JSON conventions of config.json: snake_case names, enums as snake_case strings.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Writes config.json: <c>{"model": …}</c> plus any extra sections (e.g. "training", "data") given as
    /// objects serialised with the same conventions.
    /// </summary>
    public static void WriteConfig(string directory, ModelConfig model, IReadOnlyDictionary<string, object>? sections = null)
    {
        var root = new JsonObject { ["model"] = JsonSerializer.SerializeToNode(model, Json) };
        foreach (var (name, value) in sections ?? new Dictionary<string, object>())
            root[name] = JsonSerializer.SerializeToNode(value, value.GetType(), Json);
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFile), root.ToJsonString(Json) + "\n");
    }

    /// <summary>Reads the "model" section of config.json (and returns the whole document for other sections).</summary>
    public static (ModelConfig Model, JsonNode Root) ReadConfig(string directory)
    {
        string path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (is {directory} a model directory?)", path);
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new InvalidDataException($"{path}: empty JSON");
            var model = root["model"]?.Deserialize<ModelConfig>(Json) ?? throw new InvalidDataException($"{path}: no \"model\" section");
            model.Validate();
            return (model, root);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {JsonErrors.OneLine(e)}", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads one section of the config.json of <paramref name="directory"/> (its document <paramref name="root"/>, from
    /// <see cref="ReadConfig"/>) as <typeparamref name="TSection"/>; null when absent, InvalidDataException naming the file
    /// and section when it does not parse.
    /// </summary>
    public static TSection? ReadSection<TSection>(string directory, JsonNode root, string name) where TSection : class
    {
        ArgumentNullException.ThrowIfNull(root);
        try
        {
            return root[name]?.Deserialize<TSection>(Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: section \"{name}\": {JsonErrors.OneLine(e)}", e);
        }
    }

    /// <summary>Writes the parameters as model.safetensors (float32, PyTorch names and shapes), atomically.</summary>
    public static void WriteWeights<T>(string directory, ParameterStoreView<T> parameters) where T : unmanaged, IFloatingPointIeee754<T> =>
        SafeTensors.Write(Path.Combine(directory, WeightsFile), parameters.Tensors());

    /// <summary>Copies the directory's model.safetensors into <paramref name="store"/>: every parameter present with the right shape, no extras.</summary>
    public static void LoadWeights<T>(string directory, Layers.ParameterStore<T> store) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string weights = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{weights}: no such file", weights);
        new ParameterStoreView<T>(store).Load(SafeTensors.Read(weights), weights);
    }

    /// <summary>Loads a model directory: config, weights (every tensor present with the right shape, no extras) and vocabulary if present.</summary>
    public static (SequenceModel<T> Model, Vocabulary? Vocabulary, JsonNode Config) Load<T>(string directory, Kernels<T>? kernels = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (config, root) = ReadConfig(directory);
        var model = new SequenceModel<T>(config, new Rng(0), kernels);
        LoadWeights(directory, model.Store);
        string vocabularyPath = Path.Combine(directory, VocabularyFile);
        var vocabulary = File.Exists(vocabularyPath) ? Vocabulary.Load(vocabularyPath) : null;
        if (vocabulary is not null && config.Input != InputKind.Vectors && vocabulary.Count != config.InputSize)
            throw new InvalidDataException($"{vocabularyPath}: {vocabulary.Count} tokens, but the model's input size is {config.InputSize}");
        return (model, vocabulary, root);
    }
}

/// <summary>A parameter store seen as named safetensors (float32 on disk whatever T is).</summary>
public readonly struct ParameterStoreView<T>(Layers.ParameterStore<T> store) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>One F32 tensor per parameter, in declaration (PyTorch state_dict) order.</summary>
    public IEnumerable<SafeTensor> Tensors() => store.Parameters.Select(p =>
    {
        var values = new float[p.Length];
        for (int i = 0; i < values.Length; i++) values[i] = float.CreateChecked(p.Value[i]);
        return SafeTensor.Create<float>(p.Name, values, [.. p.Shape]);
    }).ToList();

    /// <summary>Copies every parameter from <paramref name="file"/>; missing, extra or misshapen tensors are errors naming <paramref name="source"/>.</summary>
    public void Load(SafeTensorFile file, string source)
    {
        foreach (var p in store.Parameters)
        {
            if (!file.Contains(p.Name)) throw new InvalidDataException($"{source}: missing tensor '{p.Name}' [{string.Join(", ", p.Shape)}]");
            var tensor = file[p.Name];
            if (!tensor.Shape.SequenceEqual(p.Shape))
                throw new InvalidDataException($"{source}: tensor '{p.Name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", p.Shape)}]");
            try
            {
                tensor.CopyTo(p.Value);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidDataException($"{source}: {e.Message}", e);
            }
        }
        var expected = store.Parameters.Select(p => p.Name).ToHashSet();
        var extra = file.Tensors.Select(t => t.Name).FirstOrDefault(n => !expected.Contains(n));
        if (extra is not null) throw new InvalidDataException($"{source}: unexpected tensor '{extra}' (not a parameter of this model)");
    }
}
