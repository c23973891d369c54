using System.Buffers;
using System.Security.Cryptography;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>
/// Records a staged audio CD disc-at-once (session-at-once): the layout is computed first
/// (<see cref="MmcCueSheet.ForAudio"/>, so a bad layout fails before the drive is touched; likewise the CD-TEXT
/// packs of the disc's and tracks' titles and performers, <see cref="CdTextOf"/>); then mode page 05h
/// with write type SAO, track mode 0 and data block type 0 (raw 2352-byte CD-DA); the speed chosen from those
/// the drive reports; SEND CUE SHEET; with CD-TEXT, the lead-in the way libburn and cdrdao write it: from the
/// ATIP's lead-in start (READ TOC format 0100b) to LBA -150, WRITE(10) of 96-byte blocks of R-W sub-channel, four
/// packs of 24 six-bit symbols a block, the pack list repeated in cycles; WRITE(10) of every block of the image in
/// order from LBA -150 to the lead-out, each pregap as the image holds it; SYNCHRONIZE CACHE, which has the drive
/// write the lead-out and close the session. With verification the TOC must show the cue sheet's track starts and
/// lead-out, the catalog number, each ISRC (READ SUB-CHANNEL) and the CD-TEXT (READ TOC format 0101b) must read
/// back as burned, and every track's audio is read back with READ CD and compared (SHA-256) with the image; at the quick
/// level only a sample of blocks per track (<see cref="QuickVerify.CheckAudio"/>), after the same TOC, code and text checks.
/// </summary>
public static class AudioDiscAtOnceWriter
{
    private const int ChunkSectors = 27; // 63,504 bytes per WRITE(10)

