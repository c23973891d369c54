using System.Buffers.Binary;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Audio;

namespace Duplicator.Drivers.Mmc;

public static partial class Cdb
{
    /// <summary>READ CD byte 10 bits 2-0, sub-channel data selection 010b: formatted Q, 16 bytes after each block (MMC-6 6.19).</summary>
    public const byte ReadCdSubchannelQ = 0x02;

    /// <summary>
    /// MMC-6 6.19 READ CD of CD-DA blocks (expected sector type 001b) returning only the formatted Q sub-channel
    /// (byte 9 = 00h: no user data; byte 10 = 010b), 16 bytes a block.
    /// </summary>
    public static int ReadCdQ(Span<byte> c, long lba, int blocks) => ReadCdDa(c, lba, blocks, 0x00, ReadCdSubchannelQ);

    /// <summary>
    /// MMC-6 6.25 READ SUB-CHANNEL: SUBQ (byte 2 bit 6) set, sub-channel parameter list code in byte 3 (02h media
    /// catalog number, 03h ISRC), track number in byte 6 (ISRC), allocation 7-8.
    /// </summary>
    public static int ReadSubChannel(Span<byte> c, byte format, byte track, ushort allocation)
    {
        Init(c, 0x42, 10);
        c[2] = 0x40;
        c[3] = format;
        c[6] = track;
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }
}

/// <summary>
/// One block's formatted Q sub-channel with ADR 1 (current position), 16 bytes as READ CD sub-channel selection
/// 010b returns them (the layout cdrdao's PQ sub-channel reads): CONTROL/ADR (0), TNO (1), INDEX (2), relative
/// M:S:F (3-5), zero (6), absolute M:S:F (7-9), BCD as on the disc; the CRC (10-11) is not relied on.
/// </summary>
/// <param name="Control">CONTROL nibble (bit 2 data).</param>
/// <param name="Track">Track number.</param>
/// <param name="Index">Index number: 0 in a pregap, 1 from INDEX 01, 2+ at later index points.</param>
/// <param name="AbsoluteLba">The absolute time as an LBA (M:S:F − 150).</param>
public sealed record QPosition(int Control, int Track, int Index, long AbsoluteLba)
{
    /// <summary>Bytes per formatted Q.</summary>
    public const int Size = 16;

    private const int AdrControlOffset = 0, TrackOffset = 1, IndexOffset = 2, AbsoluteOffset = 7;

    /// <summary>Decodes one block's Q; null when its ADR is not 1 (a catalog/ISRC frame) or a field is not BCD.</summary>
    public static QPosition? Read(ReadOnlySpan<byte> q)
    {
        if (q.Length < Size || (q[AdrControlOffset] & 0x0F) != 1) return null;
        int? Bcd(byte b) => (b >> 4) <= 9 && (b & 0x0F) <= 9 ? (b >> 4) * 10 + (b & 0x0F) : null;
        if (Bcd(q[TrackOffset]) is not { } track || Bcd(q[IndexOffset]) is not { } index
            || Bcd(q[AbsoluteOffset]) is not { } m || Bcd(q[AbsoluteOffset + 1]) is not { } s || Bcd(q[AbsoluteOffset + 2]) is not { } f || s > 59 || f > 74)
            return null;
        return new QPosition(q[AdrControlOffset] >> 4, track, index, (m * 60L + s) * 75 + f - 150);
    }
}

// Q sub-channel, catalog number, ISRC and CD-TEXT of a CD.
public sealed partial class MmcDevice
{
    // READ SUB-CHANNEL data (MMC-6 6.25, formats 02h/03h): header 0-3, format code 4, MCVal/TCVal bit 7 of byte 8,
    // the 13 catalog digits / 12 ISRC characters from byte 9.
    private const int SubChannelReplySize = 24, SubChannelValidOffset = 8, SubChannelCodeOffset = 9;

    /// <summary>The formatted Q of block <paramref name="lba"/> (READ CD, Q only); null when the drive returned no ADR 1 frame for it.</summary>
    public QPosition? ReadQ(long lba)
    {
        Span<byte> q = stackalloc byte[QPosition.Size];
        Span<byte> c = stackalloc byte[16];
        Run("READ CD (Q sub-channel)", c[..Cdb.ReadCdQ(c, lba, 1)], DataDirection.In, q, CommandTimeout);
        return QPosition.Read(q);
    }

    /// <summary>The media catalog number (READ SUB-CHANNEL 02h), or null when MCVal is clear or it is not 13 digits.</summary>
    public string? ReadCatalogNumber()
    {
        var d = SubChannel(0x02, 0);
        if ((d[SubChannelValidOffset] & 0x80) == 0) return null;
        var mcn = new string([.. d.AsSpan(SubChannelCodeOffset, 13).ToArray().Select(b => (char)b)]);
        return mcn.All(char.IsAsciiDigit) && mcn != "0000000000000" ? mcn : null;
    }

    /// <summary>The ISRC of <paramref name="track"/> (READ SUB-CHANNEL 03h), or null when TCVal is clear or it is not CCOOOYYNNNNN.</summary>
    public string? ReadIsrc(int track)
    {
        var d = SubChannel(0x03, (byte)track);
        if ((d[SubChannelValidOffset] & 0x80) == 0) return null;
        var isrc = new string([.. d.AsSpan(SubChannelCodeOffset, 12).ToArray().Select(b => (char)b)]);
        return isrc[..5].All(ch => char.IsAsciiDigit(ch) || char.IsAsciiLetterUpper(ch)) && isrc[5..].All(char.IsAsciiDigit) ? isrc : null;
    }

    /// <summary>
    /// The lead-in's CD-TEXT packs (READ TOC/PMA/ATIP format 0101b, MMC-6 6.26.3.7): the 18-byte packs after the
    /// 4-byte header, as many as the data length and the transfer hold; empty when the disc has none.
    /// </summary>
    public byte[] ReadCdTextPacks()
    {
        var d = new byte[4 + CdTextPacks.MaxPacks * CdTextPacks.PackSize];
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("READ TOC (CD-TEXT)", c[..Cdb.ReadToc(c, 5, 0, (ushort)d.Length)], d, CommandTimeout);
        if (n < 4) return [];
        int length = Math.Min(n, 2 + BinaryPrimitives.ReadUInt16BigEndian(d)) - 4;
        return length <= 0 ? [] : d.AsSpan(4, length / CdTextPacks.PackSize * CdTextPacks.PackSize).ToArray();
    }

    private byte[] SubChannel(byte format, byte track)
    {
        var d = new byte[SubChannelReplySize];
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("READ SUB-CHANNEL", c[..Cdb.ReadSubChannel(c, format, track, SubChannelReplySize)], d, CommandTimeout);
        if (n < SubChannelReplySize) Array.Clear(d, n, d.Length - n);
        return d;
    }
}
