// The saphra-rules reproduction (Saphra & Lopez, LSTMs compose bottom-up, §3.1–3.2, Figure 3): an LSTM
// language model trained on the conduit-rule corpora in the unfamiliar and the familiar setting, with the
// mean probability of the rule's close symbol ω measured after every epoch on the in-domain test set
// (training conduits) and the out-domain test set (fresh random conduits). Writes results.csv, one SVG of
// the curves and results.md with the paper's claims about its Figure 3 beside what our curves show. Not
// the corpus generator (ConduitRuleCorpus), not the training loop (LanguageModelTrainer), and not the CD
// measures of the paper's Figures 4–6.
using System.Globalization;
using LstmLens.Data;
using LstmLens.Models;
using LstmLens.Numerics;
using LstmLens.Reporting;
using LstmLens.Tasks;
using LstmLens.Training;

namespace LstmLens.Experiments;

/// <summary>Corpora, model and training of the saphra-rules recipe at one scale.</summary>
/// <param name="Corpus">The training corpus; <see cref="ConduitRuleOptions.FamiliarConduits"/> is set per setting.</param>
/// <param name="TestLength">Tokens in each test set.</param>
/// <param name="TestRules">Rules in each test set.</param>
/// <param name="ValidLength">Tokens in the validation set (in-domain rules, as in the test set), which gives the run's perplexity.</param>
/// <param name="Model">The language model; its vocabulary sizes are set from the corpus.</param>
/// <param name="Training">Optimiser, clipping and epochs.</param>
/// <param name="Batching">Streams and BPTT window.</param>
public sealed record SaphraRulesSetup(ConduitRuleOptions Corpus, int TestLength, int TestRules, int ValidLength,
    ModelConfig Model, TrainingOptions Training, LanguageModelSettings Batching)
{
    /// <summary>
    /// --full: the paper's corpus (1M tokens, |Σ| = 1000, 1000 rules, 100 familiar phrases each seen 1000 times
    /// outside the rule), k = 8 (the k its Figure 5 names), one-layer LSTM 200 with embedding 200 (the reference
    /// code's word_language_model sizes), SGD lr 1 without momentum, clip 0.25, 40 epochs, batch 20 × BPTT 35; test
    /// sets of 50,000 tokens with one rule per 35 tokens as in the reference generator. --quick keeps k = 8, the 1000 rules
    /// and the 100 phrases but shrinks the rest: |Σ| = 100, 100k tokens (so rules are 10 times denser), phrases seen 50
    /// times outside the rule, LSTM 64 with embedding 64, 30 epochs, test sets of 10,000 tokens with 200 rules.
    /// </summary>
    public static SaphraRulesSetup For(ReproductionScale scale) => scale == ReproductionScale.Full
        ? new SaphraRulesSetup(new ConduitRuleOptions(ConduitLength: 8, FamiliarConduits: false), 50_000, 50_000 / 35, 50_000,
            new ModelConfig { InputSize = 1, EmbeddingSize = 200, HiddenSize = 200, OutputSize = 1 },
            new TrainingOptions { Optimizer = "sgd", LearningRate = 1, ClipNorm = 0.25, Epochs = 40 },
            new LanguageModelSettings { Batch = 20, Bptt = 35 })
        : new SaphraRulesSetup(new ConduitRuleOptions(ConduitLength: 8, FamiliarConduits: false, AlphabetSize: 100, Length: 100_000,
                Rules: 1000, Phrases: 100, OutsideOccurrences: 50), 10_000, 200, 5_000,
            new ModelConfig { InputSize = 1, EmbeddingSize = 64, HiddenSize = 64, OutputSize = 1 },
            new TrainingOptions { Optimizer = "sgd", LearningRate = 1, ClipNorm = 0.25, Epochs = 30 },
            new LanguageModelSettings { Batch = 20, Bptt = 35 });

    /// <summary>The setup in one sentence for results.md.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Corpus of {Corpus.Length:N0} tokens over |Σ| = {Corpus.AlphabetSize}, {Corpus.Rules:N0} rules α q ω with k = {Corpus.ConduitLength}; " +
        $"familiar setting: {Corpus.Phrases} phrases, each {Corpus.Rules / Corpus.Phrases} times in a rule and {Corpus.OutsideOccurrences:N0} times outside. " +
        $"Test sets of {TestLength:N0} tokens with {TestRules:N0} rules each. LSTM {Model.NumLayers}×{Model.HiddenSize}, embedding {Model.EmbeddingSize}; " +
        $"{Training.Optimizer} lr {Training.LearningRate}, clip {Training.ClipNorm}, {Training.Epochs} epochs, batch {Batching.Batch} × BPTT {Batching.Bptt}, state carried.");
}

