using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Audio;

/// <summary>Metadata of one staged track (CD-TEXT, ISRC, pregap and index points).</summary>
/// <param name="Title">CD-TEXT title.</param>
/// <param name="Performer">CD-TEXT performer.</param>
/// <param name="Isrc">ISRC, 12 characters CCOOOYYNNNNN.</param>
/// <param name="Pregap">
/// Blocks from the track's INDEX 00 to its INDEX 01; null is the staging's 2 s (<see cref="RedbookStaging.GapBlocks"/>).
/// Track 1 has at least 150 (the lead-in's pregap before LBA 0); later tracks may have none. Silence unless
/// <see cref="RedbookStaging.AddPregapBlocks"/> stages audio for its end (a master's pregap as read).
/// </param>
/// <param name="Indexes">INDEX 02, 03, ... as blocks after INDEX 01, increasing, inside the track; null or empty for none.</param>
public sealed record AudioTrackInfo(string? Title = null, string? Performer = null, string? Isrc = null, int? Pregap = null, IReadOnlyList<long>? Indexes = null)
{
    /// <summary>The pregap in blocks (<see cref="Pregap"/> or the default 150).</summary>
    public int PregapBlocks => Pregap ?? RedbookStaging.GapBlocks;
}

/// <summary>
/// IMAPI's IRedbookDiscMaster: audio tracks staged block by block into a stash file on disk (never the
/// disc in memory). <c>CreateAudioTrack</c> / <c>AddAudioTrackBlocks</c> / <c>CloseAudioTrack</c>, at most
/// 99 tracks, whole 2352-byte CD-DA blocks (44.1 kHz, 16-bit, little-endian, interleaved stereo).
/// <para>
/// Accounting: every track is preceded by its pregap, 150 blocks (2 s) unless <see cref="AudioTrackInfo.Pregap"/>
/// says otherwise, track 1's included (on disc its first 150 blocks are the pregap before LBA 0).
/// <see cref="UsedAudioBlocks"/> = sum over tracks of (pregap + the track's blocks), an open track counting its
/// pregap from CreateAudioTrack on; <see cref="TotalAudioBlocks"/> is the medium's
/// capacity (333,000 blocks for 74 minutes, 360,000 for 80); <see cref="AvailableAudioTrackBlocks"/> is
/// what the open track can still take (or a new track could, after its gap). A call that would pass the
/// capacity fails with DiscFull and changes nothing, the stash file included.
/// </para>
/// Tracks shorter than 4 s (300 blocks) are refused at CloseAudioTrack, as Red Book requires, unless
/// <see cref="AllowShortTracks"/> is set. Not thread-safe.
/// </summary>
public sealed class RedbookStaging : IDisposable
{
    /// <summary>Bytes per CD-DA block.</summary>
    public const int BlockSize = MediaCapacity.AudioBlockSize;

    /// <summary>Gap before every track (2 s).</summary>
    public const int GapBlocks = 150;

    /// <summary>Red Book's shortest track (4 s).</summary>
    public const int MinTrackBlocks = 300;

    /// <summary>Red Book's most tracks.</summary>
    public const int MaxTracks = 99;

    /// <summary>Longest pregap staged: 10 minutes (a hidden track before track 1 is rarely longer).</summary>
    public const int MaxPregapBlocks = 10 * 60 * 75;

    /// <summary>Most index points (INDEX 02..99) in a track.</summary>
    public const int MaxIndexes = 98;

    private readonly string _stashPath;
    private FileStream _stash;
    private readonly List<(long First, int PregapStored, long Blocks, AudioTrackInfo Info)> _tracks = [];
    private long _openFirst = -1;
    private int _openPregapStored;
    private long _openBlocks;
    private AudioTrackInfo _openInfo = new();

    /// <summary>Stages for <paramref name="media"/> (CD only) with its stash in <paramref name="stashDirectory"/>.</summary>
    public RedbookStaging(MediaKind media, string stashDirectory)
        : this(MediaCapacity.IsCd(media)
            ? MediaCapacity.Sectors(media)
            : throw new ImapiException(ImapiError.MediumInvalidType, $"Red Book audio needs CD media (cd74, cd80), not {MediaCapacity.Name(media)}"), stashDirectory)
    {
    }

