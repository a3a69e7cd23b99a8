// Word ↔ id mapping built from training text, with the reserved tokens <unk> and <eos>, an optional
// size cap and minimum count, saved as vocab.txt (one token per line, line number = id). Not a
// tokenizer: corpora are already whitespace-tokenised.
namespace LstmLens.Data;

/// <summary>Token vocabulary; id 0 is <c>&lt;unk&gt;</c>, id 1 is <c>&lt;eos&gt;</c> when built here.</summary>
public sealed class Vocabulary
{
    /// <summary>Unknown-word token.</summary>
    public const string UnknownToken = "<unk>";

    /// <summary>End-of-sentence token appended to every line.</summary>
    public const string EndOfSentenceToken = "<eos>";

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Creates a vocabulary from tokens in id order; must contain &lt;unk&gt; and &lt;eos&gt; exactly once.</summary>
    public Vocabulary(IEnumerable<string> tokens)
    {
        _tokens = [.. tokens];
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < _tokens.Length; i++)
        {
            if (_tokens[i].Length == 0 || _tokens[i].Any(char.IsWhiteSpace))
                throw new InvalidDataException($"vocabulary entry {i + 1} is empty or contains whitespace");
            if (!_ids.TryAdd(_tokens[i], i)) throw new InvalidDataException($"vocabulary entry {i + 1} '{_tokens[i]}' is a duplicate");
        }
        Unknown = _ids.TryGetValue(UnknownToken, out int unk) ? unk : throw new InvalidDataException("vocabulary has no <unk>");
        EndOfSentence = _ids.TryGetValue(EndOfSentenceToken, out int eos) ? eos : throw new InvalidDataException("vocabulary has no <eos>");
    }

    /// <summary>Number of tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary>Id of &lt;unk&gt;.</summary>
    public int Unknown { get; }

    /// <summary>Id of &lt;eos&gt;.</summary>
    public int EndOfSentence { get; }

    /// <summary>Tokens in id order.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Id of <paramref name="token"/>, or &lt;unk&gt;'s id.</summary>
    public int this[string token] => _ids.TryGetValue(token, out int id) ? id : Unknown;

    /// <summary>True when the token has its own id.</summary>
    public bool Contains(string token) => _ids.ContainsKey(token);

    /// <summary>
    /// Builds from training sentences: &lt;unk&gt;, &lt;eos&gt;, then words by descending count (ties in order of
    /// first appearance), keeping words seen at least <paramref name="minCount"/> times and at most
    /// <paramref name="maxSize"/> entries in all (reserved tokens included).
    /// </summary>
    public static Vocabulary Build(IEnumerable<IReadOnlyList<string>> sentences, int? maxSize = null, int minCount = 1)
    {
        if (maxSize is < 2) throw new ArgumentOutOfRangeException(nameof(maxSize), "a vocabulary holds at least <unk> and <eos>");
        var counts = new Dictionary<string, (int Count, int First)>(StringComparer.Ordinal);
        foreach (var sentence in sentences)
        {
            foreach (string word in sentence)
            {
                if (word is UnknownToken or EndOfSentenceToken) continue;
                counts[word] = counts.TryGetValue(word, out var c) ? (c.Count + 1, c.First) : (1, counts.Count);
            }
        }
        var words = counts.Where(kv => kv.Value.Count >= minCount)
            .OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Value.First)
            .Select(kv => kv.Key);
        if (maxSize is int cap) words = words.Take(cap - 2);
        return new Vocabulary([UnknownToken, EndOfSentenceToken, .. words]);
    }

    /// <summary>Writes one token per line, atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, string.Join('\n', _tokens) + "\n");

    /// <summary>Reads a vocab.txt; errors name the file and line.</summary>
    public static Vocabulary Load(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) throw new InvalidDataException($"{path}: empty vocabulary file");
        try
        {
            return new Vocabulary(lines);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
