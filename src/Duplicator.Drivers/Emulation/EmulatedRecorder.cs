using System.Buffers.Binary;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Emulation;

/// <summary>
/// An in-process MMC recorder that behaves like a strict real drive. It decodes each CDB itself
/// (MMC-6, SPC-4), keeps the medium's sessions, tracks and next writable address, writes what is burned
/// to an image file under <see cref="EmulatedRecorderOptions.OutputDirectory"/>, models a drive buffer
/// draining at the selected speed, and injects the faults armed in <see cref="Faults"/>.
/// </summary>
/// <remarks>
/// <para>Rejections, each CHECK CONDITION with fixed-format sense (SPC-4 §4.5.3):</para>
/// <list type="bullet">
/// <item>no medium: 02/3A/00; not ready window: 02/04/01; unsupported opcode: 05/20/00; bad CDB field: 05/24/00;
/// bad parameter list: 05/26/00 (05/1A/00 when its length is wrong).</item>
/// <item>WRITE not at the NWA of the open/invisible track (or, in SAO, not at the next cue sheet address): 05/21/02
/// INVALID ADDRESS FOR WRITE; also past the end of a reserved track.</item>
/// <item>WRITE whose data-out length is not transfer length × the block size the write parameters select
/// (data block type 8: 2048, type 0: 2352; DVD/BD always 2048), or whose block size differs from the open
/// track's or the cue sheet region's mode: 05/64/00 ILLEGAL MODE FOR THIS TRACK.</item>
/// <item>WRITE past the medium's capacity (or a cue sheet whose lead-out lies beyond it): 05/21/00 LBA OUT OF RANGE.</item>
/// <item>WRITE, RESERVE TRACK or SEND CUE SHEET on a finalized (closed) write-once disc, BLANK on a medium that is
/// not CD-RW or DVD-RW, FORMAT UNIT on one that is not DVD+RW: 05/30/05 CANNOT WRITE MEDIUM - INCOMPATIBLE FORMAT.
/// WRITE on an unformatted DVD+RW: 05/30/10 MEDIUM NOT FORMATTED.</item>
/// <item>SAO WRITE without a cue sheet, SEND CUE SHEET when write type is not SAO or the session is not empty,
/// closing a blank disc: 05/2C/00 COMMAND SEQUENCE ERROR.</item>
/// <item>READ(10/12) of a block never recorded: 05/21/00; of a CD-DA block: 05/64/00. READ CD of a non-CD: 05/30/02.</item>
/// <item>Write error fault: 03/0C/00. Eject while PREVENT is set: 05/53/02.</item>
/// </list>
/// <para>Simplifications a reader should know:</para>
/// <list type="bullet">
/// <item>raw write type (3) is refused in MODE SELECT (05/26/00); mixed data + audio on one disc is refused (05/64/00).</item>
/// <item>READ CD returns user data only (2048 Mode 1, 2352 CD-DA), never synthesized sync/header/EDC.</item>
/// <item>cue sheet fields are binary (TNO, INDEX, MSF); each cue sheet track holds at least 300 blocks (4 s); catalog (ADR 2) and
/// ISRC (ADR 3) entry pairs are checked and kept in the TOC file; other ADRs after the lead-in are 05/26/00.</item>
/// <item>CD TAO tracks after the first of a session start 150 blocks (2 s) after the previous one; a new CD session
/// starts 11,400 blocks after the first session's end (6,900 after later ones); DVD/BD tracks start on an ECC
/// block boundary (16 / 32 blocks).</item>
/// <item>SYNCHRONIZE CACHE ends an open CD TAO track, completes an SAO session whose cue sheet program is all
/// written, and a DVD-R DAO session whose reserved track is full.</item>
/// <item>CLOSE 010b on DVD+R and BD-R leaves the disc appendable (101b/110b finalize); on CD and DVD-R it finalizes
/// unless page 05h's multi-session field is 11b. CLOSE on a finalized disc or a DVD+RW is GOOD and does nothing.</item>
/// <item>no UNIT ATTENTION is ever raised (medium changes show in GET EVENT STATUS NOTIFICATION); IMMED bits are
/// ignored (every command completes before it returns); track FFh is accepted on every medium.</item>
/// </list>
/// <para>Thread-safety: commands run one at a time under a lock; <see cref="LoadMedium"/>,
/// <see cref="Eject"/>, the counters and <see cref="Faults"/> may be used from other threads.</para>
/// </remarks>
public sealed partial class EmulatedRecorder : IScsiTransport, Imapi.IUnderrunCounter
{
    private readonly object _gate = new();
    private readonly EmulatedRecorderOptions _options;
    private readonly IDriveClock _clock;
    private readonly DriveBufferModel _buffer;
    private readonly string _driveDirectory;
    private EmulatedDisc? _disc;
    private EmulatedDisc? _trayDisc;
    private bool _trayOpen;
    private bool _preventRemoval;
    private int _discCounter;
    private TimeSpan _notReadyUntil = TimeSpan.MinValue;
    private WriteParameters _wp = WriteParameters.Default;
    private int _writeSpeedX;
    private int? _slowSpeedX;
    private TimeSpan? _readDue;
    private TimeSpan? _readSleepUntil;
    private DiscSnapshot? _simulation;
    private byte _mediaEvent;
    private bool _disposed;
    private readonly List<string> _finishedImages = [];

