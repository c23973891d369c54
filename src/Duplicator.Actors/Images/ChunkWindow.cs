namespace Duplicator.Actors.Images;

/// <summary>
/// The shared window of one wave as a plain data structure (no actors, no clocks, no I/O): the chunks read from
/// the stash that readers in step still need, one cursor per reader, and a free list of chunk buffers. Like
/// Akka.Streams' ResizableMultiReaderRingBuffer, the window's low edge follows the slowest attached cursor and a
/// removed cursor no longer holds it back; unlike it, the window never grows and never waits for a slow reader:
/// a reader too far behind is <em>detached</em> (<see cref="DetachLaggards"/>) and goes on from the stash on its
/// own, and may be <em>re-attached</em> (<see cref="Reattach"/>) when it catches up. Because chunk memory is reused,
/// a buffer goes back to the free list only when it has left the window and no reader, attached, detached or
/// gone, can still touch it: a reader holds every chunk it was sent and has not reported consumed, and the chunks
/// a reader held when it left are never reused (their memory is left to the garbage collector).
/// </summary>
/// <typeparam name="TReader">What identifies a reader (an actor ref in the wave).</typeparam>
public sealed class ChunkWindow<TReader> where TReader : notnull
{
    private sealed class Cursor
    {
        public long Consumed = -1; // every chunk up to this one is done with
        public long Sent = -1;     // the highest chunk ever handed to the reader
        public long NextSend;      // the next chunk to hand it while attached
        public bool Attached = true;
        public TimeSpan? FirstSent; // when it was first handed chunks (the caller's clock)
    }

    private sealed class Slot(byte[] buffer, int bytes)
    {
        public byte[] Buffer { get; } = buffer;
        public int Bytes { get; } = bytes;
        public bool Poisoned;
    }

    private readonly Dictionary<TReader, Cursor> _readers = [];
    private readonly SortedDictionary<long, Slot> _held = []; // chunks read whose memory is not reusable yet
    private readonly Stack<byte[]> _free = new();
    private readonly int _chunkBytes;

    /// <summary>
    /// A window of <paramref name="capacity"/> chunks of <paramref name="chunkBytes"/> over an image of
    /// <paramref name="totalChunks"/> chunks; laggards are detached once they have held the others back for
    /// <paramref name="lagGrace"/> without a break (zero: at once).
    /// </summary>
    public ChunkWindow(long totalChunks, int capacity, int chunkBytes, TimeSpan lagGrace = default, TimeSpan startGrace = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lagGrace, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(startGrace, TimeSpan.Zero);
        LagGrace = lagGrace;
        StartGrace = startGrace;
        ArgumentOutOfRangeException.ThrowIfNegative(totalChunks);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        Total = totalChunks;
        Capacity = capacity;
        _chunkBytes = chunkBytes;
    }

    /// <summary>Chunks of the image.</summary>
    public long Total { get; }

    /// <summary>How long laggards may hold the window back before they are detached: readers in step whose threads jitter are not split.</summary>
    public TimeSpan LagGrace { get; }

    /// <summary>
    /// How long a reader that has not consumed its first chunk yet (its drive is still preparing) is waited for after
    /// it was first sent chunks, before it counts as a laggard: drives of one wave start within this of each other.
    /// </summary>
    public TimeSpan StartGrace { get; }

    /// <summary>Since when (the caller's clock) laggards hold the window back, or null.</summary>
    public TimeSpan? HeldBackSince { get; private set; }

    /// <summary>Most chunks the window holds.</summary>
    public int Capacity { get; }

    /// <summary>How far behind the fastest attached reader a reader may fall before it is detached (half the window, at least 1).</summary>
    public int LagLimit => Math.Max(1, Capacity / 2);

    /// <summary>
    /// Fewer chunks than this in the fastest reader's hand, with the window full, and laggards are detached (a quarter
    /// of the window, at least 1): readers in step with a little jitter are never split, and the fastest still has
    /// data while the window refills.
    /// </summary>
    public int LowWater => Math.Max(1, Capacity / 4);

    /// <summary>Chunks read into the window so far: the next chunk to read.</summary>
    public long Head { get; private set; }

    /// <summary>The oldest chunk still in the window; chunks [Low, Head) are there to be sent.</summary>
    public long Low { get; private set; }

    /// <summary>A read is under way (between <see cref="BeginRead"/> and <see cref="EndRead"/>).</summary>
    public bool Reading { get; private set; }

    /// <summary>Chunk buffers allocated so far (the rest were reused from the free list).</summary>
    public int Allocated { get; private set; }

