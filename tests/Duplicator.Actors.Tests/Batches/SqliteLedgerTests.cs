using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>The ledger in a real SQLite file through Akka.Persistence.Sql, across two actor systems.</summary>
public sealed class SqliteLedgerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-ledger-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task Facts_acknowledged_by_one_actor_system_are_there_for_the_next()
    {
        var db = Path.Combine(_dir, "ledger.db");
        var spec = new BatchSpec("s1", SourceKind.Image, ["/srv/a.iso"], 3, new BatchOptions(true, 0, 3, true, ["drive-1"]));
        using (var first = ActorSystem.Create("first", PersistenceConfig.Sqlite(db)))
        {
            var batch = first.ActorOf(Batch.Props("s1", snapshotEvery: 2));
            var ask = TimeSpan.FromSeconds(20);
            Assert.IsType<Batch.Accepted>(await batch.Ask<object>(new SubmitBatch(spec, DateTimeOffset.UnixEpoch), ask));
            Assert.IsType<Batch.Accepted>(await batch.Ask<object>(new StartDisc("drive-1"), ask));
            Assert.IsType<Batch.Accepted>(await batch.Ask<object>(new CompleteDisc(1, "drive-1", "abc"), ask));
            Assert.IsType<Batch.Accepted>(await batch.Ask<object>(new StartDisc("drive-1"), ask));
            await first.Terminate();
        }
        using (var second = ActorSystem.Create("second", PersistenceConfig.Sqlite(db)))
        {
            var batch = second.ActorOf(Batch.Props("s1", snapshotEvery: 2));
            var state = await batch.Ask<BatchState>(Batch.GetState.Instance, TimeSpan.FromSeconds(20));
            Assert.Equal(3, state.Spec!.Copies);
            Assert.Equal("abc", state.Good[1]);
            Assert.Empty(state.InFlight);
            Assert.Equal(1, state.Interrupted);
            await second.Terminate();
        }
        Assert.True(new FileInfo(db).Length > 0);
    }

    [Fact]
    public async Task A_provider_and_connection_string_configure_the_same_journal_for_any_Linq2Db_database()
    {
        // The generic path a config with storage.provider + storage.connectionString takes, here on SQLite's provider.
        var db = Path.Combine(_dir, "generic.db");
        var config = PersistenceConfig.Sql("SQLite.MS", $"Data Source={db}");
        var spec = new BatchSpec("g1", SourceKind.Image, ["/srv/a.iso"], 2, new BatchOptions(false, 0, 0, true, []));
        using (var first = ActorSystem.Create("g-first", config))
        {
            var batch = first.ActorOf(Batch.Props("g1"));
            Assert.IsType<Batch.Accepted>(await batch.Ask<object>(new SubmitBatch(spec, DateTimeOffset.UnixEpoch), TimeSpan.FromSeconds(20)));
            await first.Terminate();
        }
        using (var second = ActorSystem.Create("g-second", config))
        {
            var state = await second.ActorOf(Batch.Props("g1")).Ask<BatchState>(Batch.GetState.Instance, TimeSpan.FromSeconds(20));
            Assert.Equal(2, state.Spec!.Copies);
            await second.Terminate();
        }
    }
}
