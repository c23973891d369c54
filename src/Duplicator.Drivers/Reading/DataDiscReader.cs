using System.Buffers;
using System.Security.Cryptography;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Reading;

/// <summary>The recorded data area of a master disc: the tracks read and the blocks they span.</summary>
/// <param name="Profile">The medium's current profile.</param>
/// <param name="Tracks">The recorded data tracks, in order; contiguous.</param>
/// <param name="StartLba">First block of the first track (0 on every disc this project burns).</param>
/// <param name="Sectors">2048-byte blocks from <paramref name="StartLba"/> to the end of the last track.</param>
public sealed record DataDiscLayout(MmcProfile Profile, IReadOnlyList<RecordedTrack> Tracks, long StartLba, long Sectors);

/// <summary>A master read into an image file.</summary>
/// <param name="Path">The image file (complete; written to a temporary name and renamed).</param>
/// <param name="Layout">What was read.</param>
/// <param name="Sha256">SHA-256 of the image, computed from the bytes as they were read.</param>
/// <param name="RetriedReads">Reads that failed with a medium error and succeeded on a later attempt.</param>
public sealed record DataDiscReadResult(string Path, DataDiscLayout Layout, byte[] Sha256, int RetriedReads);

/// <summary>How hard <see cref="DataDiscReader"/> tries.</summary>
/// <param name="Attempts">Tries per block before it counts as unreadable (1..100).</param>
/// <param name="MaxReportedBadSectors">Unreadable blocks after which reading stops (the error names the ranges found so far).</param>
public sealed record DataDiscReadOptions(int Attempts = 3, int MaxReportedBadSectors = 4096);

/// <summary>
/// Reads a data master (CD, DVD or BD of any profile the drive reports) into a 2048-byte-sector image,
/// the MMC way libburn and cdrdao go about it: the recorded size comes from READ DISC INFORMATION
/// (sessions, last track of the last session) and READ TRACK INFORMATION per track (start, size, last
/// recorded address), never READ CAPACITY, which counts the run-out blocks of a TAO CD track and the
/// whole formatted area of rewritables. Blocks are read with READ(10) in chunks of
/// <see cref="ChunkSectors"/>; a chunk failing with a medium error (sense key 3, or ASC 11h) is read again
/// block by block, each block up to <see cref="DataDiscReadOptions.Attempts"/> times. Blocks still
/// unreadable fail the read with <see cref="ImapiError.SourceUnreadable"/> naming every one (as ranges):
/// a master is never zero-filled. The image goes to a temporary file beside the target, renamed when
/// complete; on any failure it is deleted.
/// </summary>
public static class DataDiscReader
{
    /// <summary>Blocks per READ(10): 64 KiB.</summary>
    public const int ChunkSectors = 32;

    private const int BlockSize = 2048;

