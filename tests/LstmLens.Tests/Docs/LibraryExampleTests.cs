using System.Reflection;
using System.Text.RegularExpressions;
using LstmLens.Tests.Cli;
using LstmLens.Tests.Data;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LstmLens.Tests.Docs;

/// <summary>The C# block of docs/library.md compiled as a program (with the SDK's implicit usings) and run on the PyTorch-made fixture model.</summary>
public sealed partial class LibraryExampleTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_documented_program_compiles_runs_and_prints_the_analysis()
    {
        string doc = File.ReadAllText(Path.Combine(Reporting.ReportBrowserTests.RepositoryRoot(), "docs", "library.md"));
        var blocks = CSharpBlock().Matches(doc);
        Assert.Single(blocks);
        const string implicitUsings = "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Threading.Tasks;";
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("LibraryExample",
            [CSharpSyntaxTree.ParseText(blocks[0].Groups[1].Value), CSharpSyntaxTree.ParseText(implicitUsings)],
            references, new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        Assert.True(emitted.Success, string.Join('\n', emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        var entry = Assembly.Load(image.ToArray()).EntryPoint!;

        var rng = new LstmLens.Numerics.Rng(5);
        string[] words = ["the", "cat", "dog", "sat", "on", "mat", "a", "ran"];
        string text = _dir.Write("text.txt", string.Concat(Enumerable.Range(0, 80).Select(_ =>
            string.Join(' ', Enumerable.Range(0, 3 + rng.NextInt(5)).Select(_ => words[rng.NextInt(words.Length)])) + "\n")));
        string model = Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch_lm");
        var (_, output, error) = CliRunner.Capture(() =>
        {
            entry.Invoke(null, [new[] { model, text }]);
            return 0;
        });
        Assert.Equal("", error);
        Assert.Contains("normalised by the embedding covariance", output);
        Assert.Matches(@"all +τ= 0  σ1 [0-9.]+", output);
        Assert.Matches(@"word:the +τ=10  σ1 ", output);
        Assert.Matches(@"probe token on c \(state\): [0-9.]+ % of \d+ held-out positions", output);
        Assert.Matches(@"after '\w+': \|v_β\| [0-9.]+, \|v_γ\| [0-9.]+, '\w+' alone points to '[^']+', error [0-9.]+E-0?1[0-9]", output);

        // The interdependence the program prints is the library's for that line.
        var (model64, vocabulary, _) = LstmLens.Models.ModelFiles.Load<double>(model);
        var cd = new LstmLens.Analysis.ContextualDecomposition(model64);
        var first = File.ReadLines(text).First().Split(' ');
        double expected = LstmLens.Analysis.Interdependence.Measure(cd, cd.Run([.. first.Select(w => vocabulary![w])]), [0], [2], 2).Value;
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"interdependence of '{first[0]}' and '{first[2]}': {expected:F4}"), output);
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
