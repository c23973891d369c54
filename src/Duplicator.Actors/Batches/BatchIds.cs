using System.Globalization;
using System.Text;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Batches;

/// <summary>
/// What a batch id may be. An id is a name in the ledger and in messages, never a path: folders are derived from
/// it by <see cref="Images.StashFolders"/>. These rules refuse what no front end should ever send (and what would
/// make logs and messages unreadable), checked where every front end meets the tower: a new batch's
/// <see cref="SubmitBatch"/>.
/// </summary>
public static class BatchIds
{
    /// <summary>Longest id in UTF-16 code units.</summary>
    public const int MaxLength = 128;

    /// <summary>The rule, as the refusal states it.</summary>
    public const string Rule = "a batch id is 1-128 characters, not only dots, without control, format or separator characters and without unpaired surrogates";

    /// <summary>Null when <paramref name="id"/> is a valid batch id; otherwise why not, naming the id and the rule.</summary>
    public static string? Problem(string? id)
    {
        string? why = id switch
        {
            null or "" => "it is empty",
            { Length: > MaxLength } => $"it has {id.Length} characters, more than {MaxLength}",
            _ when id.All(c => c == '.') => "it is only dots",
            _ => null,
        };
        if (why is null)
        {
            for (int i = 0; i < id!.Length && why is null; i++)
            {
                char c = id[i];
                if (char.IsHighSurrogate(c) && i + 1 < id.Length && char.IsLowSurrogate(id[i + 1]))
                {
                    i++;
                    continue;
                }
                if (char.IsSurrogate(c)) why = $"it has an unpaired surrogate at {i}";
                else if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
                         or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                    why = $"it has the character U+{(int)c:X4} at {i}";
            }
        }
        return why is null ? null : $"batch id {Show(id)} is refused: {why} ({Rule})";
    }

    /// <summary>The refusal as the tower answers it: the IMAPI code first (IMAPI_E_INVALIDINPUT), then <see cref="Problem"/>.</summary>
    public static string? Refusal(string? id) => Problem(id) is { } p ? $"{InvalidInputName}: {p}" : null;

    private static readonly string InvalidInputName = new ImapiException(ImapiError.InvalidInput, "").ImapiName;

    /// <summary>Throws <see cref="ImapiException"/> (InvalidInput) naming the id and the rule when <paramref name="id"/> is not valid.</summary>
    public static void Validate(string? id)
    {
        if (Problem(id) is { } p) throw new ImapiException(ImapiError.InvalidInput, p);
    }

    /// <summary>
    /// The id quoted for a message: control and non-ASCII-printable characters escaped, cut to 80 characters, so a
    /// hostile id cannot forge log lines.
    /// </summary>
    public static string Show(string? id)
    {
        if (id is null) return "(none)";
        var sb = new StringBuilder("'");
        foreach (char c in id.Length > 80 ? id[..80] : id)
        {
            if (c is '\'' or '\\') sb.Append('\\').Append(c);
            else if (c < 0x20 || c == 0x7f || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format
                     or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        sb.Append('\'');
        if (id.Length > 80) sb.Append($"... ({id.Length} characters)");
        return sb.ToString();
    }
}
