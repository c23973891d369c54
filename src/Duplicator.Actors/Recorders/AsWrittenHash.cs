using System.Security.Cryptography;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// A per-disc burn's own SHA-256, computed on a thread of its own (one per disc being written) from the same chunk
/// memory the drive thread copies from, with the disc's patches hashed in their place: the drive thread only copies,
/// lays its patches over its own buffer and writes, so hashing never delays a WRITE. The bytes hashed are exactly
/// the bytes handed to the drive (the same chunk, the same patches, in order). A chunk is reported consumed
/// (<c>consumed</c>, to the wave) only once the hash has passed it as well, so its memory is not reused before; the
/// hash therefore lags the drive by at most the chunks the drive holds, and a hash that lags that far shows in the
/// wave as the drive lagging. A failure here fails this disc only: the drive thread sees it at its next chunk or
/// when it asks for the hash.
/// </summary>
internal sealed class AsWrittenHash : IDisposable
{
    private readonly record struct Item(ReadOnlyMemory<byte> Data, long FirstSector, long Chunk, long Seq);

    private readonly object _gate = new();
    private readonly Queue<Item> _items = new(); // bounded by the chunks the drive holds (the wave's window)
    private readonly IReadOnlyList<SectorPatch> _patches;
    private readonly int _sectorSize;
    private readonly Action<long> _consumed;
    private readonly Action<ReadOnlyMemory<byte>>? _hashing; // tests: sees (and may fail or slow) every span hashed
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Thread _thread;
    private long _queued; // sequence number of the last item queued
    private long _done;   // ... and of the last one hashed
    private long _expected; // the next sector the hash takes: items must follow each other
    private Exception? _error;
    private bool _closed;
    private byte[]? _result;

    /// <param name="name">The thread's name (the drive's id is in it, for profiles).</param>
    /// <param name="patches">The disc's own sectors, ascending and not overlapping.</param>
    /// <param name="sectorSize">Bytes per sector of the image.</param>
    /// <param name="consumed">Called on the hash's thread, in order, once a chunk has been hashed (its index).</param>
    /// <param name="hashing">Tests only: called with every span before it is hashed.</param>
    public AsWrittenHash(string name, IReadOnlyList<SectorPatch> patches, int sectorSize, Action<long> consumed,
        Action<ReadOnlyMemory<byte>>? hashing = null)
    {
        _patches = patches;
        _sectorSize = sectorSize;
        _consumed = consumed;
        _hashing = hashing;
        _thread = new Thread(Run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>Sectors hashed so far (for tests and profiles).</summary>
    public long Hashed { get; private set; }

    /// <summary>
    /// Queues <paramref name="data"/> (whole sectors from <paramref name="firstSector"/>, the next ones of the disc)
    /// and then, if <paramref name="chunk"/> is not negative, the report that chunk is consumed. The memory must stay
    /// unchanged until the item is done (<see cref="WaitDone"/>); shared chunks are, until reported consumed.
    /// Returns the item's sequence number. Throws if the hash has failed.
    /// </summary>
    public long Append(ReadOnlyMemory<byte> data, long firstSector, long chunk)
    {
        lock (_gate)
        {
            ThrowIfFailed();
            if (_closed) throw new InvalidOperationException("the disc's hash is closed");
            if (data.Length % _sectorSize != 0)
                throw new ArgumentException($"{data.Length} bytes are not whole {_sectorSize}-byte sectors", nameof(data));
            if (data.Length > 0 && firstSector != _expected)
                throw new InvalidOperationException($"the disc's hash takes sector {_expected} next, not {firstSector}");
            if (data.Length > 0) _expected = firstSector + data.Length / _sectorSize;
            var item = new Item(data, firstSector, chunk, ++_queued);
            _items.Enqueue(item);
            PerDiscHashCounters.Lag(_items.Count);
            Monitor.PulseAll(_gate);
            return item.Seq;
        }
    }

    /// <summary>Blocks until item <paramref name="seq"/> (and every one before it) is hashed; throws if the hash failed.</summary>
    public void WaitDone(long seq, CancellationToken cancellation)
    {
        lock (_gate)
        {
            while (_done < seq && _error is null)
            {
                cancellation.ThrowIfCancellationRequested();
                if (_closed) throw new InvalidOperationException("the disc's hash is closed");
                Monitor.Wait(_gate, 50); // a short wait so that the cancellation is seen
            }
            ThrowIfFailed();
        }
    }

    /// <summary>Waits for everything queued to be hashed and returns the SHA-256 of it all, once; the thread ends.</summary>
    public byte[] Finish(CancellationToken cancellation)
    {
        lock (_gate)
        {
            if (_result is { } done) return done;
            ThrowIfFailed();
            if (_closed) throw new InvalidOperationException("the disc's hash was closed before it was finished");
            WaitDone(_queued, cancellation);
            _result = _sha.GetHashAndReset();
            _closed = true;
            Monitor.PulseAll(_gate);
            return _result;
        }
    }

    /// <summary>Ends the thread (a failed or cancelled burn); what is queued is dropped.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _closed = true;
            _items.Clear();
            Monitor.PulseAll(_gate);
        }
    }

    private void ThrowIfFailed()
    {
        if (_error is { } e)
            throw new ImapiException(ImapiError.CannotWriteToMedia, $"the disc's own SHA-256 could not be computed as it was written: {e.Message}", e);
    }

    private void Run()
    {
        try
        {
            while (true)
            {
                Item item;
                lock (_gate)
                {
                    while (_items.Count == 0 && !_closed) Monitor.Wait(_gate);
                    if (_closed) return;
                    item = _items.Dequeue();
                }
                try
                {
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    Hash(item.Data, item.FirstSector);
                    PerDiscHashCounters.Hashed(item.Data.Length, System.Diagnostics.Stopwatch.GetTimestamp() - started);
                    if (item.Chunk >= 0) _consumed(item.Chunk);
                }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        _error = e;
                        _items.Clear();
                        Monitor.PulseAll(_gate);
                    }
                    return;
                }
                lock (_gate)
                {
                    _done = item.Seq;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        finally
        {
            lock (_gate) // Finish takes its result under the lock: never dispose under it
            {
                _closed = true;
            }
            _sha.Dispose();
        }
    }

    // The sectors of data with the disc's patches in their place, without copying: the unpatched runs straight from
    // the (shared) chunk, the patched ones from the patch.
    private void Hash(ReadOnlyMemory<byte> data, long first)
    {
        int size = _sectorSize;
        long end = first + data.Length / size;
        int lo = 0, hi = _patches.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_patches[mid].Lba + _patches[mid].Sectors <= first) lo = mid + 1; else hi = mid;
        }
        long at = first;
        for (int i = lo; i < _patches.Count && _patches[i].Lba < end; i++)
        {
            var p = _patches[i];
            long from = Math.Max(p.Lba, first);
            long to = Math.Min(p.Lba + p.Sectors, end);
            if (from > at) Append(data.Slice((int)(at - first) * size, (int)(from - at) * size));
            Append(p.Data.Slice((int)(from - p.Lba) * size, (int)(to - from) * size));
            at = to;
        }
        if (at < end) Append(data[((int)(at - first) * size)..]);
        Hashed += end - first;
    }

    private void Append(ReadOnlyMemory<byte> span)
    {
        _hashing?.Invoke(span);
        _sha.AppendData(span.Span);
    }
}
