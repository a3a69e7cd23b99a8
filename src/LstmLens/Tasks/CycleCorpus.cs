// Verwimp et al.'s synthetic cycles corpus (state gradients paper §4.2.1, Appendix 8): a cycle is a new
// random token once, then the previous cycle's new token 15 times; a line holds 5–10 cycles, then <eos>;
// the dependency crosses line ends. A language model must remember the new token for 16 steps. Here also
// the minimal perplexities: the paper's (its Appendix 8) and the one a language model's test perplexity
// is bounded by. Not a training loop; lines are drawn on demand, never stored.
using LstmLens.Data;
using LstmLens.Numerics;

namespace LstmLens.Tasks;

/// <summary>
/// Lines of cycles over <see cref="Tokens"/> tokens named A, B, C, …: cycle k is N_k followed by
/// <see cref="Repetitions"/> copies of N_(k−1). N_k is uniform over the tokens other than N_(k−1) and
/// N_(k−2) (so that the new token is distinguishable from both neighbours: 8 choices of 10), and the very
/// first cycle repeats a token drawn at random. Each line has a number of cycles uniform in
/// [<see cref="MinCycles"/>, <see cref="MaxCycles"/>]; cycles continue across lines.
/// </summary>
public sealed class CycleCorpus
{
    /// <summary>The paper's corpus: 10 tokens, 15 repetitions, 5–10 cycles per line.</summary>
    public CycleCorpus(int tokens = 10, int repetitions = 15, int minCycles = 5, int maxCycles = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, 26);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCycles, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCycles, minCycles);
        (Tokens, Repetitions, MinCycles, MaxCycles) = (tokens, repetitions, minCycles, maxCycles);
        TokenNames = [.. Enumerable.Range(0, tokens).Select(i => ((char)('A' + i)).ToString())];
        Vocabulary = SyntheticCorpus.VocabularyOf(TokenNames);
    }

    /// <summary>Distinct tokens (10).</summary>
    public int Tokens { get; }

    /// <summary>Copies of the previous new token in a cycle (15).</summary>
    public int Repetitions { get; }

    /// <summary>Fewest cycles per line (5).</summary>
    public int MinCycles { get; }

    /// <summary>Most cycles per line (10).</summary>
    public int MaxCycles { get; }

    /// <summary>Token names in id order of the tokens (A, B, …).</summary>
    public IReadOnlyList<string> TokenNames { get; }

    /// <summary>&lt;unk&gt;, &lt;eos&gt;, then the tokens.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>
    /// An endless stream of lines; one enumeration carries the cycle across line ends. It draws from
    /// <paramref name="rng"/> as it is enumerated: give it its own <see cref="Rng.Split"/>.
    /// </summary>
    public IEnumerable<Sentence> Lines(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int previous = rng.NextInt(Tokens), older = -1; // N_(k−1), N_(k−2)
        while (true)
        {
            int cycles = MinCycles + rng.NextInt(MaxCycles - MinCycles + 1);
            var words = new string[cycles * (Repetitions + 1)];
            for (int c = 0, at = 0; c < cycles; c++)
            {
                int fresh = DrawExcept(rng, previous, older);
                words[at++] = TokenNames[fresh];
                for (int r = 0; r < Repetitions; r++) words[at++] = TokenNames[previous];
                (older, previous) = (previous, fresh);
            }
            yield return new Sentence(words);
        }
    }

    // Uniform over the tokens other than a and b (b < 0: only a excluded).
    private int DrawExcept(Rng rng, int a, int b)
    {
        int token = rng.NextInt(Tokens - (b < 0 ? 1 : 2));
        int low = b < 0 ? a : Math.Min(a, b), high = b < 0 ? Tokens : Math.Max(a, b);
        if (token >= low) token++;
        if (token >= high) token++;
        return token;
    }

    /// <summary>
    /// The paper's minimal perplexity (Appendix 8, eqs. 24–26): a line of n cycles has perplexity
    /// (Tokens − 2)^(n / ((Repetitions + 1)·n + 1)) — only the new tokens are uncertain, 1/8 each, and the
    /// &lt;eos&gt; is taken as certain — and the line perplexities are averaged over n. 1.1375 for the paper's corpus.
    /// </summary>
    public double PaperMinimalPerplexity =>
        Enumerable.Range(MinCycles, MaxCycles - MinCycles + 1).Average(n => Math.Pow(Tokens - 2, n / ((Repetitions + 1.0) * n + 1)));

    /// <summary>
    /// The minimal perplexity of a language model on a long stream, exp of the least expected log-loss per
    /// token: besides ln(Tokens − 2) per new token, where a line ends is uncertain too — the choices of
    /// "&lt;eos&gt; or one more cycle" in a line of n cycles multiply to P(n), adding ln(MaxCycles − MinCycles + 1)
    /// per line. exp((E[n]·ln 8 + ln 6) / (16·E[n] + 1)) ≈ 1.1545 for the paper's corpus, above the paper's
    /// 1.1375, which leaves the line ends out.
    /// </summary>
    public double MinimalPerplexity
    {
        get
        {
            double meanCycles = (MinCycles + MaxCycles) / 2.0;
            double lossPerLine = meanCycles * Math.Log(Tokens - 2) + Math.Log(MaxCycles - MinCycles + 1);
            return Math.Exp(lossPerLine / ((Repetitions + 1) * meanCycles + 1));
        }
    }
}
