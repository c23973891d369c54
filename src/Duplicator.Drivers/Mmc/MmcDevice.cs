using System.Buffers.Binary;
using System.Text;
using Duplicator.Drivers.Scsi;
using Duplicator.Drivers.Transport;

namespace Duplicator.Drivers.Mmc;

/// <summary>SPC-4 standard INQUIRY data: peripheral device type (5 = CD/DVD/BD), vendor, product, revision.</summary>
public sealed record InquiryData(byte DeviceType, bool Removable, string Vendor, string Product, string Revision);

/// <summary>MMC-6 disc status (READ DISC INFORMATION byte 2 bits 0-1).</summary>
public enum DiscStatus
{
    /// <summary>Nothing recorded.</summary>
    Blank = 0,
    /// <summary>Recorded, appendable.</summary>
    Incomplete = 1,
    /// <summary>Finalized.</summary>
    Complete = 2,
    /// <summary>Random-writable or other.</summary>
    Other = 3,
}

/// <summary>MMC-6 Table 448 (standard disc information) fields this project uses.</summary>
public sealed record DiscInformation(DiscStatus Status, int Sessions, int FirstTrackOfLastSession, int LastTrackOfLastSession, long LastPossibleLeadOut);

/// <summary>MMC-6 Table 520 (track information) fields this project uses.</summary>
public sealed record TrackInformation(int Track, bool Blank, long Start, long NextWritable, bool NextWritableValid, long FreeBlocks, long Size);

/// <summary>
/// MMC-6 Table 520 read as a master's reader needs it: where a recorded track lies and what it holds.
/// </summary>
/// <param name="Track">Track number.</param>
/// <param name="Session">Session number.</param>
/// <param name="Blank">Nothing recorded (byte 6 bit 6).</param>
/// <param name="Audio">Track mode (byte 5 bits 0-3) has the data bit (bit 2) clear: CD-DA.</param>
/// <param name="Start">Track start address (bytes 8-11).</param>
/// <param name="Size">Track size in blocks (bytes 24-27).</param>
/// <param name="LastRecorded">Last recorded address (bytes 28-31) when LRA_V (byte 7 bit 1) is set, else null.</param>
public sealed record RecordedTrack(int Track, int Session, bool Blank, bool Audio, long Start, long Size, long? LastRecorded);

/// <summary>
/// One drive spoken to in MMC commands over an <see cref="IScsiTransport"/>. Each method sends one
/// command (or a short fixed sequence), decodes the answer, and throws <see cref="ScsiCommandException"/>
/// on CHECK CONDITION. Not thread-safe by design: a drive is driven from its own I/O thread.
/// </summary>
public sealed partial class MmcDevice(IScsiTransport transport, TimeSpan? commandTimeout = null, TimeSpan? longTimeout = null) : IDisposable
{
    /// <summary>Timeout of ordinary commands (30 s unless given): a hung drive fails the command, not the thread.</summary>
    public TimeSpan CommandTimeout { get; } = commandTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>Timeout of commands that wait for the medium: sync cache, close, blank (30 min unless given).</summary>
    public TimeSpan LongTimeout { get; } = longTimeout ?? TimeSpan.FromMinutes(30);

    /// <summary>The transport.</summary>
    public IScsiTransport Transport => transport;

    /// <summary>The drive's location.</summary>
    public string Location => transport.Location;

    /// <summary>TEST UNIT READY; false when the drive answers NOT READY.</summary>
    public bool TestUnitReady()
    {
        Span<byte> c = stackalloc byte[16];
        var r = transport.Execute(c[..Cdb.TestUnitReady(c)], DataDirection.None, [], CommandTimeout);
        if (r.IsGood) return true;
        var sense = SenseData.Read(r.Sense.Span);
        if (sense is { Key: SenseKey.NotReady or SenseKey.UnitAttention }) return false;
        throw new ScsiCommandException(Location, "TEST UNIT READY", r.Status, sense);
    }

