using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>
/// A staged audio CD as a read-only, random-access run of 2352-byte sectors: for each track its pregap (2 s of
/// digital silence unless staged otherwise, ending in any pregap audio the staging holds), then its audio.
/// Sector 0 is the first sector of track 1's pregap (LBA -150 on the disc, where disc-at-once writing starts);
/// <see cref="TrackInfo.StartSector"/> is each track's INDEX 01. Audio comes from the staging's stash file, which
/// must stay open (the staging not disposed) while the disc is read.
/// </summary>
public sealed class AudioDisc : IDiscImage
{
    private const int S = RedbookStaging.BlockSize;
    private readonly string _stash;
    private readonly long _stashBytes;
    private readonly long[] _stashFirst;    // stash block of each track's first stored block (pregap audio, then its own)
    private readonly int[] _pregapStored;

    internal AudioDisc(string stashPath, long stashBytes, IReadOnlyList<(long First, int PregapStored, long Blocks, AudioTrackInfo Info)> tracks, string? title, string? performer, string? catalog)
    {
        _stash = stashPath;
        _stashBytes = stashBytes;
        _stashFirst = tracks.Select(t => t.First).ToArray();
        _pregapStored = tracks.Select(t => t.PregapStored).ToArray();
        var list = new List<TrackInfo>(tracks.Count);
        long at = 0;
        for (int i = 0; i < tracks.Count; i++)
        {
            var (_, _, blocks, info) = tracks[i];
            at += info.PregapBlocks;
            list.Add(new TrackInfo(i + 1, TrackKind.Audio, at, blocks, info.PregapBlocks, info.Isrc, info.Title, info.Performer,
                info.Indexes is { Count: > 0 } x ? x : null));
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
            long stored = track.StartSector - _pregapStored[t]; // first sector read from the stash
            if (lba < stored)
            {
                int n = (int)Math.Min(stored - lba, dest.Length / S);
                dest[..(n * S)].Clear();
                dest = dest[(n * S)..];
                lba += n;
                if (dest.Length == 0) break;
            }
            int m = (int)Math.Min(end - lba, dest.Length / S);
            long offset = (_stashFirst[t] + (lba - stored)) * S;
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
