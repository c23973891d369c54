using System.Globalization;
using System.Text;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Data.PerDisc;

/// <summary>What one disc's templates are filled with.</summary>
/// <param name="Serial">The disc's serial number.</param>
/// <param name="Disc">The disc's number in the batch's ledger.</param>
/// <param name="Batch">The batch id.</param>
/// <param name="Date">The batch's date (its submission time, so a restart fills the same).</param>
/// <param name="Columns">The disc's CSV row by column name; empty without a CSV.</param>
public sealed record DiscValues(long Serial, int Disc, string Batch, DateTimeOffset Date, IReadOnlyDictionary<string, string> Columns);

/// <summary>
/// A per-disc template: text with placeholders <c>{serial}</c>, <c>{serial:000000}</c> (zero-padded to that many
/// digits), <c>{disc}</c>, <c>{disc:000}</c>, <c>{batch}</c>, <c>{date}</c> (yyyy-MM-dd, or <c>{date:yyyyMMdd}</c>
/// with the letters y M d H m s and - : . _ T), and <c>{column}</c> for a CSV column; <c>{{</c> and <c>}}</c> are
/// literal braces. Parsed strictly (an unknown placeholder, an unclosed brace or a bad format is refused, naming it),
/// rendered purely.
/// </summary>
public sealed class DiscTemplate
{
    /// <summary>Longest template text.</summary>
    public const int MaxLength = 1 << 16;

    /// <summary>Placeholders that are not CSV columns.</summary>
    public static IReadOnlySet<string> BuiltIns { get; } = new HashSet<string>(StringComparer.Ordinal) { "serial", "disc", "batch", "date" };

    private readonly List<(string? Text, string? Name, string? Format)> _parts;

    private DiscTemplate(string text, List<(string?, string?, string?)> parts)
    {
        Text = text;
        _parts = parts;
    }

    /// <summary>The template as written.</summary>
    public string Text { get; }

    /// <summary>CSV columns the template names.</summary>
    public IEnumerable<string> Columns => _parts.Where(p => p.Name is { } n && !BuiltIns.Contains(n)).Select(p => p.Name!).Distinct();

    /// <summary>True when the template has no placeholders (its rendering never varies).</summary>
    public bool IsConstant => _parts.All(p => p.Name is null);

    /// <summary>
    /// Parses <paramref name="text"/>; <paramref name="field"/> names it in errors (e.g. <c>perDisc.files[0].template</c>),
    /// <paramref name="columns"/> are the CSV's columns (a placeholder neither built in nor a column is refused).
    /// </summary>
    /// <exception cref="ImapiException">InvalidInput naming the field and the placeholder.</exception>
    public static DiscTemplate Parse(string text, string field, IReadOnlyCollection<string> columns)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength) throw Bad(field, $"{text.Length} characters, at most {MaxLength}");
        var parts = new List<(string?, string?, string?)>();
        var literal = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '}')
            {
                if (i + 1 < text.Length && text[i + 1] == '}') { literal.Append('}'); i++; continue; }
                throw Bad(field, $"a '}}' at character {i + 1} closes nothing (write '}}}}' for a brace)");
            }
            if (c != '{') { literal.Append(c); continue; }
            if (i + 1 < text.Length && text[i + 1] == '{') { literal.Append('{'); i++; continue; }
            int close = text.IndexOf('}', i + 1);
            if (close < 0) throw Bad(field, $"the '{{' at character {i + 1} is never closed");
            var inner = text[(i + 1)..close];
            int colon = inner.IndexOf(':');
            var name = colon < 0 ? inner : inner[..colon];
            var format = colon < 0 ? null : inner[(colon + 1)..];
            if (!BuiltIns.Contains(name) && !columns.Contains(name))
                throw Bad(field, $"{{{Shown(name)}}} is neither serial, disc, batch, date nor a column of the values ({(columns.Count == 0 ? "there is no CSV" : string.Join(", ", columns))})");
            if (format is not null) CheckFormat(field, name, format);
            if (literal.Length > 0) { parts.Add((literal.ToString(), null, null)); literal.Clear(); }
            parts.Add((null, name, format));
            i = close;
        }
        if (literal.Length > 0) parts.Add((literal.ToString(), null, null));
        return new DiscTemplate(text, parts);
    }

    private static void CheckFormat(string field, string name, string format)
    {
        bool ok = name switch
        {
            "serial" or "disc" => format.Length is > 0 and <= 20 && format.All(ch => ch is '0' or '#'),
            "date" => format.Length is > 0 and <= 32 && format.All(ch => ch is 'y' or 'M' or 'd' or 'H' or 'm' or 's' or '-' or ':' or '.' or '_' or 'T'),
            _ => false,
        };
        if (!ok)
            throw Bad(field, name is "serial" or "disc" ? $"{{{name}:{Shown(format)}}}: a number's format is 1-20 of '0' (a digit, zero-padded) and '#'"
                : name == "date" ? $"{{date:{Shown(format)}}}: a date's format is up to 32 of y M d H m s - : . _ T"
                : $"{{{Shown(name)}:...}}: only serial, disc and date take a format");
    }

    /// <summary>The template filled with <paramref name="values"/>.</summary>
    public string Render(DiscValues values) => Render(values, int.MaxValue)!;

    /// <summary>The template filled with <paramref name="values"/>, or null as soon as it is longer than <paramref name="maxChars"/> characters (nothing unbounded is built).</summary>
    public string? Render(DiscValues values, int maxChars)
    {
        var sb = new StringBuilder();
        foreach (var (text, name, format) in _parts)
        {
            if (sb.Length > maxChars) return null;
            if (text is not null) { sb.Append(text); continue; }
            sb.Append(name switch
            {
                "serial" => values.Serial.ToString(format ?? "0", CultureInfo.InvariantCulture),
                "disc" => values.Disc.ToString(format ?? "0", CultureInfo.InvariantCulture),
                "batch" => values.Batch,
                "date" => values.Date.UtcDateTime.ToString(format ?? "yyyy-MM-dd", CultureInfo.InvariantCulture),
                _ => values.Columns.TryGetValue(name!, out var v) ? v : throw new ImapiException(ImapiError.InvalidInput, $"no value for column {name}"),
            });
        }
        return sb.Length > maxChars ? null : sb.ToString();
    }

    private static string Shown(string s) => s.Length > 40 ? s[..40] + "..." : s;

    private static ImapiException Bad(string field, string why) => new(ImapiError.InvalidInput, $"{field}: {why}");
}
