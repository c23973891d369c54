using System.Collections.Immutable;
using System.Text;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Data.PerDisc;

/// <summary>
/// The per-disc values of a batch: a CSV (RFC 4180) with a header row naming the columns and one row per disc.
/// Parsed strictly and bounded: UTF-8 (no BOM needed, one is skipped), at most <see cref="MaxBytes"/> bytes,
/// <see cref="MaxRows"/> rows, <see cref="MaxColumns"/> columns and <see cref="MaxFieldLength"/> characters a field;
/// every row has the header's number of fields; quotes only around a whole field ("" inside is a quote); no NUL or
/// other control characters but tab; column names are letters, digits, '_' and '-', unique, and not serial, disc,
/// batch or date. Errors name the line, the row and the column.
/// </summary>
public sealed record ValuesCsv(ImmutableArray<string> Columns, ImmutableArray<ImmutableArray<string>> Rows)
{
    /// <summary>Largest CSV.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Most data rows.</summary>
    public const int MaxRows = 100_000;

    /// <summary>Most columns.</summary>
    public const int MaxColumns = 32;

    /// <summary>Longest field, in characters.</summary>
    public const int MaxFieldLength = 4096;

    /// <summary>Row <paramref name="row"/> (0-based) as column name to value.</summary>
    public IReadOnlyDictionary<string, string> Row(int row) =>
        Columns.Select((c, i) => (c, i)).ToImmutableSortedDictionary(x => x.c, x => Rows[row][x.i], StringComparer.Ordinal);

    /// <summary>True when <paramref name="path"/> (links followed) is a regular file: what a FIFO or device is not, checked before it is opened.</summary>
    public static bool IsRegularFile(string path) => UnixFileType.IsRegularFile(path);

    /// <summary>Reads and parses the CSV at <paramref name="path"/> (a regular file of at most <see cref="MaxBytes"/>).</summary>
    public static ValuesCsv Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new ImapiException(ImapiError.SourceUnreadable, $"values {path}: no such file");
        if (info.Attributes.HasFlag(FileAttributes.Directory) || !UnixFileType.IsRegularFile(path)) // a FIFO would block the open
            throw new ImapiException(ImapiError.InvalidInput, $"values {path}: not a regular file");
        if (info.Length > MaxBytes) throw new ImapiException(ImapiError.InvalidInput, $"values {path}: {info.Length} bytes, at most {MaxBytes}");
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (!stream.CanSeek) throw new ImapiException(ImapiError.InvalidInput, $"values {path}: not a regular file");
            bytes = new byte[MaxBytes + 1];
            int n = 0, r;
            while (n < bytes.Length && (r = stream.Read(bytes, n, bytes.Length - n)) > 0) n += r;
            if (n > MaxBytes) throw new ImapiException(ImapiError.InvalidInput, $"values {path}: more than {MaxBytes} bytes");
            Array.Resize(ref bytes, n);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImapiException(ImapiError.SourceUnreadable, $"values {path}: {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses CSV bytes; <paramref name="name"/> names them in errors.</summary>
    public static ValuesCsv Parse(ReadOnlySpan<byte> bytes, string name)
    {
        ImapiException Bad(string why) => new(ImapiError.InvalidInput, $"values {name}: {why}");
        if (bytes.Length > MaxBytes) throw Bad($"{bytes.Length} bytes, at most {MaxBytes}");
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Bad("not UTF-8"); }

        var records = new List<(int Line, List<string> Fields)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool quoted = false, wasQuoted = false;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length)
            {
                if (quoted) throw Bad($"line {recordLine}: a quoted field is never closed");
                if (fields.Count > 0 || field.Length > 0 || wasQuoted) EndRecord();
                break;
            }
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { Append('"'); i++; }
                    else quoted = false;
                    continue;
                }
                if (c == '\n') line++;
                else if (c == '\r') { }
                else Check(c);
                Append(c);
                continue;
            }
            switch (c)
            {
                case '"':
                    if (field.Length > 0 || wasQuoted) throw Bad($"line {line}: a quote inside an unquoted field (quote the whole field and double the quote)");
                    quoted = wasQuoted = true;
                    break;
                case ',':
                    EndField();
                    break;
                case '\r':
                    if (i + 1 >= text.Length || text[i + 1] != '\n') throw Bad($"line {line}: a carriage return not followed by a line feed");
                    break;
                case '\n':
                    if (fields.Count == 0 && field.Length == 0 && !wasQuoted) throw Bad($"line {line}: an empty line");
                    EndRecord();
                    line++;
                    recordLine = line;
                    break;
                default:
                    if (wasQuoted) throw Bad($"line {line}: characters after a closing quote");
                    Check(c);
                    Append(c);
                    break;
            }
        }
        if (records.Count == 0) throw Bad("empty: a header row naming the columns comes first");
        var header = records[0].Fields;
        if (header.Count > MaxColumns) throw Bad($"{header.Count} columns, at most {MaxColumns}");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in header)
        {
            if (h.Length is 0 or > 64 || !h.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
                throw Bad($"line 1: column name '{Shown(h)}' is not 1-64 letters, digits, '_' or '-'");
            if (DiscTemplate.BuiltIns.Contains(h)) throw Bad($"line 1: column name '{h}' is a built-in placeholder");
            if (!seen.Add(h)) throw Bad($"line 1: column '{h}' appears twice");
        }
        if (records.Count - 1 > MaxRows) throw Bad($"{records.Count - 1} rows, at most {MaxRows}");
        var rows = ImmutableArray.CreateBuilder<ImmutableArray<string>>(records.Count - 1);
        for (int r = 1; r < records.Count; r++)
        {
            var (l, f) = records[r];
            if (f.Count != header.Count) throw Bad($"line {l} (row {r}): {f.Count} fields, the header has {header.Count}");
            rows.Add([.. f]);
        }
        return new ValuesCsv([.. header], rows.MoveToImmutable());

        void Check(char ch)
        {
            if (char.IsControl(ch) && ch != '\t') throw Bad($"line {line}: control character U+{(int)ch:X4} (row {records.Count}, column {fields.Count + 1})");
        }
        void Append(char ch)
        {
            if (field.Length >= MaxFieldLength)
                throw Bad($"line {recordLine} (row {records.Count}, column {ColumnName(fields.Count)}): a field longer than {MaxFieldLength} characters");
            field.Append(ch);
        }
        string ColumnName(int index) => records.Count > 0 && index < records[0].Fields.Count ? records[0].Fields[index] : (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        void EndField()
        {
            fields.Add(field.ToString());
            field.Clear();
            wasQuoted = false;
            if (fields.Count > MaxColumns) throw Bad($"line {line}: more than {MaxColumns} fields");
        }
        void EndRecord()
        {
            EndField();
            records.Add((recordLine, fields));
            fields = [];
            if (records.Count > MaxRows + 1) throw Bad($"more than {MaxRows} rows");
        }
    }

    private static string Shown(string s) => s.Length > 40 ? s[..40] + "..." : s;
}
