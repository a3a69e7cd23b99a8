using LstmLens.Data;

namespace LstmLens.Tests.Data;

public class VocabularyAndBatchTests
{
    private static readonly Sentence[] Text =
    [
        new(["a", "b", "a", "c"]),
        new(["b", "a", "<unk>", "d"]),
    ];

    [Fact]
    public void Vocabulary_orders_by_count_and_respects_cap_and_min_count()
    {
        var v = Vocabulary.Build(Text.Select(s => (IReadOnlyList<string>)s.Words));
        Assert.Equal(["<unk>", "<eos>", "a", "b", "c", "d"], v.Tokens);
        Assert.Equal(["<unk>", "<eos>", "a"], Vocabulary.Build(Text.Select(s => (IReadOnlyList<string>)s.Words), maxSize: 3).Tokens);
        Assert.Equal(["<unk>", "<eos>", "a", "b"], Vocabulary.Build(Text.Select(s => (IReadOnlyList<string>)s.Words), minCount: 2).Tokens);
        Assert.Equal(v.Unknown, v["zebra"]);
    }

    [Fact]
    public void Vocabulary_round_trips_through_a_file_and_rejects_bad_files()
    {
        using var dir = new TempDirectory();
        var v = Vocabulary.Build(Text.Select(s => (IReadOnlyList<string>)s.Words));
        string path = Path.Combine(dir.Path, "vocab.txt");
        v.Save(path);
        Assert.Equal(v.Tokens, Vocabulary.Load(path).Tokens);
        var e = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(dir.Write("dup.txt", "<unk>\n<eos>\na\na\n")));
        Assert.Contains("dup.txt", e.Message);
        Assert.Contains("entry 4", e.Message);
        Assert.Throws<InvalidDataException>(() => Vocabulary.Load(dir.Write("nounk.txt", "<eos>\na\n")));
    }

    [Fact]
    public void Stream_appends_eos_and_keeps_alignment()
    {
        var tagged = new[] { new Sentence(["x", "y"], ["N", "V"]) };
        var v = new Vocabulary(["<unk>", "<eos>", "x"]);
        var s = TokenStream.From(tagged, v);
        Assert.Equal([2, 0, 1], s.Ids);
        Assert.Equal([0, 1, -1], s.WordIndex);
        Assert.Equal("V", s.TagAt(1));
        Assert.Null(s.TagAt(2));
        Assert.Equal(1, s.UnknownCount);
    }

    [Fact]
    public void Bptt_windows_cover_each_column_with_targets_one_ahead()
    {
        int[] ids = [.. Enumerable.Range(0, 23)]; // 2 columns of 11, one token dropped
        var batches = new BpttBatches(ids, batch: 2, window: 4);
        Assert.Equal(11, batches.ColumnLength);
        Assert.Equal(3, batches.Count);           // windows of 4, 4, 2 steps over 10 predictions
        Assert.Equal(20, batches.TargetCount);
        int[] x = new int[8], y = new int[8];
        Assert.Equal(2, batches.Fill(2, x, y));
        Assert.Equal([8, 19, 9, 20], x[..4]);
        Assert.Equal([9, 20, 10, 21], y[..4]);
        var seen = new List<int>();
        for (int k = 0; k < batches.Count; k++)
        {
            int steps = batches.Fill(k, x, y);
            for (int t = 0; t < steps; t++) seen.Add(y[t * 2]);
        }
        Assert.Equal(Enumerable.Range(1, 10), seen);
        Assert.Throws<InvalidDataException>(() => new BpttBatches([1, 2, 3], batch: 2, window: 4));
    }
}
