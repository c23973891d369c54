using System.Diagnostics;
using System.Text;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Tests.Audio;

/// <summary>
/// CUE sheets from a seeded generator (well-formed lines with hostile numbers, mutated lines, noise):
/// <see cref="CueSheetImage.Open"/> either gives a disc whose tracks lie inside its BIN in order, or
/// refuses with a clear <see cref="ImapiException"/>; never another exception, never unbounded memory.
/// </summary>
public sealed class CueSheetFuzzTests : IDisposable
{
    private const int S = 2352;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-cuefuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static string Msf(Random r) => r.Next(8) switch
    {
        0 => $"{r.Next(0, 100000000)}:{r.Next(0, 200)}:{r.Next(0, 200)}",
        1 => "99999999999:00:00",
        2 => "-1:00:00",
        3 => "00:00",
        _ => $"{r.Next(0, 3):00}:{r.Next(0, 60):00}:{r.Next(0, 75):00}",
    };

    private static string Line(Random r, int track)
    {
        return r.Next(14) switch
        {
            0 => "REM GENRE x",
            1 => $"CATALOG {r.NextInt64(0, 9999999999999):0000000000000}",
            2 => r.Next(4) == 0 ? "FILE \"other.bin\" BINARY" : "FILE \"d.bin\" BINARY",
            3 or 4 => $"TRACK {(r.Next(5) == 0 ? r.Next(-2, 200) : track):00} {(r.Next(8) == 0 ? "MODE1/2352" : "AUDIO")}",
            5 or 6 or 7 => $"INDEX {(r.Next(6) == 0 ? "02" : r.Next(2) == 0 ? "00" : "01")} {Msf(r)}",
            8 => "ISRC USABC1234567",
            9 => $"TITLE \"{new string('t', r.Next(0, 300))}\"",
            10 => "PERFORMER \"p\"",
            11 => "FLAGS DCP",
            12 => "FILE \"d.bin\" WAVE",
            _ => Noise(r),
        };
    }

    private static string Noise(Random r)
    {
        var b = new byte[r.Next(0, 40)];
        r.NextBytes(b);
        return Encoding.Latin1.GetString(b).Replace('\n', ' ');
    }

    private static string Sheet(Random r)
    {
        var sb = new StringBuilder();
        if (r.Next(3) != 0) sb.Append("FILE \"d.bin\" BINARY\n");
        int track = 1;
        int lines = r.Next(0, 40);
        for (int i = 0; i < lines; i++)
        {
            // Mostly a plausible next track with its indexes, sometimes anything.
            if (r.Next(3) == 0)
            {
                sb.Append(Line(r, track)).Append(r.Next(10) == 0 ? "\r\n" : "\n");
                continue;
            }
            sb.Append($"  TRACK {track:00} AUDIO\n");
            if (track > 1 && r.Next(2) == 0) sb.Append($"    INDEX 00 00:{Math.Min(59, track * 2):00}:00\n");
            sb.Append($"    INDEX 01 00:{Math.Min(59, track * 2 + r.Next(0, 2)):00}:{r.Next(0, 75):00}\n");
            track++;
        }
        return sb.ToString();
    }

    [Fact]
    public void Generated_cue_sheets_give_a_consistent_disc_or_a_clear_error()
    {
        var r = new Random(4242);
        var cue = Path.Combine(_dir, "d.cue");
        var bin = Path.Combine(_dir, "d.bin");
        int opened = 0, refused = 0;
        for (int i = 0; i < 2000; i++)
        {
            var text = Sheet(r);
            File.WriteAllText(cue, text);
            // A BIN of 0 to 4000 sectors, sparse, sometimes torn, sometimes missing.
            if (File.Exists(bin)) File.Delete(bin);
            if (r.Next(10) != 0)
            {
                using var fs = new FileStream(bin, FileMode.CreateNew);
                fs.SetLength(r.Next(0, 4000) * (long)S + (r.Next(8) == 0 ? r.Next(1, S) : 0));
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try
            {
                var disc = CueSheetImage.Open(cue);
                long binSectors = new FileInfo(bin).Length / S;
                Assert.Equal(150 + binSectors, disc.SectorCount);
                long previousEnd = 150;
                foreach (var t in disc.Tracks)
                {
                    Assert.True(t.StartSector >= previousEnd && t.Length > 0 && t.StartSector + t.Length <= disc.SectorCount, $"input {i}: track {t.Number} {t.StartSector}+{t.Length} after {previousEnd} of {disc.SectorCount}\n{text}");
                    Assert.True(t.PregapSectors >= 0, $"input {i}: track {t.Number} pregap {t.PregapSectors}\n{text}");
                    previousEnd = t.StartSector + t.Length;
                }
                var sector = new byte[S];
                disc.Read(disc.Tracks[^1].StartSector, sector);
                opened++;
            }
            catch (ImapiException e)
            {
                Assert.True(e.Code is ImapiError.InvalidInput or ImapiError.InvalidImage or ImapiError.SourceUnreadable, $"input {i}: {e.Code}: {e.Message}");
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i}: {e.GetType().Name}: {e.Message}\n{text}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 4L * text.Length + (1 << 20), $"input {i}: {allocated} bytes allocated for a {text.Length}-character sheet");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"input {i}: {watch.Elapsed}");
        }
        Assert.True(opened > 20 && refused > 500, $"the generator must reach both outcomes: {opened} opened, {refused} refused");
    }

    [Fact]
    public void A_cue_sheet_larger_than_the_limit_is_refused_without_reading_it_whole()
    {
        var cue = Path.Combine(_dir, "huge.cue");
        using (var fs = new FileStream(cue, FileMode.CreateNew))
            fs.SetLength(2L << 30); // 2 GiB of one line with no newline: File.ReadLines would allocate all of it
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImapiException>(() => CueSheetImage.Open(cue));
        Assert.Contains($"larger than the {CueSheetImage.MaxCueBytes} bytes", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 * CueSheetImage.MaxCueBytes);
    }

    [Fact]
    public void An_index_00_after_index_01_and_a_hundredth_track_are_refused()
    {
        var cue = Path.Combine(_dir, "d.cue");
        using (var fs = new FileStream(Path.Combine(_dir, "d.bin"), FileMode.CreateNew)) fs.SetLength(1000L * S);
        File.WriteAllText(cue, "FILE \"d.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 00 00:05:00\nINDEX 01 00:04:00\n");
        Assert.Contains("d.cue:6: INDEX 01 at 00:04:00 is not after the track's previous index", Assert.Throws<ImapiException>(() => CueSheetImage.Open(cue)).Message);
        var sb = new StringBuilder("FILE \"d.bin\" BINARY\n");
        for (int t = 1; t <= 100; t++) sb.Append($"TRACK {t:00} AUDIO\nINDEX 01 00:00:{Math.Min(t, 74):00}\n");
        File.WriteAllText(cue, sb.ToString());
        Assert.Contains("more than 99 tracks", Assert.Throws<ImapiException>(() => CueSheetImage.Open(cue)).Message);
    }
}
