using System.Text.Json;
using Duplicator.Mastering.Media;
using Microsoft.Win32.SafeHandles;

namespace Duplicator.Drivers.Emulation;

/// <summary>One track on an emulated disc (MMC-6 §4.2: a logical track; on CD the TOC track).</summary>
internal sealed class EmulatedTrack
{
    public required int Number { get; init; }
    public required int Session { get; init; }
    public required long Start { get; init; }
    public required bool Audio { get; init; }

    /// <summary>ISRC the cue sheet gave the track (SAO), or null.</summary>
    public string? Isrc { get; init; }

    /// <summary>INDEX 00 (where the track's pregap starts, before <see cref="Start"/>) as the cue sheet gave it; null when it has none.</summary>
    public long? PregapStart { get; init; }

    /// <summary>INDEX 02, 03, ... as LBAs (cue sheet entries), increasing.</summary>
    public IReadOnlyList<long> Indexes { get; init; } = [];

    /// <summary>Created by RESERVE TRACK.</summary>
    public bool Reserved { get; init; }

    /// <summary>Fixed size when reserved (RESERVE TRACK) or planned by a cue sheet; null for an open incremental track.</summary>
    public long? Planned { get; set; }
    public long Recorded { get; set; }
    public bool Closed { get; set; }

    public long End => Start + (Planned ?? Recorded);
    public EmulatedTrack Copy() => (EmulatedTrack)MemberwiseClone();
}

/// <summary>One region of a cue sheet: blocks [Start, End) carry audio (2352) or Mode 1 data (2048).</summary>
internal readonly record struct CueRegion(long Start, long End, bool Audio);

/// <summary>
/// An accepted cue sheet (MMC-6 §6.33, SEND CUE SHEET): program from <see cref="ProgramStart"/> (LBA, the first
/// pregap) to <see cref="LeadOut"/>; with <see cref="LeadInStart"/> set (lead-in data form 41h) the host first
/// writes the lead-in's R-W sub-channel (CD-TEXT packs, 96 bytes a block) from there to <see cref="ProgramStart"/>.
/// </summary>
internal sealed record CueSheet(long ProgramStart, long LeadOut, IReadOnlyList<CueRegion> Regions, string? Catalog = null, long? LeadInStart = null);

/// <summary>
/// The medium in an emulated drive: its tracks and sessions, the NWA rule, and the image file that
/// holds what was burned (sectors at offset LBA × block size; never held in memory; sparse).
/// Preloaded (appendable / closed) media carry one closed session with one data track of
/// <see cref="PreloadedBlocks"/> blocks of zeros that are not in the image file.
/// </summary>
internal sealed class EmulatedDisc : IDisposable
{
    /// <summary>Size of the data track on a medium loaded as appendable or closed.</summary>
    public const long PreloadedBlocks = 1024;

    /// <summary>CD: 2 s pregap the drive leaves before every track after the first of a session (TAO).</summary>
    public const long CdTrackGap = 150;

    /// <summary>CD: first session's lead-out (6750) + next lead-in (4500) + pregap (150) before the second session's first track.</summary>
    public const long CdSessionGap = 11_400;

    /// <summary>CD: a later session's lead-out (2250) + lead-in (4500) + pregap (150).</summary>
    public const long CdLaterSessionGap = 6_900;

    private readonly string _basePath;
    private readonly bool _discard;
    private SafeFileHandle? _file;
    private bool _created;
    private string? _source;
    private bool _copyOnWrite;

    public EmulatedDisc(EmulatedProfile profile, MediumState state, long capacity, int index, string basePath, bool discard = false)
    {
        _discard = discard;
        Profile = profile;
        Capacity = capacity;
        Index = index;
        _basePath = basePath;
        if (profile == EmulatedProfile.DvdPlusRw)
        {
            if (state != MediumState.Blank)
            {
                Format(capacity);
            }

            return;
        }

        if (state != MediumState.Blank)
        {
            Tracks.Add(new EmulatedTrack { Number = 1, Session = 1, Start = 0, Audio = false, Recorded = PreloadedBlocks, Closed = true });
            ClosedSessions = 1;
            Finalized = state == MediumState.Closed;
        }
    }

    public EmulatedProfile Profile { get; }
    public long Capacity { get; }
    public int Index { get; }
    public List<EmulatedTrack> Tracks { get; private set; } = [];
    public int ClosedSessions { get; set; }
    public bool Finalized { get; set; }

    /// <summary>DVD+RW only: formatted, and with how many blocks.</summary>
    public bool Formatted { get; private set; }
    public long FormattedBlocks { get; private set; }

    /// <summary>Bytes per sector in the image file, fixed by the first block stored (2048 or 2352).</summary>
    public int? Stride { get; private set; }

    public CueSheet? Cue { get; set; }

    /// <summary>CD-TEXT packs (18 bytes each) of the lead-in, as burned or loaded; null when the disc has none.</summary>
    public byte[]? CdText { get; set; }

