// What the synthetic language-model corpora (Verwimp cycles, Saphra–Lopez conduit rules) share: a fixed
// vocabulary of their symbols behind <unk> and <eos>, and writing their lines as a text corpus that the
// Data readers take back (one line per sentence, <eos> left to the reader); and their token ids as a
// language model reads them (an <eos> after every line), cut to a length for endless streams.
using System.Text;
using LstmLens.Data;

namespace LstmLens.Tasks;

/// <summary>Vocabulary and text output of synthetic corpora.</summary>
public static class SyntheticCorpus
{
    /// <summary>&lt;unk&gt;, &lt;eos&gt;, then <paramref name="symbols"/> in order.</summary>
    public static Vocabulary VocabularyOf(IEnumerable<string> symbols) =>
        new([Vocabulary.UnknownToken, Vocabulary.EndOfSentenceToken, .. symbols]);

    /// <summary>
    /// Token ids of <paramref name="lines"/> with an &lt;eos&gt; after each line (as <see cref="TokenStream"/> maps them),
    /// cut after <paramref name="limit"/> ids; the limit makes an endless stream finite.
    /// </summary>
    public static int[] Ids(IEnumerable<Sentence> lines, Vocabulary vocabulary, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var ids = new List<int>();
        foreach (var line in lines)
        {
            foreach (string word in line.Words)
            {
                if (ids.Count == limit) return [.. ids];
                ids.Add(vocabulary[word]);
            }
            if (ids.Count == limit) return [.. ids];
            ids.Add(vocabulary.EndOfSentence);
        }
        return [.. ids];
    }

    /// <summary>Writes <paramref name="lines"/> to <paramref name="path"/> as whitespace-tokenised text, atomically.</summary>
    public static void WriteText(string path, IEnumerable<Sentence> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            foreach (var line in lines) writer.Write(string.Join(' ', line.Words) + "\n");
        });
    }
}
