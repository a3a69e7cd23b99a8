using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Experiments;
using LstmLens.Models;
using LstmLens.Tests.Data;
using LstmLens.Training;

namespace LstmLens.Tests.Experiments;

public class VerwimpMemoryTests
{
    [Theory]
    [InlineData("nn", "NN")]
    [InlineData("NN", "NN")]
    [InlineData("nn-tl", "NN")]
    [InlineData("nn-hl", "NN")]
    [InlineData("nn-tl-hl", "NN")]
    [InlineData("fw-nn", "NN")]
    [InlineData("fw-nn-tl", "NN")]
    [InlineData("nns", "NNS")]
    [InlineData("np", "NNP")]
    [InlineData("np-tl", "NNP")]
    [InlineData("nps", "NNPS")]
    [InlineData("nr", "NN")]
    [InlineData("jj", "JJ")]
    [InlineData("jjr", "JJR")]
    [InlineData("jjt", "JJS")]
    [InlineData("jjs", "JJ")]
    [InlineData("rbt", "RBS")]
    [InlineData("rbr", "RBR")]
    [InlineData("ql", "RB")]
    [InlineData("pps", "PRP")]
    [InlineData("ppo", "PRP")]
    [InlineData("ppss", "PRP")]
    [InlineData("ppl", "PRP")]
    [InlineData("pp$", "PRP$")]
    [InlineData("pp$$", "PRP")]
    [InlineData("wps", "WP")]
    [InlineData("wpo", "WP")]
    [InlineData("wp$", "WP$")]
    [InlineData("vb", "VBP")]
    [InlineData("vbz", "VBZ")]
    [InlineData("be", "VB")]
    [InlineData("bez", "VBZ")]
    [InlineData("hvz", "VBZ")]
    [InlineData("doz", "VBZ")]
    [InlineData("bed", "VBD")]
    [InlineData("bedz", "VBD")]
    [InlineData("hvd", "VBD")]
    [InlineData("dod", "VBD")]
    [InlineData("ber", "VBP")]
    [InlineData("ben", "VBN")]
    [InlineData("beg", "VBG")]
    [InlineData("md", "MD")]
    [InlineData("md*", "MD")]
    [InlineData("bez*", "VBZ")]
    [InlineData("pps+bez", "PRP")]
    [InlineData("ppss+md", "PRP")]
    [InlineData("vb+ppo", "VBP")]
    [InlineData("fw-in+at-tl", "IN")]
    [InlineData("at", "DT")]
    [InlineData("dts", "DT")]
    [InlineData("abn", "PDT")]
    [InlineData("wdt", "WDT")]
    [InlineData("cs", "IN")]
    [InlineData("cc-tl", "CC")]
    [InlineData("to", "TO")]
    [InlineData("*", "RB")]
    [InlineData(".", ".")]
    [InlineData(".-hl", ".")]
    [InlineData("--", ":")]
    [InlineData("---hl", ":")]
    [InlineData("(", "-LRB-")]
    [InlineData(")-hl", "-RRB-")]
    [InlineData("'", "''")]
    [InlineData("nil", BrownTags.Untagged)]
    public void Brown_tags_map_to_their_ptb_tag(string brown, string ptb) => Assert.Equal(ptb, BrownTags.ToPtb(brown));

