using System.Diagnostics;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// Process-wide counters of the per-disc hashes computed as discs are written (every disc of every batch, since the
/// process started), for benchmarks and profiles: where a per-disc burn's extra time goes. Never reset.
/// </summary>
public static class PerDiscHashCounters
{
    private static long _bytes, _hashTicks, _maxLag, _bufferWaits, _bufferWaitTicks, _finishWaitTicks;

    /// <summary>Bytes hashed on the hash threads.</summary>
    public static long HashedBytes => Interlocked.Read(ref _bytes);

    /// <summary>Time the hash threads spent hashing (wall time on those threads, laid patches included).</summary>
    public static TimeSpan Hashing => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _hashTicks));

    /// <summary>The most chunks any disc's hash had queued and not yet hashed (how far a hash lagged its drive).</summary>
    public static long MaxLagChunks => Interlocked.Read(ref _maxLag);

    /// <summary>Times a drive reading alone waited for its hash to finish with a buffer before reusing it, and how long in all.</summary>
    public static (long Count, TimeSpan Total) BufferWaits => (Interlocked.Read(ref _bufferWaits), Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _bufferWaitTicks)));

    /// <summary>Time the drive threads waited, after their last sector, for their hash to finish.</summary>
    public static TimeSpan FinishWaits => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _finishWaitTicks));

    internal static void Hashed(long bytes, long ticks)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Add(ref _hashTicks, ticks);
    }

    internal static void Lag(long chunks)
    {
        long seen;
        while (chunks > (seen = Interlocked.Read(ref _maxLag)) && Interlocked.CompareExchange(ref _maxLag, chunks, seen) != seen) { }
    }

    internal static void BufferWait(long ticks)
    {
        Interlocked.Increment(ref _bufferWaits);
        Interlocked.Add(ref _bufferWaitTicks, ticks);
    }

    internal static void FinishWait(long ticks) => Interlocked.Add(ref _finishWaitTicks, ticks);
}