/// <summary>The saphra-rules recipe.</summary>
public static class SaphraRulesRecipe
{
    private static readonly string[] Settings = ["unfamiliar", "familiar"];
    private static readonly string[] Domains = ["in-domain", "out-domain"];

    /// <summary>The paper's words on its Figure 3 (§3.2); it gives the figure, no numbers.</summary>
    private const string PaperInDomain =
        "\"In Figure 3a, the model learns when to predict the close symbol faster if the conduits are familiar (as predicted in Appendix B). " +
        "However, the maximum performance reached is lower than with the unfamiliar setting, and is brittle to overtraining.\"";

    private const string PaperOutDomain =
        "\"If the test set conduits are sampled uniformly at random (Figure 2c), Figure 3b shows that the familiar-conduit training setting " +
        "never teaches the model to generalize the α/ω rule. For a model trained on the familiar domain, a familiar conduit is required to predict the close symbol.\"";

    /// <summary>Runs the recipe at the context's scale; returns results.md.</summary>
    public static string Run(ReproductionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Run(context, SaphraRulesSetup.For(context.Scale));
    }

    /// <summary>Runs the recipe with <paramref name="setup"/>; returns results.md.</summary>
    public static string Run(ReproductionContext context, SaphraRulesSetup setup)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(setup);
        var jobs = Settings.SelectMany(s => Enumerable.Range(1, context.Seeds).Select(seed => (Setting: s, Seed: (ulong)seed))).ToArray();
        var runs = Reproduction.RunAll(context, jobs, job => (job.Setting, job.Seed), job => Train(context, setup, job.Setting, job.Seed));
        var points = runs.SelectMany(r => r).ToArray();

