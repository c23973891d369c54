using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Floor;

/// <summary>Copies a staged image from a tower that holds it, by content hash, checked before anything uses it.</summary>
public interface IImageFetcher
{
    /// <summary>
    /// Fetches the image whose SHA-256 is <paramref name="sha256"/> (64 lower-case hex digits) and whose size is
    /// <paramref name="bytes"/> from the tower whose control API base URL is <paramref name="from"/> into
    /// <paramref name="targetPath"/>: bytes go to <c>targetPath + ".part"</c>, a part file a previous attempt left is
    /// resumed, and the file is renamed to <paramref name="targetPath"/> only when all <paramref name="bytes"/> arrived and
    /// hash to <paramref name="sha256"/>. Throws <see cref="Duplicator.Mastering.Imapi.ImapiException"/> otherwise
    /// (nothing is left at <paramref name="targetPath"/>).
    /// </summary>
    Task FetchAsync(Uri from, string sha256, long bytes, string targetPath, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="FetchAsync(Uri, string, long, string, CancellationToken)"/>, telling <paramref name="verified"/> how
    /// many bytes from the start are checked as they are: with the image's piece list (<paramref name="image"/>'s
    /// <see cref="FloorImage.PiecesSha256"/>, the list fetched and checked against it, then each piece as it arrives) at
    /// every piece, else once, when the whole image matched its hash (a fetcher without pieces: this default).
    /// </summary>
    async Task FetchAsync(Uri from, string sha256, long bytes, string targetPath, FloorImage? image, Action<long> verified, CancellationToken cancellationToken)
    {
        await FetchAsync(from, sha256, bytes, targetPath, cancellationToken);
        verified(bytes);
    }
}
