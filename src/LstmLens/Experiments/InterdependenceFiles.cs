// The run directory of a treebank interdependence analysis (`lstmlens interdependence --data F.conllu --out`, the
// saphra-english reproduction): pairs.csv (one row per word pair), by-sequential-distance.csv (the paper's Figure 8:
// mean, standard error and count per sequential distance), by-syntactic-distance.csv (Figure 9: per sequential
// distance × syntactic distance × class pair) and their figures. A mean is reported only with at least min-count
// pairs. Not the analysis (Analysis/Interdependence).
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Reporting;

namespace LstmLens.Experiments;

/// <summary>A mean with its standard error over <see cref="Count"/> values; Mean and StandardError are NaN below the minimum count.</summary>
public sealed record GroupMean(int Count, double Mean, double StandardError);

/// <summary>Writes treebank interdependence results.</summary>
public static class InterdependenceFiles
{
    /// <summary>Columns of pairs.csv.</summary>
    public static IReadOnlyList<string> PairColumns { get; } =
    [
        "sentence", "left", "right", "left_word", "right_word", "left_upos", "right_upos", "left_class", "right_class",
        "sequential_distance", "syntactic_distance", "relation", "interdependence", "norm_left", "norm_right", "norm_union", "state_error", "logit_error",
    ];

    /// <summary>Mean interdependence per sequential distance.</summary>
    public static SortedDictionary<int, GroupMean> BySequentialDistance(IReadOnlyList<WordPairMeasure> pairs, int minCount) =>
        Group(pairs, p => p.SequentialDistance, minCount);

    /// <summary>Mean interdependence per (sequential distance, syntactic distance, class pair).</summary>
    public static SortedDictionary<(int Sequential, int Syntactic, string Classes), GroupMean> BySyntacticDistance(IReadOnlyList<WordPairMeasure> pairs, int minCount) =>
        Group(pairs, p => (p.SequentialDistance, p.SyntacticDistance, p.ClassPair), minCount);

    /// <summary>Writes the three tables (pairs.csv unless not <paramref name="withPairs"/>) and the figures into <paramref name="directory"/> (which must exist).</summary>
    public static void Write(string directory, IReadOnlyList<WordPairMeasure> pairs, int minCount, string space, bool withPairs = true)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        string In(string name) => Path.Combine(directory, name);
        if (withPairs) Reproduction.WriteCsv(In("pairs.csv"), PairColumns, pairs.Select(p => (IReadOnlyList<string>)
        [
            p.SentenceId, Int(p.Left), Int(p.Right), p.LeftWord, p.RightWord, p.LeftUpos, p.RightUpos, p.LeftClass, p.RightClass,
            Int(p.SequentialDistance), Int(p.SyntacticDistance), RelationName(p.Relation), Number(p.Result.Value), Number(p.Result.NormA),
            Number(p.Result.NormB), Number(p.Result.NormUnion), Number(p.Result.StateError), Number(p.Result.LogitError),
        ]));
        var sequential = BySequentialDistance(pairs, minCount);
        Reproduction.WriteCsv(In("by-sequential-distance.csv"), ["sequential_distance", "count", "mean", "standard_error"],
            sequential.Select(e => (IReadOnlyList<string>)[Int(e.Key), Int(e.Value.Count), Number(e.Value.Mean), Number(e.Value.StandardError)]));
        var syntactic = BySyntacticDistance(pairs, minCount);
        Reproduction.WriteCsv(In("by-syntactic-distance.csv"), ["sequential_distance", "syntactic_distance", "classes", "count", "mean", "standard_error"],
            syntactic.Select(e => (IReadOnlyList<string>)[Int(e.Key.Sequential), Int(e.Key.Syntactic), e.Key.Classes, Int(e.Value.Count),
                Number(e.Value.Mean), Number(e.Value.StandardError)]));

        string measure = $"mean interdependence ({space}), ± 1 s.e.";
        var figure8 = new LinePlot("Interdependence by sequential distance",
            new Axis("sequential distance r − l (words)"), new Axis(measure)) { Markers = true };
        var shown = sequential.Where(e => !double.IsNaN(e.Value.Mean)).ToArray();
        if (shown.Length > 0) figure8.Series.Add(Banded("all pairs", shown.Select(e => ((double)e.Key, e.Value))));
        figure8.Save(In("by-sequential-distance.svg"));

        foreach (var panel in syntactic.GroupBy(e => e.Key.Sequential))
        {
            var plot = new LinePlot($"Sequential distance {panel.Key}: by syntactic distance and class",
                new Axis("syntactic distance (edges in the dependency tree)"), new Axis(measure)) { Markers = true };
            foreach (var line in panel.GroupBy(e => e.Key.Classes).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var points = line.Where(e => !double.IsNaN(e.Value.Mean)).Select(e => ((double)e.Key.Syntactic, e.Value)).ToArray();
                if (points.Length > 0) plot.Series.Add(Banded(line.Key, points));
            }
            if (plot.Series.Count > 0) plot.Save(In($"by-syntactic-distance-{panel.Key}.svg"));
        }
    }

    /// <summary>"left-head", "right-head", "siblings", "left-ancestor", "right-ancestor" or "other".</summary>
    public static string RelationName(TreeRelation relation) => relation switch
    {
        TreeRelation.LeftHead => "left-head",
        TreeRelation.RightHead => "right-head",
        TreeRelation.Siblings => "siblings",
        TreeRelation.LeftAncestor => "left-ancestor",
        TreeRelation.RightAncestor => "right-ancestor",
        _ => "other",
    };

    private static SortedDictionary<TKey, GroupMean> Group<TKey>(IReadOnlyList<WordPairMeasure> pairs, Func<WordPairMeasure, TKey> key, int minCount) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var groups = new SortedDictionary<TKey, GroupMean>();
        foreach (var g in pairs.Where(p => !double.IsNaN(p.Result.Value)).GroupBy(key))
        {
            var values = g.Select(p => p.Result.Value).ToArray();
            double mean = values.Average();
            double se = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1) / values.Length) : double.NaN;
            groups[g.Key] = values.Length >= minCount ? new GroupMean(values.Length, mean, se) : new GroupMean(values.Length, double.NaN, double.NaN);
        }
        return groups;
    }

    private static Series Banded(string name, IEnumerable<(double X, GroupMean Mean)> points)
    {
        var p = points.ToArray();
        return new Series(name, [.. p.Select(q => q.X)], [.. p.Select(q => q.Mean.Mean)])
        {
            Lower = [.. p.Select(q => q.Mean.Mean - (double.IsNaN(q.Mean.StandardError) ? 0 : q.Mean.StandardError))],
            Upper = [.. p.Select(q => q.Mean.Mean + (double.IsNaN(q.Mean.StandardError) ? 0 : q.Mean.StandardError))],
        };
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);
}
