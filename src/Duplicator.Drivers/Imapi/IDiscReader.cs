using Duplicator.Drivers.Reading;

namespace Duplicator.Drivers.Imapi;

/// <summary>
/// A recorder that can also read the disc it holds: a copy job's master, a read (archive) job's discs, a verify-only
/// job's discs. Beside <see cref="IDiscRecorder"/> (IMAPI has no reading); implementations run on the caller's thread.
/// </summary>
public interface IDiscReader
{
    /// <summary>Reads the whole disc to <paramref name="folder"/>/<paramref name="baseName"/>.iso (or .bin + .cue for an audio CD).</summary>
    DiscReadResult ReadDisc(string folder, string baseName, DataDiscReadOptions? options, Action<long, long>? progress, CancellationToken cancellationToken);

    /// <summary>SHA-256 of the disc's content as verification reads it (see <see cref="DiscImageReader.ContentSha256"/>).</summary>
    byte[] ReadContentSha256(long dataSectors, Action<long, long>? progress, CancellationToken cancellationToken);
}
