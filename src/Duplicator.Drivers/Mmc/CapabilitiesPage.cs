using System.Buffers.Binary;

namespace Duplicator.Drivers.Mmc;

/// <summary>Media the drive reads, page 2Ah byte 2.</summary>
[Flags]
public enum MediaReadCapabilities : byte
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>CD-R read, bit 0.</summary>
    CdR = 0x01,
    /// <summary>CD-RW read, bit 1.</summary>
    CdRw = 0x02,
    /// <summary>Method 2 (fixed packets), bit 2.</summary>
    Method2 = 0x04,
    /// <summary>DVD-ROM read, bit 3.</summary>
    DvdRom = 0x08,
    /// <summary>DVD-R read, bit 4.</summary>
    DvdR = 0x10,
    /// <summary>DVD-RAM read, bit 5.</summary>
    DvdRam = 0x20,
}

/// <summary>Media the drive writes, page 2Ah byte 3.</summary>
[Flags]
public enum MediaWriteCapabilities : byte
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>CD-R write, bit 0.</summary>
    CdR = 0x01,
    /// <summary>CD-RW write, bit 1.</summary>
    CdRw = 0x02,
    /// <summary>Test write (simulation), bit 2.</summary>
    TestWrite = 0x04,
    /// <summary>DVD-R write, bit 4.</summary>
    DvdR = 0x10,
    /// <summary>DVD-RAM write, bit 5.</summary>
    DvdRam = 0x20,
}

