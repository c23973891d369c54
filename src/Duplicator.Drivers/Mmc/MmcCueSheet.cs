using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Mmc;

/// <summary>One track of a disc-at-once audio session, in disc LBAs (LBA 0 is 00:02:00).</summary>
/// <param name="Number">Track number, 1-99.</param>
/// <param name="PregapStart">INDEX 00: where the track's pregap starts; equal to <paramref name="Start"/> when it has none.</param>
/// <param name="Start">INDEX 01: where the track's audio starts (the TOC's track start).</param>
/// <param name="Length">Audio blocks from INDEX 01 to the next track's INDEX 00 (or the lead-out).</param>
/// <param name="Isrc">ISRC (12 characters CCOOOYYNNNNN), or null.</param>
public sealed record CueSheetTrack(int Number, long PregapStart, long Start, long Length, string? Isrc);

/// <summary>
/// The MMC cue sheet of a Red Book audio session written disc-at-once (MMC-6 6.35, SEND CUE SHEET; the entry
/// layout of MMC-3 table 5.13): 8-byte entries CTL/ADR, TNO, INDEX, DATA FORM, SCMS, MIN, SEC, FRAME, every
/// field binary. Order: the media catalog number (two ADR 2 entries), the lead-in (TNO 0), then per track its
/// ISRC (two ADR 3 entries), INDEX 00 when it has a pregap and INDEX 01, and last the lead-out (TNO AAh).
/// The layout is computed from an image whose sector 0 is LBA -150 (<see cref="Duplicator.Mastering.Audio.AudioDisc"/>,
/// <see cref="Duplicator.Mastering.Audio.CueSheetImage"/>) before anything is sent to a drive.
/// </summary>
public sealed class MmcCueSheet
{
    /// <summary>Bytes per cue sheet entry.</summary>
    public const int EntrySize = 8;

    /// <summary>Image sectors before LBA 0: track 1's 2 s pregap, written from LBA -150.</summary>
    public const int LeadingPregap = 150;

    /// <summary>Shortest track MMC and Red Book allow, INDEX 01 to the next INDEX 01 (4 s).</summary>
    public const int MinimumTrackBlocks = 300;

    // Entry offsets (MMC-3 table 5.13).
    private const int CtlAdrOffset = 0, TnoOffset = 1, IndexOffset = 2, DataFormOffset = 3, MinOffset = 5, SecOffset = 6, FrameOffset = 7;
    private const byte AdrPosition = 0x01, AdrCatalog = 0x02, AdrIsrc = 0x03;
    private const byte LeadOutTrack = 0xAA;
    private const byte FormAudioFromHost = 0x00;  // CD-DA, 2352 bytes per block sent by the host
    private const byte FormAudioGenerated = 0x01; // CD-DA the drive generates (lead-in, lead-out)

    private MmcCueSheet(IReadOnlyList<CueSheetTrack> tracks, long leadOut, string? catalog)
    {
        Tracks = tracks;
        LeadOut = leadOut;
        Catalog = catalog;
        EntryCount = (catalog is null ? 0 : 2) + 1 + tracks.Sum(t => (t.Isrc is null ? 0 : 2) + (t.PregapStart < t.Start ? 2 : 1)) + 1;
    }

    /// <summary>The tracks in order.</summary>
    public IReadOnlyList<CueSheetTrack> Tracks { get; }

    /// <summary>LBA of the lead-out: one past the last block the host writes.</summary>
    public long LeadOut { get; }

    /// <summary>Media catalog number (13 digits), or null.</summary>
    public string? Catalog { get; }

    /// <summary>First LBA written: track 1's INDEX 00.</summary>
    public long ProgramStart => Tracks[0].PregapStart;

    /// <summary>Number of 8-byte entries.</summary>
    public int EntryCount { get; }

    /// <summary>Bytes of the cue sheet (SEND CUE SHEET's parameter list length).</summary>
    public int Size => EntryCount * EntrySize;

