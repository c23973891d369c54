using System.Collections.Concurrent;
using Duplicator.Actors.Images;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// The staged image as one recorder's drive thread sees it while a wave feeds it: <see cref="Read"/> blocks until
/// the chunk holding the asked sectors has arrived, and reports each chunk consumed once the drive has read past it.
/// After <see cref="ReadOn"/> (the drive fell behind the wave) it reads the chunks it has not been sent from the
/// stash itself, at the drive's pace, and takes the wave's chunks again when they reach it (it caught up). Reads
/// must ascend (write strategies write in order; skipped sectors, such as audio gaps, are consumed unread). The
/// content hash comes from the staging (<see cref="SetContentSha256"/>; reading it waits until it is known), so
/// verification never rereads the image.
/// A per-disc burn's patches are copied over the drive's own buffer after each read (the shared chunks are never
/// written), and its content hash is then the disc's own: the SHA-256 of the bytes as they are handed to the drive,
/// computed on a thread of its own (<see cref="AsWrittenHash"/>) from the same chunks and patches, so the drive thread
/// never waits for it between WRITEs; a chunk is reported consumed once both have passed it. Known once every sector
/// has been read and hashed.
/// </summary>
internal sealed class FanOutImage : IDiscImage, IContentHashed, Duplicator.Drivers.Burning.IRereadableImage
{
    private IDiscImage? _again; // the stash (an .iso, or an audio image's .cue and BIN), opened only when a quick verification samples sectors again

    private readonly StagedImage _image;
    private readonly Action<long> _consumed;
    private readonly ConcurrentQueue<object> _arrivals = new(); // Staging.Chunk or Staging.ReadOn, in the order the wave sent them
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly CancellationTokenSource _failed = new();
    private readonly CancellationToken _cancellation;
    private readonly ManualResetEventSlim _hashKnown = new();
    private volatile byte[]? _sha;
    private volatile string? _failure;
    private volatile bool _completed;
    private Staging.Chunk? _current;
    private Staging.ReadOn? _alone; // set while no chunks come: read the stash
    private readonly byte[]?[] _own = new byte[]?[2]; // reading alone: two buffers, so the hash may still read one while the drive fills the other
    private readonly long[] _ownSeq = new long[2]; // the hash item that last used each
    private int _ownNext;
    private int _currentOwn = -1; // which of them the current chunk is in, or -1 (a wave's chunk)
    private Staging.Chunk? _hashChunk; // the chunk the next hash item comes from ...
    private long _hashFrom;            // ... and the sector the drive began reading it at
    private long _position;
    private readonly IReadOnlyList<Mastering.Data.PerDisc.SectorPatch>? _patches;
    private readonly AsWrittenHash? _discHash; // the per-disc content hash, as written, on its own thread
    private byte[]? _discSha;
    private bool _discHashBroken; // sectors were skipped: the hash as written is not the disc's

    /// <param name="image">The staged image.</param>
    /// <param name="consumed">Told each chunk's index once the drive (and a per-disc hash) is done with it.</param>
    /// <param name="cancellation">The burn's.</param>
    /// <param name="patches">A per-disc burn's own sectors; the content hash is then the disc's own.</param>
    /// <param name="name">Names the per-disc hash's thread (the drive's id).</param>
    /// <param name="hashing">Tests only: sees every span the per-disc hash takes, on its thread.</param>
    public FanOutImage(StagedImage image, Action<long> consumed, CancellationToken cancellation,
        IReadOnlyList<Mastering.Data.PerDisc.SectorPatch>? patches = null, string? name = null,
        Action<ReadOnlyMemory<byte>>? hashing = null)
    {
        _image = image;
        _consumed = consumed;
        _cancellation = cancellation;
        _patches = patches;
        if (patches is not null) _discHash = new AsWrittenHash($"hash_{name ?? "disc"}", patches, image.SectorSize, consumed, hashing);
        else if (image.ContentSha256 is { } sha) SetContentSha256(sha);
    }

    /// <summary>The burn is over (written, failed or cancelled): a per-disc hash's thread ends.</summary>
    public void Close() => _discHash?.Dispose();

    public int SectorSize => _image.SectorSize;
    public long SectorCount => _image.SectorCount;
    public IReadOnlyList<TrackInfo> Tracks => _image.Tracks;

    // Album CD-TEXT and the catalog travel with the staged image, so a disc-at-once copy writes its master's.
    public string? Title => _image.Title;
    public string? Performer => _image.Performer;
    public string? Catalog => _image.Catalog;

