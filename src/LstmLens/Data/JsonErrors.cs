// JSON errors as a user sees them. System.Text.Json quotes the offending input in its messages, line breaks
// included (an invalid literal quotes the rest of the document); an error names the file in one line of bounded
// length. Not a JSON reader.
using System.Text.Json;

namespace LstmLens.Data;

/// <summary>One-line messages of <see cref="JsonException"/>s.</summary>
public static class JsonErrors
{
    private const int MaxLength = 240;

    /// <summary>The message of <paramref name="e"/> on one line; a longer one keeps its start and its end (the position).</summary>
    public static string OneLine(JsonException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        string text = string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return text.Length <= MaxLength ? text : $"{text[..(MaxLength / 2)]} … {text[^(MaxLength / 2)..]}";
    }
}