    /// <summary>Buffers on the free list.</summary>
    public int Free => _free.Count;

    /// <summary>Readers, attached or not.</summary>
    public int Readers => _readers.Count;

    /// <summary>Readers sharing the window.</summary>
    public int AttachedReaders => _readers.Values.Count(c => c.Attached);

    /// <summary>The window has its first chunks in hand (at most <see cref="Capacity"/>): nothing is sent before, so every reader starts with a full window.</summary>
    public bool Primed => Head >= Math.Min(Capacity, Total);

    /// <summary>A read may start: not reading, not at the end, room in the window, and an attached reader to want it.</summary>
    public bool CanRead => !Reading && Head < Total && Head < Low + Capacity && _readers.Values.Any(c => c.Attached);

    /// <summary>Whether <paramref name="reader"/> is known and shares the window.</summary>
    public bool IsAttached(TReader reader) => _readers.TryGetValue(reader, out var c) && c.Attached;

    /// <summary>Whether <paramref name="reader"/> holds a chunk it was sent and has not consumed.</summary>
    public bool Holds(TReader reader) => _readers.TryGetValue(reader, out var c) && c.Sent > c.Consumed;

    /// <summary>The chunk <paramref name="reader"/> needs next (the one after its last consumed).</summary>
    public long Need(TReader reader) => _readers[reader].Consumed + 1;

    /// <summary>
    /// Adds a reader that starts at chunk 0 (a disc is written from its first sector). It shares the window only
    /// while chunk 0 is still in it; otherwise it is refused (false) and nothing changes.
    /// </summary>
    public bool Join(TReader reader)
    {
        if (_readers.ContainsKey(reader)) throw new InvalidOperationException($"reader {reader} has joined already");
        if (Low > 0) return false;
        _readers[reader] = new Cursor();
        return true;
    }

    /// <summary>Takes a buffer (reused or new) for chunk <see cref="Head"/>; only when <see cref="CanRead"/>.</summary>
    public byte[] BeginRead()
    {
        if (!CanRead) throw new InvalidOperationException($"no read may start (reading {Reading}, head {Head}, low {Low}, total {Total})");
        Reading = true;
        if (_free.Count > 0) return _free.Pop();
        Allocated++;
        return GC.AllocateUninitializedArray<byte>(_chunkBytes);
    }