    [Theory]
    [InlineData("nn$", true)]
    [InlineData("nns$", true)]
    [InlineData("np$", true)]
    [InlineData("np$-tl", true)]
    [InlineData("nps$", true)]
    [InlineData("nn", false)]
    [InlineData("pp$", false)]
    [InlineData("wp$", false)]
    [InlineData("pp$$", false)]
    public void Genitive_nouns_keep_the_distinction_the_plain_tag_loses(string brown, bool genitive)
    {
        Assert.Equal(genitive, BrownTags.IsGenitive(brown));
        if (genitive) Assert.StartsWith("NN", BrownTags.ToPtb(brown), StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_maps_base_tags_onto_ptb_tags_only_and_unknown_tags_fail()
    {
        string[] ptb =
        [
            "CC", "CD", "DT", "EX", "FW", "IN", "JJ", "JJR", "JJS", "LS", "MD", "NN", "NNS", "NNP", "NNPS", "PDT", "POS", "PRP", "PRP$", "RB", "RBR", "RBS", "RP",
            "SYM", "TO", "UH", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "WDT", "WP", "WP$", "WRB", ".", ",", ":", "``", "''", "-LRB-", "-RRB-", "#", "$", BrownTags.Untagged,
        ];
        Assert.All(BrownTags.Table, entry =>
        {
            Assert.Equal(entry.Key, BrownTags.Base(entry.Key));
            Assert.Contains(entry.Value, ptb);
        });
        var error = Assert.Throws<InvalidDataException>(() => BrownTags.ToPtb("zz-tl"));
        Assert.Contains("'zz-tl'", error.Message, StringComparison.Ordinal);
        Assert.Equal(["NNP", "VBZ", "NN"], BrownTags.ToPtb(new Sentence(["John", "runs", "home"], ["np", "vbz", "nr"])).Tags!);
    }

    [Fact]
    public void Unnormalised_groups_from_the_same_pass_equal_a_run_without_normalisation()
    {
        var (model, vocabulary, _) = ModelFiles.Load<double>(Path.Combine(AppContext.BaseDirectory, "Fixtures", "state_gradients", "lstm"));
        string[] words = ["the", "cat", "dog", "sat", "on", "mat"];
        var sentences = Enumerable.Range(0, 12).Select(i => new Sentence([.. Enumerable.Range(0, 3 + i % 4).Select(j => words[(i * 5 + j * 3) % words.Length])])).ToList();
        var stream = TokenStream.From(sentences, vocabulary!);
        var options = new MemoryOptions { Gradient = new StateGradientOptions { Layer = 1, MaxDelay = 5 }, Groups = ["all", "word:cat"] };

        var both = MemoryAnalysis.Run(model, vocabulary!, stream, null, options with { AlsoUnnormalized = true });
        var normalised = MemoryAnalysis.Run(model, vocabulary!, stream, null, options);
        var raw = MemoryAnalysis.Run(model, vocabulary!, stream, null, options with { Normalize = false });

        Assert.NotNull(both.Normalization);
        Assert.Equal(2 * 6, both.UnnormalizedGroups.Count);
        Assert.Empty(normalised.UnnormalizedGroups);
        Assert.Equal(raw.Groups.Select(g => (g.Group, g.Delay, g.Count, g.Spectrum.Sigma1, g.Spectrum.Sum)), both.UnnormalizedGroups.Select(g => (g.Group, g.Delay, g.Count, g.Spectrum.Sigma1, g.Spectrum.Sum)));
        Assert.Equal(normalised.Groups.Select(g => (g.Group, g.Delay, g.Spectrum.Sigma1)), both.Groups.Select(g => (g.Group, g.Delay, g.Spectrum.Sigma1)));
        Assert.NotEqual(raw.Groups[0].Spectrum.Sigma1, normalised.Groups[0].Spectrum.Sigma1);
    }

    [Fact]
    public void Recipe_runs_end_to_end_on_a_tiny_tagged_corpus()
    {
        using var directory = new TempDirectory();
        string corpus = Path.Combine(directory.Path, "corpus");
        Directory.CreateDirectory(corpus);
        var random = new Random(7);
        foreach (var (split, count) in new[] { ("train", 60), ("valid", 30), ("test", 10) })
            File.WriteAllLines(Path.Combine(corpus, $"{split}.txt"), Enumerable.Range(0, count).Select(_ => TaggedSentence(random)));
        var setup = new VerwimpMemorySetup
        {
            AnalysisTokens = 200, MaxDelay = 4, MinCount = 3, MaxVocabulary = 200, EmbeddingSize = 4, BaselineHidden = 6, SmallHidden = 4, LargeHidden = 8,
            Training = new TrainingOptions { LearningRate = 1, ClipNorm = 5, Epochs = 1 },
            Batching = new LanguageModelSettings { Batch = 4, Bptt = 10, EvalBatch = 2 },
        };
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.Combine(directory.Path, "out"), _ => { }) { Corpus = corpus };

        string markdown = VerwimpMemoryRecipe.Run(context, setup);

        foreach (string file in new[] { "results.md", "results.csv", "differences.csv", "words.csv", "fig4a_sigma1.svg", "fig4a_selectiveness.svg", "fig5a_sigma1.svg",
            "fig5b_sigma1.svg", "fig6_sigma1.svg", "fig8a_sigma1.svg", "fig9a_decay.svg", "fig10_differences.svg", "fig11_differences_cosine.svg" })
            Assert.True(File.Exists(Path.Combine(context.Directory, file)), file);
        foreach (string run in new[] { "lstm6", "gru6", "rnn6", "lstm4", "lstm8", "lstm6-untrained" })
        {
            var (model, vocabulary, _) = ModelFiles.Load<float>(Path.Combine(context.Directory, "runs", $"{run}-seed1"));
            Assert.Equal(vocabulary!.Count, model.Config.InputSize);
        }
        foreach (string row in new[] { "| σ1 of h is below σ1 of c (at every delay) |", "| normalised σ1 is lower than σ1 without normalisation (at every delay) |", "| RNN σ1 < 1e-10 beyond delay 20 | delays only to 4 | n/a |",
            "| sg - pl: NN+NNP vs NNS+NNPS |", "| genitive - non-genitive: genitive nouns (Brown $) vs the same nouns without 's |" })
            Assert.Contains(row, markdown, StringComparison.Ordinal);

        string[] lines = File.ReadAllLines(Path.Combine(context.Directory, "results.csv"));
        Assert.Equal("analysis,cell,hidden,state,trained,normalized,seed,valid_perplexity,test_perplexity,group,delay,count,sigma1,sigma1_ratio,top5_ratio,sigma_sum", lines[0]);
        var rows = lines[1..].Select(SplitCsv).ToArray();
        Assert.Equal(["baseline-c", "baseline-h", "baseline-random-c", "gru6-h", "lstm4-c", "lstm8-c", "rnn6-h"], rows.Select(r => r[0]).Distinct().Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.All(r[12..16], v => Assert.True(double.IsFinite(double.Parse(v, CultureInfo.InvariantCulture)), v)));
        Assert.All(rows.Where(r => r[10] == "0"), r => Assert.True(double.Parse(r[12], CultureInfo.InvariantCulture) > 0, $"{r[0]} {r[9]}"));
        // Normalised and raw σ1 come from the same Ḡ of the baseline: same groups and counts, different values.
        var normalised = rows.Where(r => r[0] == "baseline-c" && r[5] == "true").ToArray();
        var raw = rows.Where(r => r[0] == "baseline-c" && r[5] == "false").ToArray();
        Assert.Equal(normalised.Select(r => (r[9], r[10], r[11])), raw.Select(r => (r[9], r[10], r[11])));
        Assert.NotEqual(normalised.Select(r => r[12]), raw.Select(r => r[12]));

        // The POS groups at delay 0 hold exactly the analysed positions whose mapped tag is in the class.
        var tags = File.ReadLines(Path.Combine(corpus, "valid.txt"))
            .SelectMany(l => l.Split(' ').Select(item => BrownTags.ToPtb(item[(item.LastIndexOf('/') + 1)..])).Append("<eos>")).Take(200).ToArray();
        long Count(string group) => long.Parse(normalised.Single(r => r[9] == group && r[10] == "0")[11], CultureInfo.InvariantCulture);
        Assert.Equal(200, Count("all"));
        foreach (var (_, spec) in VerwimpMemoryRecipe.PosGroups)
            Assert.Equal(tags.Count(t => spec[4..].Split(',').Contains(t)), Count(spec));
        Assert.True(VerwimpMemoryRecipe.PosGroups.Sum(p => Count(p.Spec)) <= Count("all"));
        Assert.Contains(tags, t => t.StartsWith("NN", StringComparison.Ordinal));

        // Difference vectors: six rows over delays 0–4, m in [0, 1]; the genitive classes are pairs of the same noun with and without 's.
        string[] differences = File.ReadAllLines(Path.Combine(context.Directory, "differences.csv"));
        Assert.Equal(6 * 5, differences.Length - 1);
        Assert.All(differences[1..], d => Assert.InRange(double.Parse(d.Split(',')[^5], CultureInfo.InvariantCulture), 0, 1 + 1e-9));
        var genitive = File.ReadAllLines(Path.Combine(context.Directory, "classes", "genitive.txt"));
        Assert.Equal(genitive.Select(g => g[..^2]).Order(StringComparer.Ordinal), File.ReadAllLines(Path.Combine(context.Directory, "classes", "non-genitive.txt")));
    }

    [Fact]
    public void Recipe_needs_a_corpus_with_three_splits()
    {
        using var directory = new TempDirectory();
        var setup = VerwimpMemorySetup.For(ReproductionScale.Quick);
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.Combine(directory.Path, "out"), _ => { });
        Assert.Contains("--corpus", Assert.Throws<OptionException>(() => VerwimpMemoryRecipe.Run(context, setup)).Message, StringComparison.Ordinal);
        directory.Write("train.txt", "the/at cat/nn ./.\n");
        var missing = Assert.Throws<FileNotFoundException>(() => VerwimpMemoryRecipe.Run(context with { Corpus = directory.Path }, setup));
        Assert.Contains("valid.txt", missing.Message, StringComparison.Ordinal);
    }

