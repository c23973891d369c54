using System.Globalization;
using System.Text;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>
/// Writes a staged audio disc as BIN/CUE for disc-at-once: one little-endian BIN (the CDRWIN convention)
/// and a CUE sheet with <c>FILE "x.bin" BINARY</c>, <c>TRACK nn AUDIO</c>, <c>INDEX 00</c>/<c>INDEX 01</c>.
/// Where the silence lives: track 1's 2 s pregap is not in the BIN (a recorder writes it before LBA 0,
/// as every CUE reader assumes for track 1); the 2 s gap of every later track is in the BIN between its
/// INDEX 00 and INDEX 01. CATALOG, ISRC and CD-TEXT TITLE/PERFORMER are written when staged (CUE has no
/// escapes: a double quote in a text becomes a single quote). Both files are written under temporary names
/// and renamed only when complete.
/// </summary>
public static class BinCueWriter
{
    /// <summary>
    /// Writes <paramref name="cuePath"/> and the BIN beside it (same name, .bin). Returns the BIN's path.
    /// Existing files are replaced only with <paramref name="replace"/>, and only when they are regular files.
    /// </summary>
    public static string Write(AudioDisc disc, string cuePath, CancellationToken cancellationToken = default, bool replace = true)
    {
        var cue = Path.GetFullPath(cuePath);
        var bin = BinPathFor(cue);
        if (string.Equals(bin, cue, StringComparison.Ordinal))
            throw new ImapiException(ImapiError.InvalidInput, $"{cuePath}: the CUE sheet would be its own BIN (name the CUE sheet .cue)");
        var tag = $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        string binTemp = bin + tag, cueTemp = cue + tag;
        try
        {
            long first = FirstBinSector(disc); // track 1's 2 s before LBA 0 stay out of the BIN
            using (var output = new FileStream(binTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var window = new OffsetSource(disc, first);
                window.CopyTo(output, cancellationToken);
            }
            using (var sheet = new FileStream(cueTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                sheet.Write(new UTF8Encoding(false).GetBytes(Sheet(disc, Path.GetFileName(bin), first)));
            OutputTarget.Commit(binTemp, bin, replace);
            OutputTarget.Commit(cueTemp, cue, replace);
            return bin;
        }
        catch (OperationCanceledException e)
        {
            Delete(binTemp, cueTemp);
            throw new ImapiException(ImapiError.UserAbort, $"{cuePath}: writing was cancelled; nothing was written", e);
        }
        catch
        {
            Delete(binTemp, cueTemp);
            throw;
        }
    }

    /// <summary>The BIN written beside the CUE sheet <paramref name="cuePath"/>: the same name with the extension .bin.</summary>
    public static string BinPathFor(string cuePath) => Path.ChangeExtension(Path.GetFullPath(cuePath), ".bin");

    /// <summary>The CUE sheet text, with <paramref name="firstSector"/> of the disc at BIN offset 0 (<see cref="FirstBinSector"/>).</summary>
    public static string Sheet(AudioDisc disc, string binName, long firstSector)
    {
        var sb = new StringBuilder();
        if (disc.Catalog != null) sb.Append("CATALOG ").Append(disc.Catalog).Append('\n');
        if (disc.Performer != null) sb.Append("PERFORMER ").Append(Quote(disc.Performer)).Append('\n');
        if (disc.Title != null) sb.Append("TITLE ").Append(Quote(disc.Title)).Append('\n');
        sb.Append("FILE ").Append(Quote(binName)).Append(" BINARY\n");
        foreach (var t in disc.Tracks)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  TRACK {t.Number:00} AUDIO\n");
            if (t.Title != null) sb.Append("    TITLE ").Append(Quote(t.Title)).Append('\n');
            if (t.Performer != null) sb.Append("    PERFORMER ").Append(Quote(t.Performer)).Append('\n');
            if (t.Isrc != null) sb.Append("    ISRC ").Append(t.Isrc).Append('\n');
            long index01 = t.StartSector - firstSector;
            long index00 = t.StartSector - t.PregapSectors + (t.Number == 1 ? 150 : 0) - firstSector;
            if (index00 < index01) sb.Append("    INDEX 00 ").Append(Msf(Math.Max(0, index00))).Append('\n');
            sb.Append("    INDEX 01 ").Append(Msf(index01)).Append('\n');
            foreach (var (x, k) in (t.Indexes ?? []).Select((x, k) => (x, k)))
                sb.Append(CultureInfo.InvariantCulture, $"    INDEX {k + 2:00} ").Append(Msf(index01 + x)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The disc's first sector in the BIN: track 1's INDEX 01, less any of its pregap past the 2 s before LBA 0
    /// (a master's hidden pregap audio is kept; the 2 s every CUE reader assumes before track 1 are not written).
    /// </summary>
    public static long FirstBinSector(IDiscImage disc) => disc.Tracks[0].StartSector - Math.Max(0, disc.Tracks[0].PregapSectors - 150);

    /// <summary>mm:ss:ff with 75 frames a second.</summary>
    public static string Msf(long frames) =>
        string.Create(CultureInfo.InvariantCulture, $"{frames / 4500:00}:{frames / 75 % 60:00}:{frames % 75:00}");

    private static string Quote(string s) => "\"" + s.Replace('"', '\'').Replace('\n', ' ').Replace('\r', ' ') + "\"";

    private static void Delete(params string[] paths)
    {
        foreach (var p in paths)
        {
            try { File.Delete(p); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The disc from <c>first</c> on, as a sector source.</summary>
    private sealed class OffsetSource(ISectorSource inner, long first) : ISectorSource
    {
        public int SectorSize => inner.SectorSize;
        public long SectorCount => inner.SectorCount - first;
        public void Read(long firstSector, Span<byte> destination) => inner.Read(first + firstSector, destination);
    }
}
