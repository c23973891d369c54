using System.Buffers.Binary;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Transport;

namespace Duplicator.Drivers.Tests.Emulation;

/// <summary>A drive clock that only moves when told to or when something sleeps on it.</summary>
internal sealed class FakeClock : IDriveClock
{
    private readonly object _gate = new();
    private TimeSpan _now = TimeSpan.FromSeconds(1);

    public TimeSpan Elapsed { get { lock (_gate) { return _now; } } }

    public TimeSpan Slept { get; private set; }

    public void Sleep(TimeSpan duration)
    {
        lock (_gate)
        {
            _now += duration;
            Slept += duration;
        }
    }

    public void Advance(TimeSpan duration)
    {
        lock (_gate)
        {
            _now += duration;
        }
    }
}

/// <summary>A temp folder and a recorder writing into it; both gone afterwards.</summary>
internal sealed class EmuDrive : IDisposable
{
    public EmuDrive(EmulatedProfile profile, MediumState state = MediumState.Blank, long? capacity = null, int? maxSpeed = 0, long buffer = EmulatedRecorderOptions.DefaultBufferBytes, bool autoReload = false, bool discard = false)
    {
        Directory.CreateDirectory(Root);
        Recorder = new EmulatedRecorder(new EmulatedRecorderOptions
        {
            Name = "bay1",
            Profile = profile,
            State = state,
            CapacityBlocks = capacity,
            MaxSpeed = maxSpeed,
            BufferBytes = buffer,
            OutputDirectory = Root,
            Clock = Clock,
            AutoReload = autoReload,
            Discard = discard,
        });
    }

    private EmuDrive(string profileAndQuery)
    {
        Directory.CreateDirectory(Root);
        Url = $"emulated:{profileAndQuery}{(profileAndQuery.Contains('?') ? '&' : '?')}dir={Uri.EscapeDataString(Root)}&name=bay1";
        Recorder = EmulatedRecorder.FromUrl(Url, Clock);
    }

    /// <summary>A drive built from <c>emulated:&lt;profileAndQuery&gt;</c> (dir and name added) on a fake clock.</summary>
    public static EmuDrive FromUrl(string profileAndQuery) => new(profileAndQuery);

