using System.Buffers.Binary;
using System.Text;

namespace Duplicator.Mastering.Data.Iso9660;

/// <summary>
/// Byte layouts of ECMA-119 (ISO 9660) structures and their Joliet variants. Offsets are named after the
/// clauses that define them; "both" fields are written little-endian then big-endian (7.2.3, 7.3.3).
/// </summary>
internal static class IsoStructures
{
    public const int SectorSize = 2048;

    // ECMA-119 9.1: directory record
    private const int DrLength = 0;
    private const int DrExtAttrLength = 1;
    private const int DrExtent = 2;          // 9.1.3, both-endian 32
    private const int DrDataLength = 10;     // 9.1.4, both-endian 32
    private const int DrRecordingTime = 18;  // 9.1.5, 7 bytes
    private const int DrFlags = 25;          // 9.1.6
    private const int DrVolumeSequence = 28; // 9.1.9, both-endian 16
    private const int DrIdLength = 32;       // 9.1.10
    private const int DrId = 33;             // 9.1.11

    /// <summary>9.1.6: bit 1 directory, bit 7 "multi-extent" (not the final record of the file).</summary>
    public const byte FlagDirectory = 0x02;
    public const byte FlagMultiExtent = 0x80;

    // ECMA-119 8.4: primary (and 8.5 supplementary) volume descriptor
    private const int VdType = 0;
    private const int VdStandardId = 1;      // "CD001"
    private const int VdVersion = 6;
    private const int VdSystemId = 8;        // 32 a-characters
    private const int VdVolumeId = 40;       // 32 d-characters
    private const int VdSpaceSize = 80;      // both-endian 32
    private const int VdEscapes = 88;        // 8.5.6 (SVD only): Joliet "%/E" = UCS-2 level 3
    private const int VdSetSize = 120;       // both-endian 16
    private const int VdSequence = 124;      // both-endian 16
    private const int VdBlockSize = 128;     // both-endian 16
    private const int VdPathTableSize = 132; // both-endian 32
    private const int VdLPathTable = 140;    // LE 32
    private const int VdMPathTable = 148;    // BE 32
    private const int VdRootRecord = 156;    // 34 bytes
    private const int VdVolumeSetId = 190;   // 128
    private const int VdPublisherId = 318;   // 128
    private const int VdPreparerId = 446;    // 128
    private const int VdApplicationId = 574; // 128
    private const int VdCopyrightId = 702;   // 37
    private const int VdAbstractId = 739;    // 37
    private const int VdBiblioId = 776;      // 37
    private const int VdCreation = 813;      // 17 (8.4.26.1)
    private const int VdModification = 830;
    private const int VdExpiration = 847;
    private const int VdEffective = 864;
    private const int VdStructureVersion = 881;

    public const byte TypePrimary = 1;
    public const byte TypeSupplementary = 2;
    public const byte TypeTerminator = 255;

    /// <summary>Length of a directory record with an identifier of <paramref name="idLength"/> bytes (9.1.12 padding to even).</summary>
    public static int RecordLength(int idLength) => 33 + idLength + ((idLength & 1) == 0 ? 1 : 0);

    /// <summary>Length of a path table record (9.4.9 padding to even).</summary>
    public static int PathRecordLength(int idLength) => 8 + idLength + (idLength & 1);

