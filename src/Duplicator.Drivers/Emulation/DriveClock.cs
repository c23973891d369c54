using System.Diagnostics;

namespace Duplicator.Drivers.Emulation;

/// <summary>
/// The monotonic time the emulated recorder's buffer and speed model, not-ready windows and hung
/// commands run on. Tests inject a fake whose <see cref="Sleep"/> only advances the time.
/// </summary>
public interface IDriveClock
{
    /// <summary>Monotonic time since an arbitrary origin.</summary>
    TimeSpan Elapsed { get; }

    /// <summary>Blocks the calling thread for <paramref name="duration"/> (a fake clock just advances).</summary>
    void Sleep(TimeSpan duration);
}

/// <summary>Real time: <see cref="Stopwatch"/> and <see cref="Thread.Sleep(int)"/>, never shorter than asked.</summary>
public sealed class SystemDriveClock : IDriveClock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    /// <summary>The shared instance.</summary>
    public static SystemDriveClock Instance { get; } = new();

    /// <inheritdoc />
    public TimeSpan Elapsed => _watch.Elapsed;

    /// <inheritdoc />
    public void Sleep(TimeSpan duration)
    {
        if (duration > TimeSpan.Zero)
        {
            // Thread.Sleep(TimeSpan) truncates to whole milliseconds: a 1.9 ms wait for buffer room (64 KiB at
            // 24x DVD) slept 1 ms and let the emulated drive take data ~1.7x faster than its speed.
            Thread.Sleep((int)Math.Min(int.MaxValue, Math.Ceiling(duration.TotalMilliseconds)));
        }
    }
}
