namespace Duplicator.Drivers.Emulation;

/// <summary>
/// Faults injected into an <see cref="EmulatedRecorder"/>. Every method is thread-safe and takes effect
/// at the next command the drive thread starts, so a test or a fault injector can arm them while
/// commands run. Medium faults (not blank, too small) are properties of the medium instead: see
/// <see cref="EmulatedRecorder.LoadMedium"/> and <see cref="EmulatedRecorderOptions.State"/> /
/// <see cref="EmulatedRecorderOptions.CapacityBlocks"/>.
/// </summary>
public sealed class FaultPlan
{
    private readonly object _gate = new();
    private readonly HashSet<long> _writeErrors = [];
    private readonly Dictionary<byte, TimeSpan> _delays = [];
    private readonly Dictionary<byte, int> _hangs = [];
    private readonly SortedSet<long> _writeHangs = [];
    private readonly SortedList<long, int> _slowdowns = [];
    private readonly List<(long First, long Last)> _unreadable = [];
    private readonly SortedSet<long> _corrupt = [];
    private TimeSpan? _pendingNotReady;
    private int _commandsBeforeGone = -1;
    private bool _gone;

    /// <summary>Any WRITE covering <paramref name="lba"/> fails with 03/0C/00 WRITE ERROR (until <see cref="ClearWriteErrors"/>).</summary>
    public void FailWriteAt(long lba)
    {
        lock (_gate)
        {
            _writeErrors.Add(lba);
        }
    }

