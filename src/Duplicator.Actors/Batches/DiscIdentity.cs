using Duplicator.Mastering.Data.Iso9660;

namespace Duplicator.Actors.Batches;

/// <summary>
/// What the disc loaded for a verify-only or append job must be, checked before anything is read for hashing or
/// written (PTBurn's CheckVolumeIDOnDisc and CheckFileOnDisc): its volume ID (primary or Joliet, ignoring case and
/// trailing spaces, as <see cref="DiscIdentityCheck.HasVolumeId(Mastering.Images.ISectorSource, string, out DiscIdentityCheck.VolumeIds)"/>
/// compares) and/or a file on it, a path on the disc ("/docs/readme.txt"), never a host path. A disc that does not
/// match fails as the disc's fault, never the drive's. Null fields are not checked; at least one is given.
/// </summary>
/// <param name="VolumeId">The volume ID the disc must carry, or null.</param>
/// <param name="File">A file the disc's last session must hold, or null.</param>
public sealed record DiscIdentity(string? VolumeId, string? File = null)
{
    /// <summary>Longest volume ID: the primary volume descriptor's 32 characters (Joliet's is 16).</summary>
    public const int MaxVolumeChars = 32;

    /// <summary>Longest file path on the disc, in characters.</summary>
    public const int MaxFileChars = 1024;

    /// <summary>Longest name of one path component (Joliet allows 64, Rock Ridge 255).</summary>
    public const int MaxNameChars = 255;

    // Characters no ISO 9660, Joliet or Rock Ridge name this check compares can hold, and the host's path syntax.
    private static readonly char[] NotInNames = ['\\', ':', '*', '?', '"', '<', '>', '|', ';'];

    /// <summary>Why this is not a valid expectation, or null: a volume ID of 1 to 32 characters without control characters; a file path of
    /// 1 to 64 '/'-separated names, each 1 to 255 characters, no "." or "..", no control characters and none of <c>\ : * ? " &lt; &gt; | ;</c>.</summary>
    public string? Refusal()
    {
        if (VolumeId is null && File is null) return "expect: name a volume, a file or both";
        if (VolumeId is { } v)
        {
            if (v.Trim().Length == 0 || v.Length > MaxVolumeChars) return $"expect.volume: 1 to {MaxVolumeChars} characters, not {v.Length}{(v.Length > 0 ? " (or blanks only)" : "")}";
            if (v.Any(char.IsControl)) return "expect.volume: control characters are not allowed";
        }
        if (File is { } f)
        {
            if (f.Length == 0 || f.Length > MaxFileChars) return $"expect.file: 1 to {MaxFileChars} characters, not {f.Length}";
            var parts = f.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0 || parts.Length > DiscIdentityCheck.MaxDepth) return $"expect.file: a path on the disc of 1 to {DiscIdentityCheck.MaxDepth} names separated by '/', not {parts.Length}";
            foreach (var p in parts)
            {
                if (p is "." or "..") return $"expect.file: '{p}' is not a name (a path on the disc, from its root)";
                if (p.Length > MaxNameChars) return $"expect.file: a name of {p.Length} characters, at most {MaxNameChars}";
                if (p.Any(char.IsControl) || p.IndexOfAny(NotInNames) >= 0)
                    return "expect.file: a path on the disc ('/' between names) holds no control characters nor any of \\ : * ? \" < > | ;";
            }
        }
        return null;
    }

    /// <summary>The expectation in the job document's words, e.g. "volume 'INVOICES_2026', file '/README.TXT'".</summary>
    public override string ToString() =>
        string.Join(", ", new[] { VolumeId is { } v ? $"volume '{v}'" : null, File is { } f ? $"file '{f}'" : null }.Where(s => s != null));

    /// <summary>The same expectation (volume IDs compared as the disc check compares them; file paths ignoring case and leading or doubled '/').</summary>
    public bool SameAs(DiscIdentity? other) =>
        other is not null
        && string.Equals(VolumeId?.TrimEnd(), other.VolumeId?.TrimEnd(), StringComparison.OrdinalIgnoreCase)
        && string.Equals(Normal(File), Normal(other.File), StringComparison.OrdinalIgnoreCase);

    private static string? Normal(string? path) => path is null ? null : string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));
}
