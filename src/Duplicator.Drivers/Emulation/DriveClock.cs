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

/// <summary>Real time: <see cref="Stopwatch"/> and <see cref="Thread.Sleep(TimeSpan)"/>.</summary>
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
            Thread.Sleep(duration);
        }
    }
}
