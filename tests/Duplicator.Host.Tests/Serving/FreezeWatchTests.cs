using Duplicator.Host.Serving;

namespace Duplicator.Host.Tests.Serving;

/// <summary>
/// <see cref="FreezeWatch"/>'s arithmetic and its source. The watch itself is tried on real stopped processes by the
/// floor's SIGSTOP tests (Floor/FloorBatchTests, Floor/FloorFailoverTests): a woken tower exits 1.
/// </summary>
public sealed class FreezeWatchTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void A_gap_is_stopped_time_only_past_the_sleep_and_the_time_spent_waiting_for_a_cpu()
    {
        Assert.Equal(Ms(7000), FreezeWatch.Stopped(Ms(7100), Ms(100), Ms(0)));      // SIGSTOP: not runnable, no run delay
        Assert.Equal(Ms(0), FreezeWatch.Stopped(Ms(5100), Ms(100), Ms(5000)));      // starved: runnable the whole time
        Assert.Equal(Ms(2000), FreezeWatch.Stopped(Ms(5100), Ms(100), Ms(3000)));   // both
        Assert.Equal(Ms(0), FreezeWatch.Stopped(Ms(100), Ms(100), Ms(40)));         // never below zero
    }

    [Fact]
    public void The_run_delay_is_read_from_the_kernel_and_grows_while_the_thread_waits_for_a_cpu()
    {
        if (!OperatingSystem.IsLinux()) return;
        var before = FreezeWatch.RunDelay();
        Assert.NotNull(before);
        // Keep every CPU busy with more spinning threads than there are, so this thread waits runnable at some point.
        using var stop = new CancellationTokenSource();
        var spinners = Enumerable.Range(0, Environment.ProcessorCount * 2).Select(_ => new Thread(() => { while (!stop.IsCancellationRequested) { } }) { IsBackground = true }).ToList();
        spinners.ForEach(t => t.Start());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        TimeSpan? after = before;
        try
        {
            while (after <= before && DateTime.UtcNow < deadline)
            {
                for (var i = 0; i < 1_000_000; i++) Thread.SpinWait(1);
                Thread.Yield();
                after = FreezeWatch.RunDelay();
            }
        }
        finally
        {
            stop.Cancel();
        }
        Assert.True(after > before, $"run delay {before} -> {after}");
    }

    [Fact]
    public void The_watch_says_nothing_while_the_process_runs()
    {
        var said = 0;
        using (new FreezeWatch(TimeSpan.FromSeconds(4), _ => Interlocked.Increment(ref said)))
            Thread.Sleep(TimeSpan.FromSeconds(1));
        Assert.Equal(0, said);
    }
}
