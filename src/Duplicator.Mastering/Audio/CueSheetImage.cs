using System.Globalization;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>
/// A BIN/CUE audio disc (as <see cref="BinCueWriter"/> writes it, or any single-BIN CDRWIN sheet of AUDIO
/// tracks) as an <see cref="IDiscImage"/> with the same shape as a staged <see cref="AudioDisc"/>: 150
/// sectors of silence for track 1's pregap, then the BIN, with the silence of any <c>PREGAP</c> command (which
/// CDRWIN defines as not in the file) put before its track. Everything in the BIN before a track's INDEX 01 from
/// its INDEX 00 on is that track's pregap (for track 1, from the start of the BIN); <c>INDEX 02</c>..<c>99</c> are
/// kept as index points. Anything the parser does not understand is an error naming the line, never guessed at.
/// </summary>
public sealed class CueSheetImage : IDiscImage
{
    private const int S = 2352;
    private const long Lead = 150;
    private readonly string _bin;
    private readonly long _binSectors;
    private readonly IReadOnlyList<(long Image, long Sectors, long Bin)> _segments; // Bin -1: silence

    private CueSheetImage(string bin, long binSectors, IReadOnlyList<TrackInfo> tracks, IReadOnlyList<(long, long, long)> segments, string? title, string? performer, string? catalog)
    {
        _bin = bin;
        _binSectors = binSectors;
        _segments = segments;
        Tracks = tracks;
        Title = title;
        Performer = performer;
        Catalog = catalog;
        SectorCount = segments[^1].Item1 + segments[^1].Item2;
    }

    /// <summary>The BIN the sheet names, as a full path (a front end holds it to the same roots as the sheet).</summary>
    public string BinPath => _bin;

    /// <summary>Where image sector ranges come from: (first image sector, sectors, BIN sector or -1 for silence).</summary>
    public IReadOnlyList<(long Image, long Sectors, long Bin)> Segments => _segments;

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

    /// <summary>Largest CUE sheet read: 99 tracks with every command take a few kilobytes.</summary>
    public const int MaxCueBytes = 256 * 1024;

