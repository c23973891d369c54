using System.Buffers.Binary;

namespace Duplicator.Drivers.Mmc;

/// <summary>
/// Command descriptor blocks (SPC-4, MMC-6), each written into a caller's span; the return value is the
/// CDB length. Offsets are named after the tables that define them.
/// </summary>
public static partial class Cdb
{
    /// <summary>SPC-4 6.33 TEST UNIT READY.</summary>
    public static int TestUnitReady(Span<byte> c) => Init(c, 0x00, 6);

    /// <summary>SPC-4 6.6 INQUIRY: allocation length in bytes 3-4.</summary>
    public static int Inquiry(Span<byte> c, ushort allocation)
    {
        Init(c, 0x12, 6);
        BinaryPrimitives.WriteUInt16BigEndian(c[3..], allocation);
        return 6;
    }

    /// <summary>MMC-6 6.6 GET CONFIGURATION: RT in byte 1, starting feature 2-3, allocation 7-8.</summary>
    public static int GetConfiguration(Span<byte> c, byte requestType, ushort startingFeature, ushort allocation)
    {
        Init(c, 0x46, 10);
        c[1] = (byte)(requestType & 0x03);
        BinaryPrimitives.WriteUInt16BigEndian(c[2..], startingFeature);
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }

    /// <summary>MMC-6 6.22 READ DISC INFORMATION (data type 000b): allocation 7-8.</summary>
    public static int ReadDiscInformation(Span<byte> c, ushort allocation)
    {
        Init(c, 0x51, 10);
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }

    /// <summary>MMC-6 6.27 READ TRACK INFORMATION by track number (address type 01b); track FFh is the invisible/incomplete track.</summary>
    public static int ReadTrackInformation(Span<byte> c, uint track, ushort allocation)
    {
        Init(c, 0x52, 10);
        c[1] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(c[2..], track);
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }

    /// <summary>MMC-6 6.23 READ CAPACITY.</summary>
    public static int ReadCapacity(Span<byte> c) => Init(c, 0x25, 10);

    /// <summary>SPC-4 6.12 MODE SENSE(10), current values (PC 00b): page code in byte 2, allocation 7-8.</summary>
    public static int ModeSense10(Span<byte> c, byte page, ushort allocation)
    {
        Init(c, 0x5A, 10);
        c[2] = (byte)(page & 0x3F);
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }

