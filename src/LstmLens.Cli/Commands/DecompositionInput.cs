// What `decompose` and `interdependence` share: the --policy option, loading a model directory in float64 for
// contextual decomposition, and reading --text and position lists.
using System.CommandLine;
using LstmLens.Analysis;
using LstmLens.Data;
using LstmLens.Models;

namespace LstmLens.Cli.Commands;

/// <summary>Model, text and position input of the decomposition verbs.</summary>
internal static class DecompositionInput
{
    /// <summary>--policy.</summary>
    public static Option<string> Policy() => new Option<string>("--policy")
    {
        Description = "Where the bottom layer's bias×bias term goes: in-phrase (relevant at relevant steps; default), never (Murdoch et al.'s equations) or murdoch-exclusive (the original code's off-by-one)",
        DefaultValueFactory = _ => "in-phrase",
    }.AcceptOnlyFromAmong("in-phrase", "never", "murdoch-exclusive");

    /// <summary>The policy named by --policy.</summary>
    public static BiasPolicy ParsePolicy(string name) => name switch
    {
        "never" => BiasPolicy.Never,
        "murdoch-exclusive" => BiasPolicy.MurdochExclusive,
        _ => BiasPolicy.InPhrase,
    };

    /// <summary>The model directory in float64 with its vocabulary, ready for decomposition.</summary>
    public static (ContextualDecomposition Cd, Vocabulary Vocabulary) Load(string directory, BiasPolicy policy)
    {
        var (model, vocabulary, _) = ModelFiles.Load<double>(directory);
        if (vocabulary is null) throw new FileNotFoundException($"{directory}: no {ModelFiles.VocabularyFile}; decomposition reads words");
        try
        {
            return (new ContextualDecomposition(model, policy), vocabulary);
        }
        catch (NotSupportedException e)
        {
            throw new OptionException($"--model {directory}: {e.Message}");
        }
    }

    /// <summary>The whitespace-separated words of --text and their ids (unknown words → &lt;unk&gt;).</summary>
    public static (string[] Words, int[] Ids, int Unknown) Words(string? text, Vocabulary vocabulary)
    {
        var words = (text ?? throw new OptionException("--text is required")).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0) throw new OptionException("--text has no words");
        return (words, [.. words.Select(w => vocabulary[w])], words.Count(w => !vocabulary.Contains(w)));
    }

    /// <summary>Positions "2,3" or ranges "2-4" (0-based word indices), each checked against the text's length.</summary>
    public static int[] Positions(string? value, string option, int words)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new OptionException($"{option} is required (0-based word positions such as 2,3 or 2-4)");
        var positions = new SortedSet<int>();
        foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, System.Globalization.CultureInfo.InvariantCulture, out _)))
                throw new OptionException($"{option} {value}: '{part}' is not a position or a range a-b");
            int from = int.Parse(ends[0], System.Globalization.CultureInfo.InvariantCulture), to = int.Parse(ends[^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from > to) throw new OptionException($"{option} {value}: range '{part}' runs backwards");
            if (from < 0 || to >= words) throw new OptionException($"{option} {value}: position {(from < 0 ? from : to)} is outside the text (positions 0–{words - 1})");
            for (int p = from; p <= to; p++) positions.Add(p);
        }
        return [.. positions];
    }
}
