// Saphra & Lopez's synthetic corpus (LSTMs compose bottom-up, §3.1–3.2): tokens uniform over an alphabet
// Σ with n insertions of the long-distance rule α q ω, q a conduit of k symbols. Unfamiliar conduits are
// fresh random sequences, each used in one rule; familiar conduits come from a fixed set of phrases that
// also occur many times outside the rule. Test sets: in-domain (rules with the training conduits) and
// out-domain (rules with fresh random conduits, never a training conduit). Rules and phrases are inserted
// between background tokens, never written over them or over each other (the public reference generator
// overwrites part of a conduit; this one cannot). Not a language model and not the CD analyses.
using LstmLens.Data;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>Sizes of a conduit-rule corpus; defaults are the paper's (1M tokens, |Σ| = 1000, 1000 rules, 100 phrases each seen 1000 times outside a rule).</summary>
/// <param name="ConduitLength">k, symbols between α and ω.</param>
/// <param name="FamiliarConduits">Conduits from a phrase set that also occurs outside the rule (else fresh random conduits).</param>
/// <param name="AlphabetSize">|Σ|.</param>
/// <param name="Length">Tokens in the training corpus, rules and phrases included (&lt;eos&gt; not counted).</param>
/// <param name="Rules">n, rule instances in the training corpus.</param>
/// <param name="Phrases">Familiar setting: distinct conduits; rule i uses phrase i mod Phrases.</param>
/// <param name="OutsideOccurrences">Familiar setting: occurrences of each phrase outside the rule.</param>
/// <param name="LineLength">A line ends after the first item that brings it to this many tokens (never inside a rule or phrase).</param>
public sealed record ConduitRuleOptions(
    int ConduitLength,
    bool FamiliarConduits,
    int AlphabetSize = 1000,
    int Length = 1_000_000,
    int Rules = 1000,
    int Phrases = 100,
    int OutsideOccurrences = 1000,
    int LineLength = 100);

/// <summary>
/// Generator of the training corpus and the two test sets of one setting. Symbols of Σ are named s0, s1, …;
/// α is <see cref="Open"/> and ω <see cref="Close"/>, which occur nowhere but in rules, so every rule is
/// found again by its α: ω follows it after k conduit symbols. The corpora are streams that draw from
/// the Rng as they are enumerated: give each one its own <see cref="Rng.Split"/>.
/// </summary>
public sealed class ConduitRuleCorpus
{
    /// <summary>The open symbol α.</summary>
    public const string Open = "alpha";

    /// <summary>The close symbol ω.</summary>
    public const string Close = "omega";

    private readonly int[][] _trainingConduits; // [conduits][k] symbols of Σ
    private readonly HashSet<string> _trainingKeys;
    private readonly string[] _symbols;