    /// <summary>SPC-4 6.10 MODE SELECT(10) with PF set (byte 1 bit 4): parameter list length 7-8.</summary>
    public static int ModeSelect10(Span<byte> c, ushort parameterLength)
    {
        Init(c, 0x55, 10);
        c[1] = 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], parameterLength);
        return 10;
    }

    /// <summary>MMC-6 6.45 WRITE(10): LBA 2-5, transfer length (blocks) 7-8.</summary>
    public static int Write10(Span<byte> c, long lba, ushort blocks) => Rw10(c, 0x2A, lba, blocks);

    /// <summary>MMC-6 6.19 READ(10): LBA 2-5, transfer length (blocks) 7-8.</summary>
    public static int Read10(Span<byte> c, long lba, ushort blocks) => Rw10(c, 0x28, lba, blocks);

    /// <summary>MMC-6 6.41 SYNCHRONIZE CACHE(10).</summary>
    public static int SynchronizeCache(Span<byte> c) => Init(c, 0x35, 10);

    /// <summary>MMC-6 6.3 CLOSE TRACK/SESSION: IMMED byte 1 bit 0, close function byte 2 bits 0-2, track number 4-5.</summary>
    public static int CloseTrackSession(Span<byte> c, byte function, ushort track, bool immediate = false)
    {
        Init(c, 0x5B, 10);
        c[1] = (byte)(immediate ? 1 : 0);
        c[2] = (byte)(function & 0x07);
        BinaryPrimitives.WriteUInt16BigEndian(c[4..], track);
        return 10;
    }

    /// <summary>SBC/MMC START STOP UNIT: byte 4 bit 1 LoEj, bit 0 Start (eject = LoEj and not Start).</summary>
    public static int StartStopUnit(Span<byte> c, bool loadEject, bool start)
    {
        Init(c, 0x1B, 6);
        c[4] = (byte)((loadEject ? 2 : 0) | (start ? 1 : 0));
        return 6;
    }

    /// <summary>MMC-6 6.37 SET CD SPEED: read speed 2-3, write speed 4-5 in kB/s (FFFFh = maximum).</summary>
    public static int SetCdSpeed(Span<byte> c, ushort readKBps, ushort writeKBps)
    {
        Init(c, 0xBB, 12);
        BinaryPrimitives.WriteUInt16BigEndian(c[2..], readKBps);
        BinaryPrimitives.WriteUInt16BigEndian(c[4..], writeKBps);
        return 12;
    }

    /// <summary>MMC-6 6.2 BLANK: blanking type byte 1 bits 0-2 (000b full, 001b minimal).</summary>
    public static int Blank(Span<byte> c, bool full)
    {
        Init(c, 0xA1, 12);
        c[1] = (byte)(full ? 0 : 1);
        return 12;
    }

    /// <summary>
    /// MMC-6 6.18 READ CD of CD-DA: expected sector type 001b in byte 1 bits 2-4, LBA 2-5, transfer length
    /// 6-8 (24-bit), byte 9 = 10h (user data: the 2352 bytes of an audio block), no sub-channel.
    /// </summary>
    public static int ReadCdAudio(Span<byte> c, long lba, int blocks) => ReadCdDa(c, lba, blocks, 0x10, 0);

    /// <summary>
    /// MMC-6 6.18 READ CD of CD-DA (expected sector type 001b in byte 1 bits 2-4), LBA 2-5, transfer length 6-8
    /// (24-bit), byte 9 what of the main channel is returned, byte 10 the sub-channel selection.
    /// </summary>
    internal static int ReadCdDa(Span<byte> c, long lba, int blocks, byte mainChannel, byte subchannel)
    {
        Init(c, 0xBE, 12);
        c[1] = 1 << 2;
        BinaryPrimitives.WriteInt32BigEndian(c[2..], checked((int)lba));
        c[6] = (byte)(blocks >> 16);
        c[7] = (byte)(blocks >> 8);
        c[8] = (byte)blocks;
        c[9] = mainChannel;
        c[10] = subchannel;
        return 12;
    }

    /// <summary>SPC-4 6.27 REQUEST SENSE: allocation length in byte 4.</summary>
    public static int RequestSense(Span<byte> c, byte allocation)
    {
        Init(c, 0x03, 6);
        c[4] = allocation;
        return 6;
    }

    /// <summary>MMC-6 6.26 READ TOC/PMA/ATIP: format in byte 2 bits 0-3 (0 TOC, 1 session info, 2 full TOC, 4 ATIP), MSF byte 1 bit 1, track 6, allocation 7-8.</summary>
    public static int ReadToc(Span<byte> c, byte format, byte track, ushort allocation, bool msf = false)
    {
        Init(c, 0x43, 10);
        c[1] = (byte)(msf ? 0x02 : 0);
        c[2] = (byte)(format & 0x0F);
        c[6] = track;
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }

    /// <summary>MMC-6 6.7 GET EVENT STATUS NOTIFICATION, polled (byte 1 bit 0), class request in byte 4 (10h = media), allocation 7-8.</summary>
    public static int GetEventStatusNotification(Span<byte> c, byte classRequest, ushort allocation)
    {
        Init(c, 0x4A, 10);
        c[1] = 0x01;
        c[4] = classRequest;
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }

    /// <summary>MMC-6 6.8 GET PERFORMANCE: data type byte 1, starting LBA 2-5, maximum descriptors 8-9, type byte 10 (00h performance, 03h write speed).</summary>
    public static int GetPerformance(Span<byte> c, byte dataType, uint startingLba, ushort maxDescriptors, byte type)
    {
        Init(c, 0xAC, 12);
        c[1] = dataType;
        BinaryPrimitives.WriteUInt32BigEndian(c[2..], startingLba);
        BinaryPrimitives.WriteUInt16BigEndian(c[8..], maxDescriptors);
        c[10] = type;
        return 12;
    }

    /// <summary>MMC-6 6.39 SET STREAMING: type byte 8 (00h performance descriptor), parameter list length 9-10.</summary>
    public static int SetStreaming(Span<byte> c, ushort parameterLength)
    {
        Init(c, 0xB6, 12);
        BinaryPrimitives.WriteUInt16BigEndian(c[9..], parameterLength);
        return 12;
    }

    /// <summary>MMC-6 6.25 READ BUFFER CAPACITY: BLOCK bit byte 1 bit 0, allocation 7-8.</summary>
    public static int ReadBufferCapacity(Span<byte> c, ushort allocation, bool blocks = false)
    {
        Init(c, 0x5C, 10);
        c[1] = (byte)(blocks ? 1 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], allocation);
        return 10;
    }

    /// <summary>MMC-6 6.31 RESERVE TRACK by size (ARSV = 0): reservation size in blocks, bytes 5-8.</summary>
    public static int ReserveTrack(Span<byte> c, uint blocks)
    {
        Init(c, 0x53, 10);
        BinaryPrimitives.WriteUInt32BigEndian(c[5..], blocks);
        return 10;
    }

    /// <summary>MMC-6 6.35 SEND CUE SHEET: cue sheet size, 24-bit, bytes 6-8.</summary>
    public static int SendCueSheet(Span<byte> c, int cueSheetBytes)
    {
        Init(c, 0x5D, 10);
        c[6] = (byte)(cueSheetBytes >> 16);
        c[7] = (byte)(cueSheetBytes >> 8);
        c[8] = (byte)cueSheetBytes;
        return 10;
    }

    /// <summary>MMC-6 6.46 WRITE(12): LBA 2-5, transfer length 6-9, streaming bit byte 10 bit 7.</summary>
    public static int Write12(Span<byte> c, long lba, uint blocks, bool streaming = false)
    {
        Init(c, 0xAA, 12);
        BinaryPrimitives.WriteInt32BigEndian(c[2..], checked((int)lba));
        BinaryPrimitives.WriteUInt32BigEndian(c[6..], blocks);
        c[10] = (byte)(streaming ? 0x80 : 0);
        return 12;
    }

    /// <summary>MMC-6 6.20 READ(12): LBA 2-5, transfer length 6-9.</summary>
    public static int Read12(Span<byte> c, long lba, uint blocks)
    {
        Init(c, 0xA8, 12);
        BinaryPrimitives.WriteInt32BigEndian(c[2..], checked((int)lba));
        BinaryPrimitives.WriteUInt32BigEndian(c[6..], blocks);
        return 12;
    }

    /// <summary>MMC-6 6.5 FORMAT UNIT with FmtData (byte 1 bit 4) and format code 001b: a format list follows.</summary>
    public static int FormatUnit(Span<byte> c)
    {
        Init(c, 0x04, 6);
        c[1] = 0x11;
        return 6;
    }

    /// <summary>SPC/MMC PREVENT ALLOW MEDIUM REMOVAL: prevent bit byte 4 bit 0.</summary>
    public static int PreventAllowMediumRemoval(Span<byte> c, bool prevent)
    {
        Init(c, 0x1E, 6);
        c[4] = (byte)(prevent ? 1 : 0);
        return 6;
    }

    private static int Rw10(Span<byte> c, byte op, long lba, ushort blocks)
    {
        Init(c, op, 10);
        BinaryPrimitives.WriteInt32BigEndian(c[2..], checked((int)lba)); // CD DAO writes start at negative LBAs
        BinaryPrimitives.WriteUInt16BigEndian(c[7..], blocks);
        return 10;
    }

    private static int Init(Span<byte> c, byte opcode, int length)
    {
        c[..length].Clear();
        c[0] = opcode;
        return length;
    }
}
