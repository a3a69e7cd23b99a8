// The demo's contextual decomposition: on lines of the cycles corpus, the step that reads a cycle's new token N_(k+1)
// must predict the previous new token N_k, read 16 steps earlier and repeated next. Per example: the model's
// probability of that token, the probability from N_k alone relevant (what the memory of N_k contributes), from the
// just-read N_(k+1) alone, and the interdependence of the two tokens there. Writes decomposition.csv and one example as
// a coloured sentence (contributions.svg). Not the demo's training or memory analysis (CyclesDemo).
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Models;
using LstmLens.Reporting;
using LstmLens.Tasks;

namespace LstmLens.Experiments;

/// <summary>Means over the decomposed examples.</summary>
/// <param name="Examples">Cycles decomposed.</param>
/// <param name="ModelProbability">Mean probability the model gives the token to be recalled.</param>
/// <param name="RememberedProbability">Mean P(token | only the remembered token relevant).</param>
/// <param name="CurrentProbability">Mean P(token | only the just-read new token relevant).</param>
/// <param name="Interdependence">Mean interdependence of the two tokens at that step.</param>
/// <param name="Chance">1 / vocabulary size: the probability from a relevant part that says nothing.</param>
public sealed record CyclesDecompositionResult(int Examples, double ModelProbability, double RememberedProbability, double CurrentProbability, double Interdependence, double Chance);

/// <summary>Contextual decomposition of cycles-corpus examples.</summary>
public static class CyclesDecomposition
{
    /// <summary>
    /// Decomposes up to <paramref name="examples"/> cycles of <paramref name="lines"/> (each line from a zero state) with the model
    /// of <paramref name="modelDirectory"/>; writes decomposition.csv and contributions.svg into <paramref name="directory"/>.
    /// </summary>
    public static CyclesDecompositionResult Run(string modelDirectory, IReadOnlyList<Sentence> lines, CycleCorpus corpus, string directory, int examples = 200)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(corpus);
        var (model, vocabulary, _) = ModelFiles.Load<double>(modelDirectory);
        var cd = new ContextualDecomposition(model);
        int gap = corpus.Repetitions + 1;
        var rows = new List<(int Line, int Remembered, int Current, string Token, double Model, double Remembered_, double Current_, double Interdependence)>();
        bool figure = false;
        for (int l = 0; l < lines.Count && rows.Count < examples; l++)
        {
            int[] ids = [.. lines[l].Words.Select(w => vocabulary![w])];
            var sentence = cd.Run(ids);
            // A cycle is its new token and gap − 1 repetitions of the previous one, so new tokens stand every gap steps from 0.
            for (int u = 0; u + gap + 1 < ids.Length && rows.Count < examples; u += gap)
            {
                int t = u + gap, token = ids[u];
                var parts = cd.Decompose(sentence, [new DecompositionLane([u], t, t), new DecompositionLane([t], t, t)]);
                double modelP = ContextualDecomposition.Softmax(cd.Logits(sentence.State(t), withBias: true))[token];
                double remembered = ContextualDecomposition.Softmax(cd.Logits(parts[0].Relevant(t)))[token];
                double current = ContextualDecomposition.Softmax(cd.Logits(parts[1].Relevant(t)))[token];
                double interdependence = Interdependence.Measure(cd, sentence, [u], [t], t).Value;
                rows.Add((l, u, t, lines[l].Words[u], modelP, remembered, current, interdependence));
                if (!figure && u > 0)
                {
                    WriteFigure(Path.Combine(directory, "contributions.svg"), cd, sentence, lines[l].Words, u - 1, t, token, vocabulary!.Tokens[token]);
                    figure = true;
                }
            }
        }
        if (rows.Count == 0) throw new InvalidOperationException("the cycles lines hold no complete cycle to decompose");
        Reproduction.WriteCsv(Path.Combine(directory, "decomposition.csv"),
            ["line", "remembered_position", "step", "token", "model_probability", "probability_from_remembered", "probability_from_current", "interdependence"],
            rows.Select(r => (IReadOnlyList<string>)[Int(r.Line), Int(r.Remembered), Int(r.Current), r.Token, Number(r.Model), Number(r.Remembered_), Number(r.Current_), Number(r.Interdependence)]));
        return new CyclesDecompositionResult(rows.Count, rows.Average(r => r.Model), rows.Average(r => r.Remembered_), rows.Average(r => r.Current_),
            rows.Average(r => r.Interdependence), 1.0 / vocabulary!.Count);
    }

    // The window from just before the remembered token to the step that must recall it, each word coloured by its own contribution to the token's logit.
    private static void WriteFigure(string path, ContextualDecomposition cd, DecomposedSentence sentence, string[] words, int from, int step, int token, string name)
    {
        var lanes = Enumerable.Range(from, step - from + 1).Select(p => new DecompositionLane([p], step, step)).ToList();
        var parts = cd.Decompose(sentence, lanes);
        var values = parts.Select(d => cd.Logits(d.Relevant(step))[token]).ToArray();
        string title = $"Each token's own contribution to the logit of '{name}' when '{words[step]}' is read (contextual decomposition)";
        AtomicFile.WriteAllText(path, SentenceView.ToSvg(words[from..(step + 1)], values, title, step - from));
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
