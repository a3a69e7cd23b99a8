// A verb's options declared as fields of one class: the thread, kernel and JSON options every analysis verb takes, and
// the list of them all for the command.
using System.CommandLine;

namespace LstmLens.Cli;

/// <summary>Base of a verb's option set.</summary>
internal abstract class VerbOptions
{
    /// <summary>--threads.</summary>
    public readonly Option<int> Threads = CommonOptions.Threads();

    /// <summary>--kernels.</summary>
    public readonly Option<string> Kernels = CommonOptions.Kernels();

    /// <summary>--json.</summary>
    public readonly Option<bool> Json = CommonOptions.Json();

    /// <summary>Every option field, the verb's own first.</summary>
    public IEnumerable<Option> All => GetType().GetFields().Select(f => (Option)f.GetValue(this)!);
}
