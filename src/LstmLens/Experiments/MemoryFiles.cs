// The run directory of a memory analysis (`lstmlens memory --out`, the Verwimp reproductions): memory.csv,
// sigmas.csv, words.csv, word_sigma1.csv, word_bins.csv, differences.csv, probes.csv, recall.csv, subspaces.csv,
// memory.json and the figures in the
// paper's shapes (σ1 and selectiveness against delay, decay fits, difference vectors); and the overlay of several
// such directories (or chosen groups of them) in one figure. Every column is documented in docs/memory.md. Not the analysis (MemoryAnalysis).
using System.Globalization;
using LstmLens.Analysis;
using LstmLens.Reporting;

namespace LstmLens.Experiments;

/// <summary>Writes and reads memory-analysis run directories.</summary>
public static class MemoryFiles
{
    /// <summary>Columns of memory.csv, one row per group and delay.</summary>
    public static IReadOnlyList<string> MemoryColumns { get; } = ["group", "delay", "count", "sigma1", "sigma1_ratio", "top5_ratio", "sigma_sum"];

    /// <summary>Writes every table and figure of <paramref name="report"/> into <paramref name="directory"/> (which must exist), plus memory.json with <paramref name="run"/>.</summary>
    public static void Write(string directory, MemoryReport report, object run, bool logarithmic = true)
    {
        ArgumentNullException.ThrowIfNull(report);
        string Path_(string name) => Path.Combine(directory, name);
        Reproduction.WriteCsv(Path_("memory.csv"), MemoryColumns, report.Groups.Select(g => (IReadOnlyList<string>)
            [g.Group, Int(g.Delay), Int(g.Count), Number(g.Spectrum.Sigma1), Number(g.Spectrum.Sigma1Ratio), Number(g.Spectrum.Top5Ratio), Number(g.Spectrum.Sum)]));
        Reproduction.WriteCsv(Path_("sigmas.csv"), ["group", "delay", "index", "sigma"], report.Groups.SelectMany(g =>
            g.Spectrum.Sigmas.Select((s, i) => (IReadOnlyList<string>)[g.Group, Int(g.Delay), Int(i + 1), Number(s)])));
        PlotGroups(directory, "", report.Groups.Select(g => (g.Group, g)), logarithmic);

        if (report.Words.Count > 0)
        {
            Reproduction.WriteCsv(Path_("words.csv"), ["word", "id", "frequency", "sigma1_delay0", "decay_a", "decay_b", "r_squared", "rmse", "converged"],
                report.Words.Select(w => (IReadOnlyList<string>)[w.Word, Int(w.Id), Int(w.Frequency), Number(w.Sigma1[0]), Number(w.Fit.A), Number(w.Fit.B),
                    Number(w.Fit.RSquared), Number(w.Fit.Rmse), w.Fit.Converged ? "true" : "false"]));
            Reproduction.WriteCsv(Path_("word_sigma1.csv"), ["word", "delay", "count", "sigma1"], report.Words.SelectMany(w =>
                w.Sigma1.Select((s, tau) => (IReadOnlyList<string>)[w.Word, Int(tau), Int(w.Counts[tau]), Number(s)])));
            Reproduction.WriteCsv(Path_("word_bins.csv"), ["frequency_low", "frequency_high", "words", "mean_sigma1_delay0", "mean_decay_b"],
                report.FrequencyBins.Select(b => (IReadOnlyList<string>)[Int(b.Low), Int(b.High), Int(b.Words), Number(b.MeanSigma1), Number(b.MeanDecay)]));
            PlotDecay(directory, report);
        }

        if (report.Differences.Count > 0)
        {
            Reproduction.WriteCsv(Path_("differences.csv"), ["difference", "delay", "count", "relative_memory", "cosine1", "cosine5", "sigma1_ratio", "top5_ratio"],
                report.Differences.SelectMany(d => d.Delays.Select(x => (IReadOnlyList<string>)[d.Name, Int(x.Delay), Int(x.Count), Number(x.RelativeMemory),
                    Number(x.Cosine1), Number(x.Cosine5), Number(x.Sigma1Ratio), Number(x.Top5Ratio)])));
            PlotDifferences(directory, "", report.Differences);
        }
        if (report.Probes is { } probes)
        {
            Reproduction.WriteCsv(Path_("probes.csv"), ["probe", "state", "representation", "dimensions", "classes", "train", "test", "accuracy"],
                probes.Results.Select(p => (IReadOnlyList<string>)[p.Probe, p.State, p.Representation, Int(p.Dimensions), Int(p.Classes), Int(p.Train), Int(p.Test), Number(p.Accuracy)]));
            if (probes.Recall.Count > 0)
            {
                Reproduction.WriteCsv(Path_("recall.csv"), ["group", "state", "delay", "train", "test", "accuracy"],
                    probes.Recall.Select(x => (IReadOnlyList<string>)[x.Group, x.State, Int(x.Delay), Int(x.Train), Int(x.Test), Number(x.Accuracy)]));
                var plot = new LinePlot("Reading the start token from the state τ steps later (LDA)", new Axis("delay τ (tokens)"), new Axis("test accuracy") { Min = 0, Max = 1 });
                foreach (var curve in probes.Recall.GroupBy(x => (x.Group, x.State)))
                    plot.Series.Add(new Series($"{curve.Key.Group}, {curve.Key.State}", [.. curve.Select(x => (double)x.Delay)], [.. curve.Select(x => x.Accuracy)]));
                plot.Save(Path_("recall.svg"));
            }
        }
        if (report.Subspaces.Count > 0)
        {
            Reproduction.WriteCsv(Path_("subspaces.csv"), ["group", "delay", "subspace_sigma_sum", "complement_sigma_sum"],
                report.Subspaces.Select(x => (IReadOnlyList<string>)[x.Group, Int(x.Delay), Number(x.SubspaceSigmaSum), Number(x.ComplementSigmaSum)]));
            string probe = report.Probes?.SubspaceProbe ?? "probe";
            var plot = new LinePlot($"Σσ inside and outside the '{probe}' subspace of the state", new Axis("delay τ (tokens)"), new Axis("Σσ", logarithmic)) { Markers = true };
            foreach (var curve in report.Subspaces.GroupBy(x => x.Group))
            {
                var rows = curve.Where(x => !logarithmic || (x.SubspaceSigmaSum > 0 && x.ComplementSigmaSum > 0)).ToArray();
                plot.Series.Add(new Series($"{curve.Key}, {probe} subspace", [.. rows.Select(x => (double)x.Delay)], [.. rows.Select(x => x.SubspaceSigmaSum)]));
                plot.Series.Add(new Series($"{curve.Key}, complement", [.. rows.Select(x => (double)x.Delay)], [.. rows.Select(x => x.ComplementSigmaSum)]));
            }
            plot.Save(Path_("subspaces.svg"));
        }
        RunFiles.WriteJson(Path_("memory.json"), run);
    }

