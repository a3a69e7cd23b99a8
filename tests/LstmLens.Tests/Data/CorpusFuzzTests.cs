using LstmLens.Data;
using LstmLens.Numerics;

namespace LstmLens.Tests.Data;

/// <summary>Random and mutated inputs never crash a reader: they parse or fail with a message naming the file.</summary>
public class CorpusFuzzTests
{
    private static readonly Dictionary<CorpusFormat, string> Seeds = new()
    {
        [CorpusFormat.Text] = "the cat sat\non the mat\n",
        [CorpusFormat.Tagged] = "The/at cat/nn sat/vbd ./.\nHi/uh there/rb\n",
        [CorpusFormat.Conllu] = "1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n2\tcat\tcat\tNOUN\tNN\t_\t0\troot\t_\t_\n\n# c\n1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_\n",
    };

    [Theory]
    [InlineData(CorpusFormat.Text)]
    [InlineData(CorpusFormat.Tagged)]
    [InlineData(CorpusFormat.Conllu)]
    public void Mutated_files_parse_or_fail_with_the_file_named(CorpusFormat format)
    {
        using var dir = new TempDirectory();
        var rng = new Rng((ulong)format + 1);
        byte[] seed = System.Text.Encoding.UTF8.GetBytes(Seeds[format]);
        int parsed = 0, rejected = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bytes = [.. seed];
            for (int k = rng.NextInt(3); k >= 0; k--)
            {
                int at = rng.NextInt(bytes.Length);
                bytes[at] = rng.NextInt(3) switch { 0 => (byte)'\t', 1 => (byte)'\n', _ => (byte)rng.NextInt(256) };
            }
            if (rng.NextInt(4) == 0) bytes = bytes[..rng.NextInt(bytes.Length)];
            string file = Path.Combine(dir.Path, $"f{trial}.txt");
            File.WriteAllBytes(file, bytes);
            try
            {
                var sentences = Corpus.Read(file, format);
                Assert.All(sentences, s => Assert.All(new[] { s.Tags, s.Xpos, s.Relations }, a => Assert.True(a is null || a.Length == s.Words.Length)));
                parsed++;
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(file, e.Message);
                rejected++;
            }
        }
        Assert.True(parsed > 0 && (format == CorpusFormat.Text || rejected > 0), $"{parsed} parsed, {rejected} rejected");
    }
}