    /// <summary>The content hash; blocks (on the drive thread) until the staging has computed it, or fails with the burn.</summary>
    public byte[] ContentSha256
    {
        get
        {
            if (_discHash is not null) return DiscSha256();
            if (_sha is { } known) return known;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellation, _failed.Token);
            try
            {
                _hashKnown.Wait(linked.Token);
            }
            catch (OperationCanceledException)
            {
                throw _cancellation.IsCancellationRequested
                    ? new ImapiException(ImapiError.UserAbort, "cancelled while waiting for the image's content hash")
                    : new ImapiException(ImapiError.LossOfStreaming, $"the image's content hash never came: {_failure ?? "the wave ended"}");
            }
            return _sha!;
        }
    }

    // Drive thread only: the hash of every sector as handed to the drive, once all were.
    private byte[] DiscSha256()
    {
        if (_discSha is { } done) return done;
        if (_discHashBroken || Position != SectorCount)
            throw new InvalidOperationException($"the disc's own hash is known once every sector is written in order (at sector {Position} of {SectorCount})");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellation, _failed.Token);
        try
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            _discSha = _discHash!.Finish(linked.Token);
            PerDiscHashCounters.FinishWait(System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
        catch (OperationCanceledException)
        {
            throw _cancellation.IsCancellationRequested
                ? new ImapiException(ImapiError.UserAbort, "cancelled while the disc's own hash was being finished")
                : Failure();
        }
        return _discSha;
    }

    /// <summary>Sectors the drive has read so far.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>Told the wave's ref when its first chunk arrives (the consumed-callback needs it).</summary>
    public Action<Akka.Actor.IActorRef>? WaveKnown { get; set; }

    private bool _waveSeen;

    /// <summary>Called from the actor: the image's content hash (upper-case hex) is known.</summary>
    public void SetContentSha256(string hex)
    {
        if (_discHash is not null) return; // a per-disc disc has its own hash, not the staged image's
        _sha ??= Convert.FromHexString(hex);
        _hashKnown.Set();
    }

    /// <summary>Called from the actor: the next chunk of the wave.</summary>
    public void Add(Staging.Chunk chunk) => Arrive(chunk, chunk.Wave);

    /// <summary>Called from the actor: no more chunks come for now; read on from the stash.</summary>
    public void ReadOn(Staging.ReadOn readOn) => Arrive(readOn, readOn.Wave);

    private void Arrive(object item, Akka.Actor.IActorRef wave)
    {
        if (_completed) return;
        if (!_waveSeen)
        {
            _waveSeen = true;
            WaveKnown?.Invoke(wave);
        }
        _arrivals.Enqueue(item);
        _arrived.Release();
    }

    /// <summary>Called from the actor: the wave is gone; every blocked or later read fails with <paramref name="reason"/>.</summary>
    public void Fail(string reason)
    {
        _failure = reason;
        _completed = true;
        _failed.Cancel();
    }

    /// <summary>
    /// Reads sectors again from the stash (random access, on the drive thread), for a quick verification after the
    /// stream: the wave's chunks are gone by then. A data image is read from its .iso, an audio image (2352-byte
    /// sectors) through its cue sheet from its BIN, as staged (<see cref="ImageStager.Open"/>).
    /// </summary>
    public void Reread(long firstSector, Span<byte> destination)
    {
        _again ??= ImageStager.Open(_image.StashPath);
        if (_again.SectorSize != _image.SectorSize || _again.SectorCount != SectorCount)
            throw new ImapiException(ImapiError.SourceChanged, $"{_image.StashPath}: the stash holds {_again.SectorCount} sectors of {_again.SectorSize} bytes, the staged image {SectorCount} of {_image.SectorSize}");
        _again.Read(firstSector, destination);
    }

    public void Read(long firstSector, Span<byte> destination)
    {
        SectorIo.CheckRange(this, firstSector, destination.Length);
        if (firstSector < _position)
            throw new InvalidOperationException($"the fanned-out image is read in ascending order: sector {firstSector} asked after {_position}");
        int size = _image.SectorSize;
        int filled = 0;
        while (filled < destination.Length)
        {
            var chunk = CurrentChunk();
            long chunkEnd = chunk.FirstSector + chunk.Sectors;
            if (!ReferenceEquals(chunk, _hashChunk))
            {
                _hashChunk = chunk;
                _hashFrom = _position;
            }
            if (firstSector > _position)
            {
                _discHashBroken = true;
                Interlocked.Exchange(ref _position, Math.Min(firstSector, chunkEnd)); // skip unread sectors (gaps)
            }
            else
            {
                int sectors = (int)Math.Min(chunkEnd - _position, (destination.Length - filled) / size);
                var into = destination.Slice(filled, sectors * size);
                chunk.Data.Span.Slice((int)(_position - chunk.FirstSector) * size, sectors * size).CopyTo(into);
                // Into the drive's buffer, never the shared chunk: every other member reads the same memory.
                if (_patches is not null) Mastering.Data.PerDisc.PatchedImage.Overlay(_patches, _position, into, size);
                filled += sectors * size;
                firstSector += sectors;
                Interlocked.Add(ref _position, sectors);
            }
            if (_position == chunkEnd)
            {
                _current = null;
                if (_discHash is null) _consumed(chunk.Index); // after the last copy: the wave may reuse the memory from here on
                else
                {
                    // The hash reads the chunk after us and reports it consumed; gaps leave nothing to hash (the
                    // hash as written is not the disc's then anyway).
                    var read = _discHashBroken ? ReadOnlyMemory<byte>.Empty
                        : chunk.Data.Slice((int)(_hashFrom - chunk.FirstSector) * size, (int)(chunkEnd - _hashFrom) * size);
                    long seq = _discHash.Append(read, _hashFrom, chunk.Index);
                    if (_currentOwn >= 0) _ownSeq[_currentOwn] = seq;
                }
                _hashChunk = null;
            }
        }
    }

    private Staging.Chunk CurrentChunk()
    {
        if (_current is { } c) return c;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellation, _failed.Token);
        try
        {
            while (true)
            {
                linked.Token.ThrowIfCancellationRequested();
                if (_alone is { } alone)
                {
                    // Reading alone: a chunk the wave sends again (we caught up) is taken when it is the one needed;
                    // chunks behind us are dropped unread (their memory may be in use for later chunks already).
                    while (_arrivals.TryPeek(out var item))
                    {
                        if (item is Staging.Chunk ch && ch.FirstSector > _position) break; // ahead of us: read alone up to it
                        Take();
                        if (item is Staging.Chunk mine && mine.FirstSector + mine.Sectors > _position)
                        {
                            _alone = null;
                            _currentOwn = -1;
                            return _current = mine;
                        }
                    }
                    return _current = ReadAlone(alone);
                }
                _arrived.Wait(linked.Token);
                if (!_arrivals.TryDequeue(out var next)) continue; // its count was taken by a peek-and-take above
                switch (next)
                {
                    case Staging.ReadOn r:
                        _alone = r;
                        continue;
                    case Staging.Chunk ch when ch.FirstSector + ch.Sectors <= _position:
                        continue; // sent before we read past it alone
                    case Staging.Chunk ch when ch.FirstSector > _position:
                        throw new InvalidOperationException($"the wave sent sectors from {ch.FirstSector}, the drive is at {_position}");
                    case Staging.Chunk ch:
                        _currentOwn = -1;
                        return _current = ch;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw _cancellation.IsCancellationRequested
                ? new ImapiException(ImapiError.UserAbort, $"cancelled at sector {_position} of {SectorCount}")
                : Failure();
        }
    }

    private void Take()
    {
        _arrivals.TryDequeue(out _);
        _arrived.Wait(0); // may find the count not yet released: the blocking wait then finds the queue empty and waits again
    }

    /// <summary>Reads the chunk holding the current position from the stash into this drive's own buffer.</summary>
    private Staging.Chunk ReadAlone(Staging.ReadOn alone)
    {
        long index = _position / alone.ChunkSectors;
        long first = index * alone.ChunkSectors;
        int sectors = (int)Math.Min(alone.ChunkSectors, SectorCount - first);
        int k = _ownNext;
        _ownNext = _discHash is null ? 0 : 1 - k; // one buffer does without a hash reading behind the drive
        if (_discHash is not null && _ownSeq[k] > 0)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellation, _failed.Token);
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            _discHash.WaitDone(_ownSeq[k], linked.Token); // the hash may still be reading what was there
            PerDiscHashCounters.BufferWait(System.Diagnostics.Stopwatch.GetTimestamp() - started);
        }
        var own = _own[k] ??= GC.AllocateUninitializedArray<byte>(alone.ChunkSectors * SectorSize);
        _currentOwn = k;
        var memory = own.AsMemory(0, sectors * SectorSize);
        alone.Stash.Read(first, memory.Span);
        return new Staging.Chunk(alone.Wave, index, first, sectors, memory);
    }

    private ImapiException Failure() =>
        new(ImapiError.LossOfStreaming, $"the image stopped arriving at sector {_position} of {SectorCount}: {_failure ?? "the wave ended"}");
}