    /// <summary>The rows of a memory.csv, by group in file order.</summary>
    public static IReadOnlyList<(string Group, IReadOnlyList<(int Delay, double Sigma1, double Sigma1Ratio, double Top5Ratio)> Rows)> ReadMemory(string directory)
    {
        string path = Path.Combine(directory, "memory.csv");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (is {directory} the --out of lstmlens memory?)", path);
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != string.Join(',', MemoryColumns)) throw new InvalidDataException($"{path}:1: expected the header {string.Join(',', MemoryColumns)}");
        var groups = new List<(string, List<(int, double, double, double)>)>();
        for (int i = 1; i < lines.Length; i++)
        {
            var fields = Data.Csv.Split(lines[i]);
            if (fields.Count != MemoryColumns.Count
                || !int.TryParse(fields[1], CultureInfo.InvariantCulture, out int delay)
                || !double.TryParse(fields[3], CultureInfo.InvariantCulture, out double sigma1)
                || !double.TryParse(fields[4], CultureInfo.InvariantCulture, out double ratio)
                || !double.TryParse(fields[5], CultureInfo.InvariantCulture, out double top5))
                throw new InvalidDataException($"{path}:{i + 1}: malformed row");
            if (groups.Count == 0 || groups[^1].Item1 != fields[0]) groups.Add((fields[0], []));
            groups[^1].Item2.Add((delay, sigma1, ratio, top5));
        }
        return [.. groups.Select(g => (g.Item1, (IReadOnlyList<(int, double, double, double)>)g.Item2))];
    }

    /// <summary>
    /// Overlays several memory runs: compare_sigma1.svg and compare_selectiveness.svg in <paramref name="directory"/>, one curve per
    /// (run, group); <paramref name="runs"/> gives each run's directory and label, <paramref name="group"/> the group to take (null: all).
    /// </summary>
    public static int WriteComparison(string directory, IReadOnlyList<(string Directory, string Label)> runs, string? group, bool logarithmic = true)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var curves = new List<(string Name, GroupMemoryCurve Curve)>();
        foreach (var (run, label) in runs)
        {
            var groups = ReadMemory(run).Where(g => group is null || g.Group == group).ToArray();
            if (groups.Length == 0) throw new InvalidDataException($"{Path.Combine(run, "memory.csv")}: no group '{group}'");
            foreach (var (name, rows) in groups)
                curves.Add((groups.Length == 1 && group is not null ? label : $"{label}, {name}", new GroupMemoryCurve(rows)));
        }
        Plot(directory, "compare_", curves, logarithmic);
        return curves.Count;
    }

    /// <summary>
    /// Overlays chosen groups of memory runs: {prefix}sigma1.svg and {prefix}selectiveness.svg in <paramref name="directory"/>, one curve
    /// per entry of <paramref name="curves"/> (a run directory, one of its groups, the legend label).
    /// </summary>
    public static void WriteComparison(string directory, IReadOnlyList<(string Directory, string Group, string Label)> curves, string prefix, bool logarithmic = true)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var plotted = new List<(string Name, GroupMemoryCurve Curve)>();
        foreach (var (run, group, label) in curves)
        {
            var rows = ReadMemory(run).Where(g => g.Group == group).Select(g => g.Rows).FirstOrDefault()
                ?? throw new InvalidDataException($"{Path.Combine(run, "memory.csv")}: no group '{group}'");
            plotted.Add((label, new GroupMemoryCurve(rows)));
        }
        Plot(directory, prefix, plotted, logarithmic);
    }

    private sealed record GroupMemoryCurve(IReadOnlyList<(int Delay, double Sigma1, double Sigma1Ratio, double Top5Ratio)> Rows);

    private static void PlotGroups(string directory, string prefix, IEnumerable<(string Name, GroupMemory Row)> rows, bool logarithmic) =>
        Plot(directory, prefix, [.. rows.GroupBy(r => r.Name).Select(g => (g.Key,
            new GroupMemoryCurve([.. g.Select(r => (r.Row.Delay, r.Row.Spectrum.Sigma1, r.Row.Spectrum.Sigma1Ratio, r.Row.Spectrum.Top5Ratio))])))], logarithmic);

    // Verwimp et al. Figures 4–7: σ1 (average memory) and σ1/Σσ with Σ_{i≤5}σ_i/Σσ (selectiveness) against delay.
    private static void Plot(string directory, string prefix, IReadOnlyList<(string Name, GroupMemoryCurve Curve)> curves, bool logarithmic)
    {
        var sigma1 = new LinePlot("Average memory: σ1 of the mean state gradient", new Axis("delay τ (tokens)"), new Axis("σ1", logarithmic)) { Markers = true };
        var selective = new LinePlot("Selectiveness: σ1/Σσ and Σ(σ1…σ5)/Σσ", new Axis("delay τ (tokens)"), new Axis("ratio") { Min = 0, Max = 1 });
        foreach (var (name, curve) in curves)
        {
            var kept = curve.Rows.Where(r => !logarithmic || r.Sigma1 > 0).ToArray();
            sigma1.Series.Add(new Series(name, [.. kept.Select(r => (double)r.Delay)], [.. kept.Select(r => r.Sigma1)]));
            selective.Series.Add(new Series($"{name}: σ1/Σσ", [.. curve.Rows.Select(r => (double)r.Delay)], [.. curve.Rows.Select(r => r.Sigma1Ratio)]));
            selective.Series.Add(new Series($"{name}: top-5/Σσ", [.. curve.Rows.Select(r => (double)r.Delay)], [.. curve.Rows.Select(r => r.Top5Ratio)]));
        }
        sigma1.Save(Path.Combine(directory, $"{prefix}sigma1.svg"));
        selective.Save(Path.Combine(directory, $"{prefix}selectiveness.svg"));
    }

    // Figure 9: σ1 against delay with the fitted a·e^{−bτ} for the most and least frequent words, and b by frequency bin.
    private static void PlotDecay(string directory, MemoryReport report)
    {
        var fits = new LinePlot("Decay of σ1 per word: σ1(τ) = a·e^(−bτ)", new Axis("delay τ (tokens)"), new Axis("σ1", Logarithmic: true)) { Markers = true };
        var ordered = report.Words.Where(w => w.Fit.Converged).OrderByDescending(w => w.Frequency).ToArray();
        foreach (var word in ordered.Take(2).Concat(ordered.TakeLast(2)).Distinct())
        {
            var kept = Enumerable.Range(0, word.Sigma1.Count).Where(tau => word.Sigma1[tau] > 0).ToArray();
            fits.Series.Add(new Series($"'{word.Word}' ({word.Frequency}×)", [.. kept.Select(t => (double)t)], [.. kept.Select(t => word.Sigma1[t])]));
            fits.Series.Add(new Series($"'{word.Word}' fit, b = {word.Fit.B:G3}", [.. kept.Select(t => (double)t)], [.. kept.Select(t => word.Fit.A * Math.Exp(-word.Fit.B * t))]));
        }
        fits.Save(Path.Combine(directory, "decay.svg"));
        var bins = report.FrequencyBins.Where(b => !double.IsNaN(b.MeanDecay)).ToArray();
        var byFrequency = new LinePlot("Mean decay rate b by word frequency", new Axis("frequency in the text (bin start)", Logarithmic: true), new Axis("mean b")) { Markers = true };
        byFrequency.Series.Add(new Series("mean b", [.. bins.Select(b => (double)b.Low)], [.. bins.Select(b => b.MeanDecay)]));
        byFrequency.Save(Path.Combine(directory, "decay_by_frequency.svg"));
    }

    /// <summary>
    /// Verwimp et al. Figures 10–11: {prefix}differences.svg (relative memory m against delay) and {prefix}differences_cosine.svg
    /// (cosines with the top-1 and top-5 right singular vectors) of <paramref name="differences"/>.
    /// </summary>
    public static void PlotDifferences(string directory, string prefix, IReadOnlyList<DifferenceMemory> differences)
    {
        ArgumentNullException.ThrowIfNull(differences);
        var relative = new LinePlot("Relative memory of difference vectors: m = ‖Ḡd‖/σ1", new Axis("delay τ (tokens)"), new Axis("m") { Min = 0, Max = 1 });
        var cosine = new LinePlot("Cosine with the best-remembered directions: ‖Vₙᵀd‖", new Axis("delay τ (tokens)"), new Axis("cosine") { Min = 0, Max = 1 });
        foreach (var d in differences)
        {
            double[] x = [.. d.Delays.Select(r => (double)r.Delay)];
            relative.Series.Add(new Series(d.Name, x, [.. d.Delays.Select(r => r.RelativeMemory)]));
            cosine.Series.Add(new Series($"{d.Name}, n = 1", x, [.. d.Delays.Select(r => r.Cosine1)]));
            cosine.Series.Add(new Series($"{d.Name}, n = 5", x, [.. d.Delays.Select(r => r.Cosine5)]));
        }
        relative.Save(Path.Combine(directory, $"{prefix}differences.svg"));
        cosine.Save(Path.Combine(directory, $"{prefix}differences_cosine.svg"));
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);
}
