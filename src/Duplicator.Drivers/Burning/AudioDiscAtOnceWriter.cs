using System.Buffers;
using System.Security.Cryptography;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>
/// Records a staged audio CD disc-at-once (session-at-once): the layout is computed first
/// (<see cref="MmcCueSheet.ForAudio"/>, so a bad layout fails before the drive is touched); then mode page 05h
/// with write type SAO, track mode 0 and data block type 0 (raw 2352-byte CD-DA); the speed chosen from those
/// the drive reports; SEND CUE SHEET; WRITE(10) of every block of the image in order from LBA -150 to the
/// lead-out, each pregap as the image holds it (the staging's silence); SYNCHRONIZE CACHE, which has the drive
/// write the lead-out and close the session. With verification the TOC must show the cue sheet's track starts
/// and lead-out, and every track's audio is read back with READ CD and compared (SHA-256) with the image.
/// </summary>
public static class AudioDiscAtOnceWriter
{
    private const int ChunkSectors = 27; // 63,504 bytes per WRITE(10)

    /// <summary>Burns <paramref name="disc"/>; returns the read-back SHA-256 of the tracks' audio when verifying.</summary>
    public static byte[]? Burn(MmcDevice drive, IDiscImage disc, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        var sheet = MmcCueSheet.ForAudio(disc);
        var profile = MediumCheck.RequireBlank(drive, p => p is MmcProfile.CdR or MmcProfile.CdRw, "audio needs a CD-R or CD-RW", cancellationToken);
        drive.SetWriteParameters(writeType: 2, testWrite: options.Simulate, trackMode: 0, dataBlockType: 0);
        var invisible = drive.ReadTrackInformation();
        if (!invisible.NextWritableValid || invisible.NextWritable != 0)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: disc-at-once needs a blank CD whose first track starts at LBA 0, the drive reports {(invisible.NextWritableValid ? invisible.NextWritable.ToString() : "no next writable address")}");
        if (sheet.LeadOut > invisible.FreeBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"{drive.Location}: the session needs {sheet.LeadOut} blocks up to its lead-out, the CD has {invisible.FreeBlocks} free");
        WriteSpeed.Apply(drive, profile, options.Speed, sheet.LeadOut - 1);

        progress.NotifyPreparingBurn(0);
        drive.SendCueSheet(sheet.ToArray());
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSectors * 2352);
        // Expected audio hashed as it is written (or known from the staging): the image is read once.
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool hashWhileWriting = options.Verify && !options.Simulate && disc is not IContentHashed;
        try
        {
            long total = disc.SectorCount, written = 0;
            for (int i = 0; i < sheet.Tracks.Count; i++)
            {
                var track = sheet.Tracks[i];
                // The pregap (INDEX 00) is written as the image holds it but is not part of the track's audio.
                WriteRange(drive, disc, track.PregapStart, track.Start, null, ref written, total, progress, cancellationToken);
                WriteRange(drive, disc, track.Start, track.Start + track.Length, hashWhileWriting ? expected : null, ref written, total, progress, cancellationToken);
                progress.NotifyTrackProgress(i + 1, sheet.Tracks.Count);
            }
            progress.NotifyClosingDisc(0);
            drive.SynchronizeCache(); // the drive writes the lead-out and closes the session
            if (options.Simulate || !options.Verify)
            {
                if (options.EjectAfterBurn) drive.Eject();
                return null;
            }

            VerificationException.Run(drive.Location, () => { CheckToc(drive, sheet); return 0; });
            var want = (disc as IContentHashed)?.ContentSha256 ?? expected.GetHashAndReset();
            var got = VerificationException.Run(drive.Location, () => AudioDiscWriter.VerifyTracks(drive, [.. sheet.Tracks.Select(t => (t.Start, t.Length))], want, buffer, progress, cancellationToken));
            if (options.EjectAfterBurn) drive.Eject();
            return got;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        void WriteRange(MmcDevice d, IDiscImage image, long from, long to, IncrementalHash? hash, ref long done, long all, IDiscMasterProgressEvents events, CancellationToken ct)
        {
            for (long lba = from; lba < to;)
            {
                if (ct.IsCancellationRequested || events.QueryCancel())
                    throw new ImapiException(ImapiError.UserAbort, $"{d.Location}: cancelled at LBA {lba}; the CD is unfinished");
                int n = (int)Math.Min(ChunkSectors, to - lba);
                var span = buffer.AsSpan(0, n * 2352);
                image.Read(lba + MmcCueSheet.LeadingPregap, span);
                hash?.AppendData(span);
                d.Write10(lba, 2352, span);
                lba += n;
                done += n;
                events.NotifyBlockProgress(done, all);
            }
        }
    }

    // The drive's TOC must show the session the cue sheet described: a drive that laid the tracks out
    // differently would read back the right bytes under the wrong track numbers.
    private static void CheckToc(MmcDevice drive, MmcCueSheet sheet)
    {
        var toc = drive.ReadToc();
        var starts = toc.Tracks.Select(t => (t.Track, t.Start)).ToList();
        var want = sheet.Tracks.Select(t => (t.Number, t.Start)).ToList();
        if (!starts.SequenceEqual(want) || toc.LeadOut?.Start != sheet.LeadOut)
            throw new ImapiException(ImapiError.CannotWriteToMedia,
                $"{drive.Location}: the TOC reads tracks at [{string.Join(", ", starts.Select(s => $"{s.Track}:{s.Start}"))}] lead-out {toc.LeadOut?.Start}, the cue sheet said [{string.Join(", ", want.Select(s => $"{s.Number}:{s.Start}"))}] lead-out {sheet.LeadOut}");
    }
}
