// The three splits of a language-modelling corpus read from files, with the vocabulary built from
// the training split and every split mapped to token ids. What `train`, `eval` and the analyses load.
namespace LstmLens.Data;

/// <summary>Where a corpus comes from and how its vocabulary is built (recorded in a run's config.json).</summary>
public sealed record CorpusSource
{
    /// <summary>Training text.</summary>
    public required string Train { get; init; }

    /// <summary>Validation text.</summary>
    public required string Valid { get; init; }

    /// <summary>Test text (optional).</summary>
    public string? Test { get; init; }

    /// <summary>File format (tags are read but only the words train the model).</summary>
    public CorpusFormat Format { get; init; } = CorpusFormat.Text;

    /// <summary>Vocabulary cap including &lt;unk&gt; and &lt;eos&gt; (null: no cap).</summary>
    public int? MaxVocabulary { get; init; }

    /// <summary>Minimum training count of a word to get its own id.</summary>
    public int MinCount { get; init; } = 1;

    /// <summary>Blank lines of text formats are skipped instead of read as an empty sentence (an &lt;eos&gt; alone).</summary>
    public bool SkipBlankLines { get; init; }
}

/// <summary>Token streams of the splits and their vocabulary.</summary>
public sealed record LanguageModelCorpus(Vocabulary Vocabulary, TokenStream Train, TokenStream Valid, TokenStream? Test)
{
    /// <summary>Reads the splits; the vocabulary is built from training data unless one is given (resuming, evaluating).</summary>
    public static LanguageModelCorpus Load(CorpusSource source, Vocabulary? vocabulary = null)
    {
        var train = Corpus.Read(source.Train, source.Format, source.SkipBlankLines);
        vocabulary ??= Vocabulary.Build(train.Select(s => (IReadOnlyList<string>)s.Words), source.MaxVocabulary, source.MinCount);
        TokenStream Stream(string path) => TokenStream.From(Corpus.Read(path, source.Format, source.SkipBlankLines), vocabulary);
        return new LanguageModelCorpus(vocabulary, TokenStream.From(train, vocabulary), Stream(source.Valid),
            source.Test is null ? null : Stream(source.Test));
    }
}