    /// <summary>Chunk <see cref="Head"/> was read into <paramref name="buffer"/> (<paramref name="bytes"/> of it): it joins the window.</summary>
    public void EndRead(byte[] buffer, int bytes)
    {
        if (!Reading) throw new InvalidOperationException("no read is under way");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, buffer.Length);
        Reading = false;
        _held[Head] = new Slot(buffer, bytes);
        Head++;
        Release();
    }

    /// <summary>The read failed: its buffer goes back to the free list.</summary>
    public void AbortRead(byte[] buffer)
    {
        if (!Reading) throw new InvalidOperationException("no read is under way");
        Reading = false;
        _free.Push(buffer);
    }

    /// <summary>The bytes of chunk <paramref name="index"/> while some reader may use it.</summary>
    public ReadOnlyMemory<byte> Data(long index) =>
        _held.TryGetValue(index, out var s) ? s.Buffer.AsMemory(0, s.Bytes) : throw new InvalidOperationException($"chunk {index} is not held");

    /// <summary>
    /// What to send now: every attached reader gets the chunks of the window it has not been sent, in order
    /// (nothing until the window is <see cref="Primed"/>). Marks them sent (held by the reader).
    /// </summary>
    public IReadOnlyList<(TReader Reader, long Index)> TakeSends(TimeSpan now = default)
    {
        if (!Primed) return [];
        var sends = new List<(TReader, long)>();
        foreach (var (reader, c) in _readers)
        {
            if (!c.Attached) continue;
            if (c.NextSend < Head) c.FirstSent ??= now;
            for (long k = Math.Max(c.NextSend, Low); k < Head; k++) sends.Add((reader, k));
            if (c.NextSend < Head)
            {
                c.NextSend = Head;
                c.Sent = Math.Max(c.Sent, Head - 1);
            }
        }
        return sends;
    }

    /// <summary><paramref name="reader"/> is done with chunk <paramref name="index"/> and every one before it (from the window or read on its own).</summary>
    public void Consumed(TReader reader, long index)
    {
        if (!_readers.TryGetValue(reader, out var c)) return;
        c.Consumed = Math.Max(c.Consumed, Math.Min(index, Total - 1));
        if (c.NextSend <= c.Consumed) c.NextSend = c.Consumed + 1;
        Release();
    }

    /// <summary>
    /// <paramref name="reader"/> leaves (finished, failed or dropped). Chunks it was sent and did not report consumed
    /// may still be touched by its drive thread: their memory is never reused.
    /// </summary>
    public void Leave(TReader reader)
    {
        if (!_readers.Remove(reader, out var c)) return;
        foreach (var (k, slot) in _held)
            if (k > c.Consumed && k <= c.Sent) slot.Poisoned = true;
        Release();
    }

    /// <summary>
    /// When the window is (all but) full and the fastest attached reader is running low (fewer than
    /// <see cref="LowWater"/> chunks in hand), readers <see cref="LagLimit"/> or more behind it hold it back; once
    /// they have, without catching up, for <see cref="LagGrace"/> (by <paramref name="now"/>, the caller's clock), detaches every attached reader <see cref="LagLimit"/> or more
    /// chunks behind the fastest, so the window moves on; or, when those are more than the rest, detaches the rest
    /// (the few that ran ahead read ahead alone). A detached reader keeps the chunks it holds (they stay
    /// unreused until it consumes them) and reads the rest from the stash itself. Returns the readers detached;
    /// <see cref="HeldBackSince"/> says whether the caller should ask again later.
    /// </summary>
    public IReadOnlyList<TReader> DetachLaggards(TimeSpan now = default)
    {
        var attached = _readers.Where(r => r.Value.Attached).ToArray();
        long fastest = attached.Length == 0 ? Head : attached.Max(r => r.Value.Consumed + 1);
        var behind = attached.Where(r => fastest - (r.Value.Consumed + 1) >= LagLimit
            && !(r.Value.Consumed < 0 && r.Value.FirstSent is { } first && now - first < StartGrace)).Select(r => r.Key).ToArray();
        if (behind.Length == 0)
        {
            HeldBackSince = null; // caught up (or gone): the hold is over
            return [];
        }
        // The fastest runs low while the window is (all but) full: the laggards hold it. A laggard consuming a chunk
        // now and then gives the window one chunk of room at a time, which does not end the hold.
        bool holding = Head < Total && Head - fastest < LowWater && Head - Low >= Math.Max(1, Capacity - 1);
        if (HeldBackSince is null)
        {
            if (!holding) return [];
            HeldBackSince = now;
        }
        if (now - HeldBackSince.Value < LagGrace || !holding) return [];
        HeldBackSince = null;
        // Split off the smaller side: one slow or hung drive among many reads alone, and when most of the wave is
        // behind one that ran ahead (threads the host scheduled unevenly), that one reads ahead alone instead.
        var ahead = attached.Select(r => r.Key).Except(behind).ToArray();
        var leave = behind.Length > ahead.Length ? ahead : behind;
        foreach (var r in leave) _readers[r].Attached = false;
        Release();
        return leave;
    }

    /// <summary>
    /// Re-attaches every detached reader that has caught up with the window: it needs a chunk still in it (so it
    /// holds the window back no more than the attached readers do). Their next <see cref="TakeSends"/> starts at the
    /// chunk each needs. Returns the readers re-attached.
    /// </summary>
    public IReadOnlyList<TReader> Reattach()
    {
        var back = new List<TReader>();
        foreach (var (reader, c) in _readers)
        {
            long need = c.Consumed + 1;
            if (c.Attached || need >= Total || need < Low || need > Head) continue;
            c.Attached = true;
            c.NextSend = need;
            back.Add(reader);
        }
        return back;
    }

    /// <summary>Moves the low edge to the slowest attached reader and frees every buffer nobody can touch any more.</summary>
    private void Release()
    {
        long tail = Head;
        foreach (var c in _readers.Values)
            if (c.Attached) tail = Math.Min(tail, c.Consumed + 1);
        Low = Math.Max(Low, Math.Min(tail, Head));
        List<long>? done = null;
        foreach (var (k, slot) in _held)
        {
            if (k >= Low) break;
            bool touched = false;
            foreach (var c in _readers.Values)
                if (k > c.Consumed && k <= c.Sent) { touched = true; break; }
            if (!touched) (done ??= []).Add(k);
        }
        if (done is null) return;
        foreach (var k in done)
        {
            if (_held.Remove(k, out var slot) && !slot.Poisoned && slot.Buffer.Length == _chunkBytes) _free.Push(slot.Buffer);
        }
    }
}
