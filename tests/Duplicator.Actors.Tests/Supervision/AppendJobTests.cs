using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>
/// Append batches (<see cref="BatchOptions.Append"/>): each drive holds the same pre-recorded appendable disc
/// (<c>load=PATH&amp;state=appendable</c>); the tower checks the disc's identity, builds that disc's session over its last
/// one and writes it; xorriso and isoinfo read the old files and the new ones in the last session. A closed disc and one
/// with another volume ID fail as the disc's fault, with nothing written on them.
/// </summary>
public sealed class AppendJobTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
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

    private sealed class Quiet : IDiscMasterProgressEvents;

    private Tower.DriveSpec Drive(string id, string url) => new(id, url, () =>
    {
        var emu = EmulatedRecorder.FromUrl(url);
        _made[id] = emu;
        return new MmcDiscRecorder(emu);
    });

    private IActorRef StartTower(string name, params Tower.DriveSpec[] drives) =>
        Sys.ActorOf(Tower.Props(drives, TowerFixture.Fast(_fx.Stash)), name);

    private string Folder(string name, params (string Path, int Bytes, int Seed)[] files)
    {
        var root = Directory.CreateDirectory(Path.Combine(_fx.Dir, name)).FullName;
        foreach (var (path, bytes, seed) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var data = new byte[bytes];
            new Random(seed).NextBytes(data);
            File.WriteAllBytes(full, data);
        }
        return root;
    }

    /// <summary>A DVD+R with one session of <paramref name="folder"/> as volume <paramref name="volume"/>, left appendable (or closed): its disc file.</summary>
    private string PreRecorded(string name, string folder, string volume, bool close)
    {
        using var emu = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={Path.Combine(_fx.Dir, "pre")}&name={name}");
        using var drive = new MmcDevice(emu);
        DataSessionWriter.Append(drive, (disc, previous, start) =>
        {
            var s = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: volume) };
            s.AddData(folder, false);
            return s.BuildSession(disc, previous, start);
        }, new RecordOptions(), close, new Quiet(), CancellationToken.None);
        return emu.CurrentImagePath!;
    }

    private static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start (scripts/install-deps.sh)");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }

    /// <summary>The last track (= the last session on DVD+R) of an emulated disc file, from the sidecar the drive wrote.</summary>
    private static (long Start, long Length) LastTrack(string disc)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.ChangeExtension(disc, ".json")));
        var last = doc.RootElement.GetProperty("tracks").EnumerateArray().Last();
        return (last.GetProperty("start").GetInt64(), last.GetProperty("length").GetInt64());
    }

    private static BatchSpec AppendJob(string id, string folder, int copies, int threshold = 0, bool verify = false, bool finalize = false) =>
        new(id, SourceKind.Folder, [folder], copies,
            new BatchOptions(verify, 0, threshold, true, []) { Append = new AppendSpec(finalize), Expect = new DiscIdentity("invoices_2026", "/OLD.TXT") },
            Volume: "INVOICES_2026", FileSystem: "joliet");

    [Theory]
    [InlineData(false, false)] // the ledger's hash: the session as built, hashed
    [InlineData(true, true)]   // read back in full; the disc closed after the session
    public async Task Three_drives_holding_the_same_appendable_disc_each_get_the_new_files_over_the_old_in_a_second_session(bool verify, bool finalize)
    {
        var old = Folder("old", ("OLD.TXT", 5000, 1), ("docs/a.bin", 70_000, 2), ("SAME.TXT", 100, 3));
        var pre = PreRecorded("p", old, "INVOICES_2026", close: false);
        var preSha = SHA256.HashData(File.ReadAllBytes(pre));
        var fresh = Folder("new", ("NEW.TXT", 3000, 4), ("docs/b.bin", 200_000, 5), ("SAME.TXT", 777, 6)); // SAME.TXT replaces the old one
        var tower = StartTower("tower", [.. Enumerable.Range(1, 3).Select(i => Drive($"g{i}", $"emulated:dvd+r?dir={Discs}&name=g{i}&load={pre}&state=appendable"))]);
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(AppendJob("add", fresh, 3, verify: verify, finalize: finalize)), Long));
        var done = await TowerFixture.UntilFinished(tower, "add", Long);

        Assert.True(done.Status == BatchStatus.Completed, done.Reason);
        Assert.Equal(3, done.Good.Count);
        Assert.Equal(["g1", "g2", "g3"], done.Discs.Values.Where(d => d.State == DiscState.Completed).Select(d => d.Drive).Order());
        Assert.Equal(preSha, SHA256.HashData(File.ReadAllBytes(pre))); // the loaded disc file is never written
        foreach (var entry in done.Discs.Values.Where(d => d.State == DiscState.Completed))
        {
            var disc = Directory.GetFiles(Path.Combine(Discs, entry.Drive), "disc-*.iso").Single();
            var (start, length) = LastTrack(disc);
            Assert.True(start > 0);
            using (var sidecar = JsonDocument.Parse(File.ReadAllBytes(Path.ChangeExtension(disc, ".json"))))
            {
                Assert.Equal(finalize ? "complete" : "appendable", sidecar.RootElement.GetProperty("status").GetString());
                Assert.Equal(2, sidecar.RootElement.GetProperty("sessions").GetInt32());
            }
            // Verified: the session was read back in full (beyond the descriptors and folders the checks read).
            Assert.Equal(verify, _made[entry.Drive].BytesRead >= length * 2048);
            // The ledger's hash is the SHA-256 of the session written, read here from the disc file itself.
            using (var f = File.OpenRead(disc))
            {
                var bytes = new byte[length * 2048];
                f.Position = start * 2048;
                f.ReadExactly(bytes);
                Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), entry.Sha256);
            }
            Assert.Equal(["/NEW.TXT", "/OLD.TXT", "/SAME.TXT", "/docs", "/docs/a.bin", "/docs/b.bin"],
                Run("isoinfo", "-i", disc, "-T", start.ToString(), "-J", "-f").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            var x = Path.Combine(_fx.Dir, "x-" + entry.Drive);
            Run("xorriso", "-abort_on", "FAILURE", "-indev", disc, "-load", "sbsector", start.ToString(), "-osirrox", "on", "-extract", "/", x);
            foreach (var (folder, rel) in new[] { (old, "OLD.TXT"), (old, "docs/a.bin"), (fresh, "NEW.TXT"), (fresh, "docs/b.bin"), (fresh, "SAME.TXT") })
                Assert.True(File.ReadAllBytes(Path.Combine(folder, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(x, rel))), $"{entry.Drive}: {rel} differs in the last session");
            Assert.Equal(["/OLD.TXT", "/SAME.TXT", "/docs", "/docs/a.bin"], // the first session as it was
                Run("isoinfo", "-i", disc, "-T", "0", "-J", "-f").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task A_closed_disc_and_a_disc_with_another_volume_ID_fail_as_the_discs_fault_with_nothing_written()
    {
        var old = Folder("old", ("OLD.TXT", 5000, 1));
        var closed = PreRecorded("c", old, "INVOICES_2026", close: true);
        var other = PreRecorded("o", old, "OTHER_2025", close: false);
        var (closedSha, otherSha) = (SHA256.HashData(File.ReadAllBytes(closed)), SHA256.HashData(File.ReadAllBytes(other)));
        var fresh = Folder("new", ("NEW.TXT", 3000, 4));
        var tower = StartTower("tower", Drive("c1", $"emulated:dvd+r?dir={Discs}&name=c1&load={closed}"),
            Drive("w1", $"emulated:dvd+r?dir={Discs}&name=w1&load={other}&state=appendable"));
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(AppendJob("add", fresh, 2, threshold: 2)), Long));
        var done = await TowerFixture.UntilFinished(tower, "add", Long);

        Assert.Equal(BatchStatus.Failed, done.Status);
        Assert.Equal("2 discs failed, the threshold is 2", done.Reason);
        var byDrive = done.Discs.Values.ToDictionary(d => d.Drive);
        Assert.Equal(DiscState.Failed, byDrive["c1"].State);
        Assert.StartsWith("IMAPI_E_WRONGDISC: c1: ", byDrive["c1"].Reason);
        Assert.Contains("is closed (finalized, 1 session(s)): no session can be appended", byDrive["c1"].Reason);
        Assert.StartsWith("IMAPI_E_WRONGDISC: w1: ", byDrive["w1"].Reason);
        Assert.Contains("the disc's volume ID is 'OTHER_2025', the job wants 'invoices_2026'; nothing was written", byDrive["w1"].Reason);
        foreach (var d in new[] { "c1", "w1" })
        {
            Assert.False(Directory.Exists(Path.Combine(Discs, d)) && Directory.EnumerateFiles(Path.Combine(Discs, d), "disc-*").Any(), $"{d} wrote a disc file");
            Assert.Equal(0, _made[d].BytesWritten);
            Assert.False((await TowerFixture.Drive(tower, d)).Quarantined); // the disc's fault, not the drive's
        }
        Assert.Equal(closedSha, SHA256.HashData(File.ReadAllBytes(closed)));
        Assert.Equal(otherSha, SHA256.HashData(File.ReadAllBytes(other)));
    }
}
