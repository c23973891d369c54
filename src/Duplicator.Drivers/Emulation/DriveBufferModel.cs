namespace Duplicator.Drivers.Emulation;

/// <summary>
/// The recorder's write buffer: WRITE data fills it, the laser drains it at the selected speed. As real
/// drives do, the laser starts only once the buffer is full (or the host synchronizes or closes, which
/// writes out what is there), so the host's first WRITEs build a reserve; after an underrun the laser
/// stops and starts again when the buffer is full once more (BURN-Proof style). A WRITE whose data does
/// not fit blocks (sleeps on the clock) until enough has drained, as a real drive holds the data-out
/// phase. The buffer running empty while the laser was writing and the host had neither synchronized nor
/// closed is an underrun. With a rate of 0 (unthrottled) the buffer drains instantly and never underruns.
/// The counters may be read from any thread, also while a WRITE is blocked: the state has its own lock,
/// which is never held while sleeping.
/// </summary>
public sealed class DriveBufferModel
{
    private readonly object _gate = new();
    private readonly IDriveClock _clock;
    private double _fill;
    private TimeSpan _last;
    private bool _streaming;
    private bool _flushing;
    private bool _blocked;
    private long _underruns;
    private long _accepted;
    private TimeSpan _timeBlocked;
    private double _rate;

    /// <summary>Creates an empty buffer of <paramref name="capacityBytes"/> bytes.</summary>
    public DriveBufferModel(IDriveClock clock, long capacityBytes)
    {
        if (capacityBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "buffer size must be positive");
        }

        _clock = clock;
        CapacityBytes = capacityBytes;
        _last = clock.Elapsed;
    }

    /// <summary>Buffer size in bytes.</summary>
    public long CapacityBytes { get; }

    /// <summary>Drain rate in bytes per second; 0 means unthrottled.</summary>
    public double RateBytesPerSecond { get { lock (_gate) { return _rate; } } }

    /// <summary>Bytes in the buffer now (after draining up to the clock's present).</summary>
    public long FillBytes
    {
        get
        {
            lock (_gate)
            {
                Advance();
                return (long)Math.Ceiling(_fill);
            }
        }
    }

    /// <summary>Times the buffer ran empty during streaming (up to the clock's present).</summary>
    public long Underruns
    {
        get
        {
            lock (_gate)
            {
                Advance();
                return _underruns;
            }
        }
    }

    /// <summary>Bytes accepted from the host.</summary>
    public long BytesAccepted { get { lock (_gate) { return _accepted; } } }

    /// <summary>Total time WRITEs spent blocked waiting for buffer space.</summary>
    public TimeSpan TimeBlocked { get { lock (_gate) { return _timeBlocked; } } }

    /// <summary>Sets the drain rate (bytes per second, 0 = unthrottled), after draining at the old rate up to now.</summary>
    public void SetRate(double bytesPerSecond)
    {
        lock (_gate)
        {
            Advance();
            _rate = Math.Max(0, bytesPerSecond);
            if (_rate == 0)
            {
                _fill = 0;
            }
        }
    }

    /// <summary>Accepts <paramref name="bytes"/> from a WRITE, blocking while the buffer lacks room.</summary>
    public void Write(long bytes)
    {
        TimeSpan wait, until;
        lock (_gate)
        {
            Advance();
            _accepted += bytes;
            if (_rate <= 0)
            {
                return;
            }

            var excess = _fill + bytes - CapacityBytes;
            if (excess < 0)
            {
                _fill += bytes;
                return;
            }

            _streaming = true; // full: the laser starts (or keeps) writing
            if (excess == 0)
            {
                _fill += bytes;
                return;
            }

            // The data-out phase stalls while the laser makes room; the host is transferring, so the
            // buffer draining meanwhile is not an underrun.
            wait = TimeSpan.FromSeconds(excess / _rate);
            until = _clock.Elapsed + wait;
            _blocked = true;
        }

        var started = _clock.Elapsed;
        try
        {
            // Sleep until the room is really there: a sleep may end early (timer granularity), and the data
            // must never enter the buffer faster than the laser drains it.
            for (var left = wait; left > TimeSpan.Zero; left = until - _clock.Elapsed)
            {
                _clock.Sleep(left);
            }
        }
        finally
        {
            lock (_gate)
            {
                Advance();
                _blocked = false;
                _timeBlocked += _clock.Elapsed - started;
                _fill = Math.Min(CapacityBytes, _fill + bytes);
                _streaming = true;
            }
        }
    }

    /// <summary>SYNCHRONIZE CACHE / CLOSE: waits until the buffer is empty; streaming ends without an underrun.</summary>
    public void Flush()
    {
        TimeSpan wait;
        lock (_gate)
        {
            Advance();
            _flushing = _fill > 0; // the laser writes out what is there; running dry at the end is no underrun
            _streaming = false;
            wait = _rate > 0 && _fill > 0 ? TimeSpan.FromSeconds(_fill / _rate) : TimeSpan.Zero;
        }

        if (wait > TimeSpan.Zero)
        {
            _clock.Sleep(wait);
        }

        lock (_gate)
        {
            Advance();
            _flushing = false;
            _fill = 0;
        }
    }

    /// <summary>Drops the contents without writing them (eject, medium change, aborted simulation).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _fill = 0;
            _streaming = false;
            _flushing = false;
            _last = _clock.Elapsed;
        }
    }

    private void Advance()
    {
        var now = _clock.Elapsed;
        var dt = (now - _last).TotalSeconds;
        _last = now;
        if (dt <= 0 || _rate <= 0)
        {
            return;
        }

        if (!_streaming && !_flushing && !_blocked)
        {
            return; // the laser waits for a full buffer
        }

        var drained = dt * _rate;
        if (_fill > 0 && drained >= _fill && _streaming && !_blocked)
        {
            _underruns++;
            _streaming = false;
        }

        _fill = Math.Max(0, _fill - drained);
    }
}
