using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Scsi;

/// <summary>
/// A command ended in CHECK CONDITION (or another non-GOOD status). Carries the decoded sense and maps it
/// to the IMAPI vocabulary, so callers above the drive layer see <see cref="ImapiException"/> codes.
/// </summary>
public sealed class ScsiCommandException : ImapiException
{
    /// <summary>Creates the exception for <paramref name="command"/> on <paramref name="location"/>.</summary>
    public ScsiCommandException(string location, string command, byte status, SenseData? sense)
        : base(Map(sense), $"{location}: {command} failed: {(sense is { } s ? s.ToString() : $"status {status:X2}, no sense data")}")
    {
        Command = command;
        Status = status;
        Sense = sense;
    }

    /// <summary>The command's name, e.g. WRITE(10).</summary>
    public string Command { get; }

    /// <summary>SCSI status.</summary>
    public byte Status { get; }

    /// <summary>Decoded sense, when there was any.</summary>
    public SenseData? Sense { get; }

    /// <summary>True for "becoming ready" and unit attentions: trying again shortly may succeed.</summary>
    public bool IsRetryable => Sense is { Key: SenseKey.UnitAttention } or { Key: SenseKey.NotReady, Asc: 0x04, Ascq: 0x01 };

    /// <summary>The IMAPI code for a sense condition.</summary>
    public static ImapiError Map(SenseData? sense) => sense switch
    {
        null => ImapiError.DeviceNotAccessible,
        { Asc: 0x3A } => ImapiError.MediumNotPresent,
        { Key: SenseKey.NotReady } => ImapiError.DeviceNotAccessible,
        { Key: SenseKey.MediumError } or { Asc: 0x0C } or { Asc: 0x72 } or { Asc: 0x73 } => ImapiError.CannotWriteToMedia,
        { Asc: 0x30 } or { Asc: 0x64 } => ImapiError.MediumInvalidType,
        { Asc: 0x21, Ascq: 0x00 } => ImapiError.DiscFull,
        { Asc: 0x21 } => ImapiError.CannotWriteToMedia,
        { Key: SenseKey.HardwareError } => ImapiError.DeviceNotAccessible,
        _ => ImapiError.CannotWriteToMedia,
    };
}