    /// <summary>Polls TEST UNIT READY until the drive is ready, or throws the last condition after <paramref name="timeout"/>.</summary>
    public void WaitUntilReady(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var until = DateTime.UtcNow + timeout;
        Span<byte> c = stackalloc byte[16];
        while (true)
        {
            var r = transport.Execute(c[..Cdb.TestUnitReady(c)], DataDirection.None, [], CommandTimeout);
            if (r.IsGood) return;
            var e = new ScsiCommandException(Location, "TEST UNIT READY", r.Status, SenseData.Read(r.Sense.Span));
            if (!e.IsRetryable || DateTime.UtcNow >= until) throw e;
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>INQUIRY (SPC-4 6.6.2: type byte 0 bits 0-4, RMB byte 1 bit 7, vendor 8-15, product 16-31, revision 32-35).</summary>
    public InquiryData Inquiry()
    {
        var d = new byte[96];
        Span<byte> c = stackalloc byte[16];
        Run("INQUIRY", c[..Cdb.Inquiry(c, (ushort)d.Length)], DataDirection.In, d, CommandTimeout);
        return new InquiryData((byte)(d[0] & 0x1F), (d[1] & 0x80) != 0, Ascii(d, 8, 8), Ascii(d, 16, 16), Ascii(d, 32, 4));
    }

    /// <summary>The current profile (GET CONFIGURATION header bytes 6-7).</summary>
    public MmcProfile CurrentProfile()
    {
        var d = new byte[8];
        Span<byte> c = stackalloc byte[16];
        Run("GET CONFIGURATION", c[..Cdb.GetConfiguration(c, 1, 0, (ushort)d.Length)], DataDirection.In, d, CommandTimeout);
        return (MmcProfile)BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(6));
    }

    /// <summary>READ DISC INFORMATION.</summary>
    public DiscInformation ReadDiscInformation()
    {
        var d = new byte[34];
        Span<byte> c = stackalloc byte[16];
        Run("READ DISC INFORMATION", c[..Cdb.ReadDiscInformation(c, (ushort)d.Length)], DataDirection.In, d, CommandTimeout);
        // byte 2: disc status bits 0-1; 4/9 sessions LSB/MSB; 5/10 first track in last session; 6/11 last track; 20-23 last possible lead-out
        return new DiscInformation((DiscStatus)(d[2] & 0x03), d[4] | d[9] << 8, d[5] | d[10] << 8, d[6] | d[11] << 8,
            BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(20)));
    }

