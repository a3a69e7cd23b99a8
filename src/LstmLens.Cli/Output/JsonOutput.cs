// --json: stdout carries JSON and nothing else. While a verb runs with --json, Console.Out is stderr, so every
// human line (the start-up line, progress, notes from the library's recipes) goes there, and the verb writes its
// JSON documents through Write to the real stdout, one per line. Not the documents' contents.
using System.Text.Json;

namespace LstmLens.Cli.Output;

/// <summary>The JSON channel of a verb run with --json.</summary>
public static class JsonOutput
{
    private static TextWriter? _stdout;

    /// <summary>True while a verb runs with --json (no live progress bar then).</summary>
    public static bool Active => _stdout is not null;

    /// <summary>Sends human output to stderr until the returned scope is disposed.</summary>
    public static IDisposable Begin()
    {
        _stdout = Console.Out;
        Console.SetOut(Console.Error);
        return new Scope();
    }

    /// <summary>Writes <paramref name="document"/> as one line of JSON to stdout.</summary>
    public static void Write(object document) => (_stdout ?? Console.Out).WriteLine(JsonSerializer.Serialize(document));

    private sealed class Scope : IDisposable
    {
        public void Dispose()
        {
            if (_stdout is null) return;
            Console.SetOut(_stdout);
            _stdout = null;
        }
    }
}
