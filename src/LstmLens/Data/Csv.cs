// One line of comma-separated values, as the run files write and read them (RFC 4180 quoting: a field
// with a comma or a quote is quoted, quotes doubled). No multi-line fields: every run file keeps one
// record per line. Not a reader of arbitrary spreadsheets.
using System.Text;

namespace LstmLens.Data;

/// <summary>Joins and splits CSV lines.</summary>
public static class Csv
{
    /// <summary>The fields as one line, quoted where needed.</summary>
    public static string Join(IEnumerable<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return string.Join(',', fields.Select(f => f.Contains(',', StringComparison.Ordinal) || f.Contains('"', StringComparison.Ordinal)
            ? $"\"{f.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : f));
    }

    /// <summary>The fields of one line, quotes removed.</summary>
    public static List<string> Split(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
