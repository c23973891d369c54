using Duplicator.Drivers.Burning;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Imapi;

/// <summary>
/// A recorder that appends a data session to the loaded disc (<see cref="DataSessionWriter.Append"/>): the medium must
/// allow one and, when an identity is expected, carry it, both checked before anything is written.
/// </summary>
public interface ISessionAppender
{
    /// <summary>Appends the session <paramref name="build"/> makes for the disc's next writable address; returns where it starts and, when verifying in full, the SHA-256 read back.</summary>
    (long Start, byte[]? ReadBack) AppendSession(SessionBuilder build, RecordOptions options, bool finalize, IDiscMasterProgressEvents progress,
        CancellationToken cancellationToken, string? expectVolumeId = null, string? expectFile = null);
}