    public static void WriteBoth32(Span<byte> b, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], v);
    }

    public static void WriteBoth16(Span<byte> b, ushort v)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], v);
    }

    /// <summary>Writes one directory record (9.1) and returns its length.</summary>
    public static int WriteDirectoryRecord(Span<byte> b, ReadOnlySpan<byte> identifier, uint extent, uint dataLength, DateTime timeUtc, byte flags)
    {
        int len = RecordLength(identifier.Length);
        b[..len].Clear();
        b[DrLength] = (byte)len;
        b[DrExtAttrLength] = 0;
        WriteBoth32(b[DrExtent..], extent);
        WriteBoth32(b[DrDataLength..], dataLength);
        WriteRecordingTime(b[DrRecordingTime..], timeUtc);
        b[DrFlags] = flags;
        WriteBoth16(b[DrVolumeSequence..], 1);
        b[DrIdLength] = (byte)identifier.Length;
        identifier.CopyTo(b[DrId..]);
        return len;
    }

    /// <summary>9.1.5: years since 1900, month, day, hour, minute, second, offset from GMT in 15 min units.</summary>
    private static void WriteRecordingTime(Span<byte> b, DateTime t)
    {
        t = t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t;
        int year = Math.Clamp(t.Year, 1900, 2155);
        b[0] = (byte)(year - 1900);
        b[1] = (byte)t.Month;
        b[2] = (byte)t.Day;
        b[3] = (byte)t.Hour;
        b[4] = (byte)t.Minute;
        b[5] = (byte)t.Second;
        b[6] = 0;
    }

    /// <summary>8.4.26.1: "YYYYMMDDHHMMSScc" digits and a GMT offset byte; all-zero digits mean "not specified".</summary>
    private static void WriteVolumeTime(Span<byte> b, DateTimeOffset? t)
    {
        if (t is null)
        {
            b[..16].Fill((byte)'0');
            b[16] = 0;
            return;
        }
        var u = t.Value.UtcDateTime;
        Encoding.ASCII.GetBytes(u.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + (u.Millisecond / 10).ToString("00", System.Globalization.CultureInfo.InvariantCulture), b);
        b[16] = 0;
    }

    /// <summary>Writes a path table record (9.4) with the extent and parent in little- or big-endian order.</summary>
    public static int WritePathRecord(Span<byte> b, ReadOnlySpan<byte> identifier, uint extent, ushort parent, bool bigEndian)
    {
        int len = PathRecordLength(identifier.Length);
        b[..len].Clear();
        b[0] = (byte)identifier.Length;
        b[1] = 0;
        if (bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b[2..], extent);
            BinaryPrimitives.WriteUInt16BigEndian(b[6..], parent);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b[2..], extent);
            BinaryPrimitives.WriteUInt16LittleEndian(b[6..], parent);
        }
        identifier.CopyTo(b[8..]);
        return len;
    }

    /// <summary>What goes into a primary or Joliet supplementary volume descriptor.</summary>
    public sealed record VolumeDescriptorFields(
        bool Joliet, string VolumeId, string? Publisher, string? Preparer, string Application, uint SpaceSize,
        uint PathTableSize, uint LPathTable, uint MPathTable, uint RootExtent, uint RootLength, DateTime RootTimeUtc,
        DateTimeOffset Created);

    /// <summary>Writes a primary (8.4) or Joliet supplementary (8.5) volume descriptor into one sector.</summary>
    public static void WriteVolumeDescriptor(Span<byte> b, VolumeDescriptorFields f)
    {
        b[..SectorSize].Clear();
        b[VdType] = f.Joliet ? TypeSupplementary : TypePrimary;
        "CD001"u8.CopyTo(b[VdStandardId..]);
        b[VdVersion] = 1;
        WriteText(b.Slice(VdSystemId, 32), f.Joliet, "LINUX");
        WriteText(b.Slice(VdVolumeId, 32), f.Joliet, f.VolumeId);
        WriteBoth32(b[VdSpaceSize..], f.SpaceSize);
        if (f.Joliet)
        {
            b[VdEscapes] = 0x25;     // '%'
            b[VdEscapes + 1] = 0x2F; // '/'
            b[VdEscapes + 2] = 0x45; // 'E': UCS-2 level 3
        }
        WriteBoth16(b[VdSetSize..], 1);
        WriteBoth16(b[VdSequence..], 1);
        WriteBoth16(b[VdBlockSize..], SectorSize);
        WriteBoth32(b[VdPathTableSize..], f.PathTableSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[VdLPathTable..], f.LPathTable);
        BinaryPrimitives.WriteUInt32BigEndian(b[VdMPathTable..], f.MPathTable);
        WriteDirectoryRecord(b[VdRootRecord..], [0], f.RootExtent, f.RootLength, f.RootTimeUtc, FlagDirectory);
        WriteText(b.Slice(VdVolumeSetId, 128), f.Joliet, f.VolumeId);
        WriteText(b.Slice(VdPublisherId, 128), f.Joliet, f.Publisher ?? "");
        WriteText(b.Slice(VdPreparerId, 128), f.Joliet, f.Preparer ?? "");
        WriteText(b.Slice(VdApplicationId, 128), f.Joliet, f.Application);
        WriteText(b.Slice(VdCopyrightId, 37), f.Joliet, "");
        WriteText(b.Slice(VdAbstractId, 37), f.Joliet, "");
        WriteText(b.Slice(VdBiblioId, 37), f.Joliet, "");
        WriteVolumeTime(b[VdCreation..], f.Created);
        WriteVolumeTime(b[VdModification..], f.Created);
        WriteVolumeTime(b[VdExpiration..], null);
        WriteVolumeTime(b[VdEffective..], null);
        b[VdStructureVersion] = 1;
    }

    /// <summary>Byte offset of a directory record's data length (9.1.4) from the record's start.</summary>
    public const int RecordDataLengthOffset = DrDataLength;

    /// <summary>
    /// Rewrites the volume identifier (8.4.6) and volume set identifier (8.4.15) of a descriptor written by
    /// <see cref="WriteVolumeDescriptor"/> with the same rules it used (d-characters cut to 32 for the primary,
    /// UCS-2 cut to 16 units for Joliet), leaving every other byte as it was.
    /// </summary>
    public static void WriteVolumeName(Span<byte> b, bool joliet, string volumeName)
    {
        var id = joliet ? IsoNames.CutUnits(volumeName, 16) : IsoNames.IsoVolumeId(volumeName);
        WriteText(b.Slice(VdVolumeId, 32), joliet, id);
        WriteText(b.Slice(VdVolumeSetId, 128), joliet, id);
    }

    /// <summary>Writes the volume descriptor set terminator (8.3).</summary>
    public static void WriteTerminator(Span<byte> b)
    {
        b[..SectorSize].Clear();
        b[VdType] = TypeTerminator;
        "CD001"u8.CopyTo(b[VdStandardId..]);
        b[VdVersion] = 1;
    }

    /// <summary>
    /// Fills a descriptor text field: ISO 9660 a/d-characters padded with spaces, or Joliet UCS-2 big-endian
    /// padded with U+0020 (odd field lengths end with a single zero byte... a space byte pair cannot fit, so 0x00).
    /// </summary>
    private static void WriteText(Span<byte> field, bool joliet, string text)
    {
        if (!joliet)
        {
            field.Fill((byte)' ');
            var upper = IsoNames.DChars(text, dotsAllowed: true).Replace('.', '_');
            if (text.Length == 0) return;
            Encoding.ASCII.GetBytes(upper.Length > field.Length ? upper[..field.Length] : upper, field);
            return;
        }
        int units = field.Length / 2;
        var t = IsoNames.CutUnits(text, units);
        for (int i = 0; i < units; i++)
            BinaryPrimitives.WriteUInt16BigEndian(field[(i * 2)..], i < t.Length ? t[i] : ' ');
        if ((field.Length & 1) != 0) field[^1] = 0;
    }

    /// <summary>UCS-2 big-endian bytes of a Joliet identifier.</summary>
    public static byte[] JolietBytes(string name)
    {
        var bytes = new byte[name.Length * 2];
        for (int i = 0; i < name.Length; i++)
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * 2), name[i]);
        return bytes;
    }
}