    /// <summary>Burns <paramref name="disc"/>; returns the read-back SHA-256 of the tracks' audio when verifying in full (null at the quick level).</summary>
    public static byte[]? Burn(MmcDevice drive, IDiscImage disc, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        var text = CdTextOf(disc);
        var packs = text is null ? null : CdTextPacks.Encode(text);
        var sheet = MmcCueSheet.ForAudio(disc, cdTextInLeadIn: packs is not null);
        var profile = MediumCheck.RequireBlank(drive, p => p is MmcProfile.CdR or MmcProfile.CdRw, "audio needs a CD-R or CD-RW", cancellationToken);
        drive.SetWriteParameters(writeType: 2, testWrite: options.Simulate, trackMode: 0, dataBlockType: 0);
        var invisible = drive.ReadTrackInformation();
        if (!invisible.NextWritableValid || invisible.NextWritable != 0)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: disc-at-once needs a blank CD whose first track starts at LBA 0, the drive reports {(invisible.NextWritableValid ? invisible.NextWritable.ToString() : "no next writable address")}");
        if (sheet.LeadOut > invisible.FreeBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"{drive.Location}: the session needs {sheet.LeadOut} blocks up to its lead-out, the CD has {invisible.FreeBlocks} free");
        WriteSpeed.Apply(drive, profile, options.Speed, sheet.LeadOut - 1);

        progress.NotifyPreparingBurn(0);
        long leadInStart = packs is null ? 0 : drive.ReadAtip().LeadInStart;
        if (packs is not null && leadInStart is < -MaxLeadInBlocks - 150 or >= -150)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the ATIP's lead-in starts at LBA {leadInStart}, not within the {MaxLeadInBlocks} blocks before -150 where CD-TEXT is written");
        drive.SendCueSheet(sheet.ToArray());
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSectors * 2352);
        // Expected audio hashed as it is written (or known from the staging): the image is read once.
        using var expected = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool quick = options.VerifyLevel == VerificationLevel.Quick;
        bool hashWhileWriting = options.Verify && !quick && !options.Simulate && disc is not IContentHashed;
        try
        {
            long total = disc.SectorCount, written = 0;
            if (packs is not null) WriteLeadIn(drive, packs, leadInStart, buffer, progress, cancellationToken);
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

            VerificationException.Run(drive.Location, () => { CheckToc(drive, sheet); CheckCodesAndText(drive, sheet, text); return 0; });
            if (quick)
            {
                QuickVerify.CheckAudio(drive, [.. sheet.Tracks.Select(t => (t.Number, t.Start, t.Start + MmcCueSheet.LeadingPregap, t.Length))], disc, cancellationToken, progress);
                if (options.EjectAfterBurn) drive.Eject();
                return null; // no hash: the caller reports the image's
            }
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

    /// <summary>Most lead-in blocks written (the longest lead-in of a CD-R, about 3 minutes).</summary>
    public const int MaxLeadInBlocks = 3 * 60 * 75;

    /// <summary>CD-TEXT packs per 96-byte lead-in block.</summary>
    private const int PacksPerLeadInBlock = 4;

    private const int LeadInBlockBytes = 96;

    /// <summary>
    /// The CD-TEXT a disc-at-once burn writes for <paramref name="disc"/>: its album and tracks' titles and performers
    /// (block 0, ISO-8859-1, English), or null when none has any.
    /// </summary>
    public static CdText? CdTextOf(IDiscImage disc)
    {
        static string? Text(string? s) => string.IsNullOrEmpty(s) ? null : s; // an empty text is no text (it reads back as none)
        var text = new CdText(Text(disc.Title), Text(disc.Performer), null, [.. disc.Tracks.Select(t => new CdTextTrack(Text(t.Title), Text(t.Performer)))], disc.Tracks.Count > 0 ? disc.Tracks[0].Number : 1);
        return text.IsEmpty ? null : text;
    }

    // The whole lead-in from its start to -150 carries the packs, cycled, four a block (libburn's cookbook, cdrdao's
    // CD-TEXT lead-in writer): a drive records whatever sub-channel it is sent, so none of the lead-in is left out.
    private static void WriteLeadIn(MmcDevice drive, byte[] packs, long leadInStart, byte[] buffer, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        int count = packs.Length / CdTextPacks.PackSize, next = 0;
        int blocksPerWrite = buffer.Length / LeadInBlockBytes;
        for (long lba = leadInStart; lba < -MmcCueSheet.LeadingPregap;)
        {
            if (cancellationToken.IsCancellationRequested || progress.QueryCancel())
                throw new ImapiException(ImapiError.UserAbort, $"{drive.Location}: cancelled in the lead-in at LBA {lba}; the CD is unfinished");
            int n = (int)Math.Min(blocksPerWrite, -MmcCueSheet.LeadingPregap - lba);
            var span = buffer.AsSpan(0, n * LeadInBlockBytes);
            for (int k = 0; k < n * PacksPerLeadInBlock; k++)
            {
                CdTextPacks.ToSixBit(packs.AsSpan(next * CdTextPacks.PackSize, CdTextPacks.PackSize), span.Slice(k * 24, 24));
                next = (next + 1) % count;
            }
            drive.Write10(lba, LeadInBlockBytes, span);
            lba += n;
        }
    }

    // A copy keeps its master's codes and text: what the drive reads back must be what the burn sent.
    private static void CheckCodesAndText(MmcDevice drive, MmcCueSheet sheet, CdText? text)
    {
        if (drive.ReadCatalogNumber() is var mcn && mcn != sheet.Catalog)
            throw new ImapiException(ImapiError.CannotWriteToMedia, $"{drive.Location}: the catalog number reads back as '{mcn}', the cue sheet said '{sheet.Catalog}'");
        foreach (var t in sheet.Tracks)
        {
            if (drive.ReadIsrc(t.Number) is var isrc && isrc != t.Isrc)
                throw new ImapiException(ImapiError.CannotWriteToMedia, $"{drive.Location}: track {t.Number}'s ISRC reads back as '{isrc}', the cue sheet said '{t.Isrc}'");
        }
        CdText? back;
        try
        {
            back = CdTextPacks.Decode(drive.ReadCdTextPacks());
        }
        catch (InvalidDataException e)
        {
            throw new ImapiException(ImapiError.CannotWriteToMedia, $"{drive.Location}: the CD-TEXT reads back broken: {e.Message}");
        }
        if (text is null ? back is not null : !text.SameAs(back))
            throw new ImapiException(ImapiError.CannotWriteToMedia, $"{drive.Location}: the CD-TEXT reads back as {back?.ToString() ?? "none"}, the burn wrote {text?.ToString() ?? "none"}");
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
