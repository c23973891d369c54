using System.Buffers;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Reading;

/// <summary>One audio track of a master CD: where its program starts (INDEX 01) and how many blocks it holds.</summary>
/// <param name="Track">Track number.</param>
/// <param name="Start">First block (the TOC's start address).</param>
/// <param name="Blocks">2352-byte CD-DA blocks (READ TRACK INFORMATION track size).</param>
public sealed record AudioMasterTrack(int Track, long Start, long Blocks);

/// <summary>
/// Reads an audio CD master's tracks into a <see cref="RedbookStaging"/>, as staging WAVs would: READ TOC
/// (format 0000b) for the tracks and their control bits, READ TRACK INFORMATION for each track's size,
/// READ CD of 2352-byte CD-DA user data in chunks of <see cref="ChunkBlocks"/>. Medium errors are retried
/// block by block as <see cref="DataDiscReader"/> does, and blocks still unreadable fail the read with
/// <see cref="ImapiError.SourceUnreadable"/> naming them; the staging is then cleared (never part-filled,
/// never zero-filled). Not read yet: pregap lengths and index points (the staging uses its 2 s gaps), the
/// Q sub-channel (ISRC, catalog number) and CD-TEXT.
/// </summary>
public static class AudioDiscReader
{
    /// <summary>CD-DA blocks per READ CD (about 55 KiB).</summary>
    public const int ChunkBlocks = 24;

    private const int BlockSize = RedbookStaging.BlockSize;

    /// <summary>The audio tracks of the CD in <paramref name="drive"/> (waits until ready).</summary>
    public static IReadOnlyList<AudioMasterTrack> ReadLayout(MmcDevice drive, CancellationToken cancellationToken = default)
    {
        drive.WaitUntilReady(TimeSpan.FromSeconds(30), cancellationToken);
        var profile = drive.CurrentProfile();
        if (profile == MmcProfile.None)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Location}: no medium to read");
        if (!MmcProfiles.IsCd(profile))
            throw new ImapiException(ImapiError.MediumInvalidType, $"{drive.Location}: an audio master is a CD, the drive holds a {MmcProfiles.Name(profile)}");
        var toc = drive.ReadToc();
        var tracks = new List<AudioMasterTrack>();
        foreach (var t in toc.Tracks)
        {
            if (t.IsData)
                throw new ImapiException(ImapiError.MediumInvalidType, $"{drive.Location}: track {t.Track} is a data track; an audio master holds CD-DA only");
            var info = drive.ReadRecordedTrack(t.Track);
            if (info.Start != t.Start || info.Size is <= 0 or > 450_000)
                throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: track {t.Track}: the TOC says start {t.Start}, READ TRACK INFORMATION start {info.Start} size {info.Size}");
            tracks.Add(new AudioMasterTrack(t.Track, t.Start, info.Size));
        }
        if (tracks.Count is 0 or > RedbookStaging.MaxTracks)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the TOC lists {tracks.Count} tracks, not 1..{RedbookStaging.MaxTracks}");
        return tracks;
    }

    /// <summary>Reads every track into <paramref name="staging"/> (which must hold no tracks); returns the tracks read.</summary>
    public static IReadOnlyList<AudioMasterTrack> ReadInto(MmcDevice drive, RedbookStaging staging, DataDiscReadOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new DataDiscReadOptions();
        if (options.Attempts is < 1 or > 100)
            throw new ImapiException(ImapiError.InvalidInput, $"read attempts {options.Attempts} is not 1..100");
        if (staging.TotalAudioTracks != 0 || staging.IsTrackOpen)
            throw new ImapiException(ImapiError.InvalidInput, $"the audio staging already holds {staging.TotalAudioTracks} track(s); a master is read into an empty one");
        var tracks = ReadLayout(drive, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBlocks * BlockSize);
        var bad = new List<(long First, long Last)>();
        try
        {
            foreach (var t in tracks)
            {
                staging.CreateAudioTrack(t.Blocks);
                for (long done = 0; done < t.Blocks;)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int n = (int)Math.Min(ChunkBlocks, t.Blocks - done);
                    var span = buffer.AsSpan(0, n * BlockSize);
                    long lba = t.Start + done;
                    if (!TryRead(drive, lba, span))
                    {
                        for (int i = 0; i < n; i++)
                        {
                            int attempt = 1;
                            bool ok;
                            while (!(ok = TryRead(drive, lba + i, span.Slice(i * BlockSize, BlockSize))) && attempt < options.Attempts) attempt++;
                            if (ok) continue;
                            if (bad.Count > 0 && bad[^1].Last == lba + i - 1) bad[^1] = (bad[^1].First, lba + i);
                            else bad.Add((lba + i, lba + i));
                        }
                    }
                    if (bad.Count == 0) staging.AddAudioTrackBlocks(span);
                    done += n;
                }
                if (bad.Count == 0) staging.CloseAudioTrack();
                else break; // the track holding the first bad block is where the copy ends
            }
            if (bad.Count > 0)
            {
                var ranges = string.Join(", ", bad.Select(r => r.First == r.Last ? $"{r.First}" : $"{r.First}-{r.Last}"));
                throw new ImapiException(ImapiError.SourceUnreadable,
                    $"{drive.Location}: {bad.Sum(r => r.Last - r.First + 1)} unreadable CD-DA block(s) after {options.Attempts} attempt(s) each: LBA {ranges}; the master is not copied");
            }
            return tracks;
        }
        catch (Exception e)
        {
            staging.Clear();
            if (e is OperationCanceledException)
                throw new ImapiException(ImapiError.UserAbort, $"{drive.Location}: reading the audio master was cancelled; nothing was kept");
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool TryRead(MmcDevice drive, long lba, Span<byte> destination)
    {
        try
        {
            drive.ReadCdAudio(lba, destination);
            return true;
        }
        catch (ScsiCommandException e) when (e.Sense is { Key: SenseKey.MediumError } or { Asc: 0x11 })
        {
            return false;
        }
    }
}
