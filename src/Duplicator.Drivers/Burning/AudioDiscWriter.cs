using System.Buffers;
using System.Security.Cryptography;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>
/// Records a staged audio CD track-at-once, IMAPI v1's way: mode page 05h with write type TAO, track mode
/// 0 (2-channel audio) and data block type 0 (raw 2352-byte CD-DA); the speed chosen from those the drive
/// reports (<see cref="WriteSpeed"/>, SET CD SPEED); for each track, WRITE(10) from the next
/// writable address READ TRACK INFORMATION reports (the drive puts the 2 s gap before every track itself),
/// then SYNCHRONIZE CACHE, which ends a TAO track; finally CLOSE SESSION, which finalizes the CD. With
/// verification the audio of every track is read back with READ CD and compared (SHA-256) with the image; at the quick
/// level (<see cref="VerificationLevel.Quick"/>) only the TOC, each track's information and a sample of blocks per
/// track (<see cref="QuickVerify.CheckAudio"/>). Disc-at-once (cue sheet, pregaps as staged) is <see cref="AudioDiscAtOnceWriter"/>.
/// </summary>
public static class AudioDiscWriter
{
    private const int ChunkSectors = 27; // 63,504 bytes per WRITE(10)

    /// <summary>Burns <paramref name="disc"/>; returns the read-back SHA-256 of the tracks' audio when verifying in full (null at the quick level).</summary>
    public static byte[]? Burn(MmcDevice drive, IDiscImage disc, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        if (disc.SectorSize != 2352 || disc.Tracks.Any(t => t.Kind != TrackKind.Audio))
            throw new ImapiException(ImapiError.WrongFormat, $"{drive.Location}: an audio CD takes 2352-byte audio tracks only");
        var profile = MediumCheck.RequireBlank(drive, p => p is MmcProfile.CdR or MmcProfile.CdRw, "audio needs a CD-R or CD-RW", cancellationToken);
        drive.SetWriteParameters(writeType: 1, testWrite: options.Simulate, trackMode: 0, dataBlockType: 0);
        var first = drive.ReadTrackInformation();
        long needed = disc.Tracks.Sum(t => t.Length) + 150L * (disc.Tracks.Count - 1);
        if (needed > first.FreeBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"{drive.Location}: the tracks and gaps need {needed} blocks, the CD has {first.FreeBlocks} free");
        WriteSpeed.Apply(drive, profile, options.Speed, first.NextWritable + first.FreeBlocks - 1);

        progress.NotifyPreparingBurn(0);
        long total = disc.Tracks.Sum(t => t.Length), written = 0;
        var starts = new List<long>();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSectors * 2352);
        // Expected audio hashed as it is written (or known from the staging): the image is read once.
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool quick = options.VerifyLevel == VerificationLevel.Quick;
        bool hashWhileWriting = options.Verify && !quick && !options.Simulate && disc is not IContentHashed;
        try
        {
            for (int i = 0; i < disc.Tracks.Count; i++)
            {
                var track = disc.Tracks[i];
                var info = drive.ReadTrackInformation();
                if (!info.NextWritableValid)
                    throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: no next writable address for track {track.Number}");
                starts.Add(info.NextWritable);
                for (long done = 0; done < track.Length;)
                {
                    if (cancellationToken.IsCancellationRequested || progress.QueryCancel())
                        throw new ImapiException(ImapiError.UserAbort, $"{drive.Location}: cancelled in track {track.Number}; the CD is unfinished");
                    int n = (int)Math.Min(ChunkSectors, track.Length - done);
                    var span = buffer.AsSpan(0, n * 2352);
                    disc.Read(track.StartSector + done, span);
                    if (hashWhileWriting) expected.AppendData(span);
                    drive.Write10(info.NextWritable + done, 2352, span);
                    done += n;
                    written += n;
                    progress.NotifyBlockProgress(written, total);
                }
                drive.SynchronizeCache(); // ends the TAO track
                progress.NotifyTrackProgress(i + 1, disc.Tracks.Count);
            }
            progress.NotifyClosingDisc(0);
            drive.CloseTrackSession(2);
            if (options.Simulate || !options.Verify)
            {
                if (options.EjectAfterBurn) drive.Eject();
                return null;
            }
            if (quick)
            {
                QuickVerify.CheckAudio(drive, [.. disc.Tracks.Select((t, i) => (t.Number, starts[i], t.StartSector, t.Length))], disc, cancellationToken, progress);
                if (options.EjectAfterBurn) drive.Eject();
                return null; // no hash: the caller reports the image's
            }
            var want = (disc as IContentHashed)?.ContentSha256 ?? expected.GetHashAndReset();
            var got = VerificationException.Run(drive.Location, () => VerifyTracks(drive, [.. disc.Tracks.Select((t, i) => (starts[i], t.Length))], want, buffer, progress, cancellationToken));
            if (options.EjectAfterBurn) drive.Eject();
            return got;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads every track (start on the disc, length) back with READ CD and compares the SHA-256 of their audio with
    /// <paramref name="want"/>, <see cref="ChunkSectors"/> blocks at a time through <paramref name="buffer"/>; returns what they read as, or throws CannotWriteToMedia. Shared by track-at-once and
    /// disc-at-once, which differ only in where the tracks start.
    /// </summary>
    internal static byte[] VerifyTracks(MmcDevice drive, IReadOnlyList<(long Start, long Length)> tracks, byte[] want, byte[] buffer,
        IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        long verified = 0, total = tracks.Sum(t => t.Length);
        using var actual = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (start, length) in tracks)
        {
            for (long done = 0; done < length;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = (int)Math.Min(ChunkSectors, length - done);
                var span = buffer.AsSpan(0, n * 2352);
                drive.ReadCdAudio(start + done, span);
                actual.AppendData(span);
                done += n;
                verified += n;
                progress.NotifyVerifyProgress(verified, total);
            }
        }
        var got = actual.GetHashAndReset();
        if (!got.AsSpan().SequenceEqual(want))
            throw new ImapiException(ImapiError.CannotWriteToMedia, $"{drive.Location}: verification failed: the tracks read back as SHA-256 {Convert.ToHexString(got)}, the image's are {Convert.ToHexString(want)}");
        return got;
    }
}

