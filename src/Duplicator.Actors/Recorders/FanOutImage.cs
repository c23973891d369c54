using System.Collections.Concurrent;
using Duplicator.Actors.Images;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// The staged image as one recorder's drive thread sees it while a wave feeds it: <see cref="Read"/> blocks until
/// the chunk holding the asked sectors has arrived, and reports each chunk consumed (a credit back to the wave)
/// once the drive has read past it. Reads must ascend (write strategies write in order; skipped sectors, such as
/// audio gaps, are consumed unread). The content hash comes from the staging, so verification never rereads it.
/// </summary>
internal sealed class FanOutImage : IDiscImage, IContentHashed
{
    private readonly StagedImage _image;
    private readonly Action<long> _consumed;
    private readonly BlockingCollection<Staging.Chunk> _chunks = new();
    private readonly CancellationTokenSource _failed = new();
    private readonly CancellationToken _cancellation;
    private volatile string? _failure;
    private Staging.Chunk? _current;
    private long _position;

    public FanOutImage(StagedImage image, Action<long> consumed, CancellationToken cancellation)
    {
        _image = image;
        _consumed = consumed;
        _cancellation = cancellation;
        ContentSha256 = Convert.FromHexString(image.ContentSha256);
    }

    public int SectorSize => _image.SectorSize;
    public long SectorCount => _image.SectorCount;
    public IReadOnlyList<TrackInfo> Tracks => _image.Tracks;
    public byte[] ContentSha256 { get; }

    /// <summary>Sectors the drive has read so far.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>Told the wave's ref when its first chunk arrives (the consumed-callback needs it).</summary>
    public Action<Akka.Actor.IActorRef>? WaveKnown { get; set; }

    /// <summary>Called from the actor: the next chunk of the wave.</summary>
    public void Add(Staging.Chunk chunk)
    {
        if (_chunks.IsAddingCompleted) return;
        if (chunk.Index == 0 || !_waveSeen)
        {
            _waveSeen = true;
            WaveKnown?.Invoke(chunk.Wave);
        }
        try
        {
            _chunks.Add(chunk);
        }
        catch (InvalidOperationException)
        {
            // completed between the check and the add: the burn is over
        }
    }

    private bool _waveSeen;

    /// <summary>Called from the actor: the wave is gone; every blocked or later read fails with <paramref name="reason"/>.</summary>
    public void Fail(string reason)
    {
        _failure = reason;
        _chunks.CompleteAdding();
        _failed.Cancel();
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
            if (firstSector > _position)
            {
                Interlocked.Exchange(ref _position, Math.Min(firstSector, chunkEnd)); // skip unread sectors (gaps)
            }
            else
            {
                int sectors = (int)Math.Min(chunkEnd - _position, (destination.Length - filled) / size);
                chunk.Data.Span.Slice((int)(_position - chunk.FirstSector) * size, sectors * size).CopyTo(destination[filled..]);
                filled += sectors * size;
                firstSector += sectors;
                Interlocked.Add(ref _position, sectors);
            }
            if (_position == chunkEnd)
            {
                _current = null;
                _consumed(chunk.Index);
            }
        }
    }

    private Staging.Chunk CurrentChunk()
    {
        if (_current is { } c) return c;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellation, _failed.Token);
        try
        {
            if (!_chunks.TryTake(out var next, Timeout.Infinite, linked.Token))
                throw Failure();
            if (next.FirstSector > _position || next.FirstSector + next.Sectors <= _position)
                throw new InvalidOperationException($"the wave sent sectors from {next.FirstSector}, the drive is at {_position}");
            return _current = next;
        }
        catch (OperationCanceledException)
        {
            throw _cancellation.IsCancellationRequested
                ? new ImapiException(ImapiError.UserAbort, $"cancelled at sector {_position} of {SectorCount}")
                : Failure();
        }
    }

    private ImapiException Failure() =>
        new(ImapiError.LossOfStreaming, $"the image stopped arriving at sector {_position} of {SectorCount}: {_failure ?? "the wave ended"}");
}
