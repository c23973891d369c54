using System.Security.Cryptography;
using System.Text.Json;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Reading;
using Duplicator.Drivers.Tests.Iscsi;
using Duplicator.Drivers.Transport;
using Duplicator.Drivers.Transport.Iscsi;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Host.Tests.Serving;

/// <summary>
/// Folder jobs with a file system, through the whole tower: the control API and the hot folder of a real `serve`, and
/// `burn --filesystem` running the tower in-process; burned on tgt's DVD+R over iSCSI (an MMC implementation nobody
/// here wrote) and on the emulated DVD+R and BD-R, read back, and the read-back read by udftools' udfinfo and 7-Zip.
/// </summary>
public sealed class TowerFileSystemTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(180);
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-towerfs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A tree a bridge must carry in full: a name beyond Joliet's 64 units, Unicode, an empty file, depth, a few MB.</summary>
    private static string Source(string parent)
    {
        var src = Directory.CreateDirectory(Path.Combine(parent, "src")).FullName;
        var deep = Directory.CreateDirectory(Path.Combine(src, "a", "b", "c", "d", "e", "f", "g", "h", "i")).FullName;
        File.WriteAllText(Path.Combine(deep, "deep.txt"), "nine levels down");
        File.WriteAllText(Path.Combine(src, new string('l', 100) + " ünïcødé ✓.txt"), "only UDF holds this name in full");
        File.WriteAllBytes(Path.Combine(src, "empty.dat"), []);
        var big = new byte[3_000_017];
        new Random(12).NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "a", "payload.bin"), big);
        return src;
    }

    private static int Entries(string src) => Directory.GetFileSystemEntries(src, "*", SearchOption.AllDirectories).Length;

    /// <summary>udfinfo reads the image as UDF <paramref name="revision"/> with the source's files and folders; 7-Zip's UDF handler extracts it equal to the source.</summary>
    private void AssertUdfReadsAs(string image, string src, string revision)
    {
        var info = UdfReaders.Udfinfo(image);
        Assert.Equal(revision, info["udfrev"]);
        Assert.Equal("closed", info["integrity"]);
        Assert.Equal(Directory.GetFiles(src, "*", SearchOption.AllDirectories).Length.ToString(), info["numfiles"]);
        Assert.Equal((Directory.GetDirectories(src, "*", SearchOption.AllDirectories).Length + 1).ToString(), info["numdirs"]); // with the root
        var x = Directory.CreateTempSubdirectory("dup-towerfs-x-").FullName;
        try
        {
            var r = UdfReaders.Extract7z(image, x);
            Assert.True(r.ExitCode == 0, $"7z -tudf: exit {r.ExitCode}: {r.StdOut}{r.StdErr}");
            Assert.Empty(TreeComparer.Differences(src, x));
        }
        finally
        {
            Directory.Delete(x, true);
        }
    }

    private static async Task<BatchDetail> UntilFinished(ControlClient client, string id, Func<string> log)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var b = await client.BatchAsync(id, CancellationToken.None);
            if (b.Batch.IsFinished) return b;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"batch {id}: {b.Batch}\n{log()}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_udf_bridge_job_the_tower_burns_on_tgts_DVD_plus_R_reads_back_equal_and_udfinfo_and_7z_read_it()
    {
        using var tgt = new TgtTarget(drives: 1);
        using var tower = new ServeProcess(drives: 0, allowedRoots: [_dir]);
        File.WriteAllText(tower.ConfigPath, File.ReadAllText(tower.ConfigPath).Replace("\"drives\": [", $$"""
            "drives": [ { "id": "tgt-1", "url": "{{tgt.Url(1)}}" }
            """));
        var src = Source(_dir);
        await tower.StartAsync();
        BatchDetail done;
        using (var client = tower.Client())
        {
            var job = JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "tgt-bridge", folder = src, copies = 1, verify = true, filesystem = "udf-bridge" });
            var submitted = await client.SubmitAsync(job, CancellationToken.None);
            Assert.Equal("udf-bridge", submitted.FileSystem);
            done = await UntilFinished(client, "tgt-bridge", () => tower.Log);
        }
        tower.Kill(); // the tower is done with the drive: nobody else speaks to the LUN while it is read back
        Assert.True(done.Batch.State == "completed", $"{done.Batch}: {string.Join("; ", done.Discs.Select(d => $"{d.Number} {d.State} {d.Reason}"))}\n{tower.Log}");
        var disc = Assert.Single(done.Discs);
        Assert.Equal("tgt-1", disc.Drive);

        // The tower ejected the disc; load it again and read it back through tgt like any master.
        using var transport = IscsiTransport.Connect(tgt.Url(1));
        byte[] load = [0x1B, 0, 0, 0, 0x03, 0]; // START STOP UNIT, LoEj + Start (SBC-3 5.25)
        var loaded = transport.Execute(load, DataDirection.None, [], TimeSpan.FromSeconds(10));
        Assert.Equal(0, loaded.Status);
        using var drive = new MmcDevice(transport);
        var back = DataDiscReader.ReadTo(drive, Path.Combine(_dir, "back", "disc.iso"));

        Assert.Equal(disc.Sha256, Convert.ToHexString(back.Sha256)); // what the tower verified is what a reader gets
        Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(back.Path))), disc.Sha256);
        var stored = File.ReadAllBytes(tgt.BackingFile(1)); // what tgt itself keeps, byte for byte the read-back
        Assert.True(stored.AsSpan(0, (int)new FileInfo(back.Path).Length).SequenceEqual(File.ReadAllBytes(back.Path)));

        AssertUdfReadsAs(back.Path, src, "1.02");
        IsoReaders.AssertIsoinfoReadsJoliet(back.Path); // the bridge's other side: every entry reachable, the long name cut to fit
        Assert.Equal(Entries(src), IsoReaders.IsoInfoPaths(back.Path).Count);
    }

    [Theory]
    [InlineData("dvd+r", "dvd", "udf-bridge", "1.02")]
    [InlineData("bd-r", "bd25", null, "2.50")] // BD without --filesystem: udf (2.50)
    [InlineData("dvd+r", null, "udf", "2.50")]
    public void Burn_with_a_file_system_on_emulated_recorders_gives_discs_the_UDF_readers_read_equal(string profile, string? media, string? fileSystem, string revision)
    {
        var src = Source(_dir);
        var discs = Path.Combine(_dir, "discs");
        var config = Path.Combine(_dir, "tower.json");
        File.WriteAllText(config, $$"""
            { "drives": [ { "id": "e1", "url": "emulated:{{profile}}?dir={{discs}}&name=e1&autoreload=true" } ],
              "storage": { "path": "{{_dir}}/ledger.db" }, "stash": "{{_dir}}/stash",
              "control": { "listen": "http://127.0.0.1:{{Duplicator.Tests.FreePorts.Next()}}" }, "hotFolder": { "enabled": false } }
            """);
        string[] args = ["burn", "--config", config, "--folder", src, "--copies", "2", "--verify", "--wait",
            .. media is null ? Array.Empty<string>() : ["--media", media], .. fileSystem is null ? Array.Empty<string>() : ["--filesystem", fileSystem]];
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.StdErr}");
        var files = Directory.GetFiles(Path.Combine(discs, "e1"), "disc-*.iso").Where(f => new FileInfo(f).Length > 0).Order().ToArray();
        Assert.Equal(2, files.Length);
        Assert.True(File.ReadAllBytes(files[0]).AsSpan().SequenceEqual(File.ReadAllBytes(files[1])), "two discs of one batch differ");
        AssertUdfReadsAs(files[0], src, revision);
    }

    [Fact]
    public void A_dvd_video_job_the_tower_burns_is_read_by_lsdvd_from_the_disc_with_its_titles_and_chapters()
    {
        // A PAL title of 6 s in two chapters, authored with Debian's ffmpeg and dvdauthor, staged from lower-case names.
        var authored = Path.Combine(_dir, "authored");
        var mpg = Path.Combine(_dir, "title.mpg");
        var ff = ExternalTool.Run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=720x576:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6", "-target", "pal-dvd", "-aspect", "4:3", mpg]);
        Assert.True(ff.ExitCode == 0, $"ffmpeg: {ff.StdErr}");
        foreach (var args in new[] { new[] { "env", "VIDEO_FORMAT=PAL", "dvdauthor", "-o", authored, "-t", "-c", "0,3", mpg }, ["env", "VIDEO_FORMAT=PAL", "dvdauthor", "-o", authored, "-T"] })
        {
            var r = ExternalTool.Run(args[0], args[1..]);
            Assert.True(r.ExitCode == 0, $"dvdauthor: {r.StdErr}");
        }
        var src = Directory.CreateDirectory(Path.Combine(_dir, "video", "video_ts")).Parent!.FullName;
        foreach (var f in Directory.GetFiles(Path.Combine(authored, "VIDEO_TS")))
            File.Copy(f, Path.Combine(src, "video_ts", Path.GetFileName(f).ToLowerInvariant()));

        var discs = Path.Combine(_dir, "discs");
        var config = Path.Combine(_dir, "tower.json");
        File.WriteAllText(config, $$"""
            { "drives": [ { "id": "e1", "url": "emulated:dvd+r?dir={{discs}}&name=e1" } ],
              "storage": { "path": "{{_dir}}/ledger.db" }, "stash": "{{_dir}}/stash",
              "control": { "listen": "http://127.0.0.1:{{Duplicator.Tests.FreePorts.Next()}}" }, "hotFolder": { "enabled": false } }
            """);
        var burn = CliRunner.Run("burn", "--config", config, "--folder", src, "--copies", "1", "--verify", "--wait", "--volume", "TOWERDVD", "--filesystem", "dvd-video");
        Assert.True(burn.ExitCode == 0, $"exit {burn.ExitCode}: {burn.StdErr}");
        var disc = Directory.GetFiles(Path.Combine(discs, "e1"), "disc-*.iso").Single(f => new FileInfo(f).Length > 0);

        var lsdvd = ExternalTool.Run("lsdvd", ["-x", disc]); // libdvdread: its own UDF reader
        Assert.True(lsdvd.ExitCode == 0, $"lsdvd: exit {lsdvd.ExitCode}: {lsdvd.StdErr}");
        Assert.Contains("Disc Title: TOWERDVD", lsdvd.StdOut);
        Assert.Matches(@"Title: 01, Length: 00:00:06\.000 Chapters: 02", lsdvd.StdOut);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(lsdvd.StdOut, @"Chapter: 0[12], Length: 00:00:03\.000").Count);
        var mirror = Path.Combine(_dir, "mirror");
        var m = ExternalTool.Run("dvdbackup", ["-M", "-i", disc, "-o", mirror, "-n", "X"]);
        Assert.True(m.ExitCode == 0, $"dvdbackup -M: exit {m.ExitCode}: {m.StdErr}");
        Assert.Empty(TreeComparer.Differences(Path.Combine(authored, "VIDEO_TS"), Path.Combine(mirror, "X", "VIDEO_TS")));
    }

    [Fact]
    public async Task The_hot_folder_and_the_API_take_a_file_system_and_refuse_one_the_medium_cannot_carry()
    {
        using var tower = new ServeProcess(drives: 1, speed: 0, allowedRoots: [_dir]);
        var src = Source(_dir);
        Directory.CreateDirectory(tower.HotFolder);
        await tower.StartAsync();
        void Drop(string name, object job)
        {
            var temp = Path.Combine(tower.HotFolder, "." + name);
            File.WriteAllText(temp, JsonSerializer.Serialize(job));
            File.Move(temp, Path.Combine(tower.HotFolder, name));
        }
        Drop("udf.job", new { folder = src, copies = 1, filesystem = "udf" });
        Drop("video-cd.job", new { folder = src, copies = 1, filesystem = "dvd-video", media = "cd80" });

        using var client = tower.Client();
        var refused = await Assert.ThrowsAsync<ControlException>(() =>
            client.SubmitAsync(JsonSerializer.Serialize(new { folder = src, copies = 1, filesystem = "dvd-video", media = "bd25" }), CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains(refused.Problems, p => p.Contains("filesystem: dvd-video goes on dvd or dvd-dl media only") && p.Contains("not on bd25"));

        var deadline = DateTime.UtcNow + Long;
        while (!File.Exists(Path.Combine(tower.HotFolder, "udf.job.done")))
        {
            Assert.True(DateTime.UtcNow < deadline, "udf.job never became .done:\n" + tower.Log);
            if (File.Exists(Path.Combine(tower.HotFolder, "udf.job.failed")))
                Assert.Fail(File.ReadAllText(Path.Combine(tower.HotFolder, "udf.result.json")));
            await Task.Delay(100);
        }
        Assert.True(File.Exists(Path.Combine(tower.HotFolder, "video-cd.job.failed")));
        using (var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(tower.HotFolder, "video-cd.result.json"))))
            Assert.Contains(result.RootElement.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("filesystem: dvd-video goes on dvd or dvd-dl media only") && p.GetString()!.Contains("not on cd80"));

        var batch = (await client.BatchesAsync(CancellationToken.None)).Single(b => b.FileSystem == "udf");
        Assert.Equal("completed", batch.State);
        var disc = Directory.GetFiles(tower.Discs, "disc-*.iso", SearchOption.AllDirectories).Single(f => new FileInfo(f).Length > 0);
        AssertUdfReadsAs(disc, src, "2.50");
        Assert.NotEqual("CD001"u8.ToArray(), File.ReadAllBytes(disc).AsSpan(16 * 2048 + 1, 5).ToArray()); // UDF alone: no ISO 9660
    }

    [Theory]
    [InlineData("hfs", null, "--filesystem hfs: not one of joliet, udf-bridge, udf, dvd-video")]
    [InlineData("dvd-video", "cd80", "--filesystem dvd-video with --media cd80: dvd-video goes on dvd or dvd-dl media only")]
    [InlineData("dvd-video", "bd50", "not on bd50")]
    public void Burn_and_master_refuse_a_file_system_the_medium_cannot_carry_as_a_usage_error(string fileSystem, string? media, string expected)
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "video", "VIDEO_TS")).Parent!.FullName;
        var config = Path.Combine(_dir, "missing.json"); // never read: the command line is checked first
        string[] mediaArgs = media is null ? [] : ["--media", media];
        var burn = CliRunner.Run(["burn", "--config", config, "--folder", src, "--copies", "1", "--filesystem", fileSystem, .. mediaArgs]);
        Assert.True(burn.ExitCode == 2, $"burn: exit {burn.ExitCode}: {burn.StdErr}");
        Assert.Contains(expected, burn.StdErr);
        var iso = Path.Combine(_dir, "out.iso");
        var master = CliRunner.Run(["master", src, "-o", iso, "--filesystem", fileSystem, .. mediaArgs]);
        Assert.True(master.ExitCode == 2, $"master: exit {master.ExitCode}: {master.StdErr}");
        Assert.Contains(expected, master.StdErr);
        Assert.False(File.Exists(iso));
    }

    [Fact]
    public void Burn_refuses_a_file_system_for_an_image_as_a_usage_error()
    {
        var iso = Path.Combine(_dir, "in.iso");
        File.WriteAllBytes(iso, new byte[2048 * 20]);
        var r = CliRunner.Run("burn", "--config", Path.Combine(_dir, "missing.json"), "--image", iso, "--copies", "1", "--filesystem", "udf");
        Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.StdErr}");
        Assert.Contains("--filesystem udf: only with --folder", r.StdErr);
    }

}
