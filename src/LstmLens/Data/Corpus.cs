// Readers for the three corpus formats: whitespace-tokenised text (one sentence per line), `word/TAG`
// tagged text (Brown, PTB style) and CoNLL-U (Universal Dependencies). Each yields sentences whose
// tags and dependency heads stay aligned with the words. Lines of the two text formats follow PyTorch's
// word_language_model reader, the convention of every published PTB and WikiText perplexity: every line is
// a sentence, a blank line an empty one (so the token stream gets an <eos> for it too), unless blank lines
// are skipped on request. Errors name the file and line. Not a tokenizer and not a CoNLL-U validator beyond
// what the analyses rely on.
namespace LstmLens.Data;

/// <summary>
/// One sentence. <see cref="Tags"/> are the tags of tagged text or CoNLL-U UPOS; <see cref="Xpos"/>,
/// <see cref="Heads"/> (1-based word index of the head, 0 = root), <see cref="Relations"/> and <see cref="Id"/> (the
/// <c># sent_id</c> comment) come from CoNLL-U; <see cref="Location"/> is "file:line" of its first word line.
/// Every non-null array has one entry per word.
/// </summary>
public sealed record Sentence(string[] Words, string[]? Tags = null, string[]? Xpos = null, int[]? Heads = null, string[]? Relations = null,
    string? Id = null, string? Location = null);

/// <summary>Corpus file formats.</summary>
public enum CorpusFormat
{
    /// <summary>Whitespace-separated tokens, one sentence per line.</summary>
    Text,
    /// <summary>Whitespace-separated <c>word/TAG</c> items, one sentence per line (the tag follows the last '/').</summary>
    Tagged,
    /// <summary>CoNLL-U: ten tab-separated columns, sentences separated by blank lines.</summary>
    Conllu,
}

/// <summary>Reads corpus files.</summary>
public static class Corpus
{
    /// <summary>Guesses the format from the extension: .conllu → CoNLL-U, otherwise text.</summary>
    public static CorpusFormat GuessFormat(string path) =>
        Path.GetExtension(path).Equals(".conllu", StringComparison.OrdinalIgnoreCase) ? CorpusFormat.Conllu : CorpusFormat.Text;

    /// <summary>
    /// Reads every sentence of <paramref name="path"/>. A blank line of the text formats is an empty sentence (its &lt;eos&gt;
    /// only), as PyTorch's word_language_model reads it, unless <paramref name="skipBlankLines"/>.
    /// </summary>
    public static List<Sentence> Read(string path, CorpusFormat format, bool skipBlankLines = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var sentences = format switch
        {
            CorpusFormat.Text => ReadLines(path, skipBlankLines, (words, _) => new Sentence(words)),
            CorpusFormat.Tagged => ReadLines(path, skipBlankLines, SplitTags),
            CorpusFormat.Conllu => ReadConllu(path),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
        if (sentences.All(s => s.Words.Length == 0)) throw new InvalidDataException($"{path}: no sentences (empty file?)");
        return sentences;
    }

    private static List<Sentence> ReadLines(string path, bool skipBlankLines, Func<string[], string, Sentence> parse)
    {
        var sentences = new List<Sentence>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Contains('\0')) throw new InvalidDataException($"{path}:{lineNumber}: binary data (NUL byte) in a text corpus");
            var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length > 0 || !skipBlankLines) sentences.Add(parse(words, $"{path}:{lineNumber}"));
        }
        return sentences;
    }

    private static Sentence SplitTags(string[] items, string where)
    {
        var words = new string[items.Length];
        var tags = new string[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            int slash = items[i].LastIndexOf('/');
            if (slash <= 0 || slash == items[i].Length - 1)
                throw new InvalidDataException($"{where}: '{items[i]}' is not word/TAG");
            words[i] = items[i][..slash];
            tags[i] = items[i][(slash + 1)..];
        }
        return new Sentence(words, tags);
    }

    private static List<Sentence> ReadConllu(string path)
    {
        var sentences = new List<Sentence>();
        var rows = new List<string[]>();
        var rowLines = new List<int>();
        int lineNumber = 0;
        string? id = null;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (rows.Count > 0) sentences.Add(ConlluSentence(rows, rowLines, path, id));
                rows.Clear();
                rowLines.Clear();
                id = null;
                continue;
            }
            if (line.StartsWith('#'))
            {
                if (line.StartsWith("# sent_id", StringComparison.Ordinal) && line.IndexOf('=') is int equals and > 0) id = line[(equals + 1)..].Trim();
                continue;
            }
            var columns = line.Split('\t');
            if (columns.Length != 10)
                throw new InvalidDataException($"{path}:{lineNumber}: expected 10 tab-separated CoNLL-U columns, found {columns.Length}");
            string word = columns[0];
            if (word.Contains('-') || word.Contains('.')) continue; // multiword token or empty node
            if (!int.TryParse(word, out int index) || index != rows.Count + 1)
                throw new InvalidDataException($"{path}:{lineNumber}: word ID '{word}' out of sequence (expected {rows.Count + 1})");
            if (!int.TryParse(columns[6], out int head) || head < 0)
                throw new InvalidDataException($"{path}:{lineNumber}: HEAD '{columns[6]}' is not a word index");
            rows.Add(columns);
            rowLines.Add(lineNumber);
        }
        if (rows.Count > 0) sentences.Add(ConlluSentence(rows, rowLines, path, id));
        return sentences;
    }

    private static Sentence ConlluSentence(List<string[]> rows, List<int> lines, string path, string? id)
    {
        var heads = rows.Select(r => int.Parse(r[6])).ToArray();
        for (int i = 0; i < heads.Length; i++)
        {
            if (heads[i] > heads.Length)
                throw new InvalidDataException($"{path}:{lines[i]}: HEAD {heads[i]} beyond the sentence's {heads.Length} words");
        }
        return new Sentence(
            [.. rows.Select(r => r[1])], [.. rows.Select(r => r[3])], [.. rows.Select(r => r[4])], heads, [.. rows.Select(r => r[7])],
            id, $"{path}:{lines[0]}");
    }

    /// <summary>
    /// Finds train/valid/test files in a directory: <c>ptb.{train,valid,test}.txt</c>,
    /// <c>wiki.{train,valid,test}.tokens</c> or <c>{train,valid,test}.txt</c> (test optional).
    /// </summary>
    public static (string Train, string Valid, string? Test) FindSplits(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such directory");
        foreach (var (prefix, suffix) in new[] { ("ptb.", ".txt"), ("wiki.", ".tokens"), ("", ".txt"), ("", ".conllu") })
        {
            string Named(string split) => Path.Combine(directory, $"{prefix}{split}{suffix}");
            if (File.Exists(Named("train")) && File.Exists(Named("valid")))
                return (Named("train"), Named("valid"), File.Exists(Named("test")) ? Named("test") : null);
        }
        throw new FileNotFoundException(
            $"{directory}: no ptb.{{train,valid}}.txt, wiki.{{train,valid}}.tokens, {{train,valid}}.txt or {{train,valid}}.conllu");
    }
}
