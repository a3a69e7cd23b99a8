using LstmLens.Analysis;
using LstmLens.Experiments;
using LstmLens.Models;
using LstmLens.Tests.Data;
using LstmLens.Training;

namespace LstmLens.Tests.Experiments;

/// <summary>The saphra-english recipe end to end on a tiny tagged corpus and the hand-made treebank, and its claim checks.</summary>
public class SaphraEnglishTests
{
    private static readonly string Treebank = Path.Combine(AppContext.BaseDirectory, "Fixtures", "conllu", "small.conllu");

    [Fact]
    public void Recipe_runs_end_to_end_and_checks_both_claims()
    {
        using var directory = new TempDirectory();
        string corpus = Path.Combine(directory.Path, "corpus");
        Directory.CreateDirectory(corpus);
        var random = new Random(11);
        foreach (var (split, count) in new[] { ("train", 80), ("valid", 20), ("test", 5) })
            File.WriteAllLines(Path.Combine(corpus, $"{split}.txt"), Enumerable.Range(0, count).Select(_ => VerwimpMemoryTests.TaggedSentence(random)));
        var setup = new SaphraEnglishSetup
        {
            HiddenSize = 8, MaxVocabulary = 100, MinCount = 2,
            Training = new TrainingOptions { Optimizer = "sgd", LearningRate = 1, ClipNorm = 0.25, Epochs = 1 },
            Batching = new LanguageModelSettings { Batch = 4, Bptt = 10, EvalBatch = 2 },
        };
        var context = new ReproductionContext(ReproductionScale.Quick, 2, Path.Combine(directory.Path, "out"), _ => { }) { Corpus = corpus, Treebank = Treebank };

        string markdown = SaphraEnglishRecipe.Run(context, setup);

        foreach (string file in new[] { "results.md", "results.csv", "by-sequential-distance.csv", "by-syntactic-distance.csv", "by-sequential-distance.svg",
            "analysis/seed1/pairs.csv", "analysis/seed2/pairs.csv", "analysis/untrained/pairs.csv" })
            Assert.True(File.Exists(Path.Combine(context.Directory, file)), file);
        Assert.Equal(1 + 34, File.ReadAllLines(Path.Combine(context.Directory, "analysis", "seed1", "pairs.csv")).Length);
        Assert.False(File.Exists(Path.Combine(context.Directory, "pairs.csv"))); // the pooled tables need no second copy of the pairs
        var pooled = File.ReadAllLines(Path.Combine(context.Directory, "by-sequential-distance.csv")).Skip(1).Select(LstmLens.Data.Csv.Split);
        Assert.Equal(2 * 34, pooled.Sum(r => int.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture))); // both trained seeds pooled
        Assert.Contains("Figure 8: interdependence falls", markdown, StringComparison.Ordinal);
        Assert.Contains("Figure 9: at fixed sequential distance", markdown, StringComparison.Ordinal);
        Assert.Contains("WikiText-2, which is not available here", markdown, StringComparison.Ordinal);
        Assert.Contains("CC BY-SA 4.0", markdown, StringComparison.Ordinal);
        Assert.Contains("| untrained (seed 1) |", markdown, StringComparison.Ordinal);
        var (model, _, _) = ModelFiles.Load<double>(Path.Combine(context.Directory, "runs", "lstm-seed1"));
        Assert.Equal(8, model.Config.HiddenSize);
    }

    [Fact]
    public void Without_a_treebank_the_recipe_says_what_it_needs()
    {
        var context = new ReproductionContext(ReproductionScale.Quick, 1, Path.GetTempPath(), _ => { });
        Assert.Contains("--treebank", Assert.Throws<OptionException>(() => SaphraEnglishRecipe.Run(context)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_falls_when_its_least_squares_slope_is_negative()
    {
        // Sequential distance 2, open-closed: means 0.5, 0.3, 0.4 at syntactic distances 1, 2, 3 (slope −0.05): falling.
        // Sequential distance 3, open-open: 0.1 then 0.2 (rising). Closed-closed at distance 3: one point only, not a line.
        var pairs = new List<WordPairMeasure>();
        void Add(int sequential, int syntactic, string left, string right, double value, int count)
        {
            for (int i = 0; i < count; i++)
                pairs.Add(new WordPairMeasure("s", 0, sequential, "a", "b", "X", "Y", left, right, syntactic, TreeRelation.Other,
                    new InterdependenceResult(value, 1, 1, 1, 0, 0)));
        }
        Add(2, 1, "open", "closed", 0.5, 3);
        Add(2, 2, "open", "closed", 0.3, 3);
        Add(2, 3, "open", "closed", 0.4, 3);
        Add(3, 1, "open", "open", 0.1, 3);
        Add(3, 2, "open", "open", 0.2, 3);
        Add(3, 1, "closed", "closed", 0.9, 3);
        Add(3, 4, "closed", "closed", 0.1, 2); // below the minimum count of 3: not shown
        Assert.Equal((1, 2), SaphraEnglishRecipe.FallingLines(pairs, minCount: 3));
    }
}
