// The file in which the "auto" kernels keep their measured choices: one JSON object of shape key →
// kernel set per machine and library version (the file name carries a hash of both, the file itself
// the full description), in the user's cache directory (LSTMLENS_CACHE_DIR, else XDG_CACHE_HOME/lstmlens,
// else ~/.cache/lstmlens; on Windows the local application data folder). Written whole through a
// temporary file and a rename, re-read before each write so concurrent runs keep each other's entries.
// An unreadable or damaged file is treated as empty: the cache only saves time. Not a settings store.
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LstmLens.Numerics;

/// <summary>Persistent shape → kernel-set choices for one machine and library version.</summary>
public sealed class KernelChoiceCache
{
    private readonly Lock _gate = new();
    private Dictionary<string, string> _entries;

    /// <summary>Opens (or starts) the cache for this machine in <paramref name="directory"/> (null: <see cref="DefaultDirectory"/>).</summary>
    public KernelChoiceCache(string? directory = null)
    {
        Machine = DescribeMachine();
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Machine)))[..16];
        FilePath = Path.Combine(directory ?? DefaultDirectory(), $"kernel-choices-{hash}.json");
        _entries = Read();
    }

    /// <summary>The machine and library description the choices belong to (CPU, cores, instruction sets, OpenBLAS build, LstmLens and .NET versions).</summary>
    public string Machine { get; }

    /// <summary>The cache file.</summary>
    public string FilePath { get; }

    /// <summary>Number of choices known.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>The cached kernel set for <paramref name="key"/>, or null.</summary>
    public string? Get(string key)
    {
        lock (_gate) return _entries.GetValueOrDefault(key);
    }

    /// <summary>Records a choice and writes the file (silently keeping it in memory only when the directory is not writable).</summary>
    public void Set(string key, string kernels)
    {
        lock (_gate)
        {
            var merged = Read();
            foreach (var (k, v) in _entries) merged.TryAdd(k, v);
            merged[key] = kernels;
            _entries = merged;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
                string temporary = $"{FilePath}.{Environment.ProcessId}.tmp";
                File.WriteAllText(temporary, JsonSerializer.Serialize(new CacheFile(Machine, new SortedDictionary<string, string>(merged, StringComparer.Ordinal)), Options));
                File.Move(temporary, FilePath, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The choices stay valid for this process; the next one calibrates again.
            }
        }
    }

    /// <summary>LSTMLENS_CACHE_DIR, else $XDG_CACHE_HOME/lstmlens, else ~/.cache/lstmlens (Windows: the local application data folder).</summary>
    public static string DefaultDirectory()
    {
        string? own = Environment.GetEnvironmentVariable("LSTMLENS_CACHE_DIR");
        if (!string.IsNullOrEmpty(own)) return own;
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "LstmLens", "cache");
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "lstmlens");
    }

    /// <summary>
    /// CPU model with family/model/stepping (x64 Linux) or architecture, logical cores, accelerated vector widths,
    /// OpenBLAS build string, LstmLens and .NET versions: everything a measured choice depends on.
    /// </summary>
    public static string DescribeMachine()
    {
        string version = typeof(KernelChoiceCache).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        string widths = string.Join("/", SimdGemm<float>.Widths.Where(SimdGemm<float>.IsAccelerated));
        return string.Create(CultureInfo.InvariantCulture,
            $"{CpuIdentity.Describe()}; {Environment.ProcessorCount} logical cores; vectors {widths}-bit; FMA {SimdSupport.FusedMultiplyAdd}; "
            + $"OpenBLAS {(OpenBlasNative.IsAvailable ? OpenBlasNative.Config ?? "present" : "none")}; LstmLens {version}; {RuntimeInformation.FrameworkDescription}");
    }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    private sealed record CacheFile(string Machine, SortedDictionary<string, string> Choices);

    private Dictionary<string, string> Read()
    {
        try
        {
            var file = JsonSerializer.Deserialize<CacheFile>(File.ReadAllText(FilePath));
            return file is not null && file.Machine == Machine && file.Choices is not null
                ? new Dictionary<string, string>(file.Choices, StringComparer.Ordinal)
                : new Dictionary<string, string>(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }
    }
}

/// <summary>The processor as /proc/cpuinfo names it, with its family and model numbers (which tell CPU generations apart).</summary>
public static class CpuIdentity
{
    /// <summary>E.g. "AMD EPYC (family 25, model 17, stepping 1)"; elsewhere the architecture.</summary>
    public static string Describe()
    {
        string model = Field("model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        string? family = Field("cpu family"), number = Field("model"), stepping = Field("stepping");
        return family is null || number is null ? model : $"{model} (family {family}, model {number}, stepping {stepping ?? "?"})";
    }

    /// <summary>A file-name form, e.g. "AMD-EPYC-family25-model17".</summary>
    public static string FileName()
    {
        var name = new StringBuilder();
        foreach (char c in Field("model name") ?? RuntimeInformation.ProcessArchitecture.ToString())
            if (char.IsAsciiLetterOrDigit(c)) name.Append(c);
            else if (name.Length > 0 && name[^1] != '-') name.Append('-');
        string model = name.ToString().TrimEnd('-');
        string? family = Field("cpu family"), number = Field("model");
        return family is null || number is null ? model : $"{model}-family{family}-model{number}";
    }

    /// <summary>A field of the first processor in /proc/cpuinfo, or null.</summary>
    private static string? Field(string name)
    {
        const string file = "/proc/cpuinfo";
        if (!File.Exists(file)) return null;
        foreach (string line in File.ReadLines(file).TakeWhile(l => l.Length > 0))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == name) return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
