// Groups of start positions for the state-gradient analysis, written as specs on the command line:
// `all`, `word:W`, `pos:TAG[,TAG…]` (each token's own tag), `words:FILE` (one word per line or whitespace
// separated), `positions:FILE` (0-based positions) and `cycles:new` (the new tokens of a cycles-corpus text); and the word classes of property tracking, the same
// specs read as sets of word types. Not the averaging itself (StateGradients).
using System.Globalization;
using LstmLens.Data;

namespace LstmLens.Analysis;

/// <summary>Parses group specs against one analysed text.</summary>
public static class MemoryGroups
{
    /// <summary>The forms a group spec may take, for error messages and help.</summary>
    public const string Forms = "all, word:W, pos:TAG[,TAG…], words:FILE, positions:FILE or cycles:new";

    /// <summary>The start positions <paramref name="spec"/> selects in <paramref name="stream"/>.</summary>
    /// <exception cref="OptionException">A malformed spec, a word outside the vocabulary, tags asked of untagged text.</exception>
    /// <exception cref="FileNotFoundException">A words: or positions: file that does not exist.</exception>
    public static PositionGroup Parse(string spec, TokenStream stream, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (spec == "all") return new(spec, [.. Enumerable.Range(0, stream.Count)]);
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? spec : spec[..colon], value = colon < 0 ? "" : spec[(colon + 1)..];
        if (colon < 0 || value.Length == 0) throw new OptionException($"--group {spec}: expected {Forms}");
        switch (kind)
        {
            case "word":
            {
                int id = WordId(value, vocabulary, $"--group {spec}");
                return new(spec, Where(stream, u => stream.Ids[u] == id));
            }
            case "words":
            {
                var ids = ReadWords(value, vocabulary).ToHashSet();
                return new(spec, Where(stream, u => ids.Contains(stream.Ids[u])));
            }
            case "pos":
            {
                var tags = Tags(spec, value, stream);
                return new(spec, Where(stream, u => stream.TagAt(u) is string tag && tags.Contains(tag)));
            }
            case "positions":
                return new(spec, ReadPositions(value, stream.Count));
            case "cycles" when value == "new":
                return new(spec, StateProbes.NewTokenPositions(stream.Ids, vocabulary.EndOfSentence));
            default:
                throw new OptionException($"--group {spec}: unknown kind '{kind}' (expected {Forms})");
        }
    }

    /// <summary>
    /// The word types of a class for property tracking: <c>pos:TAGS</c> is every word type whose most frequent tag in
    /// the text is one of TAGS; <c>word:W</c> and <c>words:FILE</c> are the words named.
    /// </summary>
    public static int[] WordClass(string spec, TokenStream stream, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(vocabulary);
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? spec : spec[..colon], value = colon < 0 ? "" : spec[(colon + 1)..];
        int[] words = kind switch
        {
            "word" when value.Length > 0 => [WordId(value, vocabulary, $"--difference {spec}")],
            "words" when value.Length > 0 => [.. ReadWords(value, vocabulary).Distinct()],
            "pos" when value.Length > 0 => MostFrequentTagIn(Tags(spec, value, stream), stream),
            _ => throw new OptionException($"--difference {spec}: expected word:W, words:FILE or pos:TAG[,TAG…]"),
        };
        if (words.Length == 0) throw new OptionException($"--difference {spec}: no word of the text belongs to this class");
        return words;
    }

    private static int[] Where(TokenStream stream, Func<int, bool> keep) => [.. Enumerable.Range(0, stream.Count).Where(keep)];

    private static int WordId(string word, Vocabulary vocabulary, string option) =>
        vocabulary.Contains(word) ? vocabulary[word] : throw new OptionException($"{option}: '{word}' is not in the model's vocabulary");

    private static HashSet<string> Tags(string spec, string value, TokenStream stream)
    {
        if (!stream.Sentences.Any(s => s.Tags is not null))
            throw new OptionException($"{spec}: the text has no tags (read tagged text with --format tagged, or CoNLL-U)");
        return [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    private static int[] MostFrequentTagIn(HashSet<string> tags, TokenStream stream)
    {
        var counts = new Dictionary<int, Dictionary<string, int>>();
        for (int u = 0; u < stream.Count; u++)
        {
            if (stream.TagAt(u) is not string tag) continue;
            var perTag = counts.TryGetValue(stream.Ids[u], out var d) ? d : counts[stream.Ids[u]] = [];
            perTag[tag] = perTag.GetValueOrDefault(tag) + 1;
        }
        // Ties go to the tag that sorts first, so the class does not depend on dictionary order.
        return [.. counts.Where(c => tags.Contains(c.Value.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal).First().Key))
            .Select(c => c.Key).Order()];
    }

    private static IEnumerable<int> ReadWords(string path, Vocabulary vocabulary)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var words = File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) throw new InvalidDataException($"{path}: no words");
        var missing = words.Where(w => !vocabulary.Contains(w)).ToArray();
        if (missing.Length == words.Length) throw new InvalidDataException($"{path}: none of its words is in the model's vocabulary");
        return words.Where(vocabulary.Contains).Select(w => vocabulary[w]);
    }

    private static int[] ReadPositions(string path, int count)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var positions = new List<int>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            foreach (string item in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int u) || u >= count)
                    throw new InvalidDataException($"{path}:{line}: '{item}' is not a position of the text (0 to {count - 1})");
                positions.Add(u);
            }
        }
        return [.. positions.Distinct().Order()];
    }
}
