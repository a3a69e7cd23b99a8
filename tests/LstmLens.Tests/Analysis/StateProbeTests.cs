using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Numerics;
using LstmLens.Tasks;

namespace LstmLens.Tests.Analysis;

/// <summary>Probe labels of the cycles corpus, the projected Σσ, and the probes on a model whose states carry the labels.</summary>
public class StateProbeTests
{
    [Fact]
    public void Cycles_labels_follow_the_corpus_structure()
    {
        var corpus = new CycleCorpus();
        var stream = TokenStream.From([.. corpus.Lines(new Rng(4)).Take(40)], corpus.Vocabulary);
        var labels = StateProbes.Labels("cycles", stream, corpus.Vocabulary);
        Assert.Equal(["token", "new", "count"], labels.Select(l => l.Name));
        int eos = corpus.Vocabulary.EndOfSentence;
        int[] words = [.. Enumerable.Range(0, stream.Count).Where(u => stream.Ids[u] != eos)];
        var count = labels[2].Labels;
        var isNew = labels[1].Labels;
        // After the first cycle every cycle is a new token (count 0) and 15 repetitions (counts 1–15) of one other token.
        int first = words.First(u => isNew[u] == 1);
        for (int i = Array.IndexOf(words, first); i + 16 <= words.Length; i += 16)
        {
            Assert.Equal(1, isNew[words[i]]);
            Assert.Equal(0, count[words[i]]);
            for (int r = 1; r <= 15; r++)
            {
                Assert.Equal(r, count[words[i + r]]);
                Assert.Equal(0, isNew[words[i + r]]);
                Assert.Equal(stream.Ids[words[i + 1]], stream.Ids[words[i + r]]);
            }
        }
        Assert.All(Enumerable.Range(0, stream.Count).Where(u => stream.Ids[u] == eos), u => Assert.Equal(2, isNew[u]));
        Assert.Equal(StateProbes.NewTokenPositions(stream.Ids, eos), Enumerable.Range(0, stream.Count).Where(u => isNew[u] == 1));
    }

    [Fact]
    public void Projected_sigma_sum_splits_a_matrix_between_a_subspace_and_its_complement()
    {
        // Ḡ = 3 e1 v1ᵀ + 2 e2 v2ᵀ: the subspace span(e1) keeps σ = 3, its complement σ = 2.
        int h = 4, e = 3;
        var gradient = new double[h * e];
        gradient[0 * e + 0] = 3;
        gradient[1 * e + 1] = 2;
        double[] basis = [1, 0, 0, 0];
        var complement = LinearDiscriminantAnalysis.Complement(basis, h, 1);
        Assert.Equal(3, StateProbes.ProjectedSigmaSum(gradient, h, e, basis, 1), 12);
        Assert.Equal(2, StateProbes.ProjectedSigmaSum(gradient, h, e, complement, h - 1), 12);
    }

    [Fact]
    public void Token_probe_reads_the_input_from_h_of_a_one_hot_lstm()
    {
        // h_t of an LSTM with one-hot input depends on the token at t through distinct columns of W_ih, so an LDA
        // probe of h must tell the tokens apart far above chance (1/6); the counting subspace has 2 directions.
        var config = new LstmLens.Models.ModelConfig { Input = LstmLens.Models.InputKind.OneHot, InputSize = 6, HiddenSize = 12, OutputSize = 6, InitRange = 1.0 };
        var model = new LstmLens.Models.SequenceModel<double>(config, new Rng(1));
        model.Initialize(new Rng(2));
        var rng = new Rng(3);
        int[] tokens = [.. Enumerable.Range(0, 3000).Select(_ => rng.NextInt(6))];
        var input = StateGradientInput.FromTokens(tokens);
        var labels = new[] { new ProbeLabels("token", tokens, ["a", "b", "c", "d", "e", "f"]) };
        var report = StateProbes.Run(model, input, 0, StateKind.Hidden, labels, 500, null, 2, [new PositionGroup("some", [.. Enumerable.Range(0, 3000).Where(u => tokens[u] == 1 || tokens[u] == 2)])], 3);
        var onH = report.Results.Single(r => r.State == "h" && r.Representation == "state");
        Assert.True(onH.Accuracy > 0.9, $"token from h: {onH.Accuracy}");
        Assert.Equal(500, onH.Test);
        Assert.Equal(2, report.SubspaceSize);
        Assert.Contains(report.Results, r => r.Representation == "complement" && r.Dimensions == 10);
        // Recall at delay 0 is the token probe restricted to the group's two tokens; at delay 3 it must fall towards chance (1/2).
        var recall = report.Recall.Where(x => x.State == "h").OrderBy(x => x.Delay).ToArray();
        Assert.Equal(4, recall.Length);
        Assert.True(recall[0].Accuracy > 0.95, $"recall at delay 0: {recall[0].Accuracy}");
        Assert.True(recall[0].Accuracy > recall[3].Accuracy, "recall should fall with the delay");
    }
}
