// The one exception type for a setting the caller chose badly: an option value out of range, two options
// that contradict each other, an option that does not apply. Its message names the option as the command
// line spells it ("--lr must be positive (got -1)"), so `lstmlens` reports it as a usage error (exit 2).
// Not for bad data (InvalidDataException, exit 1) and not for internal checks such as buffer lengths: a
// plain ArgumentException is a bug, reported by the command line as an internal error.
namespace LstmLens;

/// <summary>A setting that cannot be used, stated in terms of its command-line option.</summary>
public sealed class OptionException : ArgumentException
{
    /// <summary>An error naming the option at fault.</summary>
    public OptionException(string message) : base(message) { }

    /// <summary>An error naming the option at fault, caused by <paramref name="inner"/>.</summary>
    public OptionException(string message, Exception inner) : base(message, inner) { }
}
