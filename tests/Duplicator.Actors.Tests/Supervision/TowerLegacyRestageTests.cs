using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>
/// A folder batch as main at bbc74e6 recorded it (no file system: Batches/Golden/bbc74e6/bs.folder.bin) staged by the
/// tower, its stash lost while the host was down, restaged after a restart on the same SQLite ledger: the same bytes as
/// bbc74e6 staged (Golden/bbc74e6/restage.json), so the batch goes on instead of failing with SourceChanged.
/// </summary>
public sealed class TowerLegacyRestageTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);
    private readonly TowerFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task A_batch_recorded_before_file_systems_restages_after_a_restart_the_bytes_bbc74e6_staged_and_completes()
    {
        var golden = Path.Combine(AppContext.BaseDirectory, "Batches", "Golden", "bbc74e6");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(golden, "restage.json")));
        string sha = expected.RootElement.GetProperty("sha256").GetString()!;
        var corpus = Images.GoldenCorpus.Create(_fx.Dir);
        var db = Path.Combine(_fx.Dir, "ledger.db");
        var config = PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING");

        BatchSpec spec;
        using (var sys = ActorSystem.Create("legacy-1", config))
        {
            // The ledger bbc74e6 left: the batch registered with the tower, submitted (its payload as bbc74e6 wrote it, the
            // source where this test put the same tree) and staged (its hash as bbc74e6 computed it), no disc made yet.
            var bytes = File.ReadAllBytes(Path.Combine(golden, "bs.folder.bin"));
            var submitted = (BatchSubmitted)new BatchSerializer((ExtendedActorSystem)sys).FromBinary(bytes, "bs");
            spec = submitted.Spec with { Paths = [corpus] };
            Assert.Null(spec.FileSystem);
            var stashPath = Path.Combine(ImageStager.StashFolder(_fx.Stash, spec.BatchId), "image.iso");
            await Write(sys, Tower.PersistenceId, new BatchRegistered(spec.BatchId, submitted.At));
            await Write(sys, Batch.PersistenceId(spec.BatchId), submitted with { Spec = spec },
                new ImageStaged(spec.BatchId, stashPath, sha, expected.RootElement.GetProperty("sectors").GetInt64()));
            await sys.Terminate();
        }
        Assert.False(Directory.Exists(_fx.Stash)); // the stash was lost while the host was down: the restart must restage from the source

        var discs = Path.Combine(_fx.Dir, "discs");
        using (var sys = ActorSystem.Create("legacy-2", config))
        {
            var drives = Enumerable.Range(1, 2).Select(i =>
            {
                var url = $"emulated:dvd+r?dir={discs}&name=e{i}&autoreload=true";
                return new Tower.DriveSpec($"e{i}", url, () => RecorderLocator.Open(url));
            }).ToArray();
            var tower = sys.ActorOf(Tower.Props(drives, TowerFixture.Fast(_fx.Stash)), "tower");
            var done = await TowerFixture.UntilFinished(tower, spec.BatchId, Long);
            await sys.Terminate();

            Assert.True(done.Status == BatchStatus.Completed, $"{done.Status}: {done.Reason}");
            Assert.Equal(3, done.Good.Count);
            Assert.All(done.Good.Values, h => Assert.Equal(sha, h)); // verified read-backs of the restaged image
            Assert.Null(done.Spec!.FileSystem); // the ledger still says what it said
        }
        var files = Directory.GetFiles(discs, "disc-*.iso", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0).ToArray();
        Assert.Equal(3, files.Length);
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.Equal(sha, Convert.ToHexString(SHA256.HashData(bytes.AsSpan(0, bytes.Length - bytes.Length % 2048))));
            Assert.Equal("CD001", Encoding.ASCII.GetString(bytes, 17 * 2048 + 1, 5)); // the Joliet descriptor
            Assert.NotEqual("BEA01", Encoding.ASCII.GetString(bytes, 19 * 2048 + 1, 5)); // and no UDF, although a dvd now defaults to the bridge
        }
    }

    /// <summary>Persists <paramref name="events"/> under <paramref name="persistenceId"/> in the system's journal, as the actor that owns it would.</summary>
    private static async Task Write(ActorSystem sys, string persistenceId, params object[] events)
    {
        var writer = sys.ActorOf(Props.Create(() => new JournalWriter(persistenceId)));
        Assert.Equal("written", await writer.Ask<string>(events, Long));
        await writer.GracefulStop(Long);
    }

    private sealed class JournalWriter : Akka.Persistence.ReceivePersistentActor
    {
        public JournalWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            Command<object[]>(events =>
            {
                var sender = Sender;
                PersistAll(events, _ => { });
                DeferAsync("written", w => sender.Tell(w));
            });
        }

        public override string PersistenceId { get; }
    }
}
