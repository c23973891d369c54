using System.Text;

namespace Duplicator.Actors.Images;

/// <summary>
/// The output folder of a read (archive) job, which the job owns: it is made by the job (or was empty), carries a
/// <see cref="MarkerName"/> naming the batch, and holds <c>&lt;n&gt;.iso</c> (or <c>&lt;n&gt;.bin</c> + <c>&lt;n&gt;.cue</c>) per disc,
/// n being the disc's number in the ledger (a number, never an id), and the manifest <see cref="ManifestName"/> in
/// <c>sha256sum</c> format. Nothing in it is ever replaced or deleted; a folder that holds anything else, or was made
/// for another batch, is refused.
/// </summary>
public static class ArchiveFolder
{
    /// <summary>The marker file holding the batch id in UTF-8.</summary>
    public const string MarkerName = ".duplicator-archive";

    /// <summary>The manifest: one line "sha256  name" per file, as <c>sha256sum -c</c> reads it.</summary>
    public const string ManifestName = "SHA256SUMS";

    private static readonly object Gate = new();

    /// <summary>
    /// Makes <paramref name="folder"/> the archive of <paramref name="batchId"/>, or finds it as such (a restart); returns
    /// its full path. Throws <see cref="IOException"/> naming why when it is a link, a file, or a folder this program did
    /// not make for that batch and that is not empty.
    /// </summary>
    public static string Prepare(string folder, string batchId)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var shown = Batches.BatchIds.Show(batchId);
        lock (Gate)
        {
            var info = new DirectoryInfo(full);
            if (info.LinkTarget != null) throw new IOException($"archive folder {full}: is a symbolic link; a read job writes only into a folder it owns");
            if (File.Exists(full)) throw new IOException($"archive folder {full}: is a file, not a folder");
            var marker = Path.Combine(full, MarkerName);
            if (info.Exists)
            {
                if (File.Exists(marker) && new FileInfo(marker).LinkTarget is null && new FileInfo(marker).Length <= 4 * Batches.BatchIds.MaxLength)
                {
                    if (File.ReadAllText(marker, Encoding.UTF8) == batchId) return full;
                    throw new IOException($"archive folder {full}: belongs to another batch (its {MarkerName} names another id); batch {shown} needs a folder of its own");
                }
                if (Directory.EnumerateFileSystemEntries(full).Any())
                    throw new IOException($"archive folder {full}: is not empty and was not made by this program (no {MarkerName}); a read job never writes among files it did not make");
            }
            Directory.CreateDirectory(full);
            using (var f = new FileStream(marker, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                f.Write(new UTF8Encoding(false).GetBytes(batchId));
            return full;
        }
    }

    /// <summary>Appends <paramref name="files"/> (each directly inside <paramref name="folder"/>) to the manifest, flushed to disk.</summary>
    public static void Append(string folder, IEnumerable<(string Path, string Sha256)> files)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var text = new StringBuilder();
        foreach (var (path, sha) in files)
        {
            var file = Path.GetFullPath(path);
            if (!string.Equals(Path.GetDirectoryName(file), full, StringComparison.Ordinal))
                throw new IOException($"{file}: not directly inside the archive folder {full}");
            text.Append(sha.ToLowerInvariant()).Append("  ").Append(Path.GetFileName(file)).Append('\n');
        }
        lock (Gate)
        {
            var path = Path.Combine(full, ManifestName);
            // A link planted in the folder must not carry the manifest's lines into another file.
            if (new FileInfo(path).LinkTarget != null || Directory.Exists(path))
                throw new IOException($"{path}: is a symbolic link or a folder, not the manifest this program writes");
            using var manifest = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            manifest.Write(Encoding.UTF8.GetBytes(text.ToString()));
            manifest.Flush(flushToDisk: true);
        }
    }
}
