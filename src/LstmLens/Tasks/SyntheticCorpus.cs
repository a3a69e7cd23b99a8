// What the synthetic language-model corpora (Verwimp cycles, Saphra–Lopez conduit rules) share: a fixed
// vocabulary of their symbols behind <unk> and <eos>, and writing their lines as a text corpus that the
// Data readers take back (one line per sentence, <eos> left to the reader). The corpora themselves are
// streams of Sentence records, so they go straight into TokenStream without a file too.
using System.Text;
using LstmLens.Data;

namespace LstmLens.Tasks;

/// <summary>Vocabulary and text output of synthetic corpora.</summary>
public static class SyntheticCorpus
{
    /// <summary>&lt;unk&gt;, &lt;eos&gt;, then <paramref name="symbols"/> in order.</summary>
    public static Vocabulary VocabularyOf(IEnumerable<string> symbols) =>
        new([Vocabulary.UnknownToken, Vocabulary.EndOfSentenceToken, .. symbols]);

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