    /// <summary>Parses <paramref name="cuePath"/> and checks its BIN.</summary>
    public static CueSheetImage Open(string cuePath)
    {
        var kind = FileIdentity.Of(cuePath).Kind;
        if (kind == FileKind.Missing) throw new ImapiException(ImapiError.SourceUnreadable, $"{cuePath}: no such CUE sheet");
        if (kind != FileKind.Regular) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: is {FileIdentity.Describe(kind)}, not a CUE sheet file");
        string text;
        try
        {
            // Read at most one byte past the limit, whatever the file claims or grows to meanwhile.
            using var fs = new FileStream(cuePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            var buffer = new byte[(int)Math.Min(MaxCueBytes + 1L, fs.Length + 1)];
            int total = fs.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (total > MaxCueBytes) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: larger than the {MaxCueBytes} bytes a CUE sheet may be");
            text = new System.Text.UTF8Encoding(false).GetString(buffer, 0, total);
            if (text.StartsWith('\uFEFF')) text = text[1..]; // a byte order mark, as File.ReadLines dropped it
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImapiException(ImapiError.SourceUnreadable, $"{cuePath}: cannot be read ({e.Message})", e);
        }
        string? bin = null, title = null, performer = null, catalog = null;
        var tracks = new List<ParsedTrack>();
        int lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var word = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            var cmd = word[0].ToUpperInvariant();
            var rest = word.Length > 1 ? word[1].Trim() : "";
            ImapiException Bad(string why) => new(ImapiError.InvalidInput, $"{cuePath}:{lineNo}: {why}");
            switch (cmd)
            {
                case "REM": break;
                case "CATALOG": catalog = rest; break;
                case "FILE":
                    if (bin != null) throw Bad("more than one FILE is not supported");
                    if (!rest.EndsWith(" BINARY", StringComparison.OrdinalIgnoreCase)) throw Bad("only FILE ... BINARY (little-endian CDRWIN) is supported");
                    bin = Unquote(rest[..^" BINARY".Length].Trim());
                    break;
                case "TRACK":
                    var t = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (bin == null) throw Bad("TRACK before FILE");
                    if (t.Length != 2 || !int.TryParse(t[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n != tracks.Count + 1) throw Bad($"expected TRACK {tracks.Count + 1:00} AUDIO");
                    if (n > 99) throw Bad("more than 99 tracks (the Red Book limit)");
                    if (!t[1].Equals("AUDIO", StringComparison.OrdinalIgnoreCase)) throw Bad($"track mode {t[1]}: only AUDIO tracks are supported here");
                    tracks.Add(new ParsedTrack(n));
                    break;
                case "INDEX":
                    var x = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (tracks.Count == 0) throw Bad("INDEX before TRACK");
                    if (x.Length != 2 || x[0].Length != 2 || !int.TryParse(x[0], NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number > 99 || !TryFrames(x[1], out long at))
                        throw Bad($"bad INDEX '{rest}' (nn mm:ss:ff, nn 00..99)");
                    var cur = tracks[^1];
                    int expected = cur.Index01 is null ? (cur.Index00 is null ? -1 : 1) : 2 + cur.Indexes.Count;
                    if (expected == -1 ? number > 1 : number != expected) throw Bad($"INDEX {number:00} out of order in track {cur.Number} (expected {(expected == -1 ? "00 or 01" : expected.ToString("00", CultureInfo.InvariantCulture))})");
                    long previous = cur.Indexes.Count > 0 ? cur.Indexes[^1] : cur.Index01 ?? cur.Index00 ?? -1;
                    if (at <= previous && !(number == 1 && at == previous)) throw Bad($"INDEX {number:00} at {x[1]} is not after the track's previous index");
                    if (number == 0) cur.Index00 = at;
                    else if (number == 1) cur.Index01 = at;
                    else cur.Indexes.Add(at);
                    break;
                case "PREGAP":
                    if (tracks.Count == 0 || tracks[^1].Index00 is not null || tracks[^1].Index01 is not null) throw Bad("PREGAP goes after TRACK and before its INDEX lines");
                    if (!TryFrames(rest, out long gap) || gap > RedbookStaging.MaxPregapBlocks) throw Bad($"bad PREGAP '{rest}' (mm:ss:ff, at most {RedbookStaging.MaxPregapBlocks} frames)");
                    tracks[^1].Silence = gap;
                    break;
                case "ISRC": if (tracks.Count == 0) throw Bad("ISRC before TRACK"); tracks[^1].Isrc = rest; break;
                case "TITLE": if (tracks.Count == 0) title = Unquote(rest); else tracks[^1].Title = Unquote(rest); break;
                case "PERFORMER": if (tracks.Count == 0) performer = Unquote(rest); else tracks[^1].Performer = Unquote(rest); break;
                case "SONGWRITER" or "FLAGS": break;
                default: throw Bad($"unknown command {word[0]}");
            }
        }
        if (bin == null || tracks.Count == 0) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: no FILE or no TRACK");
        var binPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(cuePath))!, bin);
        if (!File.Exists(binPath)) throw new ImapiException(ImapiError.SourceUnreadable, $"{cuePath}: its BIN {binPath} does not exist");
        if (FileIdentity.Of(binPath).Kind != FileKind.Regular) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: its BIN {binPath} is not a regular file");
        long bytes = new FileInfo(binPath).Length;
        if (bytes == 0 || bytes % S != 0) throw new ImapiException(ImapiError.InvalidImage, $"{binPath}: {bytes} bytes is not a whole number of {S}-byte sectors");
        long sectors = bytes / S;
        var list = new List<TrackInfo>();
        var segments = new List<(long, long, long)> { (0, Lead, -1) };
        long image = Lead;
        for (int i = 0; i < tracks.Count; i++)
        {
            var tr = tracks[i];
            if (tr.Index01 is not { } i01) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number} has no INDEX 01");
            long dataStart = i == 0 ? 0 : tr.Index00 ?? i01;
            if (i > 0 && dataStart < tracks[i - 1].Index01) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number} starts at {dataStart}, before track {tracks[i - 1].Number}'s INDEX 01");
            long end = i + 1 < tracks.Count ? (tracks[i + 1].Index00 ?? tracks[i + 1].Index01 ?? sectors) : sectors;
            if (end <= i01 || end > sectors) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number} ends at {end}, not after its INDEX 01 at {i01} within {sectors} sectors");
            if (tr.Indexes.Count > 0 && tr.Indexes[^1] >= end) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number} has an index point at {tr.Indexes[^1]}, past its end at {end}");
            if (tr.Silence > 0)
            {
                segments.Add((image, tr.Silence, -1));
                image += tr.Silence;
            }
            segments.Add((image, end - dataStart, dataStart));
            long start = image + (i01 - dataStart);
            long pregap = (i == 0 ? Lead : 0) + tr.Silence + (i01 - dataStart);
            if (pregap > RedbookStaging.MaxPregapBlocks) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number}'s pregap is {pregap} sectors, over the {RedbookStaging.MaxPregapBlocks} allowed");
            list.Add(new TrackInfo(tr.Number, TrackKind.Audio, start, end - i01, (int)pregap, tr.Isrc, tr.Title, tr.Performer,
                tr.Indexes.Count > 0 ? [.. tr.Indexes.Select(x => x - i01)] : null));
            image += end - dataStart;
        }
        return new CueSheetImage(binPath, sectors, list, segments, title, performer, catalog);
    }

    private sealed class ParsedTrack(int number)
    {
        public int Number { get; } = number;
        public long? Index00 { get; set; }
        public long? Index01 { get; set; }
        public List<long> Indexes { get; } = [];
        public long Silence { get; set; }
        public string? Isrc { get; set; }
        public string? Title { get; set; }
        public string? Performer { get; set; }
    }

    /// <inheritdoc />
    public void Read(long firstSector, Span<byte> destination)
    {
        SectorIo.CheckRange(this, firstSector, destination.Length);
        var dest = destination;
        Microsoft.Win32.SafeHandles.SafeFileHandle? h = null;
        try
        {
            foreach (var (first, count, binFirst) in _segments)
            {
                if (dest.IsEmpty) break;
                if (firstSector >= first + count) continue;
                int n = (int)Math.Min(first + count - firstSector, dest.Length / S);
                var part = dest[..(n * S)];
                if (binFirst < 0) part.Clear();
                else
                {
                    if (h is null)
                    {
                        h = File.OpenHandle(_bin, FileMode.Open, FileAccess.Read, FileShare.Read);
                        if (RandomAccess.GetLength(h) != _binSectors * S) throw new ImapiException(ImapiError.SourceChanged, $"{_bin}: changed after its CUE sheet was read");
                    }
                    SectorIo.ReadExactly(h, part, (binFirst + firstSector - first) * S, _bin);
                }
                dest = dest[(n * S)..];
                firstSector += n;
            }
        }
        finally
        {
            h?.Dispose();
        }
    }

    private static string Unquote(string s) => s.Length >= 2 && s[0] == '"' && s[^1] == '"' ? s[1..^1] : s;

    private static bool TryFrames(string msf, out long frames)
    {
        frames = 0;
        var p = msf.Split(':');
        if (p.Length != 3 || !int.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out int m)
            || !int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out int s) || !int.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out int f)
            || s > 59 || f > 74) return false;
        frames = (m * 60L + s) * 75 + f;
        return true;
    }
}
