using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>
/// A staged audio CD as a read-only, random-access run of 2352-byte sectors: for each track its 150-sector
/// gap of digital silence, then its audio. Sector 0 is the first sector of track 1's gap (LBA -150 on the
/// disc, where disc-at-once writing starts); <see cref="TrackInfo.StartSector"/> is each track's INDEX 01.
/// Audio comes from the staging's stash file, which must stay open (the staging not disposed) while the
/// disc is read.
/// </summary>
public sealed class AudioDisc : IDiscImage
{
    private const int S = RedbookStaging.BlockSize;
    private readonly string _stash;
    private readonly long _stashBytes;
    private readonly long[] _stashFirst;

    internal AudioDisc(string stashPath, long stashBytes, IReadOnlyList<(long First, long Blocks, AudioTrackInfo Info)> tracks, string? title, string? performer, string? catalog)
    {
        _stash = stashPath;
        _stashBytes = stashBytes;
        _stashFirst = tracks.Select(t => t.First).ToArray();
        var list = new List<TrackInfo>(tracks.Count);
        long at = 0;
        for (int i = 0; i < tracks.Count; i++)
        {
            var (_, blocks, info) = tracks[i];
            at += RedbookStaging.GapBlocks;
            list.Add(new TrackInfo(i + 1, TrackKind.Audio, at, blocks, RedbookStaging.GapBlocks, info.Isrc, info.Title, info.Performer));
            at += blocks;
        }
        Tracks = list;
        SectorCount = at;
        Title = title;
        Performer = performer;
        Catalog = catalog;
    }

    /// <inheritdoc />
    public int SectorSize => S;

    /// <inheritdoc />
    public long SectorCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<TrackInfo> Tracks { get; }

    /// <inheritdoc />
    public string? Title { get; }

    /// <inheritdoc />
    public string? Performer { get; }

    /// <inheritdoc />
    public string? Catalog { get; }

    /// <inheritdoc />
    public void Read(long firstSector, Span<byte> destination)
    {
        SectorIo.CheckRange(this, firstSector, destination.Length);
        using var stash = OpenStash();
        long lba = firstSector;
        var dest = destination;
        for (int t = 0; t < Tracks.Count && dest.Length > 0; t++)
        {
            var track = Tracks[t];
            long end = track.StartSector + track.Length;
            if (lba >= end) continue;
            if (lba < track.StartSector)
            {
                int n = (int)Math.Min(track.StartSector - lba, dest.Length / S);
                dest[..(n * S)].Clear();
                dest = dest[(n * S)..];
                lba += n;
                if (dest.Length == 0) break;
            }
            int m = (int)Math.Min(end - lba, dest.Length / S);
            long offset = (_stashFirst[t] + (lba - track.StartSector)) * S;
            SectorIo.ReadExactly(stash, dest[..(m * S)], offset, _stash);
            dest = dest[(m * S)..];
            lba += m;
        }
    }

    private Microsoft.Win32.SafeHandles.SafeFileHandle OpenStash()
    {
        try
        {
            var h = File.OpenHandle(_stash, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (RandomAccess.GetLength(h) < _stashBytes)
            {
                h.Dispose();
                throw new ImapiException(ImapiError.SourceChanged, $"{_stash}: the audio stash was cleared after this disc was built");
            }
            return h;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImapiException(ImapiError.SourceChanged, $"{_stash}: the audio stash is gone (staging disposed?): {e.Message}", e);
        }
    }
}
