using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Images;

/// <summary>
/// A data image still arriving (a floor image being fetched): readable up to the bytes checked so far
/// (<see cref="Verified"/>, from the fetch), never beyond. A read of sectors not yet checked waits for them
/// (<see cref="WhenReadableAsync"/> without a thread; <see cref="Read"/> on the caller's, a drive's own); one that
/// cannot come any more (<see cref="Fail"/>) throws <see cref="ImapiException"/> (SourceUnreadable) naming why.
/// Bytes are read from the fetch's part file, or from the image's own path once the fetch renamed it there.
/// Thread-safe.
/// </summary>
public sealed class ArrivingImage : IDiscImage
{
    private readonly string _part;
    private readonly string _path;
    private readonly long _bytes;
    private readonly object _gate = new();
    private long _verified;
    private string? _failure;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>An image of <paramref name="bytes"/> (whole 2048-byte sectors) arriving at <paramref name="partPath"/>, then renamed to <paramref name="path"/>.</summary>
    public ArrivingImage(string partPath, string path, long bytes)
    {
        if (bytes <= 0 || bytes % 2048 != 0)
            throw new ImapiException(ImapiError.InvalidImage, $"{path}: {bytes} bytes is not a whole number of 2048-byte sectors");
        (_part, _path, _bytes) = (partPath, path, bytes);
        SectorCount = bytes / 2048;
        Tracks = [new TrackInfo(1, TrackKind.Data, 0, SectorCount, 0)];
    }

    /// <inheritdoc />
    public int SectorSize => 2048;

    /// <inheritdoc />
    public long SectorCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<TrackInfo> Tracks { get; }

    /// <summary>Bytes from the start checked so far.</summary>
    public long VerifiedBytes => Interlocked.Read(ref _verified);

    /// <summary>The fetch checked the image up to <paramref name="bytes"/>: reads up to there may go on. Never moves back.</summary>
    public void Verified(long bytes)
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            if (bytes <= _verified) return;
            Interlocked.Exchange(ref _verified, Math.Min(bytes, _bytes));
            (wake, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        wake.TrySetResult();
    }

    /// <summary>The rest will not come: every read waiting, and every later read past what was checked, fails with <paramref name="reason"/>.</summary>
    public void Fail(string reason)
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            _failure ??= reason;
            (wake, _changed) = (_changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        wake.TrySetResult();
    }

    /// <summary>Completes when sectors <paramref name="firstSector"/> .. + <paramref name="sectors"/> are checked; throws when they cannot come.</summary>
    public async Task WhenReadableAsync(long firstSector, int sectors, CancellationToken cancellationToken)
    {
        long end = (firstSector + sectors) * 2048;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_verified >= end) return;
                if (_failure is { } why) throw Unreadable(why);
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public void Read(long firstSector, Span<byte> destination)
    {
        SectorIo.CheckRange(this, firstSector, destination.Length);
        WhenReadableAsync(firstSector, destination.Length / 2048, CancellationToken.None).GetAwaiter().GetResult(); // on a drive's own thread
        long offset = firstSector * 2048;
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(_part, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            handle = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete); // renamed into place meanwhile
        }
        using (handle) SectorIo.ReadExactly(handle, destination, offset, _path);
    }

    private ImapiException Unreadable(string why) =>
        new(ImapiError.SourceUnreadable, $"{_path}: the image stopped arriving after {VerifiedBytes} of {_bytes} bytes: {why}");
}