    /// <summary>Finds the recorded data tracks of the disc in <paramref name="drive"/> (waits until ready).</summary>
    public static DataDiscLayout ReadLayout(MmcDevice drive, CancellationToken cancellationToken = default)
    {
        drive.WaitUntilReady(TimeSpan.FromSeconds(30), cancellationToken);
        var profile = drive.CurrentProfile();
        if (profile == MmcProfile.None)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Location}: no medium to read");
        var disc = drive.ReadDiscInformation();
        if (disc.Status == DiscStatus.Blank)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} is blank: nothing to read");
        // MMC-6 6.22: the last track of the last session bounds the track numbers (on an appendable disc it is the
        // invisible track, which is blank and skipped). CD allows 99 tracks; DVD/BD report more only in theory.
        int lastTrack = disc.LastTrackOfLastSession;
        if (lastTrack is < 1 or > 9999)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: READ DISC INFORMATION reports last track {lastTrack}, not 1..9999");
        var tracks = new List<RecordedTrack>();
        for (int n = 1; n <= lastTrack; n++)
        {
            var t = drive.ReadRecordedTrack(n);
            if (t.Blank) continue;
            if (t.Audio)
                throw new ImapiException(ImapiError.MediumInvalidType, $"{drive.Location}: track {n} is CD-DA audio; a data master holds data tracks only");
            // The last recorded address, when the drive reports it, is exact (an open or partly written track);
            // otherwise the track size is.
            long size = t.LastRecorded is { } lra && lra >= t.Start && lra - t.Start + 1 <= t.Size ? lra - t.Start + 1 : t.Size;
            if (size <= 0) continue;
            tracks.Add(t with { Size = size });
        }
        if (tracks.Count == 0)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} has no recorded data track");
        for (int i = 1; i < tracks.Count; i++)
        {
            long end = tracks[i - 1].Start + tracks[i - 1].Size;
            if (tracks[i].Start != end)
                throw new ImapiException(ImapiError.WrongDisc,
                    $"{drive.Location}: track {tracks[i].Track} starts at {tracks[i].Start}, track {tracks[i - 1].Track} ends at {end - 1}: a disc with unrecorded gaps between tracks (multi-session CD) cannot be copied as one image");
        }
        long start = tracks[0].Start, sectors = tracks[^1].Start + tracks[^1].Size - start;
        if (disc.LastPossibleLeadOut > 0 && !MmcProfiles.IsCd(profile) && start + sectors > disc.LastPossibleLeadOut + 1L)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the tracks end at {start + sectors - 1}, past the medium's last possible lead-out {disc.LastPossibleLeadOut}");
        if (start + sectors > uint.MaxValue)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the tracks end at {start + sectors - 1}, past the 32-bit address range of READ(10)");
        return new DataDiscLayout(profile, tracks, start, sectors);
    }

    /// <summary>
    /// Reads the master in <paramref name="drive"/> into <paramref name="outputPath"/> (which must not exist);
    /// <paramref name="progress"/> gets (blocks done, blocks in all). Cancellation is honoured between reads.
    /// </summary>
    public static DataDiscReadResult ReadTo(MmcDevice drive, string outputPath, DataDiscReadOptions? options = null,
        Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new DataDiscReadOptions();
        if (options.Attempts is < 1 or > 100)
            throw new ImapiException(ImapiError.InvalidInput, $"read attempts {options.Attempts} is not 1..100");
        if (options.MaxReportedBadSectors is < 1 or > 1_000_000)
            throw new ImapiException(ImapiError.InvalidInput, $"unreadable block limit {options.MaxReportedBadSectors} is not 1..1000000");
        var target = Path.GetFullPath(outputPath);
        if (File.Exists(target) || Directory.Exists(target))
            throw new ImapiException(ImapiError.FileExists, $"{target}: the image file already exists");
        var layout = ReadLayout(drive, cancellationToken);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        long bytes = layout.Sectors * BlockSize;
        long free = new DriveInfo(folder).AvailableFreeSpace;
        if (free < bytes)
            throw new ImapiException(ImapiError.NotEnoughDiskForStash, $"{folder}: the master needs {bytes} bytes, {free} are free");

        var temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSectors * BlockSize);
        var bad = new List<(long First, long Last)>();
        long badCount = 0;
        int retried = 0;
        try
        {
            byte[] sha;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                for (long done = 0; done < layout.Sectors && badCount < options.MaxReportedBadSectors;)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int n = (int)Math.Min(ChunkSectors, layout.Sectors - done);
                    var span = buffer.AsSpan(0, n * BlockSize);
                    long lba = layout.StartLba + done;
                    if (!TryRead(drive, lba, span))
                    {
                        // Isolate the bad blocks of the chunk; the good ones are kept.
                        for (int i = 0; i < n; i++)
                        {
                            var block = span.Slice(i * BlockSize, BlockSize);
                            int attempt = 1;
                            bool ok;
                            while (!(ok = TryRead(drive, lba + i, block)) && attempt < options.Attempts) attempt++;
                            if (ok && attempt > 1) retried++;
                            if (!ok)
                            {
                                badCount++;
                                if (bad.Count > 0 && bad[^1].Last == lba + i - 1) bad[^1] = (bad[^1].First, lba + i);
                                else bad.Add((lba + i, lba + i));
                            }
                        }
                    }
                    if (bad.Count == 0)
                    {
                        file.Write(span);
                        hash.AppendData(span);
                    }
                    done += n;
                    progress?.Invoke(done, layout.Sectors);
                }
                if (bad.Count > 0)
                {
                    var ranges = string.Join(", ", bad.Select(r => r.First == r.Last ? $"{r.First}" : $"{r.First}-{r.Last}"));
                    var stopped = badCount >= options.MaxReportedBadSectors ? $" (reading stopped at the limit of {options.MaxReportedBadSectors})" : "";
                    throw new ImapiException(ImapiError.SourceUnreadable,
                        $"{drive.Location}: {badCount} unreadable block(s) after {options.Attempts} attempt(s) each{stopped}: LBA {ranges}; the master is not copied");
                }
                file.Flush(flushToDisk: true);
                sha = hash.GetHashAndReset();
            }
            File.Move(temp, target, overwrite: false);
            return new DataDiscReadResult(target, layout, sha, retried);
        }
        catch (OperationCanceledException)
        {
            throw new ImapiException(ImapiError.UserAbort, $"{drive.Location}: reading the master was cancelled; nothing was kept");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    // False on a medium error (the block may read on another try); every other failure is thrown as it is.
    private static bool TryRead(MmcDevice drive, long lba, Span<byte> destination)
    {
        try
        {
            drive.Read10(lba, BlockSize, destination);
            return true;
        }
        catch (ScsiCommandException e) when (e.Sense is { Key: SenseKey.MediumError } or { Asc: 0x11 })
        {
            return false;
        }
    }
}