    // Fields of a CSV line; group specs such as pos:NN,NNS are quoted.
    private static string[] SplitCsv(string line) =>
        [.. System.Text.RegularExpressions.Regex.Matches(line, "(?:^|,)(\"(?:[^\"]|\"\")*\"|[^,]*)").Select(m => m.Groups[1].Value.Trim('"').Replace("\"\"", "\"", StringComparison.Ordinal))];

    // A sentence in Brown's word/tag form from a few templates that use every class of the recipe's groups and differences.
    internal static string TaggedSentence(Random random)
    {
        string Pick(params string[] items) => items[random.Next(items.Length)];
        string noun() => Pick("cat/nn", "dog/nn", "house/nn", "tree/nn", "car/nn");
        string nouns() => Pick("cats/nns", "dogs/nns", "houses/nns", "trees/nns");
        string proper() => Pick("John/np", "Mary/np", "Boston/np", "Texas/np-tl");
        string propers() => Pick("Smiths/nps", "Yankees/nps", "Joneses/nps");
        string genitive() => Pick("John's/np$", "Mary's/np$", "cat's/nn$", "dog's/nn$");
        string adjective() => Pick("big/jj", "old/jj", "bigger/jjr", "biggest/jjt");
        string adverb() => Pick("quickly/rb", "often/rb", "faster/rbr");
        return Pick(
            $"the/at {adjective()} {noun()} runs/vbz in/in the/at {noun()} ./.",
            $"he/pps saw/vbd {proper()} and/cc {nouns()} {adverb()} ./.",
            $"{genitive()} {noun()} is/bez running/vbg with/in {propers()} ./.",
            $"{nouns()} eat/vb the/at {noun()} but/cc they/ppss have/hv eaten/vbn {proper()} ./.",
            $"his/pp$ {noun()} walks/vbz and/cc {proper()} walked/vbd ,/, who/wps knows/vbz ?/.",
            $"{proper()} {adverb()} likes/vbz {propers()} ,/, {genitive()} {nouns()} were/bed taken/vbn ./.");
    }
}
