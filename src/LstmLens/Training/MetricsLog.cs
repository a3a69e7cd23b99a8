// metrics.jsonl: one JSON object per evaluation, appended and flushed line by line so a killed run
// keeps every finished line. Only deterministic values belong here (no timings), so a resumed run's
// file equals an uninterrupted run's. A finite loss can have an infinite perplexity (e^loss overflows):
// non-finite numbers are written as the strings "Infinity", "-Infinity" and "NaN", which JSON allows.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LstmLens.Training;

/// <summary>Appends evaluation records to a JSON-lines file.</summary>
public sealed class MetricsLog
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Log at <paramref name="path"/>; with <paramref name="keepLines"/> the first lines of an existing file are kept (resume), otherwise it starts empty.</summary>
    public MetricsLog(string path, int keepLines = 0)
    {
        Path = path;
        var kept = keepLines > 0 && File.Exists(path) ? File.ReadLines(path).Take(keepLines).ToArray() : [];
        if (kept.Length < keepLines) throw new InvalidDataException($"{path}: has {kept.Length} lines; the checkpoint expects {keepLines}");
        Data.AtomicFile.WriteAllText(path, kept.Length == 0 ? "" : string.Join('\n', kept) + "\n");
        Lines = kept.Length;
    }

    /// <summary>File path.</summary>
    public string Path { get; }

    /// <summary>Records written (including kept ones).</summary>
    public int Lines { get; private set; }

    /// <summary>A number of a record read back, including the named non-finite values.</summary>
    public static double Number(JsonElement value) => value.Deserialize<double>(Json);

    /// <summary>Appends one record (an anonymous object or dictionary) as a line.</summary>
    public void Write(object record)
    {
        using (var writer = File.AppendText(Path))
        {
            writer.Write(JsonSerializer.Serialize(record, Json));
            writer.Write('\n');
        }
        Lines++;
    }
}