    /// <summary>Packs received in the lead-in of the session being written (one cycle kept, see the writer).</summary>
    public List<byte[]> LeadInPacks { get; } = [];

    /// <summary>The lead-in's first pack came round again: the pack list is whole.</summary>
    public bool LeadInCycleComplete { get; set; }

    /// <summary>A loaded BIN/CUE master's sectors (LBA + 150 is the image sector), instead of a file at LBA × block size.</summary>
    public Duplicator.Mastering.Images.IDiscImage? SourceImage { get; private set; }

    /// <summary>Media catalog number of a session written with a cue sheet that carried one.</summary>
    public string? Catalog { get; set; }
    public long DaoNext { get; set; }

    /// <summary>The file of a disc loaded with <c>load=</c> (read-only), while nothing was written to the disc.</summary>
    public string? SourcePath => _source;

    /// <summary>The image file; null until a block was stored, and always null on a discarding drive (there is no file) or a loaded master.</summary>
    public string? ImagePath => _source is null && Stride is { } s && !_discard ? _basePath + (s == MediaCapacity.AudioBlockSize ? ".bin" : ".iso") : null;
    public string TocPath => _basePath + ".json";

    public bool IsBlank => Tracks.Count == 0 && !Formatted;
    public int CurrentSession => ClosedSessions + 1;
    public EmulatedTrack? OpenTrack => Tracks.Count > 0 && !Tracks[^1].Closed && Cue is null ? Tracks[^1] : null;
    public bool SessionHasTracks => Tracks.Count > 0 && Tracks[^1].Session == CurrentSession;

    /// <summary>Start of the next track the drive would open (the invisible track).</summary>
    public long NextTrackStart
    {
        get
        {
            if (Tracks.Count == 0)
            {
                return 0;
            }

            var last = Tracks[^1];
            var cd = EmulatedProfiles.IsCd(Profile);
            var sessionGap = last.Session == 1 ? CdSessionGap : CdLaterSessionGap;
            var gap = last.Session < CurrentSession ? (cd ? sessionGap : 0) : (cd ? CdTrackGap : 0);
            var block = EmulatedProfiles.Blocking(Profile);
            var start = last.End + gap;
            return (start + block - 1) / block * block;
        }
    }

    /// <summary>The next writable address of the open or invisible track.</summary>
    public long Nwa => OpenTrack is { } t ? t.Start + t.Recorded : NextTrackStart;

    /// <summary>Highest readable address, or -1 when nothing is recorded.</summary>
    public long LastRecorded
    {
        get
        {
            if (Formatted)
            {
                return FormattedBlocks - 1;
            }

            long last = -1;
            foreach (var t in Tracks)
            {
                if (t.Recorded > 0)
                {
                    last = Math.Max(last, t.Start + t.Recorded - 1);
                }
            }

            return last;
        }
    }

