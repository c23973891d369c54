using System.Diagnostics;
using System.Globalization;

namespace Duplicator.Host.Serving;

/// <summary>
/// Notices that this process was stopped (SIGSTOP, a VM paused, a laptop lid) for longer than the floor waits before it
/// downs a silent tower, and says so at once after it wakes. A tower woken that way still believes in a floor that
/// downed it: CI saw one mark the others unreachable, then down them in its own view and go on alone, finishing
/// the discs that had been moved to other towers. The others quarantined it, so nothing tells it; this does.
/// </summary>
/// <remarks>
/// A dedicated thread sleeps <see cref="Tick"/> at a time and measures each wake-up on the monotonic clock. A long gap
/// alone could be starvation on a loaded machine (the others still hear such a tower, or down it themselves), so on
/// Linux the time the thread spent runnable but waiting for a CPU (<c>/proc/thread-self/schedstat</c>, its run delay)
/// is taken off: a stopped thread is not runnable and gains none.
/// </remarks>
public sealed class FreezeWatch : IDisposable
{
    /// <summary>How long the watch sleeps between two looks at the clock.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly TimeSpan _limit;
    private readonly Action<TimeSpan> _frozen;
    private readonly Thread _thread;
    private volatile bool _stop;

    /// <summary>Starts the watch: <paramref name="frozen"/> is called once, with the time stopped, when it exceeds <paramref name="limit"/>.</summary>
    public FreezeWatch(TimeSpan limit, Action<TimeSpan> frozen)
    {
        _limit = limit;
        _frozen = frozen;
        _thread = new Thread(Run) { IsBackground = true, Name = "freeze-watch", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>
    /// The time a thread was stopped in one tick: the wall time between two looks, less the sleep asked for and the
    /// time it waited runnable for a CPU (never below zero).
    /// </summary>
    public static TimeSpan Stopped(TimeSpan gap, TimeSpan sleep, TimeSpan runDelay)
    {
        var stopped = gap - sleep - runDelay;
        return stopped < TimeSpan.Zero ? TimeSpan.Zero : stopped;
    }

    /// <summary>The calling thread's run delay (ns waiting runnable, field 2 of schedstat), or null where the kernel has none.</summary>
    public static TimeSpan? RunDelay()
    {
        try
        {
            var text = File.ReadAllText("/proc/thread-self/schedstat");
            var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ns)
                ? TimeSpan.FromTicks(ns / 100)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        var delay = RunDelay();
        while (!_stop)
        {
            Thread.Sleep(Tick);
            var now = clock.Elapsed;
            var nowDelay = RunDelay();
            var waited = delay is { } d && nowDelay is { } n ? n - d : TimeSpan.Zero;
            var stopped = Stopped(now - last, Tick, waited);
            last = now;
            delay = nowDelay;
            if (stopped > _limit && !_stop)
            {
                _frozen(stopped);
                return;
            }
        }
    }

    /// <summary>Stops the watch.</summary>
    public void Dispose() => _stop = true;
}
