namespace Duplicator.Drivers.Transport;

/// <summary>Direction of a command's data phase.</summary>
public enum DataDirection
{
    /// <summary>No data phase.</summary>
    None,
    /// <summary>Device to host (reads, inquiries).</summary>
    In,
    /// <summary>Host to device (writes, mode select, cue sheet).</summary>
    Out,
}

/// <summary>
/// Outcome of one command: SCSI status, the sense bytes when status is CHECK CONDITION, and how many
/// bytes the data phase actually moved.
/// </summary>
/// <param name="Status">SCSI status byte (0 GOOD, 2 CHECK CONDITION, 8 BUSY, ...).</param>
/// <param name="Sense">Fixed or descriptor format sense data; empty when there is none.</param>
/// <param name="Transferred">Bytes moved in the data phase.</param>
public readonly record struct ScsiResult(byte Status, ReadOnlyMemory<byte> Sense, int Transferred)
{
    /// <summary>SAM status GOOD.</summary>
    public const byte Good = 0x00;

    /// <summary>SAM status CHECK CONDITION.</summary>
    public const byte CheckCondition = 0x02;

    /// <summary>True when the status is GOOD.</summary>
    public bool IsGood => Status == Good;
}

/// <summary>
/// One drive reached through one exclusive session: Linux SG_IO, iSCSI (libiscsi) or the in-process
/// emulated recorder. A transport is used from one thread at a time (the drive's own I/O thread); it
/// never shares its session. Transport-level failures (device gone, connection lost, timeout) throw
/// <see cref="TransportException"/>; SCSI-level failures come back as a <see cref="ScsiResult"/>.
/// </summary>
public interface IScsiTransport : IDisposable
{
    /// <summary>Where the drive is: a device path, an iscsi:// URL or an emulated: URL.</summary>
    string Location { get; }

    /// <summary>
    /// Sends <paramref name="cdb"/> and runs its data phase over <paramref name="data"/> (the whole
    /// span is the allocation length for <see cref="DataDirection.In"/>, the bytes to send for
    /// <see cref="DataDirection.Out"/>), giving up after <paramref name="timeout"/>.
    /// </summary>
    ScsiResult Execute(ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data, TimeSpan timeout);
}

/// <summary>A failure below SCSI: the device vanished, the link dropped, or a command timed out.</summary>
public class TransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransportException(string location, string message, bool transient, Exception? inner = null)
        : base($"{location}: {message}", inner)
    {
        Location = location;
        IsTransient = transient;
    }

    /// <summary>The drive's location.</summary>
    public string Location { get; }

    /// <summary>True when retrying after a reconnect may succeed (timeouts, dropped links).</summary>
    public bool IsTransient { get; }
}
