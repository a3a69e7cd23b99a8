// The file readers a user's data reaches, each as one fuzz target: bytes in, written to the file name the
// reader expects, read with the library's own entry point. A reader may accept the bytes or reject them with
// its documented InvalidDataException, whose message is one line naming the file; anything else (another
// exception, a message without the file) is a defect. Shared by the AFL++ harness (Program.cs, bench/fuzz.sh)
// and the regression tests that replay its corpus; not a fuzzer itself.
using LstmLens.Data;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Training;

namespace LstmLens.Fuzz;

/// <summary>One reader under the fuzzer: its name, the file it reads and how it is called.</summary>
/// <param name="Name">Name on the command line and of the corpus folder.</param>
/// <param name="FileName">File name the input is written to (some readers take a directory holding it).</param>
/// <param name="Read">Reads the file at the given path.</param>
public sealed record ReaderTarget(string Name, string FileName, Action<string> Read)
{
    /// <summary>Every reader: text, tagged (Brown: word/TAG, every tag one that maps to PTB), CoNLL-U, IDX, safetensors, config.json, vocab.txt.</summary>
    public static IReadOnlyList<ReaderTarget> All { get; } =
    [
        new("text", "corpus.txt", path => Corpus.Read(path, CorpusFormat.Text)),
        new("tagged", "corpus.txt", path => BrownTags.Read(path)),
        new("conllu", "corpus.conllu", path => Corpus.Read(path, CorpusFormat.Conllu)),
        new("idx", "images.idx", path => IdxFile.Read(path)),
        new("safetensors", ModelFiles.WeightsFile, path => ModelFiles.LoadWeights(Path.GetDirectoryName(path)!, TinyModel().Store)),
        new("config", ModelFiles.ConfigFile, path =>
        {
            // What `train --resume` reads: the model section, then the training, batching and data sections.
            string directory = Path.GetDirectoryName(path)!;
            var (_, root) = ModelFiles.ReadConfig(directory);
            ModelFiles.ReadSection<TrainingOptions>(directory, root, "training");
            ModelFiles.ReadSection<LanguageModelSettings>(directory, root, "batching");
            ModelFiles.ReadSection<CorpusSource>(directory, root, "data");
        }),
        new("vocab", ModelFiles.VocabularyFile, path => Vocabulary.Load(path)),
    ];

    /// <summary>The target named <paramref name="name"/>.</summary>
    public static ReaderTarget Named(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"no reader '{name}'; readers: {string.Join(", ", All.Select(t => t.Name))}", nameof(name));

    /// <summary>The model whose parameters the safetensors target loads: an LSTM 3 over 5 tokens, embedding 2.</summary>
    public static SequenceModel<float> TinyModel() =>
        new(new ModelConfig { InputSize = 5, EmbeddingSize = 2, HiddenSize = 3, OutputSize = 5 }, new Rng(1));

    /// <summary>
    /// Writes <paramref name="input"/> as this target's file in <paramref name="directory"/> and reads it. True when the reader
    /// accepts it, false when it rejects it properly; any other outcome throws.
    /// </summary>
    public bool Run(ReadOnlySpan<byte> input, string directory)
    {
        string path = Path.Combine(directory, FileName);
        using (var file = File.Create(path)) file.Write(input);
        try
        {
            Read(path);
            return true;
        }
        catch (InvalidDataException e) when (e.Message.Contains(path, StringComparison.Ordinal) && !e.Message.Contains('\n', StringComparison.Ordinal))
        {
            return false;
        }
    }
}
