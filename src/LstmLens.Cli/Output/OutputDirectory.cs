// The --out directory of every verb that writes a run (train, task, memory, reproduce, demo): nothing in it
// is overwritten by accident. A file, or a directory that holds anything, is refused unless the verb was told
// to replace it (--force) or it holds what the verb replaces on its own (an earlier demo). A replaced
// directory's contents move aside to .NAME.replaced-PID when the new run starts writing, and are deleted only
// once the new run is safe on disk (Commit: train's first checkpoint, the other verbs' last file); a run that
// stops before that puts them back. Not the files inside the directory.
namespace LstmLens.Cli.Output;

/// <summary>A claimed --out directory; dispose it when the run ends.</summary>
public sealed class OutputDirectory : IDisposable
{
    private readonly bool _occupied;
    private string? _earlier; // where the replaced contents wait until Commit

    private OutputDirectory(string path, bool occupied)
    {
        Path = path;
        _occupied = occupied;
    }

    /// <summary>The directory, as given.</summary>
    public string Path { get; }

    /// <summary>
    /// Claims <paramref name="path"/> without touching it: throws <see cref="OptionException"/> when it is a file, or a non-empty
    /// directory unless <paramref name="force"/> or <paramref name="replaceable"/> says the verb may replace what it holds.
    /// <paramref name="otherwise"/> names another way out for the message (", add --resume to continue its run,").
    /// </summary>
    public static OutputDirectory Claim(string path, bool force, string otherwise = "", Func<string, bool>? replaceable = null, string why = "")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path)) throw new OptionException($"--out {path} is a file");
        bool occupied = Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any();
        if (occupied && !force && !(replaceable?.Invoke(path) ?? false))
            throw new OptionException($"--out {path} is not empty{why}; choose a new directory{otherwise} or add --force to replace it");
        return new OutputDirectory(path, occupied);
    }

    /// <summary>The run starts writing: earlier contents move aside and the directory is created empty. Returns <see cref="Path"/>.</summary>
    public string Open()
    {
        if (_occupied && _earlier is null && Directory.Exists(Path))
        {
            string full = System.IO.Path.GetFullPath(Path).TrimEnd(System.IO.Path.DirectorySeparatorChar);
            _earlier = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(full)!, $".{System.IO.Path.GetFileName(full)}.replaced-{Environment.ProcessId}");
            if (Directory.Exists(_earlier)) Directory.Delete(_earlier, recursive: true);
            Directory.Move(full, _earlier);
        }
        Directory.CreateDirectory(Path);
        return Path;
    }

    /// <summary>The new run is safe on disk: the replaced contents are deleted (once; later calls do nothing).</summary>
    public void Commit()
    {
        if (_earlier is null) return;
        Directory.Delete(_earlier, recursive: true);
        _earlier = null;
    }

    /// <summary>Before <see cref="Commit"/>, the new run's files are removed and the replaced contents put back.</summary>
    public void Dispose()
    {
        if (_earlier is null) return;
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        Directory.Move(_earlier, Path);
        _earlier = null;
    }
}
