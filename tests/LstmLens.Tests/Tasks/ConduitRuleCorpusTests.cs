using LstmLens.Data;
using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class ConduitRuleCorpusTests
{
    private const int K = 4;

    private static ConduitRuleOptions Small(bool familiar) =>
        new(ConduitLength: K, FamiliarConduits: familiar, Length: 60_000, Rules: 200, Phrases: 20, OutsideOccurrences: 100, LineLength: 50);

    private static string Key(IEnumerable<string> words) => string.Join(' ', words);

    // Every rule of the corpus (its conduit), checking that α is followed by k conduit symbols and ω in the
    // same line, and that α and ω occur nowhere else.
    private static List<string> Rules(List<Sentence> lines)
    {
        var conduits = new List<string>();
        foreach (var line in lines)
        {
            string[] w = line.Words;
            for (int i = 0; i < w.Length; i++)
            {
                if (w[i] == ConduitRuleCorpus.Close) Assert.True(i >= K + 1 && w[i - K - 1] == ConduitRuleCorpus.Open);
                if (w[i] != ConduitRuleCorpus.Open) continue;
                Assert.True(i + K + 1 < w.Length, "a rule crosses a line end");
                Assert.Equal(ConduitRuleCorpus.Close, w[i + K + 1]);
                Assert.All(w[(i + 1)..(i + K + 1)], s => Assert.StartsWith("s", s, StringComparison.Ordinal));
                conduits.Add(Key(w[(i + 1)..(i + K + 1)]));
            }
        }
        return conduits;
    }

    // Occurrences of each k-gram of Σ symbols outside rules, within lines.
    private static Dictionary<string, int> OutsideGrams(List<Sentence> lines)
    {
        var counts = new Dictionary<string, int>();
        foreach (var line in lines)
        {
            string[] w = line.Words;
            var inRule = new bool[w.Length];
            for (int i = 0; i < w.Length; i++)
                if (w[i] == ConduitRuleCorpus.Open) inRule.AsSpan(i, K + 2).Fill(true);
            for (int i = 0; i + K <= w.Length; i++)
            {
                if (inRule.AsSpan(i, K).Contains(true)) continue;
                string key = Key(w[i..(i + K)]);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }
        return counts;
    }

    [Fact]
    public void Familiar_conduits_occur_in_rules_and_often_outside_them()
    {
        var options = Small(familiar: true);
        var corpus = new ConduitRuleCorpus(options, new Rng(1));
        var lines = corpus.Training(new Rng(2)).ToList();
        Assert.Equal(options.Length, lines.Sum(l => l.Words.Length));
        var rules = Rules(lines);
        Assert.Equal(options.Rules, rules.Count);
        var phrases = corpus.TrainingConduits.Select(Key).ToList();
        Assert.Equal(options.Phrases, phrases.Distinct().Count());
        var outside = OutsideGrams(lines);
        foreach (string phrase in phrases)
        {
            Assert.Equal(options.Rules / options.Phrases, rules.Count(r => r == phrase));
            Assert.Equal(options.OutsideOccurrences, outside.GetValueOrDefault(phrase));
        }
        Assert.All(rules, r => Assert.Contains(r, phrases));
        Assert.All(lines.SkipLast(1), l => Assert.InRange(l.Words.Length, options.LineLength, options.LineLength + K + 1));
    }

    [Fact]
    public void Background_is_uniform_over_the_alphabet()
    {
        var options = Small(familiar: true);
        var corpus = new ConduitRuleCorpus(options, new Rng(1));
        var lines = corpus.Training(new Rng(3)).ToList();
        var phrases = corpus.TrainingConduits.Select(Key).ToHashSet();
        var counts = new Dictionary<string, int>();
        foreach (var line in lines)
        {
            string[] w = line.Words;
            for (int i = 0; i < w.Length;)
            {
                if (w[i] == ConduitRuleCorpus.Open) i += K + 2;
                else if (i + K <= w.Length && phrases.Contains(Key(w[i..(i + K)]))) i += K;
                else counts[w[i]] = counts.GetValueOrDefault(w[i++]) + 1;
            }
        }
        int background = options.Length - options.Rules * (K + 2) - options.Phrases * options.OutsideOccurrences * K;
        Assert.Equal(background, counts.Values.Sum());
        double expected = background / (double)options.AlphabetSize;
        double chiSquare = Enumerable.Range(0, options.AlphabetSize).Sum(s => Math.Pow(counts.GetValueOrDefault($"s{s}") - expected, 2) / expected);
        Assert.InRange(chiSquare, 999 - 6 * 44.7, 999 + 6 * 44.7); // χ² with 999 degrees of freedom: mean 999, sd 44.7
    }

    [Fact]
    public void Unfamiliar_conduits_are_fresh_used_once_and_only_in_rules()
    {
        var options = Small(familiar: false);
        var corpus = new ConduitRuleCorpus(options, new Rng(4));
        var lines = corpus.Training(new Rng(5)).ToList();
        Assert.Equal(options.Length, lines.Sum(l => l.Words.Length));
        var rules = Rules(lines);
        Assert.Equal(options.Rules, rules.Distinct().Count());
        Assert.Equal(corpus.TrainingConduits.Select(Key).Order(), rules.Order());
        var outside = OutsideGrams(lines);
        Assert.All(rules, r => Assert.Equal(0, outside.GetValueOrDefault(r)));
    }

    [Theory, InlineData(true), InlineData(false)]
    public void In_domain_tests_reuse_training_conduits_out_domain_tests_never_do(bool familiar)
    {
        var corpus = new ConduitRuleCorpus(Small(familiar), new Rng(6));
        var inDomain = corpus.InDomainTest(new Rng(7), rules: 300, length: 10_000).ToList();
        var outDomain = corpus.OutDomainTest(new Rng(8), rules: 300, length: 10_000).ToList();
        foreach (var (lines, training) in new[] { (inDomain, true), (outDomain, false) })
        {
            Assert.Equal(10_000, lines.Sum(l => l.Words.Length));
            var rules = Rules(lines);
            Assert.Equal(300, rules.Count);
            Assert.All(rules, r => Assert.Equal(training, corpus.IsTrainingConduit(r.Split(' '))));
        }
        Assert.Equal(300, Rules(outDomain).Distinct().Count());
    }

    [Fact]
    public void Same_seeds_same_corpus()
    {
        var a = new ConduitRuleCorpus(Small(true), new Rng(9)).Training(new Rng(10)).Select(l => Key(l.Words)).ToList();
        var b = new ConduitRuleCorpus(Small(true), new Rng(9)).Training(new Rng(10)).Select(l => Key(l.Words)).ToList();
        var c = new ConduitRuleCorpus(Small(true), new Rng(9)).Training(new Rng(11)).Select(l => Key(l.Words)).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void The_papers_familiar_corpus_fits_and_streams()
    {
        var options = new ConduitRuleOptions(ConduitLength: 8, FamiliarConduits: true);
        Assert.Equal((1000, 1_000_000, 1000, 100, 1000), (options.AlphabetSize, options.Length, options.Rules, options.Phrases, options.OutsideOccurrences));
        var corpus = new ConduitRuleCorpus(options, new Rng(12));
        long tokens = 0, rules = 0;
        foreach (var line in corpus.Training(new Rng(13)))
        {
            tokens += line.Words.Length;
            rules += line.Words.Count(w => w == ConduitRuleCorpus.Open);
        }
        Assert.Equal((1_000_000, 1000), (tokens, rules));
        Assert.Equal(1004, corpus.Vocabulary.Count);
    }

    [Fact]
    public void Settings_that_cannot_fit_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ConduitRuleCorpus(Small(true) with { Length = 5000 }, new Rng(1)));
        Assert.Contains("do not fit in a corpus of 5000", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ConduitRuleCorpus(Small(false) with { AlphabetSize = 2, ConduitLength = 3 }, new Rng(1)));
    }
}
