using System.Buffers;
using System.Security.Cryptography;

namespace Duplicator.Mastering.Images;

/// <summary>Whole-image operations over any <see cref="ISectorSource"/>.</summary>
public static class SectorSourceExtensions
{
    /// <summary>Sectors per read when streaming a whole image (1 MiB for data sectors).</summary>
    private const int ChunkSectors = 512;

    private delegate void ChunkAction(ReadOnlySpan<byte> chunk);

    /// <summary>Total bytes of the image.</summary>
    public static long ByteLength(this ISectorSource source) => source.SectorCount * source.SectorSize;

    /// <summary>Streams every sector to <paramref name="destination"/> in order.</summary>
    public static void CopyTo(this ISectorSource source, Stream destination, CancellationToken cancellationToken = default) =>
        ForEachChunk(source, cancellationToken, destination.Write);

    /// <summary>SHA-256 of the whole image, as recorded in ledgers and used by verify-after-burn.</summary>
    public static byte[] ComputeSha256(this ISectorSource source, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ForEachChunk(source, cancellationToken, hash.AppendData);
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// SHA-256 of the sectors of <paramref name="ranges"/> (first sector, count), in order: what a recorder that
    /// verifies an audio disc reads back is its tracks without the gaps between them.
    /// </summary>
    public static byte[] ComputeSha256(this ISectorSource source, IEnumerable<(long First, long Count)> ranges, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (first, count) in ranges)
            ForEachChunk(source, first, count, cancellationToken, hash.AppendData);
        return hash.GetHashAndReset();
    }

    private static void ForEachChunk(ISectorSource source, CancellationToken cancellationToken, ChunkAction action) =>
        ForEachChunk(source, 0, source.SectorCount, cancellationToken, action);

    private static void ForEachChunk(ISectorSource source, long first, long count, CancellationToken cancellationToken, ChunkAction action)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSectors * source.SectorSize);
        try
        {
            for (long done = 0; done < count; done += ChunkSectors)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = (int)Math.Min(ChunkSectors, count - done);
                var span = buffer.AsSpan(0, n * source.SectorSize);
                source.Read(first + done, span);
                action(span);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
