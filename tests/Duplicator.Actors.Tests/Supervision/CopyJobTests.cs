using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Imapi;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>
/// Disc-to-disc copy jobs on a tower of emulated MMC drives: the master drive's disc (an emulated <c>load=</c> master)
/// is read once into the stash, then burned on the other drives; checked by the independent ISO readers.
/// </summary>
public sealed class CopyJobTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private static readonly string[] Recorders = ["r1", "r2", "r3", "r4"];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private string Discs => Path.Combine(_fx.Dir, "discs");

    private static Tower.DriveSpec Drive(string id, string url) => new(id, url, () => RecorderLocator.Open(url));

    private Tower.DriveSpec[] TowerOf(string masterUrl, string recorderProfile = "dvd+r") =>
        [Drive("m", masterUrl), .. Recorders.Select(r => Drive(r, $"emulated:{recorderProfile}?dir={Discs}&name={r}"))];

    /// <summary>A tree with what trips readers up: deep folders, non-ASCII names, empty files and folders, a folder spanning sectors, chunk-crossing files.</summary>
    private string TrickyTree()
    {
        var root = Directory.CreateDirectory(Path.Combine(_fx.Dir, "src")).FullName;
        void File(string rel, int bytes, int seed = 0)
        {
            var path = Path.Combine(root, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var data = new byte[bytes];
            new Random(seed + bytes).NextBytes(data);
            System.IO.File.WriteAllBytes(path, data);
        }
        File(string.Join('/', Enumerable.Range(1, 10).Select(i => $"level{i}")) + "/bottom.bin", 5000);
        File("Ünïcødé ñame – ünd 日本語.txt", 321);
        File("same prefix " + new string('x', 30) + " one.txt", 100, 1);
        File("same prefix " + new string('x', 30) + " two.txt", 100, 2);
        File("empty.txt", 0);
        Directory.CreateDirectory(Path.Combine(root, "empty folder"));
        File("sub/many/file with spaces.dat", 200_001);
        File("big/crosses chunks.bin", 3 * 1024 * 1024 + 7);
        for (int i = 0; i < 120; i++) File($"wide/{i:D3} a name long enough to span sectors.txt", i);
        return root;
    }

    private string MasterIso(string tree)
    {
        var staging = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: "MASTER") };
        staging.AddData(tree, overwrite: false);
        var iso = Path.Combine(_fx.Dir, "master.iso");
        staging.Build().WriteTo(iso);
        return iso;
    }

    private static BatchSpec CopyBatch(string id, int copies, string master = "m", params string[] drives) =>
        new(id, SourceKind.Master, [master], copies, new BatchOptions(true, 0, 0, true, [.. (drives.Length == 0 ? Recorders : drives)]));

    private string[] BurnedDiscs() => Directory.Exists(Discs)
        ? [.. Directory.GetFiles(Discs, "disc-*.iso", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0).Order()]
        : [];

    [Fact]
    public async Task Copy_of_an_emulated_data_master_to_four_recorders_gives_copies_equal_to_the_masters_recorded_sectors()
    {
        var tree = TrickyTree();
        var iso = MasterIso(tree);
        var master = File.ReadAllBytes(iso);
        var tower = Sys.ActorOf(Tower.Props(TowerOf($"emulated:dvd+r?dir={Discs}&name=m&load={iso}"), TowerFixture.Patient(_fx.Stash)), "tower");

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(CopyBatch("copy1", 4)), Long));
        var done = await TowerFixture.UntilFinished(tower, "copy1", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        Assert.Equal(4, done.Good.Count);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(master)), done.ImageSha256); // the stash held the master's recorded sectors
        Assert.Equal(master.Length / 2048, done.ImageSectors);
        Assert.All(done.Good.Values, h => Assert.Equal(done.ImageSha256, h)); // each copy verified by reading it back
        Assert.Equal(Recorders, done.Discs.Values.Select(d => d.Drive).Order().ToArray()); // the master drive burned nothing here
        var copies = BurnedDiscs();
        Assert.Equal(4, copies.Length);
        foreach (var copy in copies)
        {
            var bytes = File.ReadAllBytes(copy);
            Assert.True(bytes.Length >= master.Length, $"{copy}: {bytes.Length} bytes, the master has {master.Length}");
            Assert.True(bytes.AsSpan(0, master.Length).SequenceEqual(master), $"{copy} differs from the master's sectors");
            Assert.True(bytes.AsSpan(master.Length).IndexOfAnyExcept((byte)0) < 0, $"{copy} holds data past the master's last sector");
        }
        // Readers nobody here wrote extract the copy equal to the master's source tree.
        var first = Path.Combine(_fx.Dir, "copy.iso");
        File.WriteAllBytes(first, File.ReadAllBytes(copies[0]).AsSpan(0, master.Length).ToArray());
        IsoReaders.AssertExtractsIdentical(first, tree);
        IsoReaders.AssertIsoinfoReadsJoliet(first);
        Assert.False(Directory.Exists(done.StashPath is { } p ? Path.GetDirectoryName(p) : _fx.Stash + "/none"), "the stash is cleared after the batch");
    }

    [Fact]
    public async Task Master_with_unreadable_sectors_fails_the_copy_naming_the_LBAs_and_burns_nothing()
    {
        var iso = MasterIso(TrickyTree());
        var tower = Sys.ActorOf(Tower.Props(TowerOf($"emulated:dvd+r?dir={Discs}&name=m&load={iso}&unreadable=40-42,300"), TowerFixture.Patient(_fx.Stash)), "tower");

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(CopyBatch("bad1", 4)), Long));
        var done = await TowerFixture.UntilFinished(tower, "bad1", Long);

        Assert.Equal(BatchStatus.Failed, done.Status);
        Assert.Contains("IMAPI_E_SOURCEUNREADABLE", done.Reason);
        Assert.Contains("LBA 40-42, 300", done.Reason);
        Assert.Null(done.ImageSha256);
        Assert.Empty(done.Discs); // no disc was handed to any drive
        Assert.Empty(BurnedDiscs());
        foreach (var r in Recorders) Assert.Equal(0, (await TowerFixture.Drive(tower, r)).Good + (await TowerFixture.Drive(tower, r)).Bad);
    }

    [Fact]
    public async Task Copy_naming_a_drive_the_tower_does_not_have_is_rejected()
    {
        var iso = MasterIso(TrickyTree());
        var tower = Sys.ActorOf(Tower.Props(TowerOf($"emulated:dvd+r?dir={Discs}&name=m&load={iso}"), TowerFixture.Patient(_fx.Stash)), "tower");

        var reply = await tower.Ask<object>(new Tower.Submit(CopyBatch("nodrive", 1, master: "drive-9")), Long);

        Assert.Contains("drive-9", Assert.IsType<Tower.Rejected>(reply).Reason);
    }

    [Fact]
    public async Task Master_drive_burns_copies_too_once_its_master_is_read()
    {
        var iso = MasterIso(TrickyTree());
        var master = File.ReadAllBytes(iso);
        // Autoreload: the drive takes a blank disc once it has ejected the master (as an operator would load one).
        var drives = new[] { Drive("m", $"emulated:dvd+r?dir={Discs}&name=m&load={iso}&autoreload=true") };
        var tower = Sys.ActorOf(Tower.Props(drives, TowerFixture.Patient(_fx.Stash)), "tower");

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(CopyBatch("self", 2) with { Options = new BatchOptions(true, 0, 0, true, []) }), Long));
        var done = await TowerFixture.UntilFinished(tower, "self", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        Assert.All(done.Discs.Values, d => Assert.Equal("m", d.Drive));
        var copies = BurnedDiscs();
        Assert.Equal(2, copies.Length);
        Assert.All(copies, c => Assert.True(File.ReadAllBytes(c).AsSpan(0, master.Length).SequenceEqual(master)));
    }

    [Fact]
    public async Task Restart_after_the_read_uses_the_stash_and_never_reads_the_master_again()
    {
        var db = Path.Combine(_fx.Dir, "ledger.db");
        var iso = MasterIso(TrickyTree());
        var sha = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(iso)));
        // First run: the master is read, but no recorder has a medium, so nothing is burned.
        var first = new[] { Drive("m", $"emulated:dvd+r?dir={Discs}&name=m&load={iso}") }
            .Concat(Recorders.Select(r => Drive(r, "emulated:none"))).ToArray();
        using (var sys = ActorSystem.Create("first", PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING")))
        {
            var tower = sys.ActorOf(Tower.Props(first, TowerFixture.Patient(_fx.Stash)), "tower");
            Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(CopyBatch("again", 4)), Long));
            BatchState s;
            var deadline = DateTime.UtcNow + Long;
            do
            {
                await Task.Delay(50);
                s = (await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("again"), Long)).State!;
            }
            while (s.ImageSha256 is null && DateTime.UtcNow < deadline);
            Assert.Equal(sha, s.ImageSha256);
            await sys.Terminate();
        }

        // Second run: the master drive now holds a blank disc. Reading it again would fail (blank); the stash is used.
        var second = new[] { Drive("m", "emulated:dvd+r") }.Concat(Recorders.Select(r => Drive(r, $"emulated:dvd+r?dir={Discs}&name={r}"))).ToArray();
        using (var sys = ActorSystem.Create("second", PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING")))
        {
            var tower = sys.ActorOf(Tower.Props(second, TowerFixture.Patient(_fx.Stash)), "tower");
            var done = await TowerFixture.UntilFinished(tower, "again", Long);
            await sys.Terminate();

            Assert.True(done.Status == BatchStatus.Completed, done.Reason);
            Assert.Equal(4, done.Good.Count);
            Assert.All(done.Good.Values, h => Assert.Equal(sha, h));
        }
    }

    [Fact]
    public async Task Restart_during_the_read_reads_the_master_again()
    {
        var db = Path.Combine(_fx.Dir, "ledger.db");
        var iso = MasterIso(TrickyTree());
        var sha = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(iso)));
        // 1x DVD reads (1385 kB/s): a few seconds for the master, time enough to stop the host in the middle.
        var slowMaster = $"emulated:dvd+r?dir={Discs}&name=m&load={iso}&speed=1&read-speed=1";
        using (var sys = ActorSystem.Create("first", PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING")))
        {
            var tower = sys.ActorOf(Tower.Props([Drive("m", slowMaster), Drive("r1", "emulated:none")], TowerFixture.Patient(_fx.Stash)), "tower");
            Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(CopyBatch("mid", 1, drives: "r1")), Long));
            var deadline = DateTime.UtcNow + Long;
            Tower.DriveStatus m;
            do
            {
                await Task.Delay(20);
                m = await TowerFixture.Drive(tower, "m");
            }
            while (!(m.State == DriveState.Reading && m.Percent > 0) && DateTime.UtcNow < deadline);
            Assert.Equal(DriveState.Reading, m.State);
            Assert.InRange(m.Percent, 0.0001, 99.9);
            await sys.Terminate();
        }

        using (var sys = ActorSystem.Create("second", PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING")))
        {
            var drives = new[] { Drive("m", $"emulated:dvd+r?dir={Discs}&name=m&load={iso}"), Drive("r1", $"emulated:dvd+r?dir={Discs}&name=r1") };
            var tower = sys.ActorOf(Tower.Props(drives, TowerFixture.Patient(_fx.Stash)), "tower");
            var done = await TowerFixture.UntilFinished(tower, "mid", Long);
            await sys.Terminate();

            Assert.True(done.Status == BatchStatus.Completed, done.Reason);
            Assert.Equal(sha, done.ImageSha256);
            Assert.Equal(sha, Assert.Single(done.Good.Values));
        }
    }

    [Fact]
    public async Task Copy_of_an_emulated_audio_master_gives_copies_whose_tracks_read_back_as_the_masters_PCM()
    {
        // The master: an audio CD of three tracks the tower burned (track-at-once) from WAVs.
        var wavs = new[] { (5, 1), (4, 2), (6, 3) }.Select(w => EmulatedTowerTests.Wav(Path.Combine(_fx.Dir, $"t{w.Item2}.wav"), 44100 * w.Item1 + 77 * w.Item2, w.Item2)).ToArray();
        var first = Sys.ActorOf(Tower.Props([Drive("w", $"emulated:cd-r?dir={Discs}&name=w")], TowerFixture.Patient(_fx.Stash)), "tower1");
        Assert.IsType<Tower.Submitted>(await first.Ask<object>(new Tower.Submit(new BatchSpec("songs", SourceKind.Audio, [.. wavs], 1, new BatchOptions(true, 0, 0, true, []), Media: "cd80")), Long));
        var songs = await TowerFixture.UntilFinished(first, "songs", Long);
        Assert.True(songs.Status == BatchStatus.Completed, songs.Reason);
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first, Long);
        var bin = Directory.GetFiles(Path.Combine(Discs, "w"), "disc-*.bin").Single();

        var drives = new[] { Drive("m", $"emulated:cd-r?dir={Discs}&name=m&load={bin}"), Drive("c1", $"emulated:cd-r?dir={Discs}&name=c1"), Drive("c2", $"emulated:cd-r?dir={Discs}&name=c2") };
        var tower = Sys.ActorOf(Tower.Props(drives, TowerFixture.Patient(_fx.Stash)), "tower2");
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(CopyBatch("cd-copy", 2, drives: ["c1", "c2"])), Long));
        var done = await TowerFixture.UntilFinished(tower, "cd-copy", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        Assert.Equal(songs.ImageSha256, done.ImageSha256); // the master's tracks read as the WAVs' PCM
        Assert.Equal(2, done.Good.Count);
        Assert.All(done.Good.Values, h => Assert.Equal(songs.ImageSha256, h)); // each copy's READ CD of every track equals it
        Assert.EndsWith("image.cue", done.StashPath);
    }

    [Fact]
    public async Task Copy_of_an_audio_master_with_pregaps_isrcs_a_catalog_and_cd_text_burned_disc_at_once_keeps_them_all()
    {
        // The master as a pressing plant's sheet describes it: a silent 1 s PREGAP before track 2, a recorded 2 s
        // pregap (INDEX 00) before track 3, an INDEX 02, ISRCs, a catalog number, album and track CD-TEXT.
        var bin = Path.Combine(_fx.Dir, "master.bin");
        var pcm = new byte[1700 * 2352];
        new Random(13).NextBytes(pcm);
        File.WriteAllBytes(bin, pcm);
        var cue = Path.Combine(_fx.Dir, "master.cue");
        File.WriteAllText(cue, """
            CATALOG 4006381333931
            TITLE "The Album"
            PERFORMER "The Band"
            FILE "master.bin" BINARY
              TRACK 01 AUDIO
                TITLE "One"
                PERFORMER "Singer A"
                ISRC DEA120000001
                INDEX 01 00:00:00
                INDEX 02 00:04:00
              TRACK 02 AUDIO
                TITLE "Two"
                ISRC DEA120000002
                PREGAP 00:01:00
                INDEX 01 00:08:00
              TRACK 03 AUDIO
                TITLE "Three"
                ISRC DEA120000003
                INDEX 00 00:14:00
                INDEX 01 00:16:00
            """);
        var drives = new[] { Drive("m", $"emulated:cd-r?dir={Discs}&name=m&load={cue}"), Drive("c1", $"emulated:cd-r?dir={Discs}&name=c1") };
        var tower = Sys.ActorOf(Tower.Props(drives, TowerFixture.Patient(_fx.Stash)), "tower");
        var spec = new BatchSpec("cd-dao", SourceKind.Master, ["m"], 1, new BatchOptions(true, 0, 0, true, ["c1"], DiscAtOnce: true));

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(tower, "cd-dao", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        var copy = Directory.GetFiles(Path.Combine(Discs, "c1"), "disc-*.bin").Single();
        var master = Layout($"emulated:cd-r?dir={Path.Combine(_fx.Dir, "check")}&name=master&load={cue}");
        var burned = Layout($"emulated:cd-r?dir={Path.Combine(_fx.Dir, "check")}&name=copy&load={copy}");
        Assert.Equal("4006381333931", master.Catalog);
        Assert.Equal(("The Album", "The Band"), (master.CdText?.Title, master.CdText?.Performer));
        Assert.Equal(["DEA120000001", "DEA120000002", "DEA120000003"], master.Tracks.Select(t => t.Isrc));
        // The copy: the same TOC, pregaps, index points, codes and text as the master.
        Assert.Equal(Describe(master), Describe(burned));
        Assert.Equal((master.Catalog, master.CdText?.Title, master.CdText?.Performer), (burned.Catalog, burned.CdText?.Title, burned.CdText?.Performer));
    }

    private static Duplicator.Drivers.Reading.AudioDiscLayout Layout(string url)
    {
        using var drive = RecorderLocator.Open(url);
        return Duplicator.Drivers.Reading.AudioDiscReader.ReadLayout(drive.Device);
    }

    private static string[] Describe(Duplicator.Drivers.Reading.AudioDiscLayout layout) =>
    [
        $"lead-out {layout.LeadOut}",
        .. layout.Tracks.Select(t => $"{t.Track}: start {t.Start} blocks {t.Blocks} pregap {t.Pregap} indexes [{string.Join(",", t.Indexes ?? [])}] isrc {t.Isrc} title {t.Title} performer {t.Performer}"),
    ];

    [Fact]
    public async Task A_wav_batch_with_audio_info_burns_its_cd_text_catalog_and_isrcs_disc_at_once()
    {
        var wavs = new[] { (5, 1), (4, 2) }.Select(w => EmulatedTowerTests.Wav(Path.Combine(_fx.Dir, $"a{w.Item2}.wav"), 44100 * w.Item1, w.Item2)).ToArray();
        var tower = Sys.ActorOf(Tower.Props([Drive("w", $"emulated:cd-r?dir={Discs}&name=w")], TowerFixture.Patient(_fx.Stash)), "tower");
        var info = new AudioInfoSpec("Live Album", "The Band", "4006381333931",
            [new AudioTrackText("Opening", "Singer A", "DEA120000011"), new AudioTrackText("Closing", "Singer B", "DEA120000012")]);
        var spec = new BatchSpec("text", SourceKind.Audio, [.. wavs], 1, new BatchOptions(true, 0, 0, true, [], DiscAtOnce: true), Media: "cd80", AudioInfo: info);

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(tower, "text", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        var disc = Layout($"emulated:cd-r?dir={Path.Combine(_fx.Dir, "check")}&name=read&load={Directory.GetFiles(Path.Combine(Discs, "w"), "disc-*.bin").Single()}");
        Assert.Equal("4006381333931", disc.Catalog);
        Assert.Equal(("Live Album", "The Band"), (disc.CdText?.Title, disc.CdText?.Performer));
        Assert.Equal([("Opening", "Singer A", "DEA120000011"), ("Closing", "Singer B", "DEA120000012")], disc.Tracks.Select(t => (t.Title, t.Performer, t.Isrc)));
        // Submitted again, the same section is the same job; another is refused.
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec with { AudioInfo = info with { Tracks = [.. info.Tracks] } }), Long));
        var other = await tower.Ask<object>(new Tower.Submit(spec with { AudioInfo = info with { Title = "Another" } }), Long);
        Assert.Contains("another audioInfo section", Assert.IsType<Tower.Rejected>(other).Reason);
    }
}
