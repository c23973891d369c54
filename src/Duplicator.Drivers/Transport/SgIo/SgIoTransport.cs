using System.Runtime.InteropServices;

namespace Duplicator.Drivers.Transport.SgIo;

/// <summary>Linux &lt;scsi/sg.h&gt; struct sg_io_hdr (x86-64 layout, 88 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 88)]
internal unsafe struct SgIoHeader
{
    [FieldOffset(0)] public int InterfaceId;      // 'S'
    [FieldOffset(4)] public int DxferDirection;   // SG_DXFER_NONE -1, TO_DEV -2, FROM_DEV -3
    [FieldOffset(8)] public byte CmdLen;
    [FieldOffset(9)] public byte MxSbLen;
    [FieldOffset(10)] public ushort IovecCount;
    [FieldOffset(12)] public uint DxferLen;
    [FieldOffset(16)] public void* Dxferp;
    [FieldOffset(24)] public byte* Cmdp;
    [FieldOffset(32)] public byte* Sbp;
    [FieldOffset(40)] public uint Timeout;        // milliseconds
    [FieldOffset(44)] public uint Flags;
    [FieldOffset(48)] public int PackId;
    [FieldOffset(56)] public void* UsrPtr;
    [FieldOffset(64)] public byte Status;
    [FieldOffset(65)] public byte MaskedStatus;
    [FieldOffset(66)] public byte MsgStatus;
    [FieldOffset(67)] public byte SbLenWr;
    [FieldOffset(68)] public ushort HostStatus;
    [FieldOffset(70)] public ushort DriverStatus;
    [FieldOffset(72)] public int Resid;
    [FieldOffset(76)] public uint Duration;
    [FieldOffset(80)] public uint Info;
}

/// <summary>What a completed SG_IO call means for the caller.</summary>
public enum SgOutcome
{
    /// <summary>The command reached the device; its SCSI status (and sense) tell the rest.</summary>
    Completed,
    /// <summary>The command timed out (host DID_TIME_OUT or driver DRIVER_TIMEOUT): worth a retry.</summary>
    TimedOut,
    /// <summary>The device is gone (DID_NO_CONNECT, DID_BAD_TARGET): not worth a retry.</summary>
    Gone,
    /// <summary>Another transient condition below SCSI (bus busy, reset, requeue).</summary>
    Transient,
}

/// <summary>
/// A drive on Linux through the SCSI generic ioctl SG_IO on /dev/sg* or /dev/sr*, opened exclusively
/// (O_EXCL) so no other process talks to it mid-burn, with a per-command timeout. Cannot be exercised end
/// to end on machines without such devices; its structure layout and error mapping are unit-tested.
/// </summary>
public sealed partial class SgIoTransport : IScsiTransport
{
    private const uint SgIo = 0x2285;
    private const uint SgGetVersionNum = 0x2282;
    private const int ORdwr = 0x2, ONonblock = 0x800, OExcl = 0x80, OCloexec = 0x80000, ONoctty = 0x100;
    private const int DxferNone = -1, DxferToDev = -2, DxferFromDev = -3;
    private const int SenseBytes = 64;
    private int _fd;

    private SgIoTransport(string path, int fd)
    {
        Location = path;
        _fd = fd;
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>
    /// Opens <paramref name="path"/> exclusively. Only a character device that answers the SCSI generic
    /// version query is taken: a regular file, a FIFO or /dev/null is refused, naming what it is.
    /// </summary>
    public static SgIoTransport Open(string path)
    {
        if (!OperatingSystem.IsLinux()) throw new TransportException(path, "SG_IO exists only on Linux", transient: false);
        var kind = Duplicator.Mastering.Images.FileIdentity.Of(path).Kind;
        if (kind is not (Duplicator.Mastering.Images.FileKind.CharacterDevice or Duplicator.Mastering.Images.FileKind.BlockDevice or Duplicator.Mastering.Images.FileKind.Missing))
            throw new TransportException(path, $"not a SCSI device: it is {Duplicator.Mastering.Images.FileIdentity.Describe(kind)}", transient: false);
        int fd = OpenFd(path, ORdwr | ONonblock | OExcl | OCloexec | ONoctty);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            var why = errno switch
            {
                2 => "no such device",
                13 => "permission denied (add the user to the cdrom group)",
                16 => "busy: another program holds the drive",
                _ => $"open failed (errno {errno})",
            };
            throw new TransportException(path, why, transient: errno == 16);
        }
        int version;
        bool answers;
        unsafe
        {
            answers = IoctlInt(fd, SgGetVersionNum, &version) == 0;
        }
        if (!answers)
        {
            int errno = Marshal.GetLastPInvokeError();
            Close(fd);
            throw new TransportException(path, $"not a SCSI generic or CD device: it does not answer SG_GET_VERSION_NUM (errno {errno})", transient: false);
        }
        return new SgIoTransport(path, fd);
    }