    /// <summary>Stages for a medium of <paramref name="totalBlocks"/> blocks (tests use small ones).</summary>
    internal RedbookStaging(long totalBlocks, string stashDirectory)
    {
        TotalAudioBlocks = totalBlocks;
        Directory.CreateDirectory(stashDirectory);
        _stashPath = Path.Combine(Path.GetFullPath(stashDirectory), $"audio-{Environment.ProcessId}-{Guid.NewGuid():N}.stash");
        try
        {
            _stash = new FileStream(_stashPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImapiException(ImapiError.NotEnoughDiskForStash, $"{stashDirectory}: cannot create the audio stash ({e.Message})", e);
        }
    }

    /// <summary>Bytes per block (GetAudioBlockSize).</summary>
    public int AudioBlockSize => BlockSize;

    /// <summary>Blocks the medium holds (GetTotalAudioBlocks).</summary>
    public long TotalAudioBlocks { get; }

    /// <summary>Blocks used by gaps and audio (GetUsedAudioBlocks).</summary>
    public long UsedAudioBlocks => _tracks.Sum(t => t.Info.PregapBlocks + t.Blocks) + (IsTrackOpen ? _openInfo.PregapBlocks + _openBlocks : 0);

    /// <summary>Blocks the open track can still take, or a new track could take after its gap (GetAvailableAudioTrackBlocks).</summary>
    public long AvailableAudioTrackBlocks => Math.Max(0, TotalAudioBlocks - UsedAudioBlocks - (IsTrackOpen ? 0 : GapBlocks));

    /// <summary>Closed tracks (GetTotalAudioTracks).</summary>
    public int TotalAudioTracks => _tracks.Count;

    /// <summary>True between CreateAudioTrack and CloseAudioTrack.</summary>
    public bool IsTrackOpen => _openFirst >= 0;

    /// <summary>Allow tracks shorter than Red Book's 4 s (for tests and special discs).</summary>
    public bool AllowShortTracks { get; init; }

    /// <summary>CD-TEXT album title.</summary>
    public string? Title { get; set; }

    /// <summary>CD-TEXT album performer.</summary>
    public string? Performer { get; set; }

    /// <summary>Media catalog number (13 digits).</summary>
    public string? Catalog
    {
        get => _catalog;
        set
        {
            if (value != null && (value.Length != 13 || !value.All(char.IsAsciiDigit)))
                throw new ImapiException(ImapiError.InvalidInput, $"catalog number '{value}': must be 13 digits (UPC/EAN)");
            _catalog = value;
        }
    }

    private string? _catalog;

    /// <summary>Opens a new track (CreateAudioTrack); <paramref name="blocksHint"/> is advisory, as in IMAPI.</summary>
    public void CreateAudioTrack(long blocksHint = 0, AudioTrackInfo? info = null)
    {
        if (IsTrackOpen) throw new ImapiException(ImapiError.TrackOpen, $"track {_tracks.Count + 1} is still open: close it first");
        if (_tracks.Count >= MaxTracks) throw new ImapiException(ImapiError.DiscFull, $"a CD holds at most {MaxTracks} tracks");
        info ??= new AudioTrackInfo();
        int number = _tracks.Count + 1;
        int minPregap = number == 1 ? GapBlocks : 0;
        if (info.PregapBlocks < minPregap || info.PregapBlocks > MaxPregapBlocks)
            throw new ImapiException(ImapiError.InvalidInput, $"track {number}: pregap of {info.PregapBlocks} blocks is not {minPregap}..{MaxPregapBlocks}{(number == 1 ? " (track 1 has at least the 2 s before LBA 0)" : "")}");
        if (info.Indexes is { Count: > MaxIndexes } many)
            throw new ImapiException(ImapiError.InvalidInput, $"track {number}: {many.Count} index points, at most {MaxIndexes} (INDEX 02..99)");
        if (info.Indexes is { } indexes && indexes.Where((x, i) => x <= 0 || (i > 0 && x <= indexes[i - 1])).Any())
            throw new ImapiException(ImapiError.InvalidInput, $"track {number}: index points [{string.Join(", ", indexes)}] must be increasing block offsets after INDEX 01");
        if (UsedAudioBlocks + info.PregapBlocks + 1 > TotalAudioBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"no room for another track: {UsedAudioBlocks} of {TotalAudioBlocks} blocks used, a track needs its {info.PregapBlocks}-block pregap and at least one block");
        if (info.Isrc is { } isrc && !IsIsrc(isrc))
            throw new ImapiException(ImapiError.InvalidInput, $"ISRC '{isrc}': must be 12 characters CCOOOYYNNNNN (5 letters or digits, 7 digits)");
        _ = blocksHint;
        _openFirst = _stash.Length / BlockSize;
        _openPregapStored = 0;
        _openBlocks = 0;
        _openInfo = info;
    }

    /// <summary>
    /// Stages audio for the end of the open track's pregap (not in IMAPI's API: a master's pregap as read, which
    /// need not be silence), before any of the track's own blocks. The pregap's blocks not staged this way are
    /// silence; track 1's first 150 (before LBA 0, never readable) always are. All or nothing.
    /// </summary>
    public void AddPregapBlocks(ReadOnlySpan<byte> blocks)
    {
        if (!IsTrackOpen) throw new ImapiException(ImapiError.TrackNotOpen, "no track is open: call CreateAudioTrack first");
        if (_openBlocks > 0) throw new ImapiException(ImapiError.InvalidInput, $"track {_tracks.Count + 1}: pregap audio goes before the track's own blocks");
        if (blocks.Length % BlockSize != 0)
            throw new ImapiException(ImapiError.InvalidInput, $"{blocks.Length} bytes is not a whole number of {BlockSize}-byte blocks");
        int n = blocks.Length / BlockSize;
        int room = _openInfo.PregapBlocks - (_tracks.Count == 0 ? GapBlocks : 0) - _openPregapStored;
        if (n > room)
            throw new ImapiException(ImapiError.InvalidInput, $"track {_tracks.Count + 1}: {n} pregap blocks do not fit the {room} left of its {_openInfo.PregapBlocks}-block pregap{(_tracks.Count == 0 ? " (the first 150 are before LBA 0)" : "")}");
        AppendToStash(blocks);
        _openPregapStored += n;
    }

    /// <summary>
    /// Appends whole blocks of raw CD-DA to the open track (AddAudioTrackBlocks). All or nothing: on
    /// DiscFull, a partial block, cancellation or a stash failure the track is as before.
    /// </summary>
    public void AddAudioTrackBlocks(ReadOnlySpan<byte> blocks, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default)
    {
        if (!IsTrackOpen) throw new ImapiException(ImapiError.TrackNotOpen, "no track is open: call CreateAudioTrack first");
        if (blocks.Length % BlockSize != 0)
            throw new ImapiException(ImapiError.InvalidInput, $"{blocks.Length} bytes is not a whole number of {BlockSize}-byte blocks ({blocks.Length % BlockSize} bytes over)");
        long n = blocks.Length / BlockSize;
        if (UsedAudioBlocks + n > TotalAudioBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"{n} more blocks do not fit: {UsedAudioBlocks} of {TotalAudioBlocks} used, {AvailableAudioTrackBlocks} left");
        if (cancellationToken.IsCancellationRequested || progress?.QueryCancel() == true)
            throw new ImapiException(ImapiError.UserAbort, "AddAudioTrackBlocks was cancelled; nothing was added");
        AppendToStash(blocks);
        _openBlocks += n;
        progress?.NotifyAddProgress(UsedAudioBlocks, TotalAudioBlocks);
    }

    /// <summary>Closes the open track (CloseAudioTrack).</summary>
    public void CloseAudioTrack()
    {
        if (!IsTrackOpen) throw new ImapiException(ImapiError.TrackNotOpen, "no track is open");
        int number = _tracks.Count + 1;
        if (_openBlocks == 0)
            throw new ImapiException(ImapiError.InvalidInput, $"track {number} has no audio blocks");
        if (_openBlocks < MinTrackBlocks && !AllowShortTracks)
            throw new ImapiException(ImapiError.InvalidInput, $"track {number} is {_openBlocks} blocks ({_openBlocks / 75.0:0.##} s); Red Book requires at least {MinTrackBlocks} (4 s)");
        if (_openInfo.Indexes is { Count: > 0 } indexes && indexes[^1] >= _openBlocks)
            throw new ImapiException(ImapiError.InvalidInput, $"track {number}: index point at block {indexes[^1]} after INDEX 01 is past the track's {_openBlocks} blocks");
        _tracks.Add((_openFirst, _openPregapStored, _openBlocks, _openInfo));
        _openFirst = -1;
        _openBlocks = 0;
    }

    /// <summary>Drops the open track and its blocks (not in IMAPI's API: used to undo a failed WAV import).</summary>
    internal void AbortOpenTrack()
    {
        if (!IsTrackOpen) return;
        _stash.SetLength(_openFirst * BlockSize);
        _openFirst = -1;
        _openBlocks = 0;
    }

    /// <summary>Discards every track and the stash's contents (ClearFormatContent).</summary>
    public void Clear()
    {
        _tracks.Clear();
        _openFirst = -1;
        _openBlocks = 0;
        _stash.SetLength(0);
    }

    /// <summary>The staged disc: gaps and tracks as one 2352-byte sector source with its track table.</summary>
    public AudioDisc Build()
    {
        if (IsTrackOpen) throw new ImapiException(ImapiError.TrackOpen, $"track {_tracks.Count + 1} is still open: close it before recording");
        if (_tracks.Count == 0) throw new ImapiException(ImapiError.InvalidImage, "no audio track is staged");
        _stash.Flush();
        return new AudioDisc(_stashPath, _stash.Length, _tracks.ToList(), Title, Performer, Catalog);
    }

    // All or nothing: a failed write is cut off again, so the stash stays what the tracks say.
    private void AppendToStash(ReadOnlySpan<byte> blocks)
    {
        long before = _stash.Length;
        try
        {
            _stash.Position = before;
            _stash.Write(blocks);
        }
        catch (IOException e)
        {
            _stash.SetLength(before);
            throw new ImapiException(ImapiError.NotEnoughDiskForStash, $"{_stashPath}: writing the audio stash failed ({e.Message})", e);
        }
    }

    /// <summary>Deletes the stash.</summary>
    public void Dispose() => _stash.Dispose();

    /// <summary>
    /// Whether <paramref name="s"/> has the form of an ISRC as the Q sub-channel carries it: 12 characters, CCOOO
    /// (digits or upper-case letters) then YYNNNNN (digits). The one rule staging, cue sheets and the emulator use.
    /// </summary>
    public static bool IsIsrc(string s) =>
        s.Length == 12 && s[..5].All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)) && s[5..].All(char.IsAsciiDigit);
}
