using LstmLens.Fuzz;

namespace LstmLens.Tests.Data;

/// <summary>
/// The fuzzer's corpus replayed (bench/fuzz.sh fuzzes from it): its seeds and every input that once crashed a reader
/// are accepted or rejected with one line naming the file, never another exception. A file's name says which: rejected-* are
/// rejected, seed-* and accepted-* accepted.
/// </summary>
public class FuzzCorpusTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "fuzz");

    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in ReaderTarget.All)
        {
            foreach (string file in Directory.GetFiles(Path.Combine(Root, target.Name)).Order(StringComparer.Ordinal))
                data.Add(target.Name, Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Each_input_is_accepted_or_rejected_with_the_file_named(string reader, string input)
    {
        using var directory = new TempDirectory();
        bool accepted = ReaderTarget.Named(reader).Run(File.ReadAllBytes(Path.Combine(Root, reader, input)), directory.Path);
        Assert.Equal(!input.StartsWith("rejected-", StringComparison.Ordinal), accepted); // seed-* and accepted-* are valid files
    }

    [Fact]
    public void Every_reader_has_a_corpus()
    {
        Assert.All(ReaderTarget.All, t => Assert.NotEmpty(Directory.GetFiles(Path.Combine(Root, t.Name), "seed-*")));
        Assert.Equal(ReaderTarget.All.Select(t => t.Name).Order(), Directory.GetDirectories(Root).Select(Path.GetFileName).Order());
    }
}
