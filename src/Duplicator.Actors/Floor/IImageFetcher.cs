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
}
