// A run group handed to Slurm: in the group's slurm/ folder, one job-array script (one array task per plan
// entry, each one `lstmlens` process that runs exactly its entry into its own run directory, requeueable,
// told by SIGTERM a minute before its time limit so that it saves its checkpoint), one collect script that
// writes the results once the array is over (--dependency=afterany, so it also runs when tasks failed and
// lists them), and submit.sh, which submits the two with sbatch. Only the incomplete entries are in the
// array, so a rerun submits what is left. Not a scheduler: Slurm decides where and when.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using LstmLens.Reporting;

namespace LstmLens.Experiments;

/// <summary>What every array task (and the collect job) asks Slurm for.</summary>
/// <param name="Partition">--partition, or null for the cluster's default.</param>
/// <param name="Time">--time limit (HH:MM:SS, or any form sbatch takes), or null for the partition's default.</param>
/// <param name="CpusPerTask">--cpus-per-task.</param>
/// <param name="Memory">--mem per task (e.g. 2G), or null for the cluster's default.</param>
/// <param name="Account">--account, or null.</param>
public sealed record SlurmSettings(string? Partition = null, string? Time = null, int CpusPerTask = 1, string? Memory = null, string? Account = null);

/// <summary>The scripts of a run group and their submission.</summary>
public static class SlurmJobs
{
    /// <summary>Folder of the scripts and job logs inside the group's output directory.</summary>
    public const string Folder = "slurm";

    /// <summary>The word in an entry command that becomes the array index.</summary>
    public const string IndexPlaceholder = "{index}";

    /// <summary>
    /// Writes slurm/array.sh (running <paramref name="entryCommand"/>, whose <see cref="IndexPlaceholder"/> is the array index),
    /// slurm/collect.sh (running <paramref name="collectCommand"/>) and slurm/submit.sh, which submits the array over
    /// <paramref name="indices"/> (none: only the collect job) and then the collect job after it; returns submit.sh's path.
    /// </summary>
    public static string Write(string directory, string name, IReadOnlyList<int> indices, SlurmSettings settings,
        IReadOnlyList<string> entryCommand, IReadOnlyList<string> collectCommand)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(entryCommand);
        ArgumentNullException.ThrowIfNull(collectCommand);
        string root = Path.GetFullPath(directory), folder = Directory.CreateDirectory(Path.Combine(root, Folder)).FullName;
        string array = Path.Combine(folder, "array.sh"), collect = Path.Combine(folder, "collect.sh"), submit = Path.Combine(folder, "submit.sh");
        WriteScript(array, Header($"lstmlens-{name}", settings, root, Path.Combine(folder, "entry-%a.log"))
            + "#SBATCH --requeue\n#SBATCH --signal=B:TERM@60\n"
            + $"exec {string.Join(' ', entryCommand.Select(w => w == IndexPlaceholder ? "\"$SLURM_ARRAY_TASK_ID\"" : RunFiles.ShellWord(w)))}\n");
        WriteScript(collect, Header($"lstmlens-{name}-collect", settings, root, Path.Combine(folder, "collect.log"))
            + $"exec {string.Join(' ', collectCommand.Select(RunFiles.ShellWord))}\n");
        var text = new StringBuilder("#!/usr/bin/env bash\n# Submits the incomplete runs of this group as a job array, and the collect job after it.\nset -euo pipefail\n");
        if (indices.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"array=$(sbatch --parsable --array={Ranges(indices)} {RunFiles.ShellWord(array)})\n");
            text.Append("array=${array%%;*}\n");
            text.Append(CultureInfo.InvariantCulture, $"collect=$(sbatch --parsable --dependency=afterany:$array {RunFiles.ShellWord(collect)})\n");
            text.Append("echo \"array job $array, collect job ${collect%%;*}\"\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"collect=$(sbatch --parsable {RunFiles.ShellWord(collect)})\n");
            text.Append("echo \"collect job ${collect%%;*}\"\n");
        }
        WriteScript(submit, text.ToString());
        return submit;
    }

    /// <summary>Runs submit.sh; returns what it printed (the job ids). A failing sbatch throws with its own message.</summary>
    public static string Submit(string submitScript)
    {
        var start = new ProcessStartInfo("bash", [submitScript]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new IOException($"{submitScript}: bash could not be started");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new IOException($"{submitScript}: sbatch failed: {error.Result.Trim().Split('\n')[^1]}");
        return output.Trim();
    }

    /// <summary>Array indices in sbatch's form: 0-3,5,7-8.</summary>
    public static string Ranges(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var parts = new List<string>();
        for (int i = 0; i < indices.Count;)
        {
            int j = i;
            while (j + 1 < indices.Count && indices[j + 1] == indices[j] + 1) j++;
            parts.Add(j == i ? Int(indices[i]) : $"{Int(indices[i])}-{Int(indices[j])}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    private static string Header(string job, SlurmSettings settings, string directory, string log)
    {
        var text = new StringBuilder("#!/usr/bin/env bash\n");
        text.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name={job}\n#SBATCH --chdir={directory}\n#SBATCH --output={log}\n#SBATCH --open-mode=append\n");
        text.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={settings.CpusPerTask}\n");
        if (settings.Time is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --time={settings.Time}\n");
        if (settings.Memory is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --mem={settings.Memory}\n");
        if (settings.Partition is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --partition={settings.Partition}\n");
        if (settings.Account is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --account={settings.Account}\n");
        return text.ToString();
    }

    private static void WriteScript(string path, string text)
    {
        Data.AtomicFile.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