    /// <summary>Creates a drive with the medium described by <paramref name="options"/> loaded.</summary>
    public EmulatedRecorder(EmulatedRecorderOptions options, string? location = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _clock = options.Clock;
        _buffer = new DriveBufferModel(_clock, options.BufferBytes);
        _driveDirectory = Path.Combine(options.OutputDirectory, options.Name);
        _discCounter = HighestExistingDisc(_driveDirectory);
        Location = location ?? $"{EmulatedRecorderUrl.Scheme}{EmulatedProfiles.Name(options.Profile)}?name={options.Name}";
        if (options.Profile != EmulatedProfile.None)
        {
            // A loaded master brings its own tracks: the medium starts blank and takes them.
            LoadLocked(options.Profile, options.LoadPath is null ? options.State : MediumState.Blank, options.CapacityBlocks);
            if (options.LoadPath is { } master)
            {
                if (options.State == MediumState.Closed)
                {
                    throw new ImapiException(ImapiError.InvalidInput, $"load '{master}': a loaded master is finalized; state= cannot also be given, except state=appendable (left open for another session)");
                }

                var appendable = options.State == MediumState.Appendable;
                _disc!.LoadMaster(EmulatedMaster.Open(master, options.Profile, _disc.Capacity, appendable), appendable);
            }
        }
        else if (options.LoadPath is { } master)
        {
            throw new ImapiException(ImapiError.InvalidInput, $"load '{master}': an empty drive (none) holds no master");
        }
        else
        {
            _writeSpeedX = AllowedSpeeds()[0];
        }
    }