    /// <summary>Draws the setting's training conduits (distinct) from <paramref name="rng"/>.</summary>
    public ConduitRuleCorpus(ConduitRuleOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ConduitLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.AlphabetSize, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Rules, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LineLength, 1);
        if (options.FamiliarConduits)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(options.Phrases, 1);
            ArgumentOutOfRangeException.ThrowIfNegative(options.OutsideOccurrences);
        }
        Options = options;
        int conduits = options.FamiliarConduits ? options.Phrases : options.Rules;
        if (Math.Pow(options.AlphabetSize, options.ConduitLength) < 2.0 * conduits)
            throw new ArgumentException($"|Σ|^k = {options.AlphabetSize}^{options.ConduitLength} leaves too few distinct conduits for {conduits}");
        long inserted = (long)options.Rules * (options.ConduitLength + 2) + TrainingPhraseTokens;
        if (inserted > options.Length)
            throw new ArgumentException($"{inserted} tokens of rules and phrases do not fit in a corpus of {options.Length}");
        _symbols = [.. Enumerable.Range(0, options.AlphabetSize).Select(i => $"s{i}")];
        Vocabulary = SyntheticCorpus.VocabularyOf([Open, Close, .. _symbols]);
        _trainingKeys = [];
        _trainingConduits = [.. Enumerable.Range(0, conduits).Select(_ => DrawConduit(rng, _trainingKeys, add: true))];
    }

    /// <summary>The setting.</summary>
    public ConduitRuleOptions Options { get; }

    /// <summary>&lt;unk&gt;, &lt;eos&gt;, α, ω, then Σ.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The conduits the training rules use, as words.</summary>
    public IReadOnlyList<string[]> TrainingConduits => [.. _trainingConduits.Select(Words)];

    /// <summary>True when <paramref name="conduit"/> (words) is one of the training conduits.</summary>
    public bool IsTrainingConduit(IReadOnlyList<string> conduit) => _trainingKeys.Contains(string.Join(' ', conduit));

    private long TrainingPhraseTokens => Options.FamiliarConduits ? (long)Options.Phrases * Options.OutsideOccurrences * Options.ConduitLength : 0;

    /// <summary>
    /// The training corpus, streamed as lines: <see cref="ConduitRuleOptions.Rules"/> rules α q ω (conduit
    /// i mod Phrases when familiar, conduit i once each when unfamiliar), in the familiar setting each phrase
    /// another <see cref="ConduitRuleOptions.OutsideOccurrences"/> times on its own, and uniform background
    /// symbols for the rest of <see cref="ConduitRuleOptions.Length"/>, all in a uniformly random order.
    /// </summary>
    public IEnumerable<Sentence> Training(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var o = Options;
        int phraseUnits = (int)(TrainingPhraseTokens / o.ConduitLength);
        var schedule = new int[o.Rules + phraseUnits]; // ≥ 0: rule with that conduit; < 0: phrase ~value alone
        for (int i = 0; i < o.Rules; i++) schedule[i] = i % _trainingConduits.Length;
        for (int j = 0; j < phraseUnits; j++) schedule[o.Rules + j] = ~(j % _trainingConduits.Length);
        rng.Shuffle(schedule.AsSpan());
        int background = (int)(o.Length - (long)o.Rules * (o.ConduitLength + 2) - TrainingPhraseTokens);
        return Interleave(rng, _trainingConduits, schedule, background);
    }

    /// <summary>In-domain test set: <paramref name="rules"/> rules whose conduits are drawn uniformly from the training conduits, in <paramref name="length"/> tokens.</summary>
    public IEnumerable<Sentence> InDomainTest(Rng rng, int rules, int length)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var schedule = new int[rules];
        for (int i = 0; i < rules; i++) schedule[i] = rng.NextInt(_trainingConduits.Length);
        return Interleave(rng, _trainingConduits, schedule, TestBackground(rules, length));
    }

    /// <summary>Out-domain test set: <paramref name="rules"/> rules with fresh random conduits, none a training conduit, in <paramref name="length"/> tokens.</summary>
    public IEnumerable<Sentence> OutDomainTest(Rng rng, int rules, int length)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int background = TestBackground(rules, length);
        if (Math.Pow(Options.AlphabetSize, Options.ConduitLength) < 2.0 * (_trainingConduits.Length + rules))
            throw new ArgumentException($"|Σ|^k leaves too few conduits outside the training set for {rules} rules");
        var excluded = new HashSet<string>(_trainingKeys);
        int[][] conduits = [.. Enumerable.Range(0, rules).Select(_ => DrawConduit(rng, excluded, add: false))];
        return Interleave(rng, conduits, [.. Enumerable.Range(0, rules)], background);
    }

    private int TestBackground(int rules, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rules);
        long background = length - (long)rules * (Options.ConduitLength + 2);
        if (background < 0) throw new ArgumentException($"{rules} rules do not fit in {length} tokens");
        return (int)background;
    }

    // A random conduit whose key is not in `taken` (and is added to it when `add`).
    private int[] DrawConduit(Rng rng, HashSet<string> taken, bool add)
    {
        while (true)
        {
            var conduit = new int[Options.ConduitLength];
            for (int i = 0; i < conduit.Length; i++) conduit[i] = rng.NextInt(Options.AlphabetSize);
            string key = string.Join(' ', Words(conduit));
            if (taken.Contains(key)) continue;
            if (add) taken.Add(key);
            return conduit;
        }
    }

    private string[] Words(int[] conduit) => [.. conduit.Select(s => _symbols[s])];

    // Merges the scheduled units (in schedule order) with `background` uniform symbols so that every
    // interleaving is equally likely: the next item is a unit with probability units left / items left.
    private IEnumerable<Sentence> Interleave(Rng rng, int[][] conduits, int[] schedule, int background)
    {
        var line = new List<string>(Options.LineLength + Options.ConduitLength + 2);
        int next = 0;
        while (next < schedule.Length || background > 0)
        {
            int units = schedule.Length - next;
            if (rng.NextInt(units + background) < units)
            {
                int unit = schedule[next++];
                bool rule = unit >= 0;
                if (rule) line.Add(Open);
                foreach (int symbol in conduits[rule ? unit : ~unit]) line.Add(_symbols[symbol]);
                if (rule) line.Add(Close);
            }
            else
            {
                line.Add(_symbols[rng.NextInt(Options.AlphabetSize)]);
                background--;
            }
            if (line.Count >= Options.LineLength)
            {
                yield return new Sentence([.. line]);
                line.Clear();
            }
        }
        if (line.Count > 0) yield return new Sentence([.. line]);
    }
}
