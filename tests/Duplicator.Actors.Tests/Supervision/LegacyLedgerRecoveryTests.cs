using System.Text.Json;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>
/// A real SQLite ledger written by main at 026b234 (Batches/Golden/ledger-026b234.db: five batches burned on emulated
/// and fake drives, one drive quarantined, cleared and quarantined again, the host stopped mid-disc) recovers with
/// every batch and disc as 026b234 itself recovered them (ledger-026b234.expected.json, written by that code).
/// </summary>
public sealed class LegacyLedgerRecoveryTests : IDisposable
{
    private readonly TowerFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task Ledger_written_by_026b234_recovers_every_batch_disc_and_quarantine_as_it_was()
    {
        var golden = Path.Combine(AppContext.BaseDirectory, "Batches", "Golden");
        var db = Path.Combine(_fx.Dir, "ledger.db");
        File.Copy(Path.Combine(golden, "ledger-026b234.db"), db);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(golden, "ledger-026b234.expected.json")));
        var f1 = new FakeDrive("f1", new FakeScript());
        var timeout = TimeSpan.FromSeconds(30);
        using var sys = ActorSystem.Create("legacy", PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING"));
        var tower = sys.ActorOf(Tower.Props([new Tower.DriveSpec("f1", "fake:f1", () => f1)], TowerFixture.Fast(_fx.Stash)), "tower");

        var deadline = DateTime.UtcNow + timeout;
        BatchState[] all;
        do
        {
            await Task.Delay(100);
            all = await tower.Ask<BatchState[]>(Tower.GetBatches.Instance, timeout);
        }
        while ((all.Length < 5 || all.Any(b => b.Status == BatchStatus.New || b.InFlight.Count > 0)) && DateTime.UtcNow < deadline);
        var drives = await tower.Ask<Tower.DriveStatus[]>(Tower.GetDrives.Instance, timeout);

        var want = expected.RootElement.GetProperty("batches").EnumerateArray().ToArray();
        Assert.Equal(want.Select(b => b.GetProperty("id").GetString()), all.Select(b => b.Spec!.BatchId));
        foreach (var (w, b) in want.Zip(all))
        {
            var spec = b.Spec!;
            var id = spec.BatchId;
            Assert.Equal(w.GetProperty("source").GetString(), spec.Source);
            Assert.Equal(w.GetProperty("paths").EnumerateArray().Select(p => p.GetString()), spec.Paths.Select(Path.GetFileName));
            Assert.Equal(w.GetProperty("copies").GetInt32(), spec.Copies);
            Assert.Equal(w.GetProperty("verify").GetBoolean(), spec.Options.Verify);
            Assert.Equal(w.GetProperty("threshold").GetInt32(), spec.Options.FailedDiscThreshold);
            Assert.Equal(w.GetProperty("drives").EnumerateArray().Select(p => p.GetString()), spec.Options.Drives);
            Assert.Equal(w.GetProperty("discAtOnce").GetBoolean(), spec.Options.DiscAtOnce);
            Assert.Equal(w.GetProperty("volume").GetString(), spec.Volume);
            Assert.Equal(w.GetProperty("media").GetString(), spec.Media);
            Assert.True(w.GetProperty("status").GetString() == b.Status.ToString(), $"{id}: status {b.Status}");
            Assert.Equal(w.GetProperty("reason").GetString(), b.Reason);
            Assert.Equal(w.GetProperty("good").GetInt32(), b.Good.Count);
            Assert.Equal(w.GetProperty("failed").GetInt32(), b.Failed);
            Assert.Equal(w.GetProperty("interrupted").GetInt32(), b.Interrupted);
            Assert.Equal(w.GetProperty("nextDisc").GetInt32(), b.NextDisc);
            Assert.Equal(w.GetProperty("imageSha256").GetString(), b.ImageSha256);
            Assert.Equal(w.GetProperty("hasStash").GetBoolean(), b.StashPath != null);
            var discs = w.GetProperty("discs").EnumerateArray().Select(d => (d.GetProperty("number").GetInt32(), d.GetProperty("drive").GetString(),
                d.GetProperty("state").GetString(), d.GetProperty("sha256").GetString(), d.GetProperty("reason").GetString())).ToArray();
            Assert.Equal(discs, b.Discs.Values.Select(d => (d.Disc, (string?)d.Drive, (string?)d.State, d.Sha256, d.Reason)));
        }
        var quarantined = expected.RootElement.GetProperty("quarantined").EnumerateArray()
            .Select(q => (q.GetProperty("id").GetString(), q.GetProperty("reason").GetString())).ToArray();
        Assert.Equal(quarantined, drives.Where(d => d.Quarantined).Select(d => ((string?)d.Id, d.Message)));
        Assert.Equal(0, f1.Started); // quarantined since 026b234: it burns nothing
        await sys.Terminate();
    }
}
