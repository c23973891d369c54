using System.Buffers.Binary;

namespace Duplicator.Drivers.Emulation;

/// <summary>
/// A sense triple (sense key, additional sense code, qualifier) as the emulated recorder reports it,
/// with the fixed-format sense data encoder (SPC-4 §4.5.3). The named values are the conditions the
/// emulator raises; each cites the MMC-6 / SPC-4 situation it stands for.
/// </summary>
/// <param name="Key">Sense key (SPC-4 table 48), 0..15.</param>
/// <param name="Asc">Additional sense code.</param>
/// <param name="Ascq">Additional sense code qualifier.</param>
public readonly record struct EmulatedSense(byte Key, byte Asc, byte Ascq)
{
    /// <summary>Length of the fixed-format sense data the emulator returns (SPC-4 §4.5.3: 8 + additional length 10).</summary>
    public const int FixedLength = 18;

    // SPC-4 §4.5.3, table 47: fixed format sense data.
    private const int ResponseCodeOffset = 0;   // bit 7 VALID, bits 6-0 response code
    private const int SenseKeyOffset = 2;       // bits 3-0
    private const int InformationOffset = 3;    // bytes 3-6, meaningful when VALID is set
    private const byte Valid = 0x80;
    private const int AdditionalLengthOffset = 7;
    private const int AscOffset = 12;
    private const int AscqOffset = 13;
    private const byte CurrentFixed = 0x70;

    /// <summary>00/00/00 NO SENSE.</summary>
    public static readonly EmulatedSense NoSense = new(0x0, 0x00, 0x00);
    /// <summary>02/04/01 LOGICAL UNIT IS IN PROCESS OF BECOMING READY.</summary>
    public static readonly EmulatedSense BecomingReady = new(0x2, 0x04, 0x01);
    /// <summary>02/3A/00 MEDIUM NOT PRESENT.</summary>
    public static readonly EmulatedSense MediumNotPresent = new(0x2, 0x3A, 0x00);
    /// <summary>03/0C/00 WRITE ERROR.</summary>
    public static readonly EmulatedSense WriteError = new(0x3, 0x0C, 0x00);
    /// <summary>03/11/00 UNRECOVERED READ ERROR.</summary>
    public static readonly EmulatedSense UnrecoveredReadError = new(0x3, 0x11, 0x00);
    /// <summary>05/1A/00 PARAMETER LIST LENGTH ERROR.</summary>
    public static readonly EmulatedSense ParameterListLengthError = new(0x5, 0x1A, 0x00);
    /// <summary>05/20/00 INVALID COMMAND OPERATION CODE.</summary>
    public static readonly EmulatedSense InvalidOpcode = new(0x5, 0x20, 0x00);
    /// <summary>05/21/00 LOGICAL BLOCK ADDRESS OUT OF RANGE.</summary>
    public static readonly EmulatedSense LbaOutOfRange = new(0x5, 0x21, 0x00);
    /// <summary>05/21/02 INVALID ADDRESS FOR WRITE.</summary>
    public static readonly EmulatedSense InvalidAddressForWrite = new(0x5, 0x21, 0x02);
    /// <summary>05/24/00 INVALID FIELD IN CDB.</summary>
    public static readonly EmulatedSense InvalidFieldInCdb = new(0x5, 0x24, 0x00);
    /// <summary>05/26/00 INVALID FIELD IN PARAMETER LIST.</summary>
    public static readonly EmulatedSense InvalidFieldInParameterList = new(0x5, 0x26, 0x00);
    /// <summary>05/2C/00 COMMAND SEQUENCE ERROR.</summary>
    public static readonly EmulatedSense CommandSequenceError = new(0x5, 0x2C, 0x00);
    /// <summary>05/30/02 CANNOT READ MEDIUM - INCOMPATIBLE FORMAT.</summary>
    public static readonly EmulatedSense CannotReadIncompatibleFormat = new(0x5, 0x30, 0x02);
    /// <summary>05/30/05 CANNOT WRITE MEDIUM - INCOMPATIBLE FORMAT.</summary>
    public static readonly EmulatedSense CannotWriteIncompatibleFormat = new(0x5, 0x30, 0x05);
    /// <summary>05/30/10 MEDIUM NOT FORMATTED.</summary>
    public static readonly EmulatedSense MediumNotFormatted = new(0x5, 0x30, 0x10);
    /// <summary>05/53/02 MEDIUM REMOVAL PREVENTED.</summary>
    public static readonly EmulatedSense MediumRemovalPrevented = new(0x5, 0x53, 0x02);
    /// <summary>05/64/00 ILLEGAL MODE FOR THIS TRACK.</summary>
    public static readonly EmulatedSense IllegalModeForThisTrack = new(0x5, 0x64, 0x00);

    /// <summary>Writes fixed-format, current-error sense data into <paramref name="destination"/> (at least <see cref="FixedLength"/> bytes).</summary>
    public void WriteTo(Span<byte> destination)
    {
        var d = destination[..FixedLength];
        d.Clear();
        d[ResponseCodeOffset] = CurrentFixed;
        d[SenseKeyOffset] = (byte)(Key & 0x0F);
        d[AdditionalLengthOffset] = FixedLength - 8;
        d[AscOffset] = Asc;
        d[AscqOffset] = Ascq;
    }

    /// <summary>
    /// Like <see cref="WriteTo(Span{byte})"/>, with VALID set and <paramref name="information"/> in the INFORMATION
    /// field (SPC-4 §4.5.3; for a medium error, the LBA of the first block in error: SBC-3 §4.14.2).
    /// </summary>
    public void WriteTo(Span<byte> destination, uint information)
    {
        WriteTo(destination);
        destination[ResponseCodeOffset] |= Valid;
        BinaryPrimitives.WriteUInt32BigEndian(destination[InformationOffset..], information);
    }

    /// <summary>The INFORMATION field of fixed-format sense data when its VALID bit is set, else null.</summary>
    public static uint? ReadInformation(ReadOnlySpan<byte> sense)
    {
        _ = Read(sense);
        return (sense[ResponseCodeOffset] & Valid) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(sense[InformationOffset..]) : null;
    }

    /// <summary>Reads the key/ASC/ASCQ back out of fixed-format sense data (response code 70h or 71h).</summary>
    public static EmulatedSense Read(ReadOnlySpan<byte> sense)
    {
        if (sense.Length < 14 || (sense[ResponseCodeOffset] & 0x7E) != CurrentFixed)
        {
            throw new ArgumentException("not fixed-format sense data of at least 14 bytes", nameof(sense));
        }

        return new EmulatedSense((byte)(sense[SenseKeyOffset] & 0x0F), sense[AscOffset], sense[AscqOffset]);
    }

    /// <summary>The sense as a fresh fixed-format byte array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[FixedLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The sense with <paramref name="information"/> in its INFORMATION field, as a fresh fixed-format byte array.</summary>
    public byte[] ToArray(uint information)
    {
        var bytes = new byte[FixedLength];
        WriteTo(bytes, information);
        return bytes;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Key:X2}/{Asc:X2}/{Ascq:X2}";
}

/// <summary>Thrown inside the emulator to end a command with CHECK CONDITION and the given sense (and INFORMATION, when known).</summary>
internal sealed class SenseException(EmulatedSense sense, string why, uint? information = null) : Exception(why)
{
    public EmulatedSense Sense { get; } = sense;

    public uint? Information { get; } = information;

    public byte[] ToSenseBytes() => Information is { } info ? Sense.ToArray(info) : Sense.ToArray();
}
