using System.Buffers;
using System.Security.Cryptography;

namespace Duplicator.Actors.Floor;

/// <summary>
/// The piece list of a floor image: the SHA-256 of each <c>pieceBytes</c> of it in order (the last piece shorter),
/// 32 bytes each, kept beside the image as <c>sha256.pieces</c>. The ledger keeps the SHA-256 of that list
/// (<see cref="Batches.FloorImage.PiecesSha256"/>), so a tower that fetches the list from anyone checks it against the
/// ledger, and then each piece as it arrives, and can burn what arrived while the rest is on its way: no byte reaches a
/// disc before the piece it is in matched the list.
/// </summary>
public static class FloorPieces
{
    /// <summary>The piece size a submitting tower uses: 4 MiB (a 4.7 GB DVD has 1,121 pieces, a 35 KiB list).</summary>
    public const int DefaultPieceBytes = 4 << 20;

    /// <summary>The smallest piece size a ledger entry may name.</summary>
    public const int MinPieceBytes = 64 << 10;

    /// <summary>The largest piece size a ledger entry may name.</summary>
    public const int MaxPieceBytes = 64 << 20;

    /// <summary>Bytes of one piece's hash in the list.</summary>
    public const int HashBytes = 32;

    /// <summary>Whether <paramref name="bytes"/> is a piece size a ledger entry may name: a power of two from <see cref="MinPieceBytes"/> to <see cref="MaxPieceBytes"/>.</summary>
    public static bool IsPieceSize(int bytes) => bytes is >= MinPieceBytes and <= MaxPieceBytes && (bytes & (bytes - 1)) == 0;

    /// <summary>Pieces of an image of <paramref name="imageBytes"/>.</summary>
    public static long Count(long imageBytes, int pieceBytes) => (imageBytes + pieceBytes - 1) / pieceBytes;

    /// <summary>Where the piece list of the image at <paramref name="imagePath"/> is kept: beside it, <c>.pieces</c> for its extension.</summary>
    public static string ListPath(string imagePath) => Path.ChangeExtension(imagePath, ".pieces");

    /// <summary>The SHA-256 of a piece list, upper-case hex (as the ledger keeps it).</summary>
    public static string Root(ReadOnlySpan<byte> list) => Convert.ToHexString(SHA256.HashData(list));

    /// <summary>
    /// Reads the file at <paramref name="path"/> once: its SHA-256 (upper-case hex) and its piece list for
    /// <paramref name="pieceBytes"/>. The caller bounds the file's size (a list is 32 bytes per piece).
    /// </summary>
    public static (string Sha256, byte[] List) Hash(string path, int pieceBytes, CancellationToken cancellationToken) =>
        HashCore(path, null, pieceBytes, cancellationToken);

    /// <summary>
    /// As <see cref="Hash"/>, writing what it reads to a new file <paramref name="copyPath"/> (created, never
    /// overwritten) in the same pass: the hashes are of the bytes the copy holds.
    /// </summary>
    public static (string Sha256, byte[] List) CopyAndHash(string path, string copyPath, int pieceBytes, CancellationToken cancellationToken) =>
        HashCore(path, copyPath, pieceBytes, cancellationToken);

    private static (string Sha256, byte[] List) HashCore(string path, string? copyPath, int pieceBytes, CancellationToken cancellationToken)
    {
        if (!IsPieceSize(pieceBytes)) throw new ArgumentOutOfRangeException(nameof(pieceBytes), pieceBytes, "not a piece size");
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var copy = copyPath is null ? null : new FileStream(copyPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        long length = file.Length;
        var list = new byte[checked((int)(Count(length, pieceBytes) * HashBytes))];
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(pieceBytes);
        try
        {
            for (long piece = 0; piece * pieceBytes < length; piece++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int want = (int)Math.Min(pieceBytes, length - piece * pieceBytes);
                file.ReadExactly(buffer, 0, want);
                copy?.Write(buffer, 0, want);
                whole.AppendData(buffer, 0, want);
                SHA256.HashData(buffer.AsSpan(0, want), list.AsSpan(checked((int)(piece * HashBytes)), HashBytes));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (Convert.ToHexString(whole.GetHashAndReset()), list);
    }

    /// <summary>Writes <paramref name="list"/> to <see cref="ListPath"/> of <paramref name="imagePath"/>: a temporary name first, then renamed.</summary>
    public static void WriteList(string imagePath, byte[] list)
    {
        var path = ListPath(imagePath);
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, list);
        File.Move(temp, path, overwrite: true);
    }
}
