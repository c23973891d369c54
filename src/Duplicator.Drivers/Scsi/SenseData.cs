using System.Buffers.Binary;

namespace Duplicator.Drivers.Scsi;

/// <summary>SPC-4 4.5.6 sense keys.</summary>
public enum SenseKey : byte
{
    /// <summary>No sense.</summary>
    NoSense = 0x0,
    /// <summary>Recovered error.</summary>
    RecoveredError = 0x1,
    /// <summary>Not ready (no medium, becoming ready, ...).</summary>
    NotReady = 0x2,
    /// <summary>Medium error (write or read failure on the disc).</summary>
    MediumError = 0x3,
    /// <summary>Hardware error.</summary>
    HardwareError = 0x4,
    /// <summary>Illegal request (bad CDB, address, parameter).</summary>
    IllegalRequest = 0x5,
    /// <summary>Unit attention (medium changed, reset).</summary>
    UnitAttention = 0x6,
    /// <summary>Data protect.</summary>
    DataProtect = 0x7,
    /// <summary>Blank check.</summary>
    BlankCheck = 0x8,
    /// <summary>Aborted command.</summary>
    AbortedCommand = 0xB,
}

/// <summary>
/// Decoded sense data (SPC-4 4.5): fixed format (response codes 70h/71h: key in byte 2, information in
/// bytes 3-6, ASC/ASCQ in bytes 12/13) or descriptor format (72h/73h: key, ASC, ASCQ in bytes 1-3).
/// </summary>
/// <param name="Key">Sense key.</param>
/// <param name="Asc">Additional sense code.</param>
/// <param name="Ascq">Additional sense code qualifier.</param>
/// <param name="Information">The information field (fixed format, when valid), e.g. the failing LBA.</param>
public readonly record struct SenseData(SenseKey Key, byte Asc, byte Ascq, uint? Information = null)
{
    // SPC-4 4.5.3 fixed format
    private const int FixedResponseCode = 0;
    private const int FixedKey = 2;
    private const int FixedInformation = 3;
    private const int FixedAsc = 12;
    private const int FixedAscq = 13;

    /// <summary>Decodes <paramref name="sense"/>; null when it is empty or of an unknown format.</summary>
    public static SenseData? Read(ReadOnlySpan<byte> sense)
    {
        if (sense.Length < 1) return null;
        int code = sense[FixedResponseCode] & 0x7F;
        if (code is 0x70 or 0x71)
        {
            if (sense.Length < 3) return null;
            bool valid = (sense[0] & 0x80) != 0;
            uint? info = valid && sense.Length >= 7 ? BinaryPrimitives.ReadUInt32BigEndian(sense[FixedInformation..]) : null;
            return new SenseData((SenseKey)(sense[FixedKey] & 0x0F), sense.Length > FixedAsc ? sense[FixedAsc] : (byte)0,
                sense.Length > FixedAscq ? sense[FixedAscq] : (byte)0, info);
        }
        if (code is 0x72 or 0x73)
        {
            if (sense.Length < 4) return null;
            return new SenseData((SenseKey)(sense[1] & 0x0F), sense[2], sense[3]);
        }
        return null;
    }

    /// <summary>key/ASC/ASCQ in hex, e.g. 05/21/02.</summary>
    public string Code => $"{(byte)Key:X2}/{Asc:X2}/{Ascq:X2}";

    /// <summary>The condition in words (SPC-4 Annex D, MMC-6), or the key's name for codes not listed.</summary>
    public string Describe() => (Asc, Ascq) switch
    {
        (0x04, 0x01) => "logical unit is in process of becoming ready",
        (0x04, _) => "logical unit not ready",
        (0x0C, _) => "write error",
        (0x11, _) => "unrecovered read error",
        (0x1A, 0x00) => "parameter list length error",
        (0x20, 0x00) => "invalid command operation code",
        (0x21, 0x00) => "logical block address out of range",
        (0x21, 0x02) => "invalid address for write",
        (0x24, 0x00) => "invalid field in CDB",
        (0x26, _) => "invalid field in parameter list",
        (0x28, 0x00) => "not ready to ready change, medium may have changed",
        (0x29, _) => "power on, reset, or bus device reset occurred",
        (0x2C, 0x00) => "command sequence error",
        (0x30, 0x02) => "cannot read medium - incompatible format",
        (0x30, 0x05) => "cannot write medium - incompatible format",
        (0x30, 0x10) => "medium not formatted",
        (0x30, _) => "incompatible medium installed",
        (0x3A, _) => "medium not present",
        (0x53, 0x02) => "medium removal prevented",
        (0x64, 0x00) => "illegal mode for this track",
        (0x72, _) => "session fixation error",
        (0x73, _) => "CD control error (power calibration)",
        _ => Key.ToString(),
    };

    /// <inheritdoc />
    public override string ToString() => $"{Code} {Describe()}";
}