    /// <summary>READ TRACK INFORMATION for <paramref name="track"/> (0xFF: the invisible or incomplete track, where the next writable address is).</summary>
    public TrackInformation ReadTrackInformation(uint track = 0xFF)
    {
        var d = new byte[48];
        Span<byte> c = stackalloc byte[16];
        Run("READ TRACK INFORMATION", c[..Cdb.ReadTrackInformation(c, track, (ushort)d.Length)], DataDirection.In, d, CommandTimeout);
        // byte 2/32 track number LSB/MSB; byte 6 bit 6 blank; byte 7 bit 0 NWA_V; 8-11 start; 12-15 NWA; 16-19 free; 24-27 size
        return new TrackInformation(d[2] | d[32] << 8, (d[6] & 0x40) != 0, BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(8)),
            BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(12)), (d[7] & 0x01) != 0,
            BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(16)), BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(24)));
    }

    /// <summary>READ TRACK INFORMATION of track <paramref name="track"/> (address type 01b), decoded for reading: mode, size and last recorded address.</summary>
    public RecordedTrack ReadRecordedTrack(int track)
    {
        const int TrackMode = 5, Flags6 = 6, Flags7 = 7, StartOffset = 8, SizeOffset = 24, LraOffset = 28;
        var d = new byte[48];
        Span<byte> c = stackalloc byte[16];
        Run("READ TRACK INFORMATION", c[..Cdb.ReadTrackInformation(c, checked((uint)track), (ushort)d.Length)], DataDirection.In, d, CommandTimeout);
        return new RecordedTrack(d[2] | d[32] << 8, d[3] | d[33] << 8, (d[Flags6] & 0x40) != 0, (d[TrackMode] & 0x04) == 0,
            BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(StartOffset)), BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(SizeOffset)),
            (d[Flags7] & 0x02) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan(LraOffset)) : null);
    }

    /// <summary>READ CAPACITY: (last LBA, block length).</summary>
    public (long LastLba, int BlockLength) ReadCapacity()
    {
        var d = new byte[8];
        Span<byte> c = stackalloc byte[16];
        Run("READ CAPACITY", c[..Cdb.ReadCapacity(c)], DataDirection.In, d, CommandTimeout);
        return (BinaryPrimitives.ReadUInt32BigEndian(d), BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(4)));
    }

    /// <summary>
    /// MODE SELECT(10) of the write parameters page (MMC-6 7.5.4, page 05h): write type (1 TAO, 2 SAO),
    /// test write, track mode, data block type (8 = Mode 1 2048 bytes, 0 = raw 2352 CD-DA), multi-session.
    /// </summary>
    public void SetWriteParameters(byte writeType, bool testWrite, byte trackMode, byte dataBlockType, byte multiSession = 0)
    {
        const int header = 8, page = 2 + 0x32;
        var d = new byte[header + page];
        var p = d.AsSpan(header);
        p[0] = 0x05;                                                  // page code
        p[1] = 0x32;                                                  // page length
        p[2] = (byte)((testWrite ? 0x10 : 0) | (writeType & 0x0F));   // byte 2: Test Write bit 4, Write Type bits 0-3
        p[3] = (byte)((multiSession & 0x03) << 6 | (trackMode & 0x0F)); // byte 3: Multi-session bits 6-7, Track Mode bits 0-3
        p[4] = (byte)(dataBlockType & 0x0F);                          // byte 4: Data Block Type
        p[8] = 0x00;                                                  // session format: CD-DA / CD-ROM
        BinaryPrimitives.WriteUInt16BigEndian(p[14..], 150);          // audio pause length
        Span<byte> c = stackalloc byte[16];
        Run("MODE SELECT(10)", c[..Cdb.ModeSelect10(c, (ushort)d.Length)], DataDirection.Out, d, CommandTimeout);
    }

    /// <summary>SEND CUE SHEET (MMC-6 6.35): the disc-at-once layout of a CD session, sent after mode page 05h selects SAO.</summary>
    public void SendCueSheet(ReadOnlySpan<byte> sheet)
    {
        Span<byte> c = stackalloc byte[16];
        var buffer = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(sheet), sheet.Length);
        Run("SEND CUE SHEET", c[..Cdb.SendCueSheet(c, sheet.Length)], DataDirection.Out, buffer, CommandTimeout);
    }

    /// <summary>WRITE(10) of whole blocks starting at <paramref name="lba"/>.</summary>
    public void Write10(long lba, int blockSize, ReadOnlySpan<byte> data, TimeSpan? timeout = null)
    {
        Span<byte> c = stackalloc byte[16];
        // The transport takes a Span for both directions; an Out phase only reads from it.
        var buffer = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(data), data.Length);
        Run("WRITE(10)", c[..Cdb.Write10(c, lba, checked((ushort)(data.Length / blockSize)))], DataDirection.Out, buffer, timeout ?? CommandTimeout);
    }

    /// <summary>READ(10) of whole blocks into <paramref name="destination"/>.</summary>
    public void Read10(long lba, int blockSize, Span<byte> destination)
    {
        Span<byte> c = stackalloc byte[16];
        Run("READ(10)", c[..Cdb.Read10(c, lba, checked((ushort)(destination.Length / blockSize)))], DataDirection.In, destination, CommandTimeout);
    }

    /// <summary>READ CD of whole 2352-byte CD-DA blocks into <paramref name="destination"/>.</summary>
    public void ReadCdAudio(long lba, Span<byte> destination)
    {
        Span<byte> c = stackalloc byte[16];
        Run("READ CD", c[..Cdb.ReadCdAudio(c, lba, destination.Length / 2352)], DataDirection.In, destination, CommandTimeout);
    }

    /// <summary>SYNCHRONIZE CACHE: waits until the drive has written its buffer to the medium.</summary>
    public void SynchronizeCache()
    {
        Span<byte> c = stackalloc byte[16];
        Run("SYNCHRONIZE CACHE", c[..Cdb.SynchronizeCache(c)], DataDirection.None, [], LongTimeout);
    }

    /// <summary>CLOSE TRACK/SESSION with a close function (1 track, 2 session, 5/6 finalize DVD+R/BD-R).</summary>
    public void CloseTrackSession(byte function, ushort track = 0)
    {
        Span<byte> c = stackalloc byte[16];
        Run("CLOSE TRACK/SESSION", c[..Cdb.CloseTrackSession(c, function, track)], DataDirection.None, [], LongTimeout);
    }

    /// <summary>SET CD SPEED in kB/s (0xFFFF = maximum).</summary>
    public void SetCdSpeed(ushort writeKBps)
    {
        Span<byte> c = stackalloc byte[16];
        Run("SET CD SPEED", c[..Cdb.SetCdSpeed(c, 0xFFFF, writeKBps)], DataDirection.None, [], CommandTimeout);
    }

    /// <summary>
    /// GET PERFORMANCE type 00h, nominal performance (tolerance 10b, Except 00b) for reading or writing
    /// from LBA 0; up to <paramref name="maxDescriptors"/> descriptors.
    /// </summary>
    public PerformanceData GetPerformance(bool write, ushort maxDescriptors = 8)
    {
        var d = new byte[PerformanceData.HeaderSize + 16 * maxDescriptors];
        Span<byte> c = stackalloc byte[16];
        byte dataType = (byte)(0x10 | (write ? 0x04 : 0)); // byte 1: tolerance bits 4-3 = 10b, Write bit 2, Except 00b
        int n = RunIn("GET PERFORMANCE", c[..Cdb.GetPerformance(c, dataType, 0, maxDescriptors, 0x00)], d, CommandTimeout);
        return PerformanceData.Read(d.AsSpan(0, n));
    }

    /// <summary>GET PERFORMANCE type 03h: the write speeds the drive offers for the medium it holds.</summary>
    public IReadOnlyList<WriteSpeedDescriptor> GetWriteSpeeds(ushort maxDescriptors = 32)
    {
        var d = new byte[PerformanceData.HeaderSize + WriteSpeedDescriptor.Size * maxDescriptors];
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("GET PERFORMANCE", c[..Cdb.GetPerformance(c, 0, 0, maxDescriptors, 0x03)], d, CommandTimeout);
        return WriteSpeedDescriptor.ReadList(d.AsSpan(0, n));
    }

    /// <summary>MODE SENSE(10) of page 2Ah: capabilities, buffer size, current and supported write speeds.</summary>
    public CapabilitiesPage ReadCapabilities()
    {
        var d = new byte[8 + 32 + 4 * 64]; // header, the page, up to 64 write speed descriptors
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("MODE SENSE(10)", c[..Cdb.ModeSense10(c, CapabilitiesPage.PageCode, (ushort)d.Length)], d, CommandTimeout);
        return CapabilitiesPage.ReadModeSense(d.AsSpan(0, n));
    }

    /// <summary>READ TOC/PMA/ATIP format 0000b from <paramref name="startTrack"/> (AAh: the lead-out only), addresses as LBAs or MSF.</summary>
    public TableOfContents ReadToc(byte startTrack = 1, bool msf = false)
    {
        var d = new byte[4 + 8 * 100]; // 99 tracks and the lead-out
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("READ TOC", c[..Cdb.ReadToc(c, 0, startTrack, (ushort)d.Length, msf)], d, CommandTimeout);
        return TableOfContents.Read(d.AsSpan(0, n), msf);
    }

    /// <summary>
    /// READ TOC/PMA/ATIP format 0001b (multi-session information, MMC-6 6.26.3.3): the last complete session's number,
    /// its first track's number and start address.
    /// </summary>
    public (int LastSession, int FirstTrack, long Start) ReadSessionInfo()
    {
        const int LastSessionOffset = 3, TrackOffset = 6, StartOffset = 8;
        var d = new byte[12];
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("READ TOC (session info)", c[..Cdb.ReadToc(c, 1, 0, (ushort)d.Length)], d, CommandTimeout);
        if (n < d.Length)
            throw new Mastering.Imapi.ImapiException(Mastering.Imapi.ImapiError.WrongDisc, $"{Location}: READ TOC format 1 returned {n} bytes, not {d.Length}");
        return (d[LastSessionOffset], d[TrackOffset], BinaryPrimitives.ReadInt32BigEndian(d.AsSpan(StartOffset)));
    }

    /// <summary>READ TOC/PMA/ATIP format 0100b: the ATIP of a CD-R/RW (MSF bit set, as MMC requires for ATIP).</summary>
    public Atip ReadAtip()
    {
        var d = new byte[4 + 24];
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("READ TOC (ATIP)", c[..Cdb.ReadToc(c, 4, 0, (ushort)d.Length, msf: true)], d, CommandTimeout);
        return Atip.Read(d.AsSpan(0, n));
    }

    /// <summary>READ BUFFER CAPACITY: buffer length and free space in bytes, or free blocks when <paramref name="blocks"/>.</summary>
    public BufferCapacity ReadBufferCapacity(bool blocks = false)
    {
        var d = new byte[12];
        Span<byte> c = stackalloc byte[16];
        int n = RunIn("READ BUFFER CAPACITY", c[..Cdb.ReadBufferCapacity(c, (ushort)d.Length, blocks)], d, CommandTimeout);
        return BufferCapacity.Read(d.AsSpan(0, n));
    }

    /// <summary>
    /// SET STREAMING with one performance descriptor (MMC-6 6.39, type 00h, 28 bytes): byte 0 WRC/RDD/Exact/RA
    /// (all 0: default rotation, not exact), start LBA 4-7, end LBA 8-11, read size 12-15 (kB) over read
    /// time 16-19 (ms), write size 20-23 (kB) over write time 24-27 (ms). The speeds are given as that many
    /// kB per 1000 ms.
    /// </summary>
    public void SetStreaming(long startLba, long endLba, int readKBps, int writeKBps)
    {
        const int StartLbaOffset = 4, EndLbaOffset = 8, ReadSizeOffset = 12, ReadTimeOffset = 16, WriteSizeOffset = 20, WriteTimeOffset = 24;
        var d = new byte[28];
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(StartLbaOffset), checked((uint)startLba));
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(EndLbaOffset), checked((uint)endLba));
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(ReadSizeOffset), checked((uint)readKBps));
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(ReadTimeOffset), 1000);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(WriteSizeOffset), checked((uint)writeKBps));
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(WriteTimeOffset), 1000);
        Span<byte> c = stackalloc byte[16];
        Run("SET STREAMING", c[..Cdb.SetStreaming(c, (ushort)d.Length)], DataDirection.Out, d, CommandTimeout);
    }

    /// <summary>BLANK a rewritable CD (full or minimal).</summary>
    public void Blank(bool full)
    {
        Span<byte> c = stackalloc byte[16];
        Run("BLANK", c[..Cdb.Blank(c, full)], DataDirection.None, [], LongTimeout);
    }

    /// <summary>START STOP UNIT with LoEj: opens the tray.</summary>
    public void Eject()
    {
        Span<byte> c = stackalloc byte[16];
        Run("START STOP UNIT", c[..Cdb.StartStopUnit(c, loadEject: true, start: false)], DataDirection.None, [], CommandTimeout);
    }

    /// <inheritdoc />
    public void Dispose() => transport.Dispose();

    private void Run(string name, ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data, TimeSpan timeout)
    {
        var r = transport.Execute(cdb, direction, data, timeout);
        if (!r.IsGood) throw new ScsiCommandException(Location, name, r.Status, SenseData.Read(r.Sense.Span));
    }

    // A data-in command whose answer is parsed: returns the bytes actually moved (the whole buffer when the
    // transport reports none, as some do for short answers they do not measure).
    private int RunIn(string name, ReadOnlySpan<byte> cdb, Span<byte> data, TimeSpan timeout)
    {
        var r = transport.Execute(cdb, DataDirection.In, data, timeout);
        if (!r.IsGood) throw new ScsiCommandException(Location, name, r.Status, SenseData.Read(r.Sense.Span));
        return r.Transferred is > 0 and var n && n <= data.Length ? n : data.Length;
    }

    private static string Ascii(byte[] d, int offset, int length) => Encoding.ASCII.GetString(d, offset, length).TrimEnd(' ', '\0');
}