    /// <summary>The /dev/sg* and /dev/sr* nodes present (recorders among them answer INQUIRY with type 5).</summary>
    public static IReadOnlyList<string> CandidateDevices() =>
        Directory.Exists("/dev")
            ? Directory.EnumerateFiles("/dev", "sg*").Concat(Directory.EnumerateFiles("/dev", "sr*")).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Classifies a completed ioctl from its host and driver status (Linux scsi.h DID_* and DRIVER_*).</summary>
    public static SgOutcome Classify(ushort hostStatus, ushort driverStatus)
    {
        const int didOk = 0, didNoConnect = 1, didBusBusy = 2, didTimeOut = 3, didBadTarget = 4, didAbort = 5, didReset = 8, didRequeue = 0x0D, didTransportDisrupted = 0x0E;
        const int driverTimeout = 0x06;
        if ((driverStatus & 0x0F) == driverTimeout || hostStatus == didTimeOut) return SgOutcome.TimedOut;
        return hostStatus switch
        {
            didOk => SgOutcome.Completed,
            didNoConnect or didBadTarget => SgOutcome.Gone,
            didBusBusy or didAbort or didReset or didRequeue or didTransportDisrupted => SgOutcome.Transient,
            _ => SgOutcome.Transient,
        };
    }

    /// <inheritdoc />
    public unsafe ScsiResult Execute(ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        var sense = new byte[SenseBytes];
        fixed (byte* c = cdb)
        fixed (byte* d = data)
        fixed (byte* s = sense)
        {
            var h = new SgIoHeader
            {
                InterfaceId = 'S',
                DxferDirection = direction switch { DataDirection.In => DxferFromDev, DataDirection.Out => DxferToDev, _ => DxferNone },
                CmdLen = (byte)cdb.Length,
                MxSbLen = SenseBytes,
                DxferLen = direction == DataDirection.None ? 0 : (uint)data.Length,
                Dxferp = direction == DataDirection.None ? null : d,
                Cmdp = c,
                Sbp = s,
                Timeout = (uint)Math.Clamp(timeout.TotalMilliseconds, 1, uint.MaxValue),
            };
            if (Ioctl(_fd, SgIo, &h) < 0)
                throw new TransportException(Location, $"SG_IO ioctl failed (errno {Marshal.GetLastPInvokeError()})", transient: false);
            switch (Classify(h.HostStatus, h.DriverStatus))
            {
                case SgOutcome.TimedOut: throw new TransportException(Location, $"command {cdb[0]:X2}h timed out after {timeout.TotalSeconds:0.#} s", transient: true);
                case SgOutcome.Gone: throw new TransportException(Location, "the device is gone", transient: false);
                case SgOutcome.Transient: throw new TransportException(Location, $"command {cdb[0]:X2}h: host status {h.HostStatus:X}, driver status {h.DriverStatus:X}", transient: true);
            }
            int moved = direction == DataDirection.None ? 0 : Math.Max(0, data.Length - h.Resid);
            return new ScsiResult(h.Status, sense.AsMemory(0, h.SbLenWr), moved);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Close(fd);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int OpenFd(string path, int flags);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(int fd, nuint request, SgIoHeader* header);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int IoctlInt(int fd, nuint request, int* value);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
