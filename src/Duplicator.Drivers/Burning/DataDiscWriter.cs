using System.Buffers;
using System.Security.Cryptography;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>
/// Records a 2048-byte-sector image as one data track, the command order libburn's cookbook and MMC-6
/// describe: wait until ready; check the profile and that the medium is blank and big enough; on CD and
/// DVD-R set mode page 05h (track-at-once, Mode 1, test write when simulating); select the speed from
/// those the drive reports (<see cref="WriteSpeed"/>); WRITE(10)
/// from the next writable address; SYNCHRONIZE CACHE; CLOSE the track, then the session (finalizing:
/// 010b on CD/DVD-R without multi-session, 110b on DVD+R and BD-R). Optionally reads the track back and
/// compares SHA-256 with the image. Progress goes to IMAPI's events; cancellation is honoured between
/// writes (the disc is then left unfinished).
/// </summary>
public static class DataDiscWriter
{
    /// <summary>Sectors per WRITE(10): 64 KiB.</summary>
    public const int ChunkSectors = 32;

    private const byte CloseTrack = 1;
    private const byte CloseSession = 2;
    private const byte FinalizeDisc = 6;

    /// <summary>
    /// Burns <paramref name="image"/>; returns the SHA-256 read back when <see cref="RecordOptions.Verify"/> is set at
    /// full level, else null (a quick verification, <see cref="QuickVerify"/>, compares samples and has no hash).
    /// </summary>
    public static byte[]? Burn(MmcDevice drive, ISectorSource image, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        if (image.SectorSize != 2048)
            throw new ImapiException(ImapiError.WrongFormat, $"{drive.Location}: a data disc takes 2048-byte sectors, the image has {image.SectorSize}");
        var profile = MediumCheck.RequireBlank(drive, MmcProfiles.IsWritable, "a data disc needs CD-R/RW, DVD-R, DVD-RW (sequential), DVD+R, DVD+R DL or BD-R", cancellationToken);
        return Record(drive, profile, image, options, leaveAppendable: false, progress, cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="image"/> as one track from the drive's next writable address and closes it and its session:
    /// finalizing the disc, or with <paramref name="leaveAppendable"/> leaving it open for another session (page 05h
    /// Multi-session 11b on CD and DVD-R, CLOSE SESSION 010b without finalizing on DVD+R and BD-R). The medium was checked
    /// by the caller (blank, or appendable for a session).
    /// </summary>
    internal static byte[]? Record(MmcDevice drive, MmcProfile profile, ISectorSource image, RecordOptions options, bool leaveAppendable,
        IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        // DVD-RW in sequential recording is written like DVD-R: page 05h, test write, closing finalizes.
        bool cdOrDashR = MmcProfiles.IsCd(profile) || profile is MmcProfile.DvdMinusR or MmcProfile.DvdMinusRwSequential;
        if (options.Simulate && !cdOrDashR)
            throw new ImapiException(ImapiError.MediumInvalidType, $"{drive.Location}: {MmcProfiles.Name(profile)} has no test-write mode; simulate needs CD-R/RW or DVD-R/RW");
        if (cdOrDashR)
            drive.SetWriteParameters(writeType: 1, testWrite: options.Simulate, trackMode: 4, dataBlockType: 8, multiSession: (byte)(leaveAppendable ? 3 : 0));
        var track = drive.ReadTrackInformation();
        if (!track.NextWritableValid)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the drive reports no next writable address");
        if (image.SectorCount > track.FreeBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"{drive.Location}: the image needs {image.SectorCount} blocks, the {MmcProfiles.Name(profile)} has {track.FreeBlocks} free");
        WriteSpeed.Apply(drive, profile, options.Speed, track.NextWritable + track.FreeBlocks - 1);

        progress.NotifyPreparingBurn(0);
        long start = track.NextWritable;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSectors * 2048);
        // The expected hash comes from the staging when it is known, else from the bytes as they are written:
        // the image is read once either way.
        bool full = options.Verify && options.VerifyLevel != VerificationLevel.Quick;
        using var written = full && !options.Simulate && image is not IContentHashed
            ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        try
        {
            for (long done = 0; done < image.SectorCount;)
            {
                if (cancellationToken.IsCancellationRequested || progress.QueryCancel())
                    throw new ImapiException(ImapiError.UserAbort, $"{drive.Location}: cancelled after {done} of {image.SectorCount} blocks; the disc is unfinished");
                int n = (int)Math.Min(ChunkSectors, image.SectorCount - done);
                var span = buffer.AsSpan(0, n * 2048);
                image.Read(done, span);
                written?.AppendData(span);
                drive.Write10(start + done, 2048, span);
                done += n;
                progress.NotifyBlockProgress(done, image.SectorCount);
            }
            progress.NotifyClosingDisc(0);
            drive.SynchronizeCache();
            // A test write runs the whole sequence, closing included; the drive keeps the medium blank.
            drive.CloseTrackSession(CloseTrack, (ushort)track.Track);
            drive.CloseTrackSession(cdOrDashR || leaveAppendable ? CloseSession : FinalizeDisc); // on CD/DVD-R page 05h's multi-session field decides
            if (options.Simulate)
                return null;
            byte[]? readBack = null;
            if (options.Verify && !full)
                QuickVerify.Check(drive, track.Track, start, image, cancellationToken, progress); // no hash: the caller reports the image's
            if (full)
            {
                readBack = VerificationException.Run(drive.Location, () => ReadBackSha256(drive, start, image.SectorCount, cancellationToken, progress));
                var expected = (image as IContentHashed)?.ContentSha256 ?? written!.GetHashAndReset();
                if (!readBack.AsSpan().SequenceEqual(expected))
                    throw new VerificationException(ImapiError.CannotWriteToMedia,
                        $"{drive.Location}: verification failed: the disc reads back as SHA-256 {Convert.ToHexString(readBack)}, the image is {Convert.ToHexString(expected)}");
            }
            if (options.EjectAfterBurn) drive.Eject();
            return readBack;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>SHA-256 of <paramref name="sectors"/> 2048-byte sectors read from <paramref name="start"/>.</summary>
    public static byte[] ReadBackSha256(MmcDevice drive, long start, long sectors, CancellationToken cancellationToken, IDiscMasterProgressEvents? progress = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSectors * 2048);
        try
        {
            for (long done = 0; done < sectors;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = (int)Math.Min(ChunkSectors, sectors - done);
                var span = buffer.AsSpan(0, n * 2048);
                drive.Read10(start + done, 2048, span);
                hash.AppendData(span);
                done += n;
                progress?.NotifyVerifyProgress(done, sectors);
            }
            return hash.GetHashAndReset();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
