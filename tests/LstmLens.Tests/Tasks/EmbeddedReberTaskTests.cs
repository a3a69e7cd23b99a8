using System.Text.RegularExpressions;
using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

public class EmbeddedReberTaskTests
{
    // The embedded Reber language written independently of the generator's transition table: from the
    // node after P (or after T…X X) the grammar loops (T* V P X)* and leaves by T* V (V | P S).
    private static readonly Regex Language = new(@"^B([TP])B(TS*X(S|X(T*VPX)*T*V(V|PS))|P(T*VPX)*T*V(V|PS))E\1E$", RegexOptions.CultureInvariant);

    private static string Text(IEnumerable<int> symbols) => string.Concat(symbols.Select(s => EmbeddedReberTask.Symbols[s]));

    [Fact]
    public void Every_string_belongs_to_the_embedded_grammar_and_both_branches_occur()
    {
        var rng = new Rng(1);
        var strings = Enumerable.Range(0, 5000).Select(_ => Text(EmbeddedReberTask.DrawString(rng).Symbols)).ToList();
        Assert.All(strings, s => Assert.Matches(Language, s));
        Assert.InRange(strings.Count(s => s[1] == 'T'), 2300, 2700);
        Assert.Equal(9, strings.Min(s => s.Length)); // e.g. BTBTXSETE: 8 input steps
        Assert.Contains("BTBTXSETE", strings);
        Assert.Contains("BPBPVVEPE", strings);
    }

    [Fact]
    public void Legal_next_sets_are_exactly_the_continuations_seen_in_the_data()
    {
        // Every prefix seen often enough shows all its possible continuations; they must equal the mask.
        var rng = new Rng(2);
        var seen = new Dictionary<string, (int Count, int Continuations, int Mask)>();
        for (int n = 0; n < 20000; n++)
        {
            var (symbols, legal) = EmbeddedReberTask.DrawString(rng);
            for (int t = 0; t < symbols.Count - 1; t++)
            {
                string prefix = Text(symbols.Take(t + 1));
                var (count, continuations, mask) = seen.GetValueOrDefault(prefix, (0, 0, legal[t]));
                Assert.Equal(mask, legal[t]); // the mask is a function of the prefix
                seen[prefix] = (count + 1, continuations | 1 << symbols[t + 1], mask);
            }
            Assert.Equal(0, legal[^1]);
        }
        var frequent = seen.Where(p => p.Value.Count >= 200).ToList();
        Assert.True(frequent.Count > 30);
        Assert.All(frequent, p => Assert.Equal(p.Value.Mask, p.Value.Continuations));
        Assert.Equal(1 << 1, seen["BTBTXSE"].Mask);   // the symbol before last must be the remembered T
        Assert.Equal(1 << 2, seen["BPBTXSE"].Mask);   // … or P
    }

    [Fact]
    public void A_string_is_right_only_when_legal_outputs_beat_every_illegal_one()
    {
        var task = new EmbeddedReberTask();
        var batch = new TaskBatch<double>(task, 1);
        task.Sample(new Rng(3), batch);
        int last = batch.Lengths[0] - 1;
        double[] outputs = TaskOutputs.Perfect(task, batch);
        for (int i = 0; i < outputs.Length; i++) outputs[i] = outputs[i] > 0 ? 0.3 : 0.2; // far from 0/1 but ordered
        Assert.Equal(0, task.Score(batch, outputs).Wrong);
        // Forgetting the second symbol: at the step before last, T and P equally active.
        int remembered = SequenceOf.Tokens(batch, 0)[1], other = 3 - remembered;
        outputs[(last - 1) * 7 + other] = 0.3;
        Assert.Equal(1, task.Score(batch, outputs).Wrong);
    }
}
