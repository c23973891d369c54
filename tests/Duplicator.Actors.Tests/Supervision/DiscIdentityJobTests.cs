using System.Collections.Concurrent;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>
/// A verify-only job that names the disc it expects (<see cref="BatchOptions.Expect"/>: volume ID, a file) checks each
/// loaded disc first, as PTBurn's CheckVolumeIDOnDisc / CheckFileOnDisc: a disc that is not the one fails as the disc's
/// fault with the operator's message, before it is read through for hashing.
/// </summary>
public sealed class DiscIdentityJobTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private readonly ConcurrentDictionary<string, EmulatedRecorder> _made = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private string Discs => Path.Combine(_fx.Dir, "discs");

    private Tower.DriveSpec Drive(string id, string url) => new(id, url, () =>
    {
        var emu = EmulatedRecorder.FromUrl(url);
        _made[id] = emu;
        return new MmcDiscRecorder(emu);
    });

    private IActorRef StartTower(string name, params Tower.DriveSpec[] drives) =>
        Sys.ActorOf(Tower.Props(drives, TowerFixture.Fast(_fx.Stash)), name);

    private async Task StopTower(IActorRef tower)
    {
        Watch(tower);
        Sys.Stop(tower);
        ExpectTerminated(tower, Long);
        await Task.Delay(200);
    }

    private string Folder(string name, bool readme)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_fx.Dir, "src-" + name)).FullName;
        var data = new byte[3 << 20];
        new Random(name.Length).NextBytes(data);
        File.WriteAllBytes(Path.Combine(dir, "INVOICES.BIN"), data);
        if (readme) File.WriteAllText(Path.Combine(dir, "README.TXT"), "invoices of 2026\n");
        return dir;
    }

    /// <summary>Burns three folder discs on three drives: the reference, one with another volume ID, one without README.TXT.</summary>
    private async Task<(string Ref, string Other, string NoFile, string Sha)> BurnDiscs()
    {
        var tower = StartTower("burner", Drive("w1", $"emulated:dvd+r?dir={Discs}&name=w1"), Drive("w2", $"emulated:dvd+r?dir={Discs}&name=w2"), Drive("w3", $"emulated:dvd+r?dir={Discs}&name=w3"));
        var jobs = new[] { ("ref", "INVOICES_2026", true, "w1"), ("other", "OTHER_2025", true, "w2"), ("nofile", "INVOICES_2026", false, "w3") };
        string sha = "";
        foreach (var (id, volume, readme, drive) in jobs)
        {
            var spec = new BatchSpec(id, SourceKind.Folder, [Folder(id, readme)], 1, new BatchOptions(true, 0, 0, true, [drive]), Volume: volume);
            Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));
            var done = await TowerFixture.UntilFinished(tower, id, Long);
            Assert.True(done.Status == BatchStatus.Completed, done.Reason);
            if (id == "ref") sha = done.ImageSha256!;
        }
        await StopTower(tower);
        string Disc(string drive) => Directory.GetFiles(Path.Combine(Discs, drive), "disc-*.iso").Single(f => new FileInfo(f).Length > 0);
        return (Disc("w1"), Disc("w2"), Disc("w3"), sha);
    }

    [Fact]
    public async Task A_disc_without_the_expected_volume_ID_or_file_fails_as_the_discs_fault_before_it_is_read_through()
    {
        var (reference, other, noFile, sha) = await BurnDiscs();
        long sectors = new FileInfo(reference).Length / 2048;
        var tower = StartTower("checker", Drive("v1", $"emulated:dvd+r?dir={Discs}&name=v1&load={reference}"),
            Drive("v2", $"emulated:dvd+r?dir={Discs}&name=v2&load={other}"), Drive("v3", $"emulated:dvd+r?dir={Discs}&name=v3&load={noFile}"));
        var expect = new DiscIdentity("invoices_2026", "/README.TXT"); // compared ignoring case, as the check does
        var job = new BatchSpec("check", SourceKind.Verify, ["ref"], 3, new BatchOptions(false, 0, 0, true, ["v1", "v2", "v3"]) { Expect = expect });
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(job), Long));
        var done = await TowerFixture.UntilFinished(tower, "check", Long);

        Assert.Equal("3 disc(s) checked against ref: 1 good, 2 bad", done.Reason);
        var byDrive = done.Discs.Values.ToDictionary(d => d.Drive);
        Assert.Equal((DiscState.Completed, sha), (byDrive["v1"].State, byDrive["v1"].Sha256));
        Assert.Equal(DiscState.Failed, byDrive["v2"].State);
        Assert.Equal("IMAPI_E_WRONGDISC: v2: the disc's volume ID is 'OTHER_2025', the job wants 'invoices_2026'; load the disc this job expects (volume 'invoices_2026', file '/README.TXT')",
            byDrive["v2"].Reason);
        Assert.Equal("IMAPI_E_WRONGDISC: v3: the disc (volume ID 'INVOICES_2026') has no file '/README.TXT'; load the disc this job expects (volume 'invoices_2026', file '/README.TXT')",
            byDrive["v3"].Reason);
        // The good disc was read through once for its hash; the wrong ones only as far as their descriptors and root directory.
        Assert.True(_made["v1"].BytesRead >= sectors * 2048, $"v1 read {_made["v1"].BytesRead} bytes");
        foreach (var wrong in new[] { "v2", "v3" })
        {
            Assert.InRange(_made[wrong].BytesRead, 1, 64 * 2048);
            Assert.False((await TowerFixture.Drive(tower, wrong)).Quarantined); // the disc's fault, not the drive's
        }
        var history = (await tower.Ask<Duplicator.Actors.Drives.DriveHistory.Histories>(Duplicator.Actors.Drives.DriveHistory.Get.Instance, Long)).Drives;
        Assert.Equal(0, history.TryGetValue("v2", out var h2) ? h2.Bad : 0); // never counted against the drive
    }

    [Fact]
    public async Task A_verify_only_job_expecting_the_disc_it_is_given_checks_it_as_before()
    {
        var (reference, _, _, sha) = await BurnDiscs();
        var tower = StartTower("checker", Drive("v1", $"emulated:dvd+r?dir={Discs}&name=v1&load={reference}"));
        var job = new BatchSpec("check", SourceKind.Verify, ["ref"], 1, new BatchOptions(false, 0, 0, true, ["v1"]) { Expect = new DiscIdentity("INVOICES_2026") });
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(job), Long));
        var done = await TowerFixture.UntilFinished(tower, "check", Long);
        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        Assert.Equal(sha, Assert.Single(done.Discs.Values).Sha256);
    }
}
