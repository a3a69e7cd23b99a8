// The saphra-rules reproduction (Saphra & Lopez, LSTMs compose bottom-up, §3, Figures 3–6, 10 and 11): LSTM
// language models trained on the conduit-rule corpora in the unfamiliar and the familiar setting, measured after
// every epoch on the in-domain test set (training conduits) and the out-domain test set (fresh random conduits):
// the mean probability of the close symbol ω (Figure 3) and, on a sample of the test rules, the contextual-
// decomposition measures of ConduitRuleMeasures (P(ω) from α alone and from α with the first i conduit symbols,
// the interdependence of α and the conduit, the error gradient inside the conduit); unfamiliar-setting models at
// further conduit lengths k for Figure 10. Writes one CSV and one SVG per figure and results.md with each of the
// paper's claims beside what our curves show. Not the corpus generator (ConduitRuleCorpus), not the training loop
// (LanguageModelTrainer), not the measures themselves (ConduitRuleMeasures).
using System.Globalization;
using System.Numerics.Tensors;
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
/// <param name="DecomposedRules">Rules of each test set (the first ones of its stream) that the contextual-decomposition measures follow after every epoch.</param>
/// <param name="ConduitLengths">The k of Figure 10, the corpus's own among them; at the others only the unfamiliar setting is trained.</param>
public sealed record SaphraRulesSetup(ConduitRuleOptions Corpus, int TestLength, int TestRules, int ValidLength,
    ModelConfig Model, TrainingOptions Training, LanguageModelSettings Batching, int DecomposedRules, IReadOnlyList<int> ConduitLengths)
{
    /// <summary>
    /// --full: the paper's corpus (1M tokens, |Σ| = 1000, 1000 rules, 100 familiar phrases each seen 1000 times
    /// outside the rule), k = 8 (the k its Figure 5 names), one-layer LSTM 200 with embedding 200 (the reference
    /// code's word_language_model sizes), SGD lr 1 without momentum, clip 0.25, 40 epochs, batch 20 × BPTT 35; test
    /// sets of 50,000 tokens with one rule per 35 tokens as in the reference generator, 200 of their rules decomposed.
    /// --quick keeps k = 8, the 1000 rules and the 100 phrases but shrinks the rest: |Σ| = 100, 100k tokens (so rules
    /// are 10 times denser), phrases seen 50 times outside the rule, LSTM 64 with embedding 64, 30 epochs, test sets of
    /// 10,000 tokens with 200 rules, 50 of them decomposed. Figure 10 at k = 2, 4 and 8 in both.
    /// </summary>
    public static SaphraRulesSetup For(ReproductionScale scale) => scale == ReproductionScale.Full
        ? new SaphraRulesSetup(new ConduitRuleOptions(ConduitLength: 8, FamiliarConduits: false), 50_000, 50_000 / 35, 50_000,
            new ModelConfig { InputSize = 1, EmbeddingSize = 200, HiddenSize = 200, OutputSize = 1 },
            new TrainingOptions { Optimizer = "sgd", LearningRate = 1, ClipNorm = 0.25, Epochs = 40 },
            new LanguageModelSettings { Batch = 20, Bptt = 35 }, DecomposedRules: 200, ConduitLengths: [2, 4, 8])
        : new SaphraRulesSetup(new ConduitRuleOptions(ConduitLength: 8, FamiliarConduits: false, AlphabetSize: 100, Length: 100_000,
                Rules: 1000, Phrases: 100, OutsideOccurrences: 50), 10_000, 200, 5_000,
            new ModelConfig { InputSize = 1, EmbeddingSize = 64, HiddenSize = 64, OutputSize = 1 },
            new TrainingOptions { Optimizer = "sgd", LearningRate = 1, ClipNorm = 0.25, Epochs = 30 },
            new LanguageModelSettings { Batch = 20, Bptt = 35 }, DecomposedRules: 50, ConduitLengths: [2, 4, 8]);

    /// <summary>The setup in one sentence for results.md.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"Corpus of {Corpus.Length:N0} tokens over |Σ| = {Corpus.AlphabetSize}, {Corpus.Rules:N0} rules α q ω with k = {Corpus.ConduitLength}; " +
        $"familiar setting: {Corpus.Phrases} phrases, each {Corpus.Rules / Corpus.Phrases} times in a rule and {Corpus.OutsideOccurrences:N0} times outside. " +
        $"Test sets of {TestLength:N0} tokens with {TestRules:N0} rules each, the first {DecomposedRules} of each decomposed after every epoch. " +
        $"LSTM {Model.NumLayers}×{Model.HiddenSize}, embedding {Model.EmbeddingSize}; " +
        $"{Training.Optimizer} lr {Training.LearningRate}, clip {Training.ClipNorm}, {Training.Epochs} epochs, batch {Batching.Batch} × BPTT {Batching.Bptt}, state carried. " +
        $"Figure 10: unfamiliar-setting models also at k = {string.Join(", ", ConduitLengths.Where(k => k != Corpus.ConduitLength))}, otherwise alike.");
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
        int main = setup.Corpus.ConduitLength;
        if (!setup.ConduitLengths.Contains(main)) throw new ArgumentException($"the conduit lengths of Figure 10 must include the corpus's k = {main}");
        var seeds = Enumerable.Range(1, context.Seeds).Select(seed => (ulong)seed).ToArray();
        var jobs = Settings.SelectMany(s => seeds.Select(seed => (Setting: s, ConduitLength: main, Seed: seed)))
            .Concat(setup.ConduitLengths.Where(k => k != main).SelectMany(k => seeds.Select(seed => (Setting: "unfamiliar", ConduitLength: k, Seed: seed))))
            .ToArray();
        var runs = Reproduction.RunAll(context, jobs, job => (RunName(setup, job.Setting, job.ConduitLength), job.Seed),
            job => Train(context, setup, job.Setting, job.ConduitLength, job.Seed));
        var all = runs.SelectMany(r => r).ToArray();
        var points = all.Where(p => p.ConduitLength == main).ToArray();

        Write(context, "results.csv", ["mean_probability", "rules"], points, p => [Reproduction.Number(p.Probability, "R"), Integer(p.Rules)]);
        Write(context, "alpha-probability.csv", ["mean_probability", "rules"], points,
            p => [Reproduction.Number(p.Decomposition.AlphaProbability, "R"), Integer(p.Decomposition.Rules)]);
        Write(context, "prefix-probability.csv", ["conduit_symbols", "mean_probability", "rules"], points,
            p => p.Decomposition.PrefixProbability.Select((v, i) => (IReadOnlyList<string>)[Integer(i), Reproduction.Number(v, "R"), Integer(p.Decomposition.Rules)]));
        Write(context, "interdependence.csv", ["mean_interdependence", "rules"], points,
            p => [Reproduction.Number(p.Decomposition.Interdependence, "R"), Integer(p.Decomposition.Rules)]);
        Write(context, "conduit-gradient.csv", ["conduit_position", "mean_gradient_norm", "rules"], points,
            p => p.Decomposition.GradientNorm.Select((v, d) => (IReadOnlyList<string>)[Integer(d + 1), Reproduction.Number(v, "R"), Integer(p.Decomposition.Rules)]));
        Reproduction.WriteCsv(Path.Combine(context.Directory, "conduit-length.csv"), ["setting", "conduit_length", "seed", "epoch", "domain", "relevant", "mean_probability", "rules"],
            all.Where(p => p.Setting == "unfamiliar").OrderBy(p => p.ConduitLength).SelectMany(p => new[] { ("alpha", p.Decomposition.AlphaProbability), ("conduit", p.Decomposition.ConduitProbability) }
                .Select(r => (IReadOnlyList<string>)[p.Setting, Integer(p.ConduitLength), Integer(p.Seed), Integer(p.Epoch), p.Domain, r.Item1, Reproduction.Number(r.Item2, "R"),
                    Integer(p.Decomposition.Rules)])));
        Plot(context, setup, points, all);
        return Report(context, setup, points, all);
    }

    /// <summary>
    /// The measures of one run on one test set after one epoch (epoch 0: before training): mean P(ω) over the test set's rules
    /// (Figure 3) and the decomposition measures of its first rules.
    /// </summary>
    private sealed record Point(string Setting, int ConduitLength, ulong Seed, int Epoch, string Domain, double Probability, long Rules, RuleMeans Decomposition);

    private static string Integer<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    // One CSV of the main runs: setting, seed, epoch, domain, then the figure's columns (one or more rows per point).
    private static void Write(ReproductionContext context, string file, IReadOnlyList<string> columns, IEnumerable<Point> points, Func<Point, IEnumerable<IReadOnlyList<string>>> rows) =>
        Reproduction.WriteCsv(Path.Combine(context.Directory, file), ["setting", "seed", "epoch", "domain", .. columns],
            points.SelectMany(p => rows(p).Select(r => (IReadOnlyList<string>)[p.Setting, Integer(p.Seed), Integer(p.Epoch), p.Domain, .. r])));

    private static void Write(ReproductionContext context, string file, IReadOnlyList<string> columns, IEnumerable<Point> points, Func<Point, IReadOnlyList<string>> row) =>
        Write(context, file, columns, points, p => [row(p)]);

    // The variant of a run in runs/: the setting, with the conduit length when it is not the corpus's.
    private static string RunName(SaphraRulesSetup setup, string setting, int conduitLength) =>
        conduitLength == setup.Corpus.ConduitLength ? setting : $"{setting}-k{conduitLength}";

    // One run: draws the setting's corpora from the seed, measures before training and after every epoch.
    private static List<Point> Train(ReproductionContext context, SaphraRulesSetup setup, string setting, int conduitLength, ulong seed)
    {
        var rng = new Rng(seed);
        var options = setup.Corpus with { FamiliarConduits = setting == "familiar", ConduitLength = conduitLength };
        var corpus = new ConduitRuleCorpus(options, rng.Split());
        var vocabulary = corpus.Vocabulary;
        int[] Ids(IEnumerable<Sentence> lines) => SyntheticCorpus.Ids(lines, vocabulary);
        int[] train = Ids(corpus.Training(rng.Split()));
        int[] valid = Ids(corpus.InDomainTest(rng.Split(), setup.TestRules * setup.ValidLength / setup.TestLength, setup.ValidLength));
        int[][] tests = [Ids(corpus.InDomainTest(rng.Split(), setup.TestRules, setup.TestLength)), Ids(corpus.OutDomainTest(rng.Split(), setup.TestRules, setup.TestLength))];
        int alpha = vocabulary[ConduitRuleCorpus.Open], omega = vocabulary[ConduitRuleCorpus.Close];

        var config = setup.Model with { InputSize = vocabulary.Count, OutputSize = vocabulary.Count };
        var training = setup.Training with { Seed = seed };
        var model = new SequenceModel<float>(config, rng.Split());
        model.Initialize(rng.Split());
        var analysed = new SequenceModel<double>(config, new Rng(seed)); // the epoch's weights in float64 for the decomposition
        string run = RunName(setup, setting, conduitLength);
        var points = new List<Point>();
        void Measure(int epoch)
        {
            TensorPrimitives.ConvertChecked<float, double>(model.Store.Values, analysed.Store.Values);
            for (int d = 0; d < tests.Length; d++)
            {
                int[] ids = tests[d];
                // ω is scored only where its α is in the same stream: k conduit symbols and α precede it.
                var (mean, rules) = LanguageModelTrainer.MeanTargetProbability(model, ids, setup.Batching.EvalBatch, setup.Batching.Bptt,
                    p => ids[p] == omega, context: conduitLength + 1);
                var decomposition = RuleMeans.Of(ConduitRuleMeasures.Measure(analysed, ids, alpha, omega, conduitLength, setup.DecomposedRules));
                points.Add(new Point(setting, conduitLength, seed, epoch, Domains[d], mean, rules, decomposition));
            }
        }

        Measure(0);
        var trainer = new LanguageModelTrainer(model, training, setup.Batching, train, valid,
            Reproduction.LanguageModelDirectory(context, run, seed, config, vocabulary, training, setup.Batching), rng.Split())
        {
            Validated = v =>
            {
                if (!v.EndOfEpoch) return;
                Measure(v.Epoch);
                var (inDomain, outDomain) = (points[^2], points[^1]);
                context.Log(string.Create(CultureInfo.InvariantCulture,
                    $"{run} seed {seed} epoch {v.Epoch}: validation perplexity {Math.Exp(v.ValidLoss):F2}; P(ω) in-domain {inDomain.Probability:F3}, out-domain {outDomain.Probability:F3}; " +
                    $"CD P(ω ∣ α) {inDomain.Decomposition.AlphaProbability:F3} / {outDomain.Decomposition.AlphaProbability:F3}; interdependence {inDomain.Decomposition.Interdependence:F3} / {outDomain.Decomposition.Interdependence:F3}"));
            },
        };
        Reproduction.TrainToEnd(trainer, $"saphra-rules {run} seed {seed}", stop: context.Stop);
        return points;
    }

    // A line over seeds: the run itself for one seed, else the mean with a min–max band.
    private static Series OverSeeds(string label, IReadOnlyList<double> x, IReadOnlyList<double>[] runs) =>
        runs.Length == 1 ? new Series(label, x, runs[0]) : Series.FromRuns(label, x, runs, BandKind.MinMax);

    // Per seed, one value per epoch of a setting and domain.
    private static IReadOnlyList<double>[] EpochRuns(IEnumerable<Point> points, string setting, string domain, Func<Point, double> value) =>
        [.. points.Where(p => p.Setting == setting && p.Domain == domain).GroupBy(p => p.Seed).OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<double>)[.. g.OrderBy(p => p.Epoch).Select(value)])];

    // Per seed, the vector that `value` picks at `epoch`.
    private static IReadOnlyList<double>[] VectorRuns(IEnumerable<Point> points, string setting, string domain, int epoch, Func<Point, double[]> value) =>
        [.. points.Where(p => p.Setting == setting && p.Domain == domain && p.Epoch == epoch).OrderBy(p => p.Seed).Select(p => (IReadOnlyList<double>)value(p))];

    private static void Plot(ReproductionContext context, SaphraRulesSetup setup, IReadOnlyList<Point> points, IReadOnlyList<Point> all)
    {
        int k = setup.Corpus.ConduitLength, last = setup.Training.Epochs;
        double[] epochs = [.. Enumerable.Range(0, last + 1).Select(e => (double)e)];
        void OverEpochs(string file, string title, Axis y, Func<Point, double> value)
        {
            var plot = new LinePlot(title, new Axis("epoch"), y);
            foreach (string setting in Settings)
                foreach (string domain in Domains)
                    plot.Series.Add(OverSeeds($"{setting}, {domain}", epochs, EpochRuns(points, setting, domain, value)));
            plot.Save(Path.Combine(context.Directory, file));
        }
        var probability = new Axis("mean target probability of ω") { Min = 0, Max = 1 };
        OverEpochs("omega-probability.svg", $"Figure 3: mean P(ω), k = {k}", probability, p => p.Probability);
        OverEpochs("alpha-probability.svg", $"Figure 4: CD P(ω), α alone relevant (k = {k})", probability, p => p.Decomposition.AlphaProbability);
        OverEpochs("interdependence.svg", $"Figure 6: interdependence of α and conduit (k = {k})", new Axis("mean interdependence") { Min = 0 },
            p => p.Decomposition.Interdependence);

        var prefix = new LinePlot($"Figure 5: CD P(ω), α and i conduit symbols (epoch {last})",
            new Axis("conduit symbols relevant besides α (i)"), probability) { Markers = true };
        double[] symbols = [.. Enumerable.Range(0, k + 1).Select(i => (double)i)];
        foreach (string setting in Settings)
            foreach (string domain in Domains)
                prefix.Series.Add(OverSeeds($"{setting}, {domain}", symbols, VectorRuns(points, setting, domain, last, p => p.Decomposition.PrefixProbability)));
        prefix.Save(Path.Combine(context.Directory, "prefix-probability.svg"));

        var lengths = new LinePlot($"Figure 10: CD P(ω) by conduit length (epoch {last})",
            new Axis("conduit length k"), new Axis("mean P(ω), unfamiliar setting", Logarithmic: true)) { Markers = true };
        double[] ks = [.. setup.ConduitLengths.Order().Select(v => (double)v)];
        foreach (var (name, value) in new (string, Func<RuleMeans, double>)[] { ("α", m => m.AlphaProbability), ("conduit", m => m.ConduitProbability) })
            foreach (string domain in Domains)
            {
                var runs = all.Where(p => p.Setting == "unfamiliar" && p.Domain == domain && p.Epoch == last).GroupBy(p => p.Seed).OrderBy(g => g.Key)
                    .Select(g => (IReadOnlyList<double>)[.. g.OrderBy(p => p.ConduitLength).Select(p => value(p.Decomposition))]).ToArray();
                lengths.Series.Add(OverSeeds($"{name}, {domain}", ks, runs));
            }
        lengths.Save(Path.Combine(context.Directory, "conduit-length.svg"));

        var gradient = new LinePlot($"Figure 11: error gradient in the conduit (in-domain)", new Axis("position in the conduit (d)"),
            new Axis("mean ‖∂E/∂h‖ at the step predicting symbol d") { Min = 0 }) { Markers = true };
        double[] positions = [.. Enumerable.Range(1, k).Select(d => (double)d)];
        foreach (string setting in Settings)
            foreach (int epoch in GradientEpochs(last))
                gradient.Series.Add(OverSeeds($"{setting}, epoch {epoch}", positions, VectorRuns(points, setting, "in-domain", epoch, p => p.Decomposition.GradientNorm)));
        gradient.Save(Path.Combine(context.Directory, "conduit-gradient.svg"));
    }

    // The epochs Figure 11 shows: the first, the middle and the last.
    private static int[] GradientEpochs(int last) => [.. new[] { 1, Math.Max(1, last / 2), last }.Distinct()];

    // Mean over seeds of a value per epoch for one setting and domain.
    private static double[] MeanCurve(IEnumerable<Point> points, string setting, string domain, Func<Point, double> value) =>
        [.. points.Where(p => p.Setting == setting && p.Domain == domain).GroupBy(p => p.Epoch).OrderBy(g => g.Key).Select(g => g.Average(value))];

    // Mean over seeds of a vector at one epoch.
    private static double[] MeanVector(IEnumerable<Point> points, string setting, string domain, int epoch, Func<Point, double[]> value)
    {
        var runs = VectorRuns(points, setting, domain, epoch, value);
        return [.. Enumerable.Range(0, runs[0].Count).Select(i => runs.Average(r => r[i]))];
    }

    private static string Report(ReproductionContext context, SaphraRulesSetup setup, IReadOnlyList<Point> points, IReadOnlyList<Point> all)
    {
        int last = setup.Training.Epochs, k = setup.Corpus.ConduitLength;
        int middle = Math.Max(1, last / 2);
        string F(double v) => Reproduction.Number(v, "F3");
        string Yes(bool holds) => holds ? "yes" : "no";
        string Epoch(int? e) => e is int v ? v.ToString(CultureInfo.InvariantCulture) : "never";
        // "Faster": the higher mean over the first half of training (epochs 1 … E/2).
        double EarlyMean(double[] curve) => curve[1..(middle + 1)].Average();
        int? Above(double[] curve, double level) => Array.FindIndex(curve, v => v > level) is int e and >= 0 ? e : null;
        double[] Curve(string setting, string domain, Func<Point, double> value) => MeanCurve(points, setting, domain, value);

        string At(string setting, string domain, int epoch) =>
            Reproduction.MeanRange([.. points.Where(p => p.Setting == setting && p.Domain == domain && p.Epoch == epoch).Select(p => p.Probability)], "F3");
        var curves = Settings.SelectMany(s => Domains.Select(d => (Setting: s, Domain: d, Curve: Curve(s, d, p => p.Probability)))).ToArray();
        var table = Reproduction.MarkdownTable(["setting", "test set", "epoch 1", $"epoch {middle}", $"epoch {last} (final)", "peak of the mean (epoch)"],
            curves.Select(c =>
            {
                int peak = Array.IndexOf(c.Curve, c.Curve.Max());
                return (IReadOnlyList<string>)[c.Setting, c.Domain, At(c.Setting, c.Domain, 1), At(c.Setting, c.Domain, middle), At(c.Setting, c.Domain, last),
                    $"{F(c.Curve[peak])} ({peak})"];
            }));

        double[] unfamiliarIn = Curve("unfamiliar", "in-domain", p => p.Probability), familiarIn = Curve("familiar", "in-domain", p => p.Probability);
        double[] unfamiliarOut = Curve("unfamiliar", "out-domain", p => p.Probability), familiarOut = Curve("familiar", "out-domain", p => p.Probability);
        int familiarPeak = Array.IndexOf(familiarIn, familiarIn.Max());
        var figure3 = Reproduction.MarkdownTable(["the paper's claim (§3.2, Figure 3)", "ours (means over seeds)", "seen here?"],
        [
            ["in-domain, familiar conduits learn when to predict ω faster",
                $"mean over epochs 1–{middle}: familiar {F(EarlyMean(familiarIn))}, unfamiliar {F(EarlyMean(unfamiliarIn))}; " +
                $"first epoch above 0.1: familiar {Epoch(Above(familiarIn, 0.1))}, unfamiliar {Epoch(Above(unfamiliarIn, 0.1))}",
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

        // Figure 4: P(ω ∣ α) over epochs, out-domain as in the paper.
        double[] alphaUnfamiliar = Curve("unfamiliar", "out-domain", p => p.Decomposition.AlphaProbability);
        double[] alphaFamiliar = Curve("familiar", "out-domain", p => p.Decomposition.AlphaProbability);
        var figure4 = Reproduction.MarkdownTable(["the paper's claim (§3.2.1, Figure 4, out-domain)", "ours (means over seeds)", "seen here?"],
        [
            ["even out-domain, the presence of α predicts ω at the right step",
                $"final P(ω ∣ α): unfamiliar {F(alphaUnfamiliar[^1])}, familiar {F(alphaFamiliar[^1])} (the familiar model's own P(ω) there: {F(familiarOut[^1])})",
                Yes(alphaUnfamiliar[^1] > 0.5 && alphaFamiliar[^1] > 0.5)],
            ["the familiar setting acquires the rule earlier",
                $"mean over epochs 1–{middle}: familiar {F(EarlyMean(alphaFamiliar))}, unfamiliar {F(EarlyMean(alphaUnfamiliar))}; " +
                $"first epoch above 0.5: familiar {Epoch(Above(alphaFamiliar, 0.5))}, unfamiliar {Epoch(Above(alphaUnfamiliar, 0.5))}",
                Yes(EarlyMean(alphaFamiliar) > EarlyMean(alphaUnfamiliar))],
        ]);

        // Figure 5: P(ω ∣ α, q_1 … q_i) by i at the last epoch, each domain.
        var figure5Rows = new List<IReadOnlyList<string>>();
        foreach (string domain in Domains)
        {
            double[] unfamiliar = MeanVector(points, "unfamiliar", domain, last, p => p.Decomposition.PrefixProbability);
            double[] familiar = MeanVector(points, "familiar", domain, last, p => p.Decomposition.PrefixProbability);
            int Rises(double[] v) => Enumerable.Range(1, k).Count(i => v[i] > v[i - 1]);
            double rise = familiar[^1] - familiar[0];
            figure5Rows.Add([$"{domain}: the unfamiliar model predicts ω with high probability from α alone", $"P(ω ∣ α) {F(unfamiliar[0])}; with the whole conduit {F(unfamiliar[^1])}",
                Yes(unfamiliar[0] > 0.5)]);
            figure5Rows.Add([$"{domain}: the familiar model's P(ω) rises substantially with each conduit symbol until the end",
                $"P(ω) from i = 0 to {k}: {string.Join(", ", familiar.Select(F))}; rises at {Rises(familiar)} of {k} steps, by {F(rise)} in all (unfamiliar: {F(unfamiliar[^1] - unfamiliar[0])})",
                Yes(rise > 0.2 && rise > unfamiliar[^1] - unfamiliar[0] && 2 * Rises(familiar) > k)]);
        }
        var figure5 = Reproduction.MarkdownTable([$"the paper's claim (§3.2.1, Figure 5, k = {k}, epoch {last})", "ours (means over seeds)", "seen here?"], figure5Rows);

        // Figure 6: interdependence over epochs, in-domain as in the paper.
        double[] interUnfamiliar = Curve("unfamiliar", "in-domain", p => p.Decomposition.Interdependence);
        double[] interFamiliar = Curve("familiar", "in-domain", p => p.Decomposition.Interdependence);
        double TrainingMean(double[] curve) => curve[1..].Average();
        double firstHalf = interFamiliar[1..(middle + 1)].Average(), secondHalf = interFamiliar[(middle + 1)..].DefaultIfEmpty(double.NaN).Average();
        var figure6 = Reproduction.MarkdownTable(["the paper's claim (§3.2.1, Figure 6, in-domain)", "ours (means over seeds)", "seen here?"],
        [
            ["interdependence of α and the conduit is substantially higher for the familiar model",
                $"mean over epochs 1–{last}: familiar {F(TrainingMean(interFamiliar))}, unfamiliar {F(TrainingMean(interUnfamiliar))}; final: {F(interFamiliar[^1])} vs {F(interUnfamiliar[^1])}; " +
                $"familiar higher at {Enumerable.Range(1, last).Count(e => interFamiliar[e] > interUnfamiliar[e])} of {last} epochs",
                Yes(TrainingMean(interFamiliar) > 1.5 * TrainingMean(interUnfamiliar))],
            ["the familiar model's interdependence increases throughout training",
                $"epoch 1 {F(interFamiliar[1])}, epoch {middle} {F(interFamiliar[middle])}, final {F(interFamiliar[^1])}; mean of epochs 1–{middle} {F(firstHalf)}, of epochs {middle + 1}–{last} {F(secondHalf)}",
                Yes(interFamiliar[^1] > interFamiliar[1] && secondHalf > firstHalf)],
        ]);

        // Figure 10: unfamiliar models by k; P(ω ∣ α) per epoch for "more examples", P at the last epoch for the conduit.
        int[] ks = [.. setup.ConduitLengths.Order()];
        double[] AlphaCurve(int length) => MeanCurve(all.Where(p => p.ConduitLength == length), "unfamiliar", "in-domain", p => p.Decomposition.AlphaProbability);
        double Final(int length, string domain, Func<RuleMeans, double> value) =>
            all.Where(p => p.Setting == "unfamiliar" && p.ConduitLength == length && p.Domain == domain && p.Epoch == last).Average(p => value(p.Decomposition));
        int LearnedAt(int length) => Above(AlphaCurve(length), 0.5) ?? int.MaxValue;
        double chance = 1.0 / (setup.Corpus.AlphabetSize + 4);
        var figure10 = Reproduction.MarkdownTable([$"the paper's claim (Appendix A, Figure 10; unfamiliar, n = {setup.Corpus.Rules})", "ours (means over seeds)", "seen here?"],
        [
            ["a longer conduit needs more examples before the rule is learned",
                $"first epoch with P(ω ∣ α) above 0.5 in-domain: {string.Join(", ", ks.Select(v => $"k = {v}: {Epoch(Above(AlphaCurve(v), 0.5))}"))}",
                Yes(ks.Zip(ks.Skip(1)).All(p => LearnedAt(p.First) <= LearnedAt(p.Second)) && LearnedAt(ks[0]) < LearnedAt(ks[^1]))],
            ["the conduit as a whole gives ω an extremely low probability",
                $"final P(ω ∣ conduit), in-domain / out-domain: {string.Join("; ", ks.Select(v => $"k = {v}: {Reproduction.Number(Final(v, "in-domain", m => m.ConduitProbability), "G3")} / {Reproduction.Number(Final(v, "out-domain", m => m.ConduitProbability), "G3")}"))} (uniform: {Reproduction.Number(chance, "G3")})",
                Yes(ks.All(v => Domains.All(d => Final(v, d, m => m.ConduitProbability) < chance)))],
            ["P(ω ∣ conduit) declines with conduit length (stated for extremely rare rules)",
                $"as above, out-domain; P(ω ∣ α) out-domain: {string.Join(", ", ks.Select(v => $"k = {v}: {F(Final(v, "out-domain", m => m.AlphaProbability))}"))}",
                Yes(ks.Zip(ks.Skip(1)).All(p => Final(p.First, "out-domain", m => m.ConduitProbability) > Final(p.Second, "out-domain", m => m.ConduitProbability)))],
        ]);

        // Figure 11: error gradient by conduit position, in-domain; per position over the second half of training, once the conduits can be learned.
        double GradientMean(string setting, int epoch) => MeanVector(points, setting, "in-domain", epoch, p => p.Decomposition.GradientNorm).Average();
        double GradientOverTraining(string setting) => Enumerable.Range(1, last).Average(e => GradientMean(setting, e));
        double[] LateGradient(string setting) =>
            [.. Enumerable.Range(0, k).Select(d => Enumerable.Range(middle + 1, last - middle).Average(e => MeanVector(points, setting, "in-domain", e, p => p.Decomposition.GradientNorm)[d]))];
        double[] lateFamiliar = LateGradient("familiar"), lateUnfamiliar = LateGradient("unfamiliar");
        int[] smaller = [.. Enumerable.Range(0, k).Where(d => lateFamiliar[d] < lateUnfamiliar[d]).Select(d => d + 1)];
        var figure11 = Reproduction.MarkdownTable(["the paper's claim (Appendix B, Figure 11, in-domain)", "ours (means over seeds)", "seen here?"],
        [
            ["a predictable (familiar) conduit has a smaller error gradient",
                $"per position d = 1–{k}, mean over epochs {middle + 1}–{last}: familiar {string.Join(", ", lateFamiliar.Select(F))}; unfamiliar {string.Join(", ", lateUnfamiliar.Select(F))}; " +
                $"mean over positions and epochs 1–{last}: familiar {F(GradientOverTraining("familiar"))}, unfamiliar {F(GradientOverTraining("unfamiliar"))}; " +
                string.Join("; ", GradientEpochs(last).Select(e => $"epoch {e}: {F(GradientMean("familiar", e))} vs {F(GradientMean("unfamiliar", e))}")),
                Yes(2 * smaller.Length > k) + $", smaller at d = {(smaller.Length == 0 ? "none" : string.Join(", ", smaller))}"],
        ]);

        string notes =
            $"Mean probability of ω at the rule's close over the rules of each test set (a rule whose α lies before the start of its evaluation stream is left out), " +
            $"mean (min–max) over seeds; epoch 0 is the untrained model. Each seed draws its own corpora and model. Curves in omega-probability.svg.\n\n" +
            $"{figure3}\n" +
            $"\"Seen here?\" applies these rules to the mean curves: faster = higher mean P(ω) over the first half of training; " +
            $"brittle = the final value is more than 0.01 below the peak; never generalizes = the familiar setting's out-domain peak stays below half the unfamiliar setting's final out-domain value.\n\n" +
            $"The paper reports Figure 3 as curves without numbers; in its words, in-domain: {PaperInDomain} Out-domain: {PaperOutDomain}\n\n" +
            $"## Contextual decomposition (Figures 4–6, 10, 11)\n\n" +
            $"After every epoch the model's weights, in float64, decompose the first {setup.DecomposedRules} rules of each test stream (the same rules every epoch) " +
            $"with the in-phrase bias policy. The stream runs from a zero state to the last of those rules and each rule is decomposed in that running context, as the paper runs its test stream: " +
            $"everything before α, and the state it leaves, is irrelevant. (Decomposing a rule alone from a zero state would give α a context it never has in training.) " +
            $"At the step that reads the last conduit symbol and predicts ω, P(ω) = softmax(W_dec β)_ω, without the decoder bias. Interdependence of A = {{α}} and B = the conduit " +
            $"at that step, at the logits. The parts of every decomposition sum to the true state (relative error ≤ 1e-9, checked per rule). Each figure's numbers are in its CSV: " +
            $"alpha-probability.csv (Figure 4), prefix-probability.csv (5), interdependence.csv (6), conduit-length.csv (10), conduit-gradient.csv (11), one row per setting, seed, epoch and test set.\n\n" +
            $"{figure4}\n" +
            $"Rules: predicts = mean P(ω ∣ α) above 0.5 in both settings at the last epoch; earlier = higher mean over epochs 1–{middle}. Curves in alpha-probability.svg.\n\n" +
            $"{figure5}\n" +
            $"Rules: high probability = above 0.5; rises substantially = the familiar model's P(ω) grows by more than 0.2 from i = 0 to i = k, more than the unfamiliar model's, " +
            $"and grows at more than half of the k steps. The paper does not name Figure 5's test set; both are shown (prefix-probability.svg).\n\n" +
            $"{figure6}\n" +
            $"Rules: substantially higher = the familiar model's mean over training at least 1.5 times the unfamiliar one's; increases = final above epoch 1 and the second half's mean above the first half's. " +
            $"Curves in interdependence.svg.\n\n" +
            $"{figure10}\n" +
            $"The paper varies the number of rules n and shows Figure 10 after 40 epochs; here n = {setup.Corpus.Rules} only, so \"more examples\" is read as more epochs over the same n, and " +
            $"the claim about extremely rare rules is checked only for its conduit part at our n. Extremely low = below the uniform probability 1/|V|. conduit-length.svg shows the last epoch, logarithmic axis.\n\n" +
            $"{figure11}\n" +
            $"Figure 11's \"gradient magnitude ΔE_{{t−k+d}}\" is read as the error signal at the conduit's own steps: ‖∂E/∂h‖₂ of the cross-entropy of predicting conduit symbol d " +
            $"(d = 1 … {k}) with respect to the top hidden state at the step that predicts it, ∂E/∂h = W_decᵀ(softmax(W_dec h + b) − e_y), mean over the decomposed rules. " +
            $"Rule: smaller = the familiar model's gradient is below the unfamiliar one's at more than half of the conduit positions over the second half of training " +
            $"(epochs {middle + 1}–{last}, when the familiar conduits have been seen often enough to be learned). " +
            $"conduit-gradient.svg shows epochs {string.Join(", ", GradientEpochs(last))}; the CSV holds every epoch and both test sets.\n";
        return Reproduction.WriteMarkdown(context, "Conduit familiarity and the α/ω rule (Saphra & Lopez §3, Figures 3–6, 10 and 11)", setup.Describe(), table, notes);
    }
}