    /// <summary>
    /// The layout of <paramref name="disc"/>: 2352-byte audio tracks, contiguous (each track's pregap runs from the
    /// previous track's end to its INDEX 01), at least <see cref="MinimumTrackBlocks"/> blocks each, ending at the
    /// image's last sector. Anything else is an <see cref="ImapiException"/> naming the track.
    /// </summary>
    public static MmcCueSheet ForAudio(IDiscImage disc)
    {
        ArgumentNullException.ThrowIfNull(disc);
        if (disc.SectorSize != 2352 || disc.Tracks.Count == 0 || disc.Tracks.Any(t => t.Kind != TrackKind.Audio))
            throw new ImapiException(ImapiError.WrongFormat, "disc-at-once audio takes an image of 2352-byte audio tracks only");
        if (disc.Tracks.Count > 99)
            throw new ImapiException(ImapiError.InvalidImage, $"{disc.Tracks.Count} tracks: a CD holds at most 99");
        if (disc.Catalog is { } mcn && (mcn.Length != 13 || !mcn.All(char.IsAsciiDigit)))
            throw new ImapiException(ImapiError.InvalidInput, $"catalog number '{mcn}': must be 13 digits");
        var tracks = new List<CueSheetTrack>(disc.Tracks.Count);
        long previousEnd = 0;
        foreach (var t in disc.Tracks)
        {
            if (t.StartSector < previousEnd || t.Length <= 0)
                throw new ImapiException(ImapiError.InvalidImage, $"track {t.Number} starts at image sector {t.StartSector} with {t.Length} blocks, overlapping the previous track (ends at {previousEnd})");
            if (t.Isrc is { } isrc && !IsIsrc(isrc))
                throw new ImapiException(ImapiError.InvalidInput, $"track {t.Number}: ISRC '{isrc}' must be 12 characters CCOOOYYNNNNN (5 letters or digits, 7 digits)");
            tracks.Add(new CueSheetTrack(t.Number, previousEnd - LeadingPregap, t.StartSector - LeadingPregap, t.Length, t.Isrc));
            previousEnd = t.StartSector + t.Length;
        }
        if (tracks[0].Start < 0)
            throw new ImapiException(ImapiError.InvalidImage, $"track 1 starts at image sector {disc.Tracks[0].StartSector}; the first {LeadingPregap} sectors are its pregap");
        if (previousEnd != disc.SectorCount)
            throw new ImapiException(ImapiError.InvalidImage, $"the last track ends at image sector {previousEnd}, the image has {disc.SectorCount}");
        long leadOut = previousEnd - LeadingPregap;
        for (int i = 0; i < tracks.Count; i++)
        {
            long next = i + 1 < tracks.Count ? tracks[i + 1].Start : leadOut;
            if (next - tracks[i].Start < MinimumTrackBlocks)
                throw new ImapiException(ImapiError.InvalidImage, $"track {tracks[i].Number} is {next - tracks[i].Start} blocks to the next track; disc-at-once needs at least {MinimumTrackBlocks} (4 s)");
        }
        return new MmcCueSheet(tracks, leadOut, disc.Catalog);
    }

    /// <summary>Writes the entries into <paramref name="destination"/> (at least <see cref="Size"/> bytes); returns <see cref="Size"/>.</summary>
    public int WriteTo(Span<byte> destination)
    {
        var d = destination[..Size];
        d.Clear();
        int n = 0;
        if (Catalog is { } mcn)
        {
            // N1-N7, then N8-N13 and a zero byte, ASCII.
            Text(d, n++, AdrCatalog, mcn.AsSpan(0, 7));
            Text(d, n++, AdrCatalog, mcn.AsSpan(7, 6));
        }
        Position(d, n++, 0, 0, FormAudioGenerated, -LeadingPregap); // the lead-in entry carries 00:00:00
        foreach (var t in Tracks)
        {
            if (t.Isrc is { } isrc)
            {
                // TNO, then I1-I6 and I7-I12, ASCII.
                Isrc(d, n++, (byte)t.Number, isrc.AsSpan(0, 6));
                Isrc(d, n++, (byte)t.Number, isrc.AsSpan(6, 6));
            }
            if (t.PregapStart < t.Start) Position(d, n++, (byte)t.Number, 0, FormAudioFromHost, t.PregapStart);
            Position(d, n++, (byte)t.Number, 1, FormAudioFromHost, t.Start);
        }
        Position(d, n++, LeadOutTrack, 1, FormAudioGenerated, LeadOut);
        return Size;
    }

    /// <summary>The cue sheet as a new array.</summary>
    public byte[] ToArray()
    {
        var a = new byte[Size];
        WriteTo(a);
        return a;
    }

    private static void Position(Span<byte> d, int entry, byte tno, byte index, byte form, long lba)
    {
        var e = d.Slice(entry * EntrySize, EntrySize);
        e[CtlAdrOffset] = AdrPosition; // CTL 0: two-channel audio, no pre-emphasis, copy prohibited
        e[TnoOffset] = tno;
        e[IndexOffset] = index;
        e[DataFormOffset] = form;
        long frames = lba + LeadingPregap; // absolute time: LBA 0 is 00:02:00
        e[MinOffset] = (byte)(frames / (60 * 75));
        e[SecOffset] = (byte)(frames / 75 % 60);
        e[FrameOffset] = (byte)(frames % 75);
    }

    private static void Text(Span<byte> d, int entry, byte adr, ReadOnlySpan<char> text)
    {
        var e = d.Slice(entry * EntrySize, EntrySize);
        e[CtlAdrOffset] = adr;
        for (int i = 0; i < text.Length; i++) e[1 + i] = (byte)text[i];
    }

    private static void Isrc(Span<byte> d, int entry, byte tno, ReadOnlySpan<char> text)
    {
        var e = d.Slice(entry * EntrySize, EntrySize);
        e[CtlAdrOffset] = AdrIsrc;
        e[TnoOffset] = tno;
        for (int i = 0; i < text.Length; i++) e[2 + i] = (byte)text[i];
    }

    private static bool IsIsrc(string s) =>
        s.Length == 12 && s[..5].All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterUpper(c)) && s[5..].All(char.IsAsciiDigit);
}
