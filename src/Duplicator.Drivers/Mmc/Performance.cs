using System.Buffers.Binary;

namespace Duplicator.Drivers.Mmc;

/// <summary>
/// One nominal performance descriptor of GET PERFORMANCE type 00h (MMC-6 6.8, performance descriptor
/// with Except = 00b): the drive's speed at the start and the end of an LBA range, in kB/s (1000 bytes).
/// </summary>
/// <param name="StartLba">First LBA of the range.</param>
/// <param name="StartKBps">Performance at <paramref name="StartLba"/>, kB/s.</param>
/// <param name="EndLba">Last LBA of the range.</param>
/// <param name="EndKBps">Performance at <paramref name="EndLba"/>, kB/s.</param>
public sealed record PerformanceDescriptor(long StartLba, int StartKBps, long EndLba, int EndKBps);

/// <summary>
/// The answer of GET PERFORMANCE type 00h (MMC-6 6.8): an 8-byte header (performance data length in
/// bytes 0-3, counting the bytes after that field; byte 4 bit 1 Write, bit 0 Except) and 16-byte nominal
/// performance descriptors.
/// </summary>
/// <param name="Write">True when the descriptors describe writing (header byte 4 bit 1).</param>
/// <param name="Descriptors">The descriptors the answer holds.</param>
public sealed record PerformanceData(bool Write, IReadOnlyList<PerformanceDescriptor> Descriptors)
{
    // MMC-6 6.8 GET PERFORMANCE, performance header
    internal const int LengthOffset = 0;       // Performance Data Length: bytes that follow this field
    internal const int FlagsOffset = 4;        // bit 1 Write, bit 0 Except
    internal const int HeaderSize = 8;

    // MMC-6 6.8, performance descriptor — nominal performance (Except = 00b), 16 bytes
    private const int DescriptorSize = 16;
    private const int StartLbaOffset = 0;
    private const int StartPerformanceOffset = 4;
    private const int EndLbaOffset = 8;
    private const int EndPerformanceOffset = 12;

    /// <summary>
    /// Decodes <paramref name="data"/>. Descriptors are read as far as both the length field and the
    /// bytes transferred reach. Exception lists (Except = 1) are not decoded: they are refused.
    /// </summary>
    /// <exception cref="InvalidDataException">Shorter than the header, or an exception list.</exception>
    public static PerformanceData Read(ReadOnlySpan<byte> data)
    {
        var body = Header(data, "GET PERFORMANCE (type 00h)");
        if ((data[FlagsOffset] & 0x01) != 0)
            throw new InvalidDataException("GET PERFORMANCE (type 00h) answered with an exception list (Except = 1), not nominal performance");
        var list = new List<PerformanceDescriptor>(body.Length / DescriptorSize);
        for (int o = 0; o + DescriptorSize <= body.Length; o += DescriptorSize)
        {
            var d = body.Slice(o, DescriptorSize);
            list.Add(new PerformanceDescriptor(
                BinaryPrimitives.ReadUInt32BigEndian(d[StartLbaOffset..]),
                Speed(d, StartPerformanceOffset),
                BinaryPrimitives.ReadUInt32BigEndian(d[EndLbaOffset..]),
                Speed(d, EndPerformanceOffset)));
        }
        return new PerformanceData((data[FlagsOffset] & 0x02) != 0, list);
    }

    /// <summary>The descriptor bytes after the header, cut to what both the length field and the transfer cover.</summary>
    internal static ReadOnlySpan<byte> Header(ReadOnlySpan<byte> data, string what)
    {
        if (data.Length < HeaderSize)
            throw new InvalidDataException($"{what}: {data.Length} bytes, the header alone is {HeaderSize}");
        long declared = 4L + BinaryPrimitives.ReadUInt32BigEndian(data[LengthOffset..]);
        int end = (int)Math.Min(declared, data.Length);
        return end <= HeaderSize ? [] : data[HeaderSize..end];
    }

    // Speeds are 32-bit fields; anything past int range is nonsense from a drive, clamp it.
    internal static int Speed(ReadOnlySpan<byte> d, int offset) => (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(d[offset..]));
}

/// <summary>
/// One write speed descriptor of GET PERFORMANCE type 03h (MMC-6 6.8, write speed descriptor): the speeds the drive offers
/// for the current medium up to <paramref name="EndLba"/>, in kB/s.
/// </summary>
/// <param name="RotationControl">WRC, byte 0 bits 4-3 (00b CLV/default, 01b CAV).</param>
/// <param name="RestoreDefaults">RDD, byte 0 bit 2.</param>
/// <param name="Exact">Exact, byte 0 bit 1.</param>
/// <param name="MixedReadWrite">MRW, byte 0 bit 0: the speed suits mixed reading and writing.</param>
/// <param name="EndLba">Bytes 4-7: the last LBA the speed applies to (the medium's capacity minus 1).</param>
/// <param name="ReadKBps">Bytes 8-11: read speed, kB/s.</param>
/// <param name="WriteKBps">Bytes 12-15: write speed, kB/s.</param>
public sealed record WriteSpeedDescriptor(byte RotationControl, bool RestoreDefaults, bool Exact, bool MixedReadWrite, long EndLba, int ReadKBps, int WriteKBps)
{
    // MMC-6 6.8, write speed descriptor (type 03h), 16 bytes
    internal const int Size = 16;
    private const int FlagsOffset = 0;         // WRC bits 4-3, RDD bit 2, Exact bit 1, MRW bit 0
    private const int EndLbaOffset = 4;
    private const int ReadSpeedOffset = 8;
    private const int WriteSpeedOffset = 12;

    /// <summary>
    /// Decodes the answer of GET PERFORMANCE type 03h: the 8-byte performance header, then 16-byte write
    /// speed descriptors, as far as both the length field and the bytes transferred reach.
    /// </summary>
    /// <exception cref="InvalidDataException">Shorter than the header.</exception>
    public static IReadOnlyList<WriteSpeedDescriptor> ReadList(ReadOnlySpan<byte> data)
    {
        var body = PerformanceData.Header(data, "GET PERFORMANCE (type 03h)");
        var list = new List<WriteSpeedDescriptor>(body.Length / Size);
        for (int o = 0; o + Size <= body.Length; o += Size)
            list.Add(Read(body.Slice(o, Size)));
        return list;
    }

    /// <summary>Decodes one 16-byte descriptor.</summary>
    public static WriteSpeedDescriptor Read(ReadOnlySpan<byte> d)
    {
        if (d.Length < Size)
            throw new InvalidDataException($"write speed descriptor: {d.Length} bytes, needs {Size}");
        byte f = d[FlagsOffset];
        return new WriteSpeedDescriptor((byte)((f >> 3) & 0x03), (f & 0x04) != 0, (f & 0x02) != 0, (f & 0x01) != 0,
            BinaryPrimitives.ReadUInt32BigEndian(d[EndLbaOffset..]),
            PerformanceData.Speed(d, ReadSpeedOffset), PerformanceData.Speed(d, WriteSpeedOffset));
    }
}