    /// <summary>Creates a drive from an <c>emulated:</c> URL (see <see cref="EmulatedRecorderUrl"/>).</summary>
    public static EmulatedRecorder FromUrl(string url, IDriveClock? clock = null)
    {
        var options = EmulatedRecorderUrl.Parse(url);
        return new EmulatedRecorder(clock is null ? options : options with { Clock = clock }, url);
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>The options the drive was built from.</summary>
    public EmulatedRecorderOptions Options => _options;

    /// <summary>Faults to inject; thread-safe.</summary>
    public FaultPlan Faults => _options.Faults;

    // The counters below do not take the drive lock, so they can be sampled while a WRITE is held by a full buffer.

    /// <summary>Bytes the host has written (accepted WRITE data, simulated writes included).</summary>
    public long BytesWritten => _buffer.BytesAccepted;

    /// <summary>Times the buffer ran empty while the host was streaming a track.</summary>
    public long Underruns => _buffer.Underruns;

    long? Imapi.IUnderrunCounter.Underruns => _buffer.Underruns;

    private long _bytesRead;

    /// <summary>Bytes the host has read (READ(10), READ(12), READ CD) from every medium since the drive was made: what verification cost.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Bytes in the drive buffer now.</summary>
    public long BufferFillBytes => _buffer.FillBytes;

    /// <summary>Drive buffer size in bytes.</summary>
    public long BufferCapacityBytes => _buffer.CapacityBytes;

    /// <summary>Total time WRITEs were held because the buffer was full.</summary>
    public TimeSpan WriteBlockedTime => _buffer.TimeBlocked;

    /// <summary>Selected write speed as a multiple of 1x.</summary>
    public int WriteSpeed => Volatile.Read(ref _writeSpeedX);

    /// <summary>
    /// Speed, as a multiple of 1x, at which READ(10), READ(12) and READ CD deliver the medium in the drive; 0 =
    /// unthrottled. <see cref="EmulatedRecorderOptions.ReadSpeed"/> when set, else the family's
    /// <see cref="EmulatedProfiles.DefaultReadSpeed"/> on a drive whose writes are throttled, else 0.
    /// </summary>
    public int ReadSpeed => ReadSpeedFor(Volatile.Read(ref _disc)); // no lock: may be asked while a WRITE waits for buffer room

    /// <summary>Profile of the medium in the drive, or <see cref="EmulatedProfile.None"/>.</summary>
    public EmulatedProfile CurrentProfile => Volatile.Read(ref _disc)?.Profile ?? EmulatedProfile.None;

    /// <summary>Image file of the medium in the drive (null until something was stored).</summary>
    public string? CurrentImagePath { get { lock (_gate) { return _disc?.ImagePath; } } }

    /// <summary>Image files of every disc this drive has recorded on, oldest first (removed discs, then the one in the drive).</summary>
    public IReadOnlyList<string> ImagePaths
    {
        get
        {
            lock (_gate)
            {
                return _disc?.ImagePath is { } current && !_finishedImages.Contains(current) ? [.. _finishedImages, current] : [.. _finishedImages];
            }
        }
    }

    /// <summary>Track list file (JSON) of the medium in the drive.</summary>
    public string? CurrentTocPath { get { lock (_gate) { return _disc?.TocPath; } } }

    /// <summary>Folder this drive's discs go to: <c>&lt;OutputDirectory&gt;/&lt;Name&gt;</c>.</summary>
    public string DriveDirectory => _driveDirectory;

    /// <summary>Puts a new medium in the drive (test code or an operator), replacing any other; the tray closes.</summary>
    public void LoadMedium(EmulatedProfile profile, MediumState state = MediumState.Blank, long? capacityBlocks = null)
    {
        if (profile == EmulatedProfile.None)
        {
            throw new ArgumentException("load a real profile; use Eject to empty the drive", nameof(profile));
        }

        if (capacityBlocks is <= 0 or > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBlocks), capacityBlocks, "capacity must be 1..2^32-1 blocks");
        }