    public string? Url { get; }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "dup-emu-" + Guid.NewGuid().ToString("N"));
    public FakeClock Clock { get; } = new();
    public EmulatedRecorder Recorder { get; }

    public ScsiResult Run(byte[] cdb) => Recorder.Execute(cdb, DataDirection.None, Span<byte>.Empty, TimeSpan.FromSeconds(30));

    public ScsiResult Out(byte[] cdb, byte[] data) => Recorder.Execute(cdb, DataDirection.Out, data, TimeSpan.FromSeconds(30));

    public (ScsiResult Result, byte[] Data) In(byte[] cdb, int length)
    {
        var buffer = new byte[length];
        var r = Recorder.Execute(cdb, DataDirection.In, buffer, TimeSpan.FromSeconds(30));
        return (r, buffer[..r.Transferred]);
    }

    public byte[] InGood(byte[] cdb, int length)
    {
        var (r, data) = In(cdb, length);
        Sense.Good(r);
        return data;
    }

    public void Dispose()
    {
        Recorder.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>CDBs written out by hand from MMC-6 / SPC-4, independent of the driver's own builders.</summary>
internal static class Cdb
{
    public static byte[] TestUnitReady() => new byte[6];
    public static byte[] RequestSense(byte allocation = 18) => [0x03, 0, 0, 0, allocation, 0];
    public static byte[] Inquiry(ushort allocation = 96) => [0x12, 0, 0, (byte)(allocation >> 8), (byte)allocation, 0];
    public static byte[] StartStop(bool loej, bool start) => [0x1B, 0, 0, 0, (byte)((loej ? 2 : 0) | (start ? 1 : 0)), 0];
    public static byte[] PreventAllow(bool prevent) => [0x1E, 0, 0, 0, (byte)(prevent ? 1 : 0), 0];
    public static byte[] ReadCapacity() => [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public static byte[] GetConfiguration(byte rt = 0, ushort start = 0, ushort allocation = 4096) => [0x46, rt, (byte)(start >> 8), (byte)start, 0, 0, 0, (byte)(allocation >> 8), (byte)allocation, 0];
    public static byte[] GetEventStatus() => [0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0];
    public static byte[] ReadDiscInfo() => [0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0];
    public static byte[] ReadTrackInfo(byte type, uint address) => [0x52, type, (byte)(address >> 24), (byte)(address >> 16), (byte)(address >> 8), (byte)address, 0, 0, 48, 0];
    public static byte[] ReadToc(byte format, bool msf = false, byte track = 0) => [0x43, (byte)(msf ? 2 : 0), format, 0, 0, 0, track, 0x03, 0x24, 0];
    public static byte[] ModeSense(byte page) => [0x5A, 0x08, page, 0, 0, 0, 0, 0x01, 0x00, 0];
    public static byte[] ModeSelect(int length) => [0x55, 0x10, 0, 0, 0, 0, 0, (byte)(length >> 8), (byte)length, 0];
    public static byte[] SyncCache() => [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public static byte[] Close(byte function, ushort track = 0) => [0x5B, 0, function, 0, (byte)(track >> 8), (byte)track, 0, 0, 0, 0];
    public static byte[] ReserveTrack(uint blocks) => [0x53, 0, 0, 0, 0, (byte)(blocks >> 24), (byte)(blocks >> 16), (byte)(blocks >> 8), (byte)blocks, 0];
    public static byte[] SendCueSheet(int length) => [0x5D, 0, 0, 0, 0, 0, (byte)(length >> 16), (byte)(length >> 8), (byte)length, 0];
    public static byte[] Blank(byte type) => [0xA1, type, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    public static byte[] FormatUnit() => [0x04, 0x11, 0, 0, 0, 0];
    public static byte[] SetCdSpeed(ushort writeKbps) => [0xBB, 0, 0xFF, 0xFF, (byte)(writeKbps >> 8), (byte)writeKbps, 0, 0, 0, 0, 0, 0];
    public static byte[] ReadBufferCapacity() => [0x5C, 0, 0, 0, 0, 0, 0, 0, 12, 0];
    public static byte[] GetPerformanceWriteSpeeds() => [0xAC, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0x03, 0];

    public static byte[] Write10(long lba, int blocks)
    {
        var c = new byte[10];
        c[0] = 0x2A;
        BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(2), (int)lba);
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), (ushort)blocks);
        return c;
    }

    public static byte[] Write12(long lba, int blocks)
    {
        var c = new byte[12];
        c[0] = 0xAA;
        BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(2), (int)lba);
        BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(6), blocks);
        return c;
    }

    public static byte[] Read10(long lba, int blocks)
    {
        var c = new byte[10];
        c[0] = 0x28;
        BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(2), (int)lba);
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), (ushort)blocks);
        return c;
    }

    public static byte[] Read12(long lba, int blocks)
    {
        var c = new byte[12];
        c[0] = 0xA8;
        BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(2), (int)lba);
        BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(6), blocks);
        return c;
    }

    /// <summary>READ CD: expected sector type, user data only (byte 9 = 10h), no sub-channel.</summary>
    public static byte[] ReadCd(long lba, int blocks, byte expectedType = 0, byte flags = 0x10)
    {
        var c = new byte[12];
        c[0] = 0xBE;
        c[1] = (byte)(expectedType << 2);
        BinaryPrimitives.WriteInt32BigEndian(c.AsSpan(2), (int)lba);
        c[6] = (byte)(blocks >> 16);
        c[7] = (byte)(blocks >> 8);
        c[8] = (byte)blocks;
        c[9] = flags;
        return c;
    }

    /// <summary>MODE SELECT(10) parameter list: 8-byte header + write parameters page 05h (52 bytes).</summary>
    public static byte[] WriteParameters(byte writeType, byte dataBlockType, byte trackMode = 4, bool testWrite = false, byte multiSession = 0)
    {
        var p = new byte[8 + 52];
        p[8] = 0x05;
        p[9] = 0x32;
        p[10] = (byte)((testWrite ? 0x10 : 0) | writeType);
        p[11] = (byte)((multiSession << 6) | trackMode);
        p[12] = dataBlockType;
        p[22] = 0x00;
        p[23] = 150;
        return p;
    }

    /// <summary>Format list: header (FOV 0) + one descriptor of <paramref name="type"/> and <paramref name="blocks"/>.</summary>
    public static byte[] FormatList(uint blocks, byte type = 0x26)
    {
        var p = new byte[12];
        p[3] = 8;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(4), blocks);
        p[8] = (byte)(type << 2);
        return p;
    }
}

/// <summary>Sense checks that read the fixed-format bytes directly (SPC-4 §4.5.3).</summary>
internal static class Sense
{
    public static void Good(ScsiResult r)
    {
        if (!r.IsGood)
        {
            var s = r.Sense.Span;
            Assert.Fail($"expected GOOD, got status {r.Status:X2} sense {s[2] & 0x0F:X2}/{s[12]:X2}/{s[13]:X2}");
        }
    }

    public static void Is(ScsiResult r, byte key, byte asc, byte ascq)
    {
        Assert.Equal(ScsiResult.CheckCondition, r.Status);
        var s = r.Sense.Span;
        Assert.Equal(0x70, s[0] & 0x7F); // current error, fixed format; bit 7 is VALID
        Assert.Equal($"{key:X2}/{asc:X2}/{ascq:X2}", $"{s[2] & 0x0F:X2}/{s[12]:X2}/{s[13]:X2}");
    }

    /// <summary>The INFORMATION field (bytes 3-6) when VALID (byte 0 bit 7) is set, else null.</summary>
    public static uint? Information(ScsiResult r)
    {
        var s = r.Sense.Span;
        return (s[0] & 0x80) != 0 ? BinaryPrimitives.ReadUInt32BigEndian(s[3..]) : null;
    }
}

/// <summary>Deterministic sector contents: every byte depends on the LBA and its offset.</summary>
internal static class Pattern
{
    public static byte[] Blocks(long firstLba, int blocks, int blockSize, int seed = 0)
    {
        var data = new byte[blocks * blockSize];
        for (var b = 0; b < blocks; b++)
        {
            var lba = firstLba + b;
            for (var i = 0; i < blockSize; i++)
            {
                data[b * blockSize + i] = (byte)((lba * 31) + (i * 7) + seed + (i >> 8));
            }
        }

        return data;
    }

    public static uint U32(byte[] b, int o) => BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(o));
    public static int U16(byte[] b, int o) => BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(o));
}