    /// <summary>
    /// The first WRITE that reaches <paramref name="lba"/> (its last block is at or past it) hangs like
    /// <see cref="Hang"/>: it blocks for the caller's timeout, then throws a transient
    /// <see cref="Transport.TransportException"/>, and the drive answers again afterwards. Once per call.
    /// </summary>
    public void HangWriteAt(long lba)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lba);
        lock (_gate)
        {
            _writeHangs.Add(lba);
        }
    }

    /// <summary>
    /// From <paramref name="lba"/> on, the laser writes at no more than <paramref name="speed"/> × 1x (a drive falling
    /// back on poor media), also when the drive is otherwise unthrottled; a later slowdown at a higher LBA replaces it
    /// from there. The host sees it only as WRITEs held longer by a full buffer.
    /// </summary>
    public void SlowWritesFrom(long lba, int speed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lba);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(speed);
        lock (_gate)
        {
            _slowdowns[lba] = speed;
        }
    }

    /// <summary>
    /// Blocks <paramref name="first"/>..<paramref name="last"/> (inclusive) cannot be read: every READ(10), READ(12)
    /// or READ CD covering one fails with 03/11/00 UNRECOVERED READ ERROR, the lowest such LBA in INFORMATION.
    /// </summary>
    public void UnreadableRange(long first, long last)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        lock (_gate)
        {
            _unreadable.Add((first, last));
        }
    }

    /// <summary>
    /// Block <paramref name="lba"/> reads back wrong without an error (a drive returning bad data it did not detect):
    /// every READ(10), READ(12) or READ CD covering it delivers the block with its byte 0 inverted. The disc's stored
    /// bytes are unchanged. Lets a test show a verification catching a sector that differs.
    /// </summary>
    public void CorruptReadAt(long lba)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lba);
        lock (_gate)
        {
            _corrupt.Add(lba);
        }
    }

    /// <summary>The armed <see cref="CorruptReadAt"/> blocks in <paramref name="firstLba"/>..+<paramref name="blocks"/>, ascending.</summary>
    internal long[] CorruptReads(long firstLba, long blocks)
    {
        lock (_gate)
        {
            return _corrupt.Count == 0 || blocks <= 0 ? [] : [.. _corrupt.GetViewBetween(firstLba, firstLba + blocks - 1)];
        }
    }

    /// <summary>Removes every armed write error.</summary>
    public void ClearWriteErrors()
    {
        lock (_gate)
        {
            _writeErrors.Clear();
        }
    }

    /// <summary>The drive vanishes now: every later command throws a non-transient <see cref="Transport.TransportException"/>.</summary>
    public void Disconnect()
    {
        lock (_gate)
        {
            _gone = true;
        }
    }

    /// <summary>The drive vanishes after <paramref name="commands"/> more commands have completed.</summary>
    public void DisconnectAfter(int commands)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(commands);
        lock (_gate)
        {
            _commandsBeforeGone = commands;
            _gone = commands == 0;
        }
    }

    /// <summary>From the next command on, medium-access commands answer 02/04/01 (becoming ready) for <paramref name="duration"/> of drive-clock time.</summary>
    public void NotReadyFor(TimeSpan duration)
    {
        lock (_gate)
        {
            _pendingNotReady = duration;
        }
    }

    /// <summary>Every command with <paramref name="opcode"/> takes <paramref name="delay"/> longer (drive-clock time).</summary>
    public void Delay(byte opcode, TimeSpan delay)
    {
        lock (_gate)
        {
            _delays[opcode] = delay;
        }
    }

    /// <summary>The next <paramref name="times"/> commands with <paramref name="opcode"/> hang until the caller's timeout (on the drive clock), then throw a transient <see cref="Transport.TransportException"/>. An infinite timeout ends at once rather than hanging the caller forever.</summary>
    public void Hang(byte opcode, int times = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        lock (_gate)
        {
            _hangs[opcode] = times;
        }
    }

    internal bool IsGone
    {
        get
        {
            lock (_gate)
            {
                return _gone;
            }
        }
    }

    internal void CommandCompleted()
    {
        lock (_gate)
        {
            if (_commandsBeforeGone > 0 && --_commandsBeforeGone == 0)
            {
                _gone = true;
            }
        }
    }

    internal TimeSpan? TakeNotReady()
    {
        lock (_gate)
        {
            var d = _pendingNotReady;
            _pendingNotReady = null;
            return d;
        }
    }

    internal TimeSpan DelayFor(byte opcode)
    {
        lock (_gate)
        {
            return _delays.TryGetValue(opcode, out var d) ? d : TimeSpan.Zero;
        }
    }

    internal bool TakeHang(byte opcode)
    {
        lock (_gate)
        {
            if (!_hangs.TryGetValue(opcode, out var n))
            {
                return false;
            }

            if (n <= 1)
            {
                _hangs.Remove(opcode);
            }
            else
            {
                _hangs[opcode] = n - 1;
            }

            return true;
        }
    }

    /// <summary>The lowest armed write error LBA in <paramref name="firstLba"/>..+<paramref name="blocks"/>, or null.</summary>
    internal long? FirstWriteError(long firstLba, long blocks)
    {
        lock (_gate)
        {
            long? first = null;
            foreach (var lba in _writeErrors)
            {
                if (lba >= firstLba && lba < firstLba + blocks && (first is null || lba < first))
                {
                    first = lba;
                }
            }

            return first;
        }
    }

    /// <summary>The lowest unreadable LBA in <paramref name="firstLba"/>..+<paramref name="blocks"/>, or null.</summary>
    internal long? FirstUnreadable(long firstLba, long blocks)
    {
        lock (_gate)
        {
            long? first = null;
            var end = firstLba + blocks - 1;
            foreach (var (lo, hi) in _unreadable)
            {
                if (lo <= end && hi >= firstLba)
                {
                    var at = Math.Max(lo, firstLba);
                    if (first is null || at < first)
                    {
                        first = at;
                    }
                }
            }

            return first;
        }
    }

    /// <summary>True (once per armed LBA) when a WRITE of <paramref name="blocks"/> from <paramref name="firstLba"/> reaches an armed hang.</summary>
    internal bool TakeWriteHang(long firstLba, long blocks)
    {
        if (blocks <= 0)
        {
            return false;
        }

        lock (_gate)
        {
            if (_writeHangs.Count == 0 || _writeHangs.Min > firstLba + blocks - 1)
            {
                return false;
            }

            _writeHangs.Remove(_writeHangs.Min);
            return true;
        }
    }

    /// <summary>
    /// The slowdown in force at <paramref name="lba"/> (null: none) and where the next one starts, capped at
    /// <paramref name="end"/>, so a WRITE crossing a slowdown is timed in two parts.
    /// </summary>
    internal (int? Speed, long Until) SlowdownAt(long lba, long end)
    {
        lock (_gate)
        {
            int? speed = null;
            var until = end;
            foreach (var (from, x) in _slowdowns)
            {
                if (from <= lba)
                {
                    speed = x;
                }
                else
                {
                    until = Math.Min(end, from);
                    break;
                }
            }

            return (speed, until);
        }
    }
}
