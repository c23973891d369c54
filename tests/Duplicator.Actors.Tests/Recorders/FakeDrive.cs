using System.Collections.Concurrent;
using System.Security.Cryptography;
using Duplicator.Drivers.Imapi;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Recorders;

/// <summary>How a fake drive behaves.</summary>
/// <param name="DelayPerChunk">Time taken by each 32-sector write.</param>
/// <param name="FailAtBlock">Throw a write error (03/0C/00 as CannotWriteToMedia) when reaching this block, every disc.</param>
/// <param name="HangAtBlock">Stop taking data at this block and ignore cancellation (a hung command) until released.</param>
/// <param name="VanishAtBlock">Throw DeviceNotPresent at this block (the drive was unplugged), once.</param>
/// <param name="NotBlank">The medium in the drive is not blank.</param>
/// <param name="Rewritable">The medium is rewritable (can be erased).</param>
/// <param name="FreeBlocks">Capacity of each medium.</param>
/// <param name="SenseFailAtBlock">Fail WRITE(10) at this block as a drive does: CHECK CONDITION, sense 03/0C/00 with the block in its information field.</param>
public sealed record FakeScript(TimeSpan DelayPerChunk = default, long FailAtBlock = -1, long HangAtBlock = -1, long VanishAtBlock = -1,
    bool NotBlank = false, bool Rewritable = false, long FreeBlocks = 2_295_104, long SenseFailAtBlock = -1);

/// <summary>
/// A scripted drive: reads the image it is given exactly as a write strategy does (ascending, 32 sectors at a
/// time), hashes what it "burned", and fails, hangs, vanishes or refuses its medium as scripted. Thread-safe
/// counters let tests see what really happened on the drive.
/// </summary>
public sealed class FakeDrive(string path, FakeScript script) : IDiscRecorder
{
    private readonly ManualResetEventSlim _release = new();
    private int _vanished;
    private bool _blank = !script.NotBlank;

    /// <summary>SHA-256 (hex) of every disc burned to the end.</summary>
    public ConcurrentQueue<string> Burned { get; } = new();

    /// <summary>Discs started.</summary>
    public int Started;

    /// <summary>Blocks of the current disc taken so far (tests compare drives' progress by it, not by time).</summary>
    public long Written;

    /// <summary>Erase calls.</summary>
    public int Erased;

    /// <summary>Times a Record call was cancelled or lost its data.</summary>
    public int Aborted;

    /// <summary>Lets a hung drive go.</summary>
    public void Release() => _release.Set();

    public string Path => path;
    public (string Vendor, string Product, string Revision) DisplayNames => ("FAKE", "DRIVE", "1");

    public MediaInfo QueryMediaInfo() => new(true, (_blank ? MediaFlags.Blank | MediaFlags.Writable : 0) | (script.Rewritable ? MediaFlags.Rewritable : 0),
        "DVD+R", _blank ? 0 : 1, 1, _blank ? 0 : -1, _blank ? script.FreeBlocks : 0);

    public void Eject() => _blank = !script.NotBlank; // the next medium is like the first

    public void Erase(bool full, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Erased);
        _blank = true;
    }

    public byte[]? Record(IDiscImage image, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Started);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[32 * image.SectorSize];
        try
        {
            for (long done = 0; done < image.SectorCount;)
            {
                if (done >= script.FailAtBlock && script.FailAtBlock >= 0)
                    throw new ImapiException(ImapiError.CannotWriteToMedia, $"{path}: write error at block {done} (03/0C/00)");
                if (done >= script.SenseFailAtBlock && script.SenseFailAtBlock >= 0)
                    throw new Duplicator.Drivers.Scsi.ScsiCommandException(path, "WRITE(10)", 0x02,
                        new Duplicator.Drivers.Scsi.SenseData(Duplicator.Drivers.Scsi.SenseKey.MediumError, 0x0C, 0x00, (uint)done));
                if (done >= script.VanishAtBlock && script.VanishAtBlock >= 0 && Interlocked.Exchange(ref _vanished, 1) == 0)
                    throw new ImapiException(ImapiError.DeviceNotPresent, $"{path}: the drive is gone");
                if (done >= script.HangAtBlock && script.HangAtBlock >= 0)
                {
                    _release.Wait(); // a hung command ignores cancellation
                    throw new ImapiException(ImapiError.DeviceNotAccessible, $"{path}: command timed out");
                }
                int n = (int)Math.Min(32, image.SectorCount - done);
                var span = buffer.AsSpan(0, n * image.SectorSize);
                image.Read(done, span);
                hash.AppendData(span);
                if (script.DelayPerChunk > TimeSpan.Zero) Thread.Sleep(script.DelayPerChunk);
                done += n;
                Interlocked.Exchange(ref Written, done);
                progress.NotifyBlockProgress(done, image.SectorCount);
            }
        }
        catch (ImapiException e) when (e.Code is ImapiError.LossOfStreaming or ImapiError.UserAbort)
        {
            Interlocked.Increment(ref Aborted);
            throw;
        }
        progress.NotifyClosingDisc(0);
        _blank = false;
        var sha = hash.GetHashAndReset();
        Burned.Enqueue(Convert.ToHexString(sha));
        return options.Verify ? sha : null;
    }

    public void Dispose() => _release.Set();
}
