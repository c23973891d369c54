using System.Buffers.Binary;

namespace Duplicator.Drivers.Mmc;

/// <summary>CD addresses as minutes, seconds, frames (MMC-6 4.2.3.2 / Red Book: 75 frames a second, LBA 0 at 00:02:00).</summary>
public static class Msf
{
    /// <summary>
    /// The LBA of M:S:F: ((M × 60 + S) × 75 + F) − 150, and for M ≥ 90 (lead-in) the same minus 450,000,
    /// which makes lead-in addresses negative (MMC-6 table of LBA to MSF translation).
    /// </summary>
    public static long ToLba(byte minutes, byte seconds, byte frames)
    {
        long lba = (minutes * 60L + seconds) * 75 + frames - 150;
        return minutes >= 90 ? lba - 450_000 : lba;
    }
}

/// <summary>One track descriptor of a READ TOC format 0000b answer.</summary>
/// <param name="Adr">Byte 1 bits 7-4: the kind of Q sub-channel information (1 = current position).</param>
/// <param name="Control">Byte 1 bits 3-0: bit 2 data track, bit 0 pre-emphasis, bit 1 copy permitted, bit 3 four channels.</param>
/// <param name="Track">Byte 2: track number, AAh for the lead-out.</param>
/// <param name="Start">Bytes 4-7: track start, as an LBA (MSF answers are converted).</param>
public sealed record TocTrack(byte Adr, byte Control, int Track, long Start)
{
    /// <summary>Track number of the lead-out entry.</summary>
    public const int LeadOut = 0xAA;

    /// <summary>CONTROL bit 2: a data track (else audio).</summary>
    public bool IsData => (Control & 0x04) != 0;
}

/// <summary>
/// READ TOC/PMA/ATIP format 0000b (MMC-6 6.26, TOC): a 4-byte header (TOC data length 0-1, counting the
/// bytes after it; first track 2; last track 3) and 8-byte track descriptors (reserved, ADR/CONTROL,
/// track number, reserved, start address 4-7), the lead-out (AAh) last.
/// </summary>
/// <param name="FirstTrack">Header byte 2.</param>
/// <param name="LastTrack">Header byte 3.</param>
/// <param name="Entries">The descriptors as the drive listed them, lead-out included.</param>
public sealed record TableOfContents(int FirstTrack, int LastTrack, IReadOnlyList<TocTrack> Entries)
{
    private const int HeaderSize = 4;
    private const int FirstTrackOffset = 2;
    private const int LastTrackOffset = 3;
    private const int DescriptorSize = 8;
    private const int AdrControlOffset = 1;
    private const int TrackOffset = 2;
    private const int AddressOffset = 4;        // LBA, or 00 M S F when the MSF bit was set

    /// <summary>The tracks, lead-out excluded.</summary>
    public IEnumerable<TocTrack> Tracks => Entries.Where(e => e.Track != TocTrack.LeadOut);

    /// <summary>The lead-out entry: its start is where the last track ends. Null when the drive listed none.</summary>
    public TocTrack? LeadOut => Entries.FirstOrDefault(e => e.Track == TocTrack.LeadOut);

    /// <summary>
    /// Decodes <paramref name="data"/>; <paramref name="msf"/> says whether the command asked for MSF
    /// addresses (CDB byte 1 bit 1). Descriptors are read as far as both the length field and the bytes
    /// transferred reach.
    /// </summary>
    /// <exception cref="InvalidDataException">Shorter than the header.</exception>
    public static TableOfContents Read(ReadOnlySpan<byte> data, bool msf = false)
    {
        if (data.Length < HeaderSize)
            throw new InvalidDataException($"READ TOC: {data.Length} bytes, the header alone is {HeaderSize}");
        int end = Math.Min(data.Length, 2 + BinaryPrimitives.ReadUInt16BigEndian(data));
        var list = new List<TocTrack>();
        for (int o = HeaderSize; o + DescriptorSize <= end; o += DescriptorSize)
        {
            var d = data.Slice(o, DescriptorSize);
            long start = msf
                ? Msf.ToLba(d[AddressOffset + 1], d[AddressOffset + 2], d[AddressOffset + 3])
                : BinaryPrimitives.ReadInt32BigEndian(d[AddressOffset..]);
            list.Add(new TocTrack((byte)(d[AdrControlOffset] >> 4), (byte)(d[AdrControlOffset] & 0x0F), d[TrackOffset], start));
        }
        return new TableOfContents(data[FirstTrackOffset], data[LastTrackOffset], list);
    }
}

/// <summary>
/// READ TOC/PMA/ATIP format 0100b (MMC-6 6.26, ATIP): what the pre-groove of a blank CD-R/RW says about
/// the disc. Header 0-3 (ATIP data length 0-1), then from byte 4: indicative target writing power (byte 4
/// bits 6-4), reference speed (byte 4 bits 2-0), URU (byte 5 bit 6), disc type (byte 6 bit 6, 1 = CD-RW),
/// disc sub-type (byte 6 bits 5-3), start time of lead-in (bytes 8-10, M:S:F), last possible start time of
/// lead-out (bytes 12-14, M:S:F).
/// </summary>
/// <param name="IndicativeTargetWritingPower">Byte 4 bits 6-4.</param>
/// <param name="ReferenceSpeed">Byte 4 bits 2-0.</param>
/// <param name="UnrestrictedUse">URU, byte 5 bit 6.</param>
/// <param name="Rewritable">Disc type, byte 6 bit 6: CD-RW.</param>
/// <param name="DiscSubType">Byte 6 bits 5-3.</param>
/// <param name="LeadInStart">Start of the lead-in as an LBA (negative: lead-in MSFs are 90 minutes and up).</param>
/// <param name="LastLeadOutStart">Last possible start of the lead-out as an LBA: the disc's capacity in blocks.</param>
public sealed record Atip(int IndicativeTargetWritingPower, int ReferenceSpeed, bool UnrestrictedUse, bool Rewritable, int DiscSubType, long LeadInStart, long LastLeadOutStart)
{
    private const int PowerSpeedOffset = 4;     // bit 7 = 1, ITWP bits 6-4, reference speed bits 2-0
    private const int UruOffset = 5;            // bit 7 = 0, URU bit 6
    private const int DiscTypeOffset = 6;       // bit 7 = 1, disc type bit 6, sub-type bits 5-3, A1/A2/A3 valid bits 2-0
    private const int LeadInOffset = 8;         // M, S, F
    private const int LeadOutOffset = 12;       // M, S, F
    private const int Size = 15;

    /// <summary>Decodes the answer.</summary>
    /// <exception cref="InvalidDataException">Too short to hold the lead-out time.</exception>
    public static Atip Read(ReadOnlySpan<byte> data)
    {
        int end = data.Length >= 2 ? Math.Min(data.Length, 2 + BinaryPrimitives.ReadUInt16BigEndian(data)) : data.Length;
        if (end < Size)
            throw new InvalidDataException($"READ TOC (ATIP): {end} bytes, needs {Size}");
        return new Atip(
            (data[PowerSpeedOffset] >> 4) & 0x07,
            data[PowerSpeedOffset] & 0x07,
            (data[UruOffset] & 0x40) != 0,
            (data[DiscTypeOffset] & 0x40) != 0,
            (data[DiscTypeOffset] >> 3) & 0x07,
            Msf.ToLba(data[LeadInOffset], data[LeadInOffset + 1], data[LeadInOffset + 2]),
            Msf.ToLba(data[LeadOutOffset], data[LeadOutOffset + 1], data[LeadOutOffset + 2]));
    }
}
