using System.Security.Cryptography;
using System.Text;

namespace Duplicator.Actors.Images;

/// <summary>
/// Where a batch's staged files live, and the only code that removes them. A batch id never becomes a path element
/// as it is: its folder is a readable prefix of the id (letters, digits, '-' and '_' kept, anything else '_', at most
/// 40 characters) and 24 hex digits of the SHA-256 of the id's UTF-8 bytes, so no id escapes the stash ("..", "/"),
/// two ids never share a folder (case-insensitive file systems and cut prefixes included) and no name is too long.
/// Each folder carries a marker file holding its batch id; <see cref="Delete"/> removes a folder only when the marker
/// says this program made it for that batch, and only strictly inside the stash root.
/// </summary>
public static class StashFolders
{
    /// <summary>The marker file in every batch folder this program made; it holds the batch id in UTF-8.</summary>
    public const string MarkerName = ".duplicator-batch";

    private const int PrefixLength = 40;
    private const int HashHexDigits = 24;

    /// <summary>The folder name of <paramref name="batchId"/> (no separators, never starting with a dot, at most 65 characters).</summary>
    public static string FolderName(string batchId)
    {
        ArgumentNullException.ThrowIfNull(batchId);
        var prefix = new StringBuilder(PrefixLength);
        foreach (char c in batchId)
        {
            if (prefix.Length == PrefixLength) break;
            prefix.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(batchId)))[..HashHexDigits];
        return prefix.Length == 0 ? hash : $"{prefix}-{hash}";
    }

    /// <summary>The full path of <paramref name="batchId"/>'s folder under <paramref name="stashRoot"/>.</summary>
    public static string Folder(string stashRoot, string batchId) => Path.Combine(Path.GetFullPath(stashRoot), FolderName(batchId));

    /// <summary>Creates (or finds) <paramref name="batchId"/>'s folder with its marker and returns its full path.</summary>
    /// <exception cref="IOException">The path exists but is not a folder this program made for that batch.</exception>
    public static string Create(string stashRoot, string batchId)
    {
        var folder = Folder(stashRoot, batchId);
        if (Refuse(stashRoot, folder, batchId, requireMarker: false) is { } why)
            throw new IOException($"stash folder {folder} for batch {Batches.BatchIds.Show(batchId)}: {why}");
        Directory.CreateDirectory(folder);
        var marker = Path.Combine(folder, MarkerName);
        if (!File.Exists(marker)) File.WriteAllText(marker, batchId, new UTF8Encoding(false));
        else if (ReadMarker(marker) != batchId)
            throw new IOException($"stash folder {folder} belongs to another batch (its {MarkerName} names another id); refusing to stage batch {Batches.BatchIds.Show(batchId)} into it");
        return folder;
    }

    /// <summary>
    /// Removes <paramref name="batchId"/>'s folder and everything in it, when and only when it is a real folder (not a
    /// link) directly inside the stash root, not the root itself, and holds the marker naming that batch. Links inside
    /// are removed, never followed. Returns null when removed or absent, otherwise why it was left alone.
    /// </summary>
    public static string? Delete(string stashRoot, string batchId)
    {
        var folder = Folder(stashRoot, batchId);
        if (!Directory.Exists(folder) && !File.Exists(folder) && new FileInfo(folder).LinkTarget is null) return null;
        if (Refuse(stashRoot, folder, batchId, requireMarker: true) is { } why) return $"{folder}: {why}";
        Directory.Delete(folder, recursive: true); // .NET removes links inside rather than following them
        return null;
    }

    private static string? Refuse(string stashRoot, string folder, string batchId, bool requireMarker)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stashRoot));
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (full == root || !string.Equals(Path.GetDirectoryName(full), root, StringComparison.Ordinal))
            return $"not directly inside the stash {root}";
        var info = new DirectoryInfo(full);
        if (info.LinkTarget != null) return "it is a symbolic link, not a folder this program made";
        if (File.Exists(full)) return "it is a file, not a folder";
        if (!info.Exists) return requireMarker ? "it does not exist" : null;
        var marker = Path.Combine(full, MarkerName);
        if (!File.Exists(marker) || new FileInfo(marker).LinkTarget != null)
            return requireMarker || Directory.EnumerateFileSystemEntries(full).Any() ? $"it has no {MarkerName} marker, so this program did not make it" : null;
        if (requireMarker && ReadMarker(marker) != batchId) return $"its {MarkerName} names another batch";
        return null;
    }

    // Bounded: a marker is at most a batch id; anything longer was not written here.
    private static string? ReadMarker(string marker)
    {
        var info = new FileInfo(marker);
        if (info.Length > Encoding.UTF8.GetMaxByteCount(Batches.BatchIds.MaxLength)) return null;
        return File.ReadAllText(marker, Encoding.UTF8);
    }
}
