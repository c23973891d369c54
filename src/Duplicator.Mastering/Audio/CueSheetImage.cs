using System.Globalization;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>
/// A BIN/CUE audio disc (as <see cref="BinCueWriter"/> writes it, or any single-BIN CDRWIN sheet of AUDIO
/// tracks) as an <see cref="IDiscImage"/> with the same shape as a staged <see cref="AudioDisc"/>: 150
/// sectors of silence for track 1's pregap, then the BIN. Anything the parser does not understand is an
/// error naming the line, never guessed at.
/// </summary>
public sealed class CueSheetImage : IDiscImage
{
    private const int S = 2352;
    private const long Lead = 150;
    private readonly string _bin;
    private readonly long _binSectors;

    private CueSheetImage(string bin, long binSectors, IReadOnlyList<TrackInfo> tracks, string? title, string? performer, string? catalog)
    {
        _bin = bin;
        _binSectors = binSectors;
        Tracks = tracks;
        Title = title;
        Performer = performer;
        Catalog = catalog;
        SectorCount = Lead + binSectors;
    }

    /// <summary>The BIN the sheet names, as a full path (a front end holds it to the same roots as the sheet).</summary>
    public string BinPath => _bin;

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
        var tracks = new List<(int Number, long? Index00, long? Index01, string? Isrc, string? Title, string? Performer)>();
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
                    tracks.Add((n, null, null, null, null, null));
                    break;
                case "INDEX":
                    var x = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (tracks.Count == 0) throw Bad("INDEX before TRACK");
                    if (x.Length != 2 || !TryFrames(x[1], out long at)) throw Bad($"bad INDEX '{rest}' (nn mm:ss:ff)");
                    var cur = tracks[^1];
                    if (x[0] == "00") cur.Index00 = at;
                    else if (x[0] == "01") cur.Index01 = at;
                    else break; // later indexes do not move track boundaries
                    tracks[^1] = cur;
                    break;
                case "ISRC": if (tracks.Count == 0) throw Bad("ISRC before TRACK"); tracks[^1] = tracks[^1] with { Isrc = rest }; break;
                case "TITLE": if (tracks.Count == 0) title = Unquote(rest); else tracks[^1] = tracks[^1] with { Title = Unquote(rest) }; break;
                case "PERFORMER": if (tracks.Count == 0) performer = Unquote(rest); else tracks[^1] = tracks[^1] with { Performer = Unquote(rest) }; break;
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
        for (int i = 0; i < tracks.Count; i++)
        {
            var tr = tracks[i];
            if (tr.Index01 is not { } i01) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number} has no INDEX 01");
            if (tr.Index00 is { } i00 && i00 > i01) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number} has its INDEX 00 at {i00}, after its INDEX 01 at {i01}");
            long end = i + 1 < tracks.Count ? (tracks[i + 1].Index00 ?? tracks[i + 1].Index01 ?? sectors) : sectors;
            if (end <= i01 || end > sectors) throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: track {tr.Number} ends at {end}, not after its INDEX 01 at {i01} within {sectors} sectors");
            int pregap = i == 0 ? (int)Lead : (int)(i01 - (tr.Index00 ?? i01));
            list.Add(new TrackInfo(tr.Number, TrackKind.Audio, Lead + i01, end - i01, pregap, tr.Isrc, tr.Title, tr.Performer));
        }
        return new CueSheetImage(binPath, sectors, list, title, performer, catalog);
    }

    /// <inheritdoc />
    public void Read(long firstSector, Span<byte> destination)
    {
        SectorIo.CheckRange(this, firstSector, destination.Length);
        var dest = destination;
        if (firstSector < Lead)
        {
            int silent = (int)Math.Min(Lead - firstSector, dest.Length / S) * S;
            dest[..silent].Clear();
            dest = dest[silent..];
            firstSector += silent / S;
        }
        if (dest.IsEmpty) return;
        using var h = File.OpenHandle(_bin, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (RandomAccess.GetLength(h) != _binSectors * S) throw new ImapiException(ImapiError.SourceChanged, $"{_bin}: changed after its CUE sheet was read");
        SectorIo.ReadExactly(h, dest, (firstSector - Lead) * S, _bin);
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