        lock (_gate)
        {
            RemoveMedium();
            _trayDisc = null;
            LoadLocked(profile, state, capacityBlocks);
        }
    }

    /// <summary>Takes the medium out (test code or an operator), whatever PREVENT says; the drive is then empty.</summary>
    public void Eject()
    {
        lock (_gate)
        {
            RemoveMedium();
            _trayDisc = null;
            _trayOpen = true;
            _mediaEvent = MediaEventRemoval;
        }
    }

    /// <inheritdoc />
    public ScsiResult Execute(ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data, TimeSpan timeout)
    {
        if (cdb.IsEmpty)
        {
            throw new ArgumentException("empty CDB", nameof(cdb));
        }

        if (_disposed)
        {
            throw new TransportException(Location, "the emulated recorder was disposed", transient: false);
        }

        var opcode = cdb[0];
        if (Faults.IsGone)
        {
            // What SgIoTransport throws for a device that went away (DID_NO_CONNECT / ENODEV).
            throw new TransportException(Location, "the device is gone", transient: false);
        }

        if (Faults.TakeHang(opcode) || IsHungWrite(cdb))
        {
            // A hung command answers nothing until the host's timeout, then SG_IO reports the timeout.
            _clock.Sleep(timeout);
            throw new TransportException(Location, $"command {opcode:X2}h timed out after {timeout.TotalSeconds:0.#} s", transient: true);
        }

        var delay = Faults.DelayFor(opcode);
        if (delay > TimeSpan.Zero)
        {
            _clock.Sleep(delay);
        }

        ScsiResult result;
        TimeSpan? readUntil;
        lock (_gate)
        {
            if (Faults.TakeNotReady() is { } notReady)
            {
                _notReadyUntil = _clock.Elapsed + notReady;
            }

            try
            {
                result = new ScsiResult(ScsiResult.Good, ReadOnlyMemory<byte>.Empty, Dispatch(cdb, direction, data));
            }
            catch (SenseException e)
            {
                result = new ScsiResult(ScsiResult.CheckCondition, e.ToSenseBytes(), 0);
            }

            readUntil = _readSleepUntil;
            _readSleepUntil = null;
        }

        // A read's data phase lasts as long as the medium takes to deliver it; slept outside the lock so the
        // tray and the counters stay answerable.
        if (readUntil is { } until)
        {
            for (var left = until - _clock.Elapsed; left > TimeSpan.Zero; left = until - _clock.Elapsed)
            {
                _clock.Sleep(left);
            }
        }

        Faults.CommandCompleted();
        return result;
    }

    /// <summary>Closes the image file of the medium in the drive (its track list is written).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            RemoveMedium();
            _trayDisc = null;
        }
    }

    private int Dispatch(ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data)
    {
        var opcode = cdb[0];
        if (NeedsReady(opcode) && _clock.Elapsed < _notReadyUntil)
        {
            throw Fail(EmulatedSense.BecomingReady, "becoming ready (injected)");
        }

        var input = direction == DataDirection.In ? data : Span<byte>.Empty;
        ReadOnlySpan<byte> output = direction == DataDirection.Out ? data : ReadOnlySpan<byte>.Empty;
        return opcode switch
        {
            0x00 => TestUnitReady(cdb),
            0x03 => RequestSense(cdb, input),
            0x04 => FormatUnit(cdb, output),
            0x12 => Inquiry(cdb, input),
            0x1B => StartStopUnit(cdb),
            0x1E => PreventAllow(cdb),
            0x23 => ReadFormatCapacities(cdb, input),
            0x25 => ReadCapacity(cdb, input),
            0x28 => Read(cdb, 10, input),
            0x2A => Write(cdb, 10, output),
            0x35 => SynchronizeCache(cdb),
            0x42 => ReadSubChannel(cdb, input),
            0x43 => ReadToc(cdb, input),
            0x46 => GetConfiguration(cdb, input),
            0x4A => GetEventStatus(cdb, input),
            0x51 => ReadDiscInformation(cdb, input),
            0x52 => ReadTrackInformation(cdb, input),
            0x53 => ReserveTrack(cdb),
            0x55 => ModeSelect(cdb, output),
            0x5A => ModeSense(cdb, input),
            0x5B => CloseTrackSession(cdb),
            0x5C => ReadBufferCapacity(cdb, input),
            0x5D => SendCueSheet(cdb, output),
            0xA1 => Blank(cdb),
            0xA8 => Read(cdb, 12, input),
            0xAA => Write(cdb, 12, output),
            0xAC => GetPerformance(cdb, input),
            0xB6 => SetStreaming(cdb, output),
            0xBB => SetCdSpeed(cdb),
            0xBE => ReadCd(cdb, input),
            _ => throw Fail(EmulatedSense.InvalidOpcode, $"opcode {opcode:X2}h not supported"),
        };
    }

    // Commands a drive answers while spinning up (SPC-4 §5.3: INQUIRY and REQUEST SENSE; MMC hosts poll the rest).
    private static bool NeedsReady(byte opcode) => opcode is not (0x03 or 0x12 or 0x46 or 0x4A or 0x5A or 0x1E or 0xBB or 0xB6 or 0x23);

    private const byte MediaEventNone = 0;
    private const byte MediaEventNew = 2;
    private const byte MediaEventRemoval = 3;

    private void LoadLocked(EmulatedProfile profile, MediumState state, long? capacity)
    {
        _discCounter++;
        var basePath = Path.Combine(_driveDirectory, $"disc-{_discCounter}");
        _disc = new EmulatedDisc(profile, state, capacity ?? EmulatedProfiles.DefaultCapacity(profile), _discCounter, basePath, _options.Discard);
        _trayOpen = false;
        _mediaEvent = MediaEventNew;
        _wp = WriteParameters.Default;
        _simulation = null;
        _buffer.Reset();
        _writeSpeedX = AllowedSpeeds()[0];
        _slowSpeedX = null;
        _readDue = null;
        UpdateRate();
    }

    private EmulatedDisc? RemoveMedium()
    {
        var disc = _disc;
        if (disc is null)
        {
            return null;
        }

        _buffer.Reset();
        if (_simulation is not null)
        {
            disc.Restore(_simulation);
            _simulation = null;
        }

        if ((!disc.IsBlank || disc.Stride is not null) && disc.SourcePath is null)
        {
            disc.WriteToc(_options.Name);
        }

        if (disc.ImagePath is { } image && !_finishedImages.Contains(image))
        {
            _finishedImages.Add(image);
        }

        disc.Dispose();
        _disc = null;
        return disc;
    }

    private EmulatedDisc RequireDisc() =>
        _disc ?? throw Fail(EmulatedSense.MediumNotPresent, "no medium");

    private static SenseException Fail(EmulatedSense sense, string why) => new(sense, why);

    private static void Need(ReadOnlySpan<byte> cdb, int length)
    {
        if (cdb.Length < length)
        {
            throw Fail(EmulatedSense.InvalidFieldInCdb, $"CDB of {cdb.Length} bytes, opcode needs {length}");
        }
    }

    private static int Reply(Span<byte> input, ReadOnlySpan<byte> response, int allocation)
    {
        var n = Math.Min(Math.Min(response.Length, allocation), input.Length);
        response[..n].CopyTo(input);
        return n;
    }

    private static int U16(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt16BigEndian(b[offset..]);
    private static int U24(ReadOnlySpan<byte> b, int offset) => (b[offset] << 16) | (b[offset + 1] << 8) | b[offset + 2];
    private static uint U32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32BigEndian(b[offset..]);
    private static void Put16(Span<byte> b, int offset, int v) => BinaryPrimitives.WriteUInt16BigEndian(b[offset..], (ushort)v);
    private static void Put32(Span<byte> b, int offset, long v) => BinaryPrimitives.WriteUInt32BigEndian(b[offset..], unchecked((uint)v));

    /// <summary>CD address as MSF (00 MM SS FF) of LBA + 150 (MMC-6 §4.2.3.2 / Red Book).</summary>
    private static void PutMsf(Span<byte> b, int offset, long lba)
    {
        var x = lba + 150;
        b[offset] = 0;
        b[offset + 1] = (byte)(x / 4500);
        b[offset + 2] = (byte)(x / 75 % 60);
        b[offset + 3] = (byte)(x % 75);
    }

    private IReadOnlyList<int> AllowedSpeeds()
    {
        var rated = EmulatedProfiles.RatedSpeeds(_disc?.Profile ?? EmulatedProfile.CdR);
        if (_options.MaxSpeed is not ({ } max and > 0))
        {
            return rated;
        }

        var allowed = rated.Where(s => s <= max).ToList();
        return allowed.Count > 0 ? allowed : [max];
    }

    private bool Throttled => _options.MaxSpeed != 0;

    private int CurrentBlockSize =>
        _disc is { } d && EmulatedProfiles.IsCd(d.Profile) && _wp.DataBlockType == 0 ? MediaCapacity.AudioBlockSize : MediaCapacity.DataBlockSize;

    // The laser's speed: the selected one, or a slow-at fallback when lower (a fallback also throttles an unthrottled drive).
    private void UpdateRate()
    {
        var x = Throttled ? _writeSpeedX : 0;
        if (_slowSpeedX is { } slow)
        {
            x = x == 0 ? slow : Math.Min(x, slow);
        }

        _buffer.SetRate(_disc is { } d ? x * EmulatedProfiles.OneX(d.Profile, CurrentBlockSize) : 0);
    }

    private int ReadSpeedFor(EmulatedDisc? disc) =>
        _options.ReadSpeed ?? (Throttled && disc is not null ? EmulatedProfiles.DefaultReadSpeed(disc.Profile) : 0);

    // Back-to-back reads stream: each starts where the previous one's transfer ended, so timer granularity in
    // one sleep is made up by the next; after a pause longer than this the medium starts again from now.
    private static readonly TimeSpan ReadStreamSlack = TimeSpan.FromMilliseconds(20);

    /// <summary>Schedules the end of a read of <paramref name="bytes"/> of <paramref name="blockSize"/>-byte blocks at the drive's read speed.</summary>
    private void PaceRead(EmulatedDisc disc, int bytes, int blockSize)
    {
        Interlocked.Add(ref _bytesRead, Math.Max(0, bytes));
        var x = ReadSpeedFor(disc);
        if (x <= 0 || bytes <= 0)
        {
            return;
        }

        var now = _clock.Elapsed;
        var start = _readDue is { } due && now - due <= ReadStreamSlack ? due : now;
        _readDue = start + TimeSpan.FromSeconds(bytes / (x * EmulatedProfiles.OneX(disc.Profile, blockSize)));
        _readSleepUntil = _readDue;
    }

    // WRITE(10) / WRITE(12) reaching an armed hang-write-at LBA (the CDB is decoded here, before the drive lock, as the
    // hang happens below the command's execution: the host gets no status at all).
    private bool IsHungWrite(ReadOnlySpan<byte> cdb) => cdb[0] switch
    {
        0x2A when cdb.Length >= 10 => Faults.TakeWriteHang((int)U32(cdb, 2), U16(cdb, 7)),
        0xAA when cdb.Length >= 12 => Faults.TakeWriteHang((int)U32(cdb, 2), U32(cdb, 6)),
        _ => false,
    };

    private static int HighestExistingDisc(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var highest = 0;
        foreach (var file in Directory.EnumerateFiles(directory, "disc-*"))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (int.TryParse(name.AsSpan(5), out var n))
            {
                highest = Math.Max(highest, n);
            }
        }

        return highest;
    }
}

/// <summary>The write parameters mode page (05h, MMC-6 §7.5.4) as the drive holds it.</summary>
internal readonly record struct WriteParameters(
    byte WriteType, bool TestWrite, bool BufferUnderrunFree, byte MultiSession, byte TrackMode, byte DataBlockType,
    byte SessionFormat, uint PacketSize, ushort AudioPauseLength)
{
    /// <summary>Power-on values: TAO, data track (mode 4), Mode 1 2048-byte blocks, no next session.</summary>
    public static WriteParameters Default { get; } = new(1, false, false, 0, 4, 8, 0, 0, 150);
}