        Reproduction.WriteCsv(Path.Combine(context.Directory, "results.csv"), ["setting", "seed", "epoch", "domain", "mean_probability", "rules"],
            points.Select(p => (IReadOnlyList<string>)[p.Setting, p.Seed.ToString(CultureInfo.InvariantCulture), p.Epoch.ToString(CultureInfo.InvariantCulture),
                p.Domain, Reproduction.Number(p.Probability, "R"), p.Rules.ToString(CultureInfo.InvariantCulture)]));
        Plot(context, setup, points);
        return Report(context, setup, points);
    }

    /// <summary>Mean P(ω) of one run on one test set after one epoch (epoch 0: before training).</summary>
    private sealed record Point(string Setting, ulong Seed, int Epoch, string Domain, double Probability, long Rules);

    // One run: draws the setting's corpora from the seed, measures P(ω) before training and after every epoch.
    private static List<Point> Train(ReproductionContext context, SaphraRulesSetup setup, string setting, ulong seed)
    {
        var rng = new Rng(seed);
        var corpus = new ConduitRuleCorpus(setup.Corpus with { FamiliarConduits = setting == "familiar" }, rng.Split());
        var vocabulary = corpus.Vocabulary;
        int[] Ids(IEnumerable<Sentence> lines) => SyntheticCorpus.Ids(lines, vocabulary);
        int[] train = Ids(corpus.Training(rng.Split()));
        int[] valid = Ids(corpus.InDomainTest(rng.Split(), setup.TestRules * setup.ValidLength / setup.TestLength, setup.ValidLength));
        int[][] tests = [Ids(corpus.InDomainTest(rng.Split(), setup.TestRules, setup.TestLength)), Ids(corpus.OutDomainTest(rng.Split(), setup.TestRules, setup.TestLength))];
        int omega = vocabulary[ConduitRuleCorpus.Close];

        var config = setup.Model with { InputSize = vocabulary.Count, OutputSize = vocabulary.Count };
        var training = setup.Training with { Seed = seed };
        var model = new SequenceModel<float>(config, rng.Split());
        model.Initialize(rng.Split());
        var points = new List<Point>();
        void Measure(int epoch)
        {
            for (int d = 0; d < tests.Length; d++)
            {
                int[] ids = tests[d];
                // ω is scored only where its α is in the same stream: k conduit symbols and α precede it.
                var (mean, rules) = LanguageModelTrainer.MeanTargetProbability(model, ids, setup.Batching.EvalBatch, setup.Batching.Bptt,
                    p => ids[p] == omega, context: setup.Corpus.ConduitLength + 1);
                points.Add(new Point(setting, seed, epoch, Domains[d], mean, rules));
            }
        }

        Measure(0);
        var trainer = new LanguageModelTrainer(model, training, setup.Batching, train, valid,
            Reproduction.LanguageModelDirectory(context, setting, seed, config, vocabulary, training, setup.Batching), rng.Split())
        {
            Validated = v =>
            {
                if (!v.EndOfEpoch) return;
                Measure(v.Epoch);
                context.Log(string.Create(CultureInfo.InvariantCulture,
                    $"{setting} seed {seed} epoch {v.Epoch}: validation perplexity {Math.Exp(v.ValidLoss):F2}; P(ω) in-domain {points[^2].Probability:F3}, out-domain {points[^1].Probability:F3}"));
            },
        };
        Reproduction.TrainToEnd(trainer, $"saphra-rules {setting} seed {seed}", stop: context.Stop);
        return points;
    }

    // Mean P(ω) against epochs per setting × domain, min–max band over seeds.
    private static void Plot(ReproductionContext context, SaphraRulesSetup setup, IReadOnlyList<Point> points)
    {
        var plot = new LinePlot($"Conduit rules (k = {setup.Corpus.ConduitLength}): mean P(ω)", new Axis("epoch"), new Axis("mean target probability of ω") { Min = 0, Max = 1 });
        double[] epochs = [.. Enumerable.Range(0, setup.Training.Epochs + 1).Select(e => (double)e)];
        foreach (string setting in Settings)
        {
            foreach (string domain in Domains)
            {
                IReadOnlyList<double>[] runs = [.. points.Where(p => p.Setting == setting && p.Domain == domain).GroupBy(p => p.Seed)
                    .Select(g => (IReadOnlyList<double>)[.. g.OrderBy(p => p.Epoch).Select(p => p.Probability)])];
                string label = $"{setting}, {domain}";
                plot.Series.Add(runs.Length == 1 ? new Series(label, epochs, runs[0]) : Series.FromRuns(label, epochs, runs, BandKind.MinMax));
            }
        }
        plot.Save(Path.Combine(context.Directory, "omega-probability.svg"));
    }

    // Mean over seeds of P(ω) per epoch for one setting and domain.
    private static double[] MeanCurve(IReadOnlyList<Point> points, string setting, string domain) =>
        [.. points.Where(p => p.Setting == setting && p.Domain == domain).GroupBy(p => p.Epoch).OrderBy(g => g.Key).Select(g => g.Average(p => p.Probability))];

    private static string Report(ReproductionContext context, SaphraRulesSetup setup, IReadOnlyList<Point> points)
    {
        int last = setup.Training.Epochs;
        string At(string setting, string domain, int epoch) =>
            Reproduction.MeanRange([.. points.Where(p => p.Setting == setting && p.Domain == domain && p.Epoch == epoch).Select(p => p.Probability)], "F3");
        var curves = Settings.SelectMany(s => Domains.Select(d => (Setting: s, Domain: d, Curve: MeanCurve(points, s, d)))).ToArray();
        var table = Reproduction.MarkdownTable(["setting", "test set", "epoch 1", $"epoch {last / 2}", $"epoch {last} (final)", "peak of the mean (epoch)"],
            curves.Select(c =>
            {
                int peak = Array.IndexOf(c.Curve, c.Curve.Max());
                return (IReadOnlyList<string>)[c.Setting, c.Domain, At(c.Setting, c.Domain, 1), At(c.Setting, c.Domain, last / 2), At(c.Setting, c.Domain, last),
                    $"{Reproduction.Number(c.Curve[peak], "F3")} ({peak})"];
            }));

        double[] unfamiliarIn = MeanCurve(points, "unfamiliar", "in-domain"), familiarIn = MeanCurve(points, "familiar", "in-domain");
        double[] unfamiliarOut = MeanCurve(points, "unfamiliar", "out-domain"), familiarOut = MeanCurve(points, "familiar", "out-domain");
        // "Faster": the higher mean P(ω) over the first half of training (epochs 1 … E/2), with the first epoch above 0.1 beside it.
        int middle = Math.Max(1, last / 2);
        double EarlyMean(double[] curve) => curve[1..(middle + 1)].Average();
        int? Above(double[] curve) => Array.FindIndex(curve, v => v > 0.1) is int e and >= 0 ? e : null;
        int familiarPeak = Array.IndexOf(familiarIn, familiarIn.Max());
        string Yes(bool holds) => holds ? "yes" : "no";
        string Epoch(int? e) => e is int v ? v.ToString(CultureInfo.InvariantCulture) : "never";
        string F(double v) => Reproduction.Number(v, "F3");
        var claims = Reproduction.MarkdownTable(["the paper's claim (§3.2, Figure 3)", "ours (means over seeds)", "seen here?"],
        [
            ["in-domain, familiar conduits learn when to predict ω faster",
                $"mean over epochs 1–{middle}: familiar {F(EarlyMean(familiarIn))}, unfamiliar {F(EarlyMean(unfamiliarIn))}; " +
                $"first epoch above 0.1: familiar {Epoch(Above(familiarIn))}, unfamiliar {Epoch(Above(unfamiliarIn))}",
                Yes(EarlyMean(familiarIn) > EarlyMean(unfamiliarIn))],
            ["in-domain, the familiar setting's maximum is lower than the unfamiliar one's",
                $"peaks: familiar {F(familiarIn.Max())} (epoch {familiarPeak}), unfamiliar {F(unfamiliarIn.Max())} (epoch {Array.IndexOf(unfamiliarIn, unfamiliarIn.Max())})",
                Yes(familiarIn.Max() < unfamiliarIn.Max()) + (familiarPeak == last ? ", so far: the familiar curve peaks at the last epoch, still rising" : "")],
            ["in-domain, the familiar setting is brittle to overtraining",
                $"familiar peak {F(familiarIn.Max())} at epoch {familiarPeak}, final {F(familiarIn[^1])}", Yes(familiarIn[^1] < familiarIn.Max() - 0.01)],
            ["out-domain, the familiar setting never generalizes the α/ω rule (the unfamiliar one does)",
                $"final: familiar {F(familiarOut[^1])} (peak {F(familiarOut.Max())}), unfamiliar {F(unfamiliarOut[^1])}",
                Yes(familiarOut.Max() < unfamiliarOut[^1] / 2)],
        ]);
        string notes =
            $"Mean probability of ω at the rule's close over the rules of each test set (a rule whose α lies before the start of its evaluation stream is left out), " +
            $"mean (min–max) over seeds; epoch 0 is the untrained model. Each seed draws its own corpora and model. Curves in omega-probability.svg.\n\n" +
            $"{claims}\n" +
            $"\"Seen here?\" applies these rules to the mean curves: faster = higher mean P(ω) over the first half of training; " +
            $"brittle = the final value is more than 0.01 below the peak; never generalizes = the familiar setting's out-domain peak stays below half the unfamiliar setting's final out-domain value.\n\n" +
            $"The paper reports Figure 3 as curves without numbers; in its words, in-domain: {PaperInDomain} Out-domain: {PaperOutDomain}\n";
        return Reproduction.WriteMarkdown(context, "Conduit familiarity and the α/ω rule (Saphra & Lopez §3.2, Figure 3)", setup.Describe(), table, notes);
    }
}
