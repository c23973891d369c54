namespace Duplicator.Drivers.Emulation;

/// <summary>
/// The recorder's write buffer: WRITE data fills it, the laser drains it at the selected speed. A WRITE
/// whose data does not fit blocks (sleeps on the clock) until enough has drained, as a real drive holds
/// the data-out phase. The buffer running empty while data had been flowing and the host had neither
/// synchronized nor closed is an underrun. With a rate of 0 (unthrottled) the buffer drains instantly
/// and never underruns. Not thread-safe: the recorder calls it under its own lock.
/// </summary>
public sealed class DriveBufferModel
{
    private readonly IDriveClock _clock;
    private double _fill;
    private TimeSpan _last;
    private bool _streaming;
    private long _underruns;

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
    public double RateBytesPerSecond { get; private set; }

    /// <summary>Bytes in the buffer now (after draining up to the clock's present).</summary>
    public long FillBytes
    {
        get
        {
            Advance(allowUnderrun: true);
            return (long)Math.Ceiling(_fill);
        }
    }

    /// <summary>Times the buffer ran empty during streaming (up to the clock's present).</summary>
    public long Underruns
    {
        get
        {
            Advance(allowUnderrun: true);
            return _underruns;
        }
    }

    /// <summary>Bytes accepted from the host.</summary>
    public long BytesAccepted { get; private set; }

    /// <summary>Total time WRITEs spent blocked waiting for buffer space.</summary>
    public TimeSpan TimeBlocked { get; private set; }

    /// <summary>Sets the drain rate (bytes per second, 0 = unthrottled), after draining at the old rate up to now.</summary>
    public void SetRate(double bytesPerSecond)
    {
        Advance(allowUnderrun: true);
        RateBytesPerSecond = Math.Max(0, bytesPerSecond);
        if (RateBytesPerSecond == 0)
        {
            _fill = 0;
        }
    }

    /// <summary>Accepts <paramref name="bytes"/> from a WRITE, blocking while the buffer lacks room.</summary>
    public void Write(long bytes)
    {
        Advance(allowUnderrun: true);
        BytesAccepted += bytes;
        if (RateBytesPerSecond <= 0)
        {
            return;
        }

        var excess = _fill + bytes - CapacityBytes;
        if (excess > 0)
        {
            // The data-out phase stalls while the laser makes room; the host is transferring, so the
            // buffer draining meanwhile is not an underrun.
            var wait = TimeSpan.FromSeconds(excess / RateBytesPerSecond);
            _clock.Sleep(wait);
            TimeBlocked += wait;
            Advance(allowUnderrun: false);
        }

        _fill = Math.Min(CapacityBytes, _fill + bytes);
        _streaming = true;
    }

    /// <summary>SYNCHRONIZE CACHE / CLOSE: waits until the buffer is empty; streaming ends without an underrun.</summary>
    public void Flush()
    {
        Advance(allowUnderrun: true);
        if (RateBytesPerSecond > 0 && _fill > 0)
        {
            var wait = TimeSpan.FromSeconds(_fill / RateBytesPerSecond);
            _clock.Sleep(wait);
            Advance(allowUnderrun: false);
        }

        _fill = 0;
        _streaming = false;
    }

    /// <summary>Drops the contents without writing them (eject, medium change, aborted simulation).</summary>
    public void Reset()
    {
        _fill = 0;
        _streaming = false;
        _last = _clock.Elapsed;
    }

    private void Advance(bool allowUnderrun)
    {
        var now = _clock.Elapsed;
        var dt = (now - _last).TotalSeconds;
        _last = now;
        if (dt <= 0 || RateBytesPerSecond <= 0)
        {
            return;
        }

        var drained = dt * RateBytesPerSecond;
        if (_fill > 0 && drained >= _fill && _streaming && allowUnderrun)
        {
            _underruns++;
            _streaming = false;
        }

        _fill = Math.Max(0, _fill - drained);
    }
}