/// <summary>
/// The MM capabilities and mechanical status mode page (2Ah), as MODE SENSE(10) returns it (SPC-4 6.14;
/// the page is MMC-3's "CD/DVD Capabilities and Mechanical Status Page", kept as a legacy page by
/// MMC-6). Speeds are kB/s (1000 bytes); the write speed table is the "logical unit write speed
/// performance descriptor" list at byte 32, fastest first on real drives (not relied on here).
/// </summary>
/// <param name="Reads">Byte 2: media the drive reads.</param>
/// <param name="Writes">Byte 3: media the drive writes, and test write.</param>
/// <param name="BufferUnderrunFree">BUF, byte 4 bit 7.</param>
/// <param name="MultiSession">Byte 4 bit 6.</param>
/// <param name="Eject">Byte 6 bit 3: the drive can eject the medium.</param>
/// <param name="Locked">Lock State, byte 6 bit 1: PREVENT is in force.</param>
/// <param name="MaxReadKBps">Bytes 8-9 (obsolete in MMC-6, still filled by drives).</param>
/// <param name="BufferSizeKiB">Bytes 12-13: buffer size in KiB (1024 bytes).</param>
/// <param name="CurrentReadKBps">Bytes 14-15 (obsolete).</param>
/// <param name="MaxWriteKBps">Bytes 18-19 (obsolete).</param>
/// <param name="CurrentWriteKBps">Bytes 28-29 (current write speed selected) when the page reaches them, else the obsolete bytes 20-21.</param>
/// <param name="WriteSpeedsKBps">The write speed descriptors: count in bytes 30-31, 4 bytes each from byte 32 (speed in bytes 2-3).</param>
public sealed record CapabilitiesPage(
    MediaReadCapabilities Reads, MediaWriteCapabilities Writes, bool BufferUnderrunFree, bool MultiSession, bool Eject, bool Locked,
    int MaxReadKBps, int BufferSizeKiB, int CurrentReadKBps, int MaxWriteKBps, int CurrentWriteKBps, IReadOnlyList<int> WriteSpeedsKBps)
{
    /// <summary>Page code 2Ah.</summary>
    public const byte PageCode = 0x2A;

    // SPC-4 7.5.5, mode parameter header(10): mode data length 0-1, block descriptor length 6-7
    private const int ModeHeader10Size = 8;
    private const int BlockDescriptorLengthOffset = 6;

    // Page 2Ah byte offsets (from the page code byte)
    private const int PageLengthOffset = 1;
    private const int ReadOffset = 2;
    private const int WriteOffset = 3;
    private const int FeaturesOffset = 4;           // BUF bit 7, Multi Session bit 6
    private const int MechanismOffset = 6;          // loading mechanism 7-5, Eject bit 3, Lock State bit 1
    private const int MaxReadSpeedOffset = 8;
    private const int BufferSizeOffset = 12;
    private const int CurrentReadSpeedOffset = 14;
    private const int MaxWriteSpeedOffset = 18;
    private const int ObsoleteCurrentWriteSpeedOffset = 20;
    private const int CurrentWriteSpeedSelectedOffset = 28;
    private const int DescriptorCountOffset = 30;
    private const int DescriptorsOffset = 32;
    private const int DescriptorSize = 4;            // reserved, rotation control bits 2-0, write speed 2-3
    private const int DescriptorSpeedOffset = 2;
    private const int MinimumPage = 22;              // MMC-1 drives stop after byte 21

    /// <summary>
    /// Decodes a MODE SENSE(10) answer: skips the 8-byte mode parameter header and any block descriptors,
    /// then reads the page that follows, which must be 2Ah.
    /// </summary>
    /// <exception cref="InvalidDataException">Too short, or the page is not 2Ah.</exception>
    public static CapabilitiesPage ReadModeSense(ReadOnlySpan<byte> data)
    {
        if (data.Length < ModeHeader10Size)
            throw new InvalidDataException($"MODE SENSE(10): {data.Length} bytes, the mode parameter header alone is {ModeHeader10Size}");
        int declared = 2 + BinaryPrimitives.ReadUInt16BigEndian(data);
        int start = ModeHeader10Size + BinaryPrimitives.ReadUInt16BigEndian(data[BlockDescriptorLengthOffset..]);
        int end = Math.Min(declared, data.Length);
        if (start >= end)
            throw new InvalidDataException($"MODE SENSE(10): no page after the header (mode data ends at {end}, page would start at {start})");
        return Read(data[start..end]);
    }

    /// <summary>Decodes page 2Ah starting at its page code byte; fields past the page length read as absent (0 / empty).</summary>
    /// <exception cref="InvalidDataException">Not page 2Ah, or shorter than an MMC-1 page (22 bytes).</exception>
    public static CapabilitiesPage Read(ReadOnlySpan<byte> page)
    {
        if (page.Length < 2 || (page[0] & 0x3F) != PageCode)
            throw new InvalidDataException($"mode page {(page.Length > 0 ? page[0] & 0x3F : -1):X2}h where 2Ah was expected");
        int length = Math.Min(page.Length, 2 + page[PageLengthOffset]);
        if (length < MinimumPage)
            throw new InvalidDataException($"mode page 2Ah: {length} bytes, needs at least {MinimumPage}");
        page = page[..length];

        int currentWrite = page.Length >= CurrentWriteSpeedSelectedOffset + 2 ? U16(page, CurrentWriteSpeedSelectedOffset) : U16(page, ObsoleteCurrentWriteSpeedOffset);
        var speeds = new List<int>();
        if (page.Length >= DescriptorsOffset)
        {
            int count = U16(page, DescriptorCountOffset);
            for (int i = 0; i < count; i++)
            {
                int o = DescriptorsOffset + i * DescriptorSize;
                if (o + DescriptorSize > page.Length) break; // the page length wins over a count that overruns it
                speeds.Add(U16(page, o + DescriptorSpeedOffset));
            }
        }

        return new CapabilitiesPage(
            (MediaReadCapabilities)(page[ReadOffset] & 0x3F),
            (MediaWriteCapabilities)(page[WriteOffset] & 0x37),
            (page[FeaturesOffset] & 0x80) != 0,
            (page[FeaturesOffset] & 0x40) != 0,
            (page[MechanismOffset] & 0x08) != 0,
            (page[MechanismOffset] & 0x02) != 0,
            U16(page, MaxReadSpeedOffset), U16(page, BufferSizeOffset), U16(page, CurrentReadSpeedOffset), U16(page, MaxWriteSpeedOffset),
            currentWrite, speeds);
    }

    // A 16-bit field the page may be too short to hold (older drives): absent reads as 0.
    private static int U16(ReadOnlySpan<byte> page, int offset) => offset + 2 <= page.Length ? BinaryPrimitives.ReadUInt16BigEndian(page[offset..]) : 0;
}
