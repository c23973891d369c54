namespace Duplicator.Actors.Tests.Images;

/// <summary>
/// A small folder tree whose every byte and time is fixed (contents, file and folder modification times), so the
/// image a stager makes of it is the same on any machine: Batches/Golden/restage-bbc74e6.json holds what main at
/// bbc74e6 staged it as, before batches had a file system of their own.
/// </summary>
internal static class GoldenCorpus
{
    /// <summary>Submission time of the golden batch (the image's creation time).</summary>
    public static readonly DateTimeOffset SubmittedAt = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

    private static readonly DateTime FileTime = new(2026, 11, 20, 8, 15, 42, DateTimeKind.Utc);
    private static readonly DateTime FolderTime = new(2026, 11, 21, 17, 0, 5, DateTimeKind.Utc);

    /// <summary>Writes the tree into a new folder <paramref name="parent"/>/corpus and returns its full path.</summary>
    public static string Create(string parent)
    {
        var root = Directory.CreateDirectory(Path.Combine(parent, "corpus")).FullName;
        var files = new (string Path, byte[] Bytes)[]
        {
            ("README.txt", "Golden corpus of the restage test.\n"u8.ToArray()),
            ("empty.txt", []),
            ("docs/guide.txt", System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("guide line\n", 400)))),
            ("docs/deeper/café résumé.txt", "unicode name\n"u8.ToArray()),
            ("data/blob.bin", Blob(300_001)),
        };
        foreach (var (rel, bytes) in files)
        {
            var path = Path.Combine(root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            File.SetLastWriteTimeUtc(path, FileTime);
        }
        // Folders last, deepest first: writing a file changes its folder's time.
        foreach (var dir in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
            Directory.SetLastWriteTimeUtc(dir, FolderTime);
        Directory.SetLastWriteTimeUtc(root, FolderTime);
        return root;
    }

    // Deterministic bytes from a fixed linear congruential sequence (System.Random's sequence is not promised across .NET versions).
    private static byte[] Blob(int length)
    {
        var bytes = new byte[length];
        uint x = 12345;
        for (int i = 0; i < length; i++)
        {
            x = x * 1664525 + 1013904223;
            bytes[i] = (byte)(x >> 24);
        }
        return bytes;
    }
}
