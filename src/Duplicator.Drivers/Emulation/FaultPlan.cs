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

    internal bool WriteFails(long firstLba, long blocks)
    {
        lock (_gate)
        {
            foreach (var lba in _writeErrors)
            {
                if (lba >= firstLba && lba < firstLba + blocks)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
