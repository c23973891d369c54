using System.Text.RegularExpressions;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>
/// DVD-Video: a title set authored in the test (ffmpeg: 6 s of PAL MPEG-2, dvdauthor: one title of two
/// 3-second chapters), mastered as dvd-video, read from the image by libdvdread (lsdvd, dvdbackup: its own
/// UDF reader) and isoinfo (file extents).
/// </summary>
public sealed class DvdVideoTests : IDisposable
{
    private readonly TempTree _src = new();
    private readonly string _out = Directory.CreateTempSubdirectory("dup-dvd-").FullName;

    public void Dispose()
    {
        _src.Dispose();
        Directory.Delete(_out, recursive: true);
    }

    /// <summary>Authors VIDEO_TS (and AUDIO_TS) into <paramref name="disc"/>.</summary>
    private void Author(string disc)
    {
        var mpg = Path.Combine(_out, "title.mpg");
        var ff = ExternalTool.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=720x576:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "6", "-target", "pal-dvd", "-aspect", "4:3", mpg]);
        Assert.True(ff.ExitCode == 0, $"ffmpeg: {ff.StdErr}");
        foreach (var args in new[] { new[] { "-o", disc, "-t", "-c", "0,3", mpg }, ["-o", disc, "-T"] })
        {
            var start = new System.Diagnostics.ProcessStartInfo("dvdauthor", args) { RedirectStandardError = true, RedirectStandardOutput = true };
            start.Environment["VIDEO_FORMAT"] = "PAL";
            using var p = System.Diagnostics.Process.Start(start)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"dvdauthor {string.Join(' ', args)}: {err.Result}");
        }
        File.Delete(mpg);
    }

    private string Master(string folder, string name = "video.iso")
    {
        var s = new JolietStaging(MediaKind.Dvd) { FileSystems = DataFileSystems.DvdVideo, Properties = new JolietProperties(VolumeName: "MYDVD") };
        s.AddData(folder, false);
        var path = Path.Combine(_out, name);
        s.Build().WriteTo(path);
        return path;
    }

    [Fact]
    public void Lsdvd_reads_the_titles_chapters_and_lengths_as_authored()
    {
        Author(_src.Root);
        var image = Master(_src.Root);
        var r = ExternalTool.Run("lsdvd", ["-x", image]);
        Assert.True(r.ExitCode == 0, $"lsdvd: exit {r.ExitCode}: {r.StdErr}");
        Assert.Contains("Disc Title: MYDVD", r.StdOut);
        Assert.Matches(@"Title: 01, Length: 00:00:06\.000 Chapters: 02", r.StdOut);
        Assert.Single(Regex.Matches(r.StdOut, @"^Title: ", RegexOptions.Multiline));
        Assert.Equal(2, Regex.Matches(r.StdOut, @"Chapter: 0[12], Length: 00:00:03\.000").Count);
        Assert.Contains("Format: PAL", r.StdOut);
    }

    [Fact]
    public void Dvdbackup_mirrors_VIDEO_TS_out_of_the_image_equal_to_the_authored_files_even_from_lower_case_sources()
    {
        var authored = Path.Combine(_out, "authored");
        Author(authored);
        // the staged copy has lower-case names: the image must carry them upper-cased
        _src.Dir("video_ts");
        foreach (var f in Directory.GetFiles(Path.Combine(authored, "VIDEO_TS")))
            File.Copy(f, Path.Combine(_src.Root, "video_ts", Path.GetFileName(f).ToLowerInvariant()));
        _src.Dir("audio_ts");
        var image = Master(_src.Root);

        var info = ExternalTool.Run("dvdbackup", ["-I", "-i", image]);
        Assert.True(info.ExitCode == 0, $"dvdbackup -I: exit {info.ExitCode}: {info.StdErr}");
        Assert.Contains("VTS_01_1.VOB", info.StdOut);
        var mirror = Path.Combine(_out, "mirror");
        var m = ExternalTool.Run("dvdbackup", ["-M", "-i", image, "-o", mirror, "-n", "X"]);
        Assert.True(m.ExitCode == 0, $"dvdbackup -M: exit {m.ExitCode}: {m.StdErr}");
        var diff = TreeComparer.Differences(Path.Combine(authored, "VIDEO_TS"), Path.Combine(mirror, "X", "VIDEO_TS"));
        Assert.True(diff.Count == 0, string.Join("; ", diff));
    }

    [Fact]
    public void VIDEO_TS_comes_first_and_contiguous_in_player_order_each_file_one_extent()
    {
        Author(_src.Root);
        _src.File("EXTRA/readme.txt", 5000); // sorts before VIDEO_TS, but its data must come after
        var image = Master(_src.Root);
        // isoinfo (cdrtools) lists each file's first sector: "[   LBA 00]  NAME;1"
        var r = ExternalTool.Run("isoinfo", ["-l", "-i", image]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var extents = Regex.Matches(r.StdOut, @"^-\S+\s+\d+\s+\d+\s+\d+\s+(\d+) .*?\[\s*(\d+) \d+\]\s+(\S+);1", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[3].Value, m => (Size: long.Parse(m.Groups[1].Value), Lba: long.Parse(m.Groups[2].Value)));
        string[] order = ["VIDEO_TS.IFO", "VIDEO_TS.BUP", "VTS_01_0.IFO", "VTS_01_1.VOB", "VTS_01_0.BUP"];
        Assert.True(order.All(extents.ContainsKey), r.StdOut);
        for (int i = 1; i < order.Length; i++)
        {
            var prev = extents[order[i - 1]];
            Assert.Equal(prev.Lba + (prev.Size + 2047) / 2048, extents[order[i]].Lba);
        }
        Assert.True(extents["README.TXT"].Lba > extents["VTS_01_0.BUP"].Lba, "the other files' data follows VIDEO_TS");
        Assert.True(extents.Values.Where(e => e.Size > 0).All(e => e.Lba >= extents["VIDEO_TS.IFO"].Lba));
    }

    [Fact]
    public void What_players_reject_is_InvalidImage_listing_each_problem_and_nothing_is_staged()
    {
        _src.File("VIDEO_TS/VIDEO_TS.IFO", 2048);
        _src.File("VIDEO_TS/VIDEO_TS.BUP", 2048);
        _src.File("VIDEO_TS/VTS_01_0.IFO", 2048);           // no VTS_01_0.BUP
        _src.File("VIDEO_TS/VTS_02_0.BUP", 2048);           // no VTS_02_0.IFO
        _src.File("VIDEO_TS/notes.txt", 10);                // not a DVD-Video file
        using (var f = File.Create(Path.Combine(_src.Root, "VIDEO_TS", "VTS_01_1.VOB"))) f.SetLength(1L << 30); // 1 GiB: over one extent
        var s = new JolietStaging(MediaKind.Dvd) { FileSystems = DataFileSystems.DvdVideo };
        long before = s.UsedDataBlocks;
        var e = Assert.Throws<ImapiException>(() => s.AddData(_src.Root, false));
        Assert.Equal(ImapiError.InvalidImage, e.Code);
        Assert.Contains("4 problem(s)", e.Message);
        Assert.Contains("title set 01 needs VTS_01_0.IFO and VTS_01_0.BUP (found the IFO, no BUP)", e.Message);
        Assert.Contains("title set 02 needs VTS_02_0.IFO and VTS_02_0.BUP (found no IFO, the BUP)", e.Message);
        Assert.Contains("/VIDEO_TS/NOTES.TXT: not a DVD-Video file", e.Message);
        Assert.Contains("/VIDEO_TS/VTS_01_1.VOB: 1073741824 bytes", e.Message);
        Assert.Equal(0, s.FileCount);
        Assert.Equal(before, s.UsedDataBlocks);
    }

    [Fact]
    public void A_tree_without_VIDEO_TS_is_not_a_DVD_Video_disc()
    {
        _src.File("movie.mpg", 4096);
        var s = new JolietStaging(MediaKind.Dvd) { FileSystems = DataFileSystems.DvdVideo };
        var e = Assert.Throws<ImapiException>(() => s.AddData(_src.Root, false));
        Assert.Equal(ImapiError.InvalidImage, e.Code);
        Assert.Contains("no VIDEO_TS folder", e.Message);
    }
}
