using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Tests.Iscsi;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>
/// Verify-only and read (archive) jobs: the tower checks or archives the discs loaded in its drives, recording each
/// disc good or bad in the batch ledger; read jobs write into a folder of their own with a SHA-256 manifest.
/// </summary>
public sealed class ReadJobTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private string Discs => Path.Combine(_fx.Dir, "discs");

    private static Tower.DriveSpec Drive(string id, string url) => new(id, url, () => RecorderLocator.Open(url));

    private IActorRef StartTower(string name, params Tower.DriveSpec[] drives) =>
        Sys.ActorOf(Tower.Props(drives, TowerFixture.Fast(_fx.Stash)), name);

    /// <summary>Stops a tower and waits until it is gone, so the next one recovers the same journal.</summary>
    private async Task StopTower(IActorRef tower)
    {
        Watch(tower);
        Sys.Stop(tower);
        ExpectTerminated(tower, Long);
        await Task.Delay(200); // its recorders' drive threads close their drives
    }

    private static BatchSpec Job(string id, SourceKind kind, string path, int copies, params string[] drives) =>
        new(id, kind, [path], copies, new BatchOptions(false, 0, 0, true, [.. drives]));

    /// <summary>Burns one verified disc of a random image on an emulated DVD+R; returns the burned disc file and the image's hash.</summary>
    private async Task<(string Disc, string Sha256, IActorRef Tower)> BurnReference()
    {
        var (image, sha) = _fx.Image(700, seed: 3);
        var tower = StartTower("tower1", Drive("w1", $"emulated:dvd+r?dir={Discs}&name=w1"));
        var spec = new BatchSpec("ref", SourceKind.Image, [image], 1, new BatchOptions(true, 0, 0, true, []));
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(tower, "ref", Long);
        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        Assert.Equal(sha, done.ImageSha256);
        var disc = Directory.GetFiles(Path.Combine(Discs, "w1"), "disc-*.iso").Single(f => new FileInfo(f).Length > 0);
        return (disc, sha, tower);
    }

    [Fact]
    public async Task Verify_only_with_one_good_and_one_altered_disc_records_one_good_and_one_bad_in_the_ledger()
    {
        var (disc, sha, first) = await BurnReference();
        var altered = Path.Combine(_fx.Dir, "altered.iso");
        var bytes = File.ReadAllBytes(disc);
        bytes[300 * 2048 + 17] ^= 0x40; // one bit inside the image's sectors
        File.WriteAllBytes(altered, bytes);
        await StopTower(first);

        var tower = StartTower("tower2", Drive("w1", "emulated:none"),
            Drive("v1", $"emulated:dvd+r?dir={Discs}&name=v1&load={disc}"), Drive("v2", $"emulated:dvd+r?dir={Discs}&name=v2&load={altered}"));
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Job("check", SourceKind.Verify, "ref", 2, "v1", "v2")), Long));
        var done = await TowerFixture.UntilFinished(tower, "check", Long);

        Assert.Equal(BatchStatus.Failed, done.Status); // not every disc was good
        Assert.Equal("2 disc(s) checked against ref: 1 good, 1 bad", done.Reason);
        Assert.Equal(sha, done.ImageSha256); // checked against what batch ref recorded
        var good = Assert.Single(done.Discs.Values, d => d.State == DiscState.Completed);
        Assert.Equal(("v1", sha), (good.Drive, good.Sha256));
        var bad = Assert.Single(done.Discs.Values, d => d.State == DiscState.Failed);
        Assert.Equal("v2", bad.Drive);
        Assert.Contains("IMAPI_E_WRONGDISC", bad.Reason);
        Assert.Contains($"the batch recorded {sha}", bad.Reason);
        Assert.Equal(2, done.Discs.Count); // each drive checked once, nothing made again
        foreach (var v in new[] { "v1", "v2" }) // nothing was written to either disc
            Assert.False(Directory.Exists(Path.Combine(Discs, v)) && Directory.EnumerateFiles(Path.Combine(Discs, v), "disc-*").Any());
        Assert.False((await TowerFixture.Drive(tower, "v2")).Quarantined);
    }

    [Fact]
    public async Task Verify_only_against_a_batch_that_does_not_exist_fails_naming_it()
    {
        var tower = StartTower("tower", Drive("v1", "emulated:dvd+r"));
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Job("orphan", SourceKind.Verify, "no-such-batch", 1, "v1")), Long));
        var done = await TowerFixture.UntilFinished(tower, "orphan", Long);

        Assert.Equal(BatchStatus.Failed, done.Status);
        Assert.Contains("batch 'no-such-batch' does not exist", done.Reason);
        Assert.Empty(done.Discs);
    }

    [Fact]
    public async Task Verify_only_naming_no_drives_is_refused()
    {
        var tower = StartTower("tower", Drive("v1", "emulated:dvd+r"));
        var reply = await tower.Ask<object>(new Tower.Submit(Job("nodrives", SourceKind.Verify, "ref", 1)), Long);
        Assert.Contains("give its drives", Assert.IsType<Tower.Rejected>(reply).Reason);
    }

    [Fact]
    public async Task Read_job_archives_each_loaded_disc_as_its_number_with_a_manifest_sha256sum_accepts()
    {
        var (disc, sha, first) = await BurnReference();
        await StopTower(first);
        var (other, otherSha) = _fx.Image(130, seed: 9);
        var tower = StartTower("tower2", Drive("a1", $"emulated:dvd+r?dir={Discs}&name=a1&load={disc}"), Drive("a2", $"emulated:dvd-r?dir={Discs}&name=a2&load={other}"));
        var output = Path.Combine(_fx.Dir, "archive");

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Job("arch", SourceKind.Archive, output, 2, "a1", "a2")), Long));
        var done = await TowerFixture.UntilFinished(tower, "arch", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        var byDrive = done.Discs.Values.ToDictionary(d => d.Drive);
        Assert.Equal(sha, byDrive["a1"].Sha256);
        Assert.Equal(otherSha, byDrive["a2"].Sha256);
        foreach (var d in done.Discs.Values)
            Assert.Equal(d.Sha256, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(output, $"{d.Disc}.iso")))));
        Assert.Equal("arch", File.ReadAllText(Path.Combine(output, ArchiveFolder.MarkerName)));
        var check = Mastering.Tests.Oracles.ExternalTool.Run("sha256sum", ["-c", "--strict", ArchiveFolder.ManifestName], output);
        Assert.True(check.ExitCode == 0, check.StdErr + check.StdOut);
        Assert.Equal(2, check.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith(": OK")));
    }

    [Fact]
    public async Task Read_job_into_a_folder_it_did_not_make_fails_and_leaves_the_folder_as_it_was()
    {
        var output = Directory.CreateDirectory(Path.Combine(_fx.Dir, "theirs")).FullName;
        File.WriteAllText(Path.Combine(output, "1.iso"), "someone else's file");
        var (image, _) = _fx.Image(64);
        var tower = StartTower("tower", Drive("a1", $"emulated:dvd+r?dir={Discs}&name=a1&load={image}"));

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Job("intrude", SourceKind.Archive, output, 1, "a1")), Long));
        var done = await TowerFixture.UntilFinished(tower, "intrude", Long);

        Assert.Equal(BatchStatus.Failed, done.Status);
        Assert.Contains("not empty and was not made by this program", done.Reason);
        Assert.Equal(["1.iso"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
        Assert.Equal("someone else's file", File.ReadAllText(Path.Combine(output, "1.iso")));
        Assert.Empty(done.Discs);
    }

    [Fact]
    public async Task Read_job_over_tgts_DVD_plus_R_holding_a_disc_the_tower_burned_archives_the_burned_image()
    {
        using var tgt = new TgtTarget(drives: 1);
        var (image, sha) = _fx.Image(1500, seed: 11);
        var tower = StartTower("tower", Drive("t1", tgt.Url(1)));
        var burn = new BatchSpec("onto-tgt", SourceKind.Image, [image], 1, new BatchOptions(true, 0, 0, true, []));
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(burn), Long));
        var burned = await TowerFixture.UntilFinished(tower, "onto-tgt", Long);
        Assert.True(burned.Status == BatchStatus.Completed, burned.Reason);
        var output = Path.Combine(_fx.Dir, "from-tgt");
        // The recorder ejected the disc it burned; put it back in (START STOP UNIT, LoEj + Start), as an operator closes the tray.
        using (var session = Drivers.Transport.Iscsi.IscsiTransport.Connect(tgt.Url(1), "iqn.2026-11.org.duplicator:loader"))
        {
            var load = session.Execute([0x1B, 0, 0, 0, 0x03, 0], Drivers.Transport.DataDirection.None, [], TimeSpan.FromSeconds(10));
            Assert.Equal(Drivers.Transport.ScsiResult.Good, load.Status);
        }

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Job("read-tgt", SourceKind.Archive, output, 1, "t1")), Long));
        var done = await TowerFixture.UntilFinished(tower, "read-tgt", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        var archived = File.ReadAllBytes(Path.Combine(output, "1.iso"));
        Assert.Equal(File.ReadAllBytes(image), archived); // tgt's backing file holds what the tower burned; the archive equals it
        Assert.Equal(sha, Convert.ToHexString(SHA256.HashData(archived)));
        Assert.Equal(sha, Assert.Single(done.Good.Values));
    }
}