    public EmulatedTrack? TrackAt(long lba)
    {
        foreach (var t in Tracks)
        {
            if (lba >= t.Start && lba < t.End)
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>
    /// Makes this (blank) disc the <paramref name="master"/>: its tracks and sessions, its sectors read from the master's
    /// file; finalized, or with <paramref name="appendable"/> open for another session, the master's file copied to
    /// this disc's own file before the first block is written (the loaded file is never written).
    /// </summary>
    public void LoadMaster(EmulatedMaster master, bool appendable = false)
    {
        Tracks = [.. master.Tracks.Select(t => new EmulatedTrack
        {
            Number = t.Number, Session = t.Session, Start = t.Start, Audio = t.Audio, Recorded = t.Length, Closed = true,
            PregapStart = t.PregapStart, Indexes = t.Indexes ?? [], Isrc = t.Isrc,
        })];
        ClosedSessions = master.Sessions;
        Finalized = !appendable;
        _copyOnWrite = appendable;
        Stride = master.BlockSize;
        Catalog = master.Catalog;
        CdText = master.CdText;
        SourceImage = master.Image;
        _source = master.Path;
    }

    public void Format(long blocks)
    {
        Formatted = true;
        FormattedBlocks = blocks;
        Tracks = [new EmulatedTrack { Number = 1, Session = 1, Start = 0, Audio = false, Planned = blocks, Recorded = blocks, Closed = true }];
        ClosedSessions = 1;
        Finalized = true;
    }

    /// <summary>Writes <paramref name="data"/> (whole blocks of <paramref name="blockSize"/>) at <paramref name="lba"/> into the image file; blocks before LBA 0 (a CD pregap) are not stored.</summary>
    public void Store(long lba, ReadOnlySpan<byte> data, int blockSize)
    {
        if (lba < 0)
        {
            var skip = (int)Math.Min(-lba, data.Length / blockSize);
            data = data[(skip * blockSize)..];
            lba += skip;
        }

        if (data.IsEmpty)
        {
            return;
        }

        if (_source is not null && _copyOnWrite && !_discard)
        {
            // An appendable master keeps its sessions: they move into the drive's own file, which the new one extends.
            CloseImage();
            var own = _basePath + ".iso";
            Directory.CreateDirectory(Path.GetDirectoryName(own)!);
            File.Copy(_source, own, overwrite: true);
            _source = null;
            _copyOnWrite = false;
            _created = true;
        }
        else if (_source is not null)
        {
            // A blanked rewritable master records into the drive's own file: the loaded one is never written.
            CloseImage();
            _source = null;
            SourceImage = null;
            Stride = null;
        }

        Stride ??= blockSize;
        if (_discard)
        {
            return;
        }

        _file ??= OpenImage();
        RandomAccess.Write(_file, data, lba * Stride.Value);
    }

    /// <summary>Reads whole blocks at <paramref name="lba"/>; what was never stored reads as zeros.</summary>
    public void Load(long lba, Span<byte> destination, int blockSize)
    {
        destination.Clear();
        if (Stride is not { } stride || stride != blockSize || (_discard && _source is null))
        {
            return;
        }

        if (SourceImage is { } image)
        {
            var n = (int)Math.Clamp(image.SectorCount - (lba + 150), 0, destination.Length / stride);
            if (n > 0)
            {
                image.Read(lba + 150, destination[..(n * stride)]);
            }

            return;
        }

        _file ??= OpenImage();
        var offset = lba * stride;
        var got = 0;
        while (got < destination.Length)
        {
            var n = RandomAccess.Read(_file, destination[got..], offset + got);
            if (n <= 0)
            {
                break;
            }

            got += n;
        }
    }

    /// <summary>Writes the track list (disc-&lt;n&gt;.json) next to the image.</summary>
    public void WriteToc(string driveName)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(TocPath)!);
        using var stream = File.Create(TocPath);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("drive", driveName);
        json.WriteNumber("disc", Index);
        json.WriteString("profile", EmulatedProfiles.Name(Profile));
        json.WriteString("status", Finalized ? "complete" : IsBlank ? "blank" : "appendable");
        json.WriteNumber("sessions", ClosedSessions);
        json.WriteNumber("blockSize", Stride ?? MediaCapacity.DataBlockSize);
        if (ImagePath is { } image)
        {
            json.WriteString("image", Path.GetFileName(image));
        }

        if (Catalog is { } catalog)
        {
            json.WriteString("catalog", catalog);
        }

        if (CdText is { } text)
        {
            json.WriteString("cdText", Convert.ToHexString(text));
        }

        json.WriteStartArray("tracks");
        foreach (var t in Tracks)
        {
            json.WriteStartObject();
            json.WriteNumber("number", t.Number);
            json.WriteNumber("session", t.Session);
            json.WriteNumber("start", t.Start);
            json.WriteNumber("length", t.Recorded);
            json.WriteString("kind", t.Audio ? "audio" : "data");
            if (t.Isrc is { } isrc)
            {
                json.WriteString("isrc", isrc);
            }

            if (t.PregapStart is { } pregap)
            {
                json.WriteNumber("pregapStart", pregap);
            }

            if (t.Indexes.Count > 0)
            {
                json.WriteStartArray("indexes");
                foreach (var x in t.Indexes)
                {
                    json.WriteNumberValue(x);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Closes the image file (finalized, ejected or drive disposed).</summary>
    public void CloseImage()
    {
        _file?.Dispose();
        _file = null;
    }

    public DiscSnapshot Snapshot() => new([.. Tracks.Select(t => t.Copy())], ClosedSessions, Finalized, Cue, DaoNext, CdText);

    public void Restore(DiscSnapshot s)
    {
        Tracks = [.. s.Tracks.Select(t => t.Copy())];
        ClosedSessions = s.ClosedSessions;
        Finalized = s.Finalized;
        Cue = s.Cue;
        DaoNext = s.DaoNext;
        CdText = s.CdText;
        LeadInPacks.Clear();
        LeadInCycleComplete = false;
    }

    public void Dispose() => CloseImage();

    private SafeFileHandle OpenImage()
    {
        if (_source is not null)
        {
            return File.OpenHandle(_source, FileMode.Open, FileAccess.Read, FileShare.Read);
        }

        var path = ImagePath!;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The first open starts a fresh file; later ones (reads after finalize) keep what was burned.
        var mode = _created ? FileMode.OpenOrCreate : FileMode.Create;
        _created = true;
        return File.OpenHandle(path, mode, FileAccess.ReadWrite, FileShare.Read);
    }
}

/// <summary>Disc state saved before a test-write (simulation) burn and restored when it ends.</summary>
internal sealed record DiscSnapshot(List<EmulatedTrack> Tracks, int ClosedSessions, bool Finalized, CueSheet? Cue, long DaoNext, byte[]? CdText);
