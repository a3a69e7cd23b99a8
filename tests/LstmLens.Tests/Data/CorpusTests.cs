using LstmLens.Data;

namespace LstmLens.Tests.Data;

public class CorpusTests
{
    [Fact]
    public void Text_lines_become_sentences_and_blank_lines_empty_ones_unless_skipped()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("a.txt", " the cat  sat \n\nthe dog\n");
        Assert.Equal([["the", "cat", "sat"], [], ["the", "dog"]], Corpus.Read(file, CorpusFormat.Text).Select(s => s.Words));
        Assert.Equal([["the", "cat", "sat"], ["the", "dog"]], Corpus.Read(file, CorpusFormat.Text, skipBlankLines: true).Select(s => s.Words));
    }

    [Theory]
    [InlineData(false, 22, 8)]
    [InlineData(true, 18, 4)]
    public void Token_counts_follow_pytorch_s_word_language_model(bool skipBlankLines, int tokens, int endsOfSentence)
    {
        // WikiText's layout: a space before every line, " " lines between paragraphs, a last line without its newline.
        // word_language_model reads `for line in f: words = line.split() + ['<eos>']`: counted by hand, 5 + 1 + 5 + 1 + 1 + 1 + 5 + 3 = 22
        // tokens with 8 <eos>; without the 4 blank lines, 18 with 4.
        using var dir = new TempDirectory();
        string file = dir.Write("wiki.train.tokens", " = A heading = \n \n a first , paragraph \n\n \t \n \n an @-@ ending line\n the end");
        var vocabulary = Vocabulary.Build([["="]], null, 1);
        var stream = TokenStream.From(Corpus.Read(file, CorpusFormat.Text, skipBlankLines), vocabulary);
        Assert.Equal(tokens, stream.Count);
        Assert.Equal(endsOfSentence, stream.Ids.Count(id => id == vocabulary.EndOfSentence));
        Assert.Equal(vocabulary.EndOfSentence, stream.Ids[^1]);
    }

    [Fact]
    public void A_file_of_blank_lines_has_no_sentences()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("blank.txt", "\n \n\n");
        Assert.Contains("no sentences", Assert.Throws<InvalidDataException>(() => Corpus.Read(file, CorpusFormat.Text)).Message);
    }

    [Fact]
    public void Tagged_items_split_at_the_last_slash()
    {
        using var dir = new TempDirectory();
        var s = Corpus.Read(dir.Write("a.txt", "The/at 1/2/cd cat/nn\n"), CorpusFormat.Tagged).Single();
        Assert.Equal(["The", "1/2", "cat"], s.Words);
        Assert.Equal(["at", "cd", "nn"], s.Tags!);
    }

    [Fact]
    public void Malformed_tagged_item_names_file_and_line()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("a.txt", "ok/nn\nbroken item/nn\n");
        var e = Assert.Throws<InvalidDataException>(() => Corpus.Read(file, CorpusFormat.Tagged));
        Assert.Contains($"{file}:2", e.Message);
        Assert.Contains("'broken'", e.Message);
    }

    private const string Conllu =
        "# sent_id = 1\n" +
        "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n" +
        "1\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_\n" +
        "2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_\n" +
        "3\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_\n" +
        "3.1\tgone\tgo\tVERB\tVB\t_\t_\t_\t_\t_\n" +
        "\n" +
        "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n";

    [Fact]
    public void Conllu_skips_multiword_and_empty_nodes_and_keeps_heads_aligned()
    {
        using var dir = new TempDirectory();
        var sentences = Corpus.Read(dir.Write("a.conllu", Conllu), CorpusFormat.Conllu);
        Assert.Equal(2, sentences.Count);
        var s = sentences[0];
        Assert.Equal(["do", "n't", "go"], s.Words);
        Assert.Equal(["AUX", "PART", "VERB"], s.Tags!);
        Assert.Equal(["VBP", "RB", "VB"], s.Xpos!);
        Assert.Equal([3, 3, 0], s.Heads!);
        Assert.Equal(["aux", "advmod", "root"], s.Relations!);
        Assert.Equal(["Hi"], sentences[1].Words);
    }

    [Theory]
    [InlineData("1\tdo\tdo\tAUX\n", 1, "10 tab-separated")]
    [InlineData("1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n3\tb\tb\tX\tX\t_\t1\tdep\t_\t_\n", 2, "out of sequence")]
    [InlineData("1\ta\ta\tX\tX\t_\tzero\troot\t_\t_\n", 1, "HEAD")]
    [InlineData("1\ta\ta\tX\tX\t_\t5\troot\t_\t_\n", 1, "beyond")]
    public void Malformed_conllu_names_the_line(string text, int line, string problem)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("bad.conllu", text);
        var e = Assert.Throws<InvalidDataException>(() => Corpus.Read(file, CorpusFormat.Conllu));
        Assert.Contains($"{file}:{line}:", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Empty_and_binary_files_are_rejected()
    {
        using var dir = new TempDirectory();
        Assert.Contains("no sentences", Assert.Throws<InvalidDataException>(() => Corpus.Read(dir.Write("e.txt", "\n \n"), CorpusFormat.Text)).Message);
        Assert.Contains("NUL", Assert.Throws<InvalidDataException>(() => Corpus.Read(dir.Write("b.txt", "a\0b\n"), CorpusFormat.Text)).Message);
        Assert.Throws<FileNotFoundException>(() => Corpus.Read(Path.Combine(dir.Path, "missing.txt"), CorpusFormat.Text));
    }

    [Fact]
    public void Splits_are_found_by_the_usual_names()
    {
        using var dir = new TempDirectory();
        dir.Write("wiki.train.tokens", "a\n");
        dir.Write("wiki.valid.tokens", "a\n");
        var (train, valid, test) = Corpus.FindSplits(dir.Path);
        Assert.EndsWith("wiki.train.tokens", train);
        Assert.EndsWith("wiki.valid.tokens", valid);
        Assert.Null(test);
        using var empty = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => Corpus.FindSplits(empty.Path));
    }
}
