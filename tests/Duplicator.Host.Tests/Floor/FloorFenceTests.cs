using Duplicator.Host.Serving;
using Duplicator.Host.Tests.Serving;
using Npgsql;

namespace Duplicator.Host.Tests.Floor;

/// <summary>
/// The floor's fence on a real PostgreSQL server (<see cref="PostgresServer"/>): one floor lock; a holder the cluster
/// still counts as a member keeps it, one it downed is fenced (its lock's backend ended, the lock taken) and every
/// later journal write of that incarnation is refused by the ledger itself.
/// </summary>
public sealed class FloorFenceTests(FloorFenceTests.Server pg) : IClassFixture<FloorFenceTests.Server>
{
    /// <summary>One server for the class; each test has its own database.</summary>
    public sealed class Server : IDisposable
    {
        public PostgresServer Pg { get; } = new();
        public void Dispose() => Pg.Dispose();
    }

    private static FloorFence.Settings Settings(string cs, string incarnation, double leaseSeconds = 0) =>
        new(FloorWiring.TowerOf(incarnation), incarnation, cs) { Lease = TimeSpan.FromSeconds(leaseSeconds) };

    private static void Exec(string cs, string appName, string sql)
    {
        using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { ApplicationName = appName }.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    private static string Journal(string cs)
    {
        // The columns that matter here of Akka.Persistence.Sql's journal (the fence guards whatever table is there).
        Exec(cs, "setup", "CREATE TABLE journal (ordering bigserial PRIMARY KEY, persistence_id text NOT NULL, sequence_number bigint NOT NULL, message bytea, manifest text)");
        return cs;
    }

    [Fact]
    public void The_lock_held_by_a_member_is_not_taken_and_nothing_is_fenced()
    {
        var cs = Journal(pg.Pg.NewDatabase("fence_member"));
        using var first = FloorFence.Connect(Settings(cs, "t1-aaa"));
        Assert.True(FloorFence.TryTake(first, Settings(cs, "t1-aaa"), _ => true, _ => { }));
        using var second = FloorFence.Connect(Settings(cs, "t2-bbb"));

        Assert.False(FloorFence.TryTake(second, Settings(cs, "t2-bbb"), inc => inc == "t1-aaa", _ => { }));

        Assert.True(FloorFence.Holds(first));
        Assert.False(FloorFence.Holds(second));
        Assert.Equal(0L, pg.Pg.Scalar("fence_member", "SELECT count(*) FROM duplicator_fenced"));
        Assert.Equal("t1-aaa", pg.Pg.Scalar("fence_member", "SELECT incarnation FROM duplicator_floor WHERE id = 1"));
        Exec(cs, "t1-aaa", "INSERT INTO journal (persistence_id, sequence_number) VALUES ('duplicator-tower', 1)"); // the holder writes
    }

    [Fact]
    public void A_holder_the_floor_downed_is_fenced_its_lock_backend_ended_the_lock_taken_and_its_journal_writes_refused()
    {
        var cs = Journal(pg.Pg.NewDatabase("fence_downed"));
        using var zombie = FloorFence.Connect(Settings(cs, "t1-aaa"));
        Assert.True(FloorFence.TryTake(zombie, Settings(cs, "t1-aaa"), _ => true, _ => { }));
        Exec(cs, "t1-aaa", "INSERT INTO journal (persistence_id, sequence_number) VALUES ('duplicator-tower', 1)");
        using var next = FloorFence.Connect(Settings(cs, "t2-bbb"));
        var said = new List<string>();

        Assert.True(FloorFence.TryTake(next, Settings(cs, "t2-bbb"), inc => inc != "t1-aaa", said.Add));

        Assert.True(FloorFence.Holds(next));
        Assert.Contains(said, l => l.Contains("fenced t1-aaa off the ledger") && l.Contains("ended its lock's backend"));
        Assert.Equal("t2-bbb", pg.Pg.Scalar("fence_downed", "SELECT incarnation FROM duplicator_floor WHERE id = 1"));
        Assert.Equal("t1", pg.Pg.Scalar("fence_downed", "SELECT tower FROM duplicator_fenced WHERE incarnation = 't1-aaa'"));
        // The zombie's lock connection is gone (its host's watch stops it) ...
        Assert.ThrowsAny<Exception>(() => FloorFence.Holds(zombie));
        // ... and any other connection of that incarnation (the journal's pool) can write nothing, insert, update or delete.
        foreach (var sql in new[]
                 {
                     "INSERT INTO journal (persistence_id, sequence_number) VALUES ('duplicator-tower', 2)",
                     "UPDATE journal SET manifest = 'x'",
                     "DELETE FROM journal",
                 })
        {
            var e = Assert.Throws<PostgresException>(() => Exec(cs, "t1-aaa", sql));
            Assert.Contains("tower incarnation t1-aaa was downed by the floor and is fenced off the ledger", e.MessageText);
        }
        Assert.Equal(1L, pg.Pg.Scalar("fence_downed", "SELECT count(*) FROM journal"));
        // The new holder and a new incarnation of the same tower (restarted) write as before.
        Exec(cs, "t2-bbb", "INSERT INTO journal (persistence_id, sequence_number) VALUES ('duplicator-tower', 2)");
        Exec(cs, "t1-ccc", "INSERT INTO journal (persistence_id, sequence_number) VALUES ('drive-history-t1', 1)");
        Assert.Equal(3L, pg.Pg.Scalar("fence_downed", "SELECT count(*) FROM journal"));
    }

    [Fact]
    public void A_holder_that_still_renews_its_lease_is_not_fenced_even_when_this_towers_view_says_it_is_gone_and_is_once_it_falls_silent()
    {
        // CI saw it: a tower woken from SIGSTOP downed the others in its own view for a moment, became the singleton's
        // host and fenced the live router. The lease on the server's clock is what stops that.
        var cs = Journal(pg.Pg.NewDatabase("fence_lease"));
        using var live = FloorFence.Connect(Settings(cs, "t1-aaa"));
        Assert.True(FloorFence.TryTake(live, Settings(cs, "t1-aaa"), _ => true, _ => { }));
        using var woken = FloorFence.Connect(Settings(cs, "t3-ccc"));
        var said = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            Assert.True(FloorFence.Renew(live, "t1-aaa"));
            Assert.False(FloorFence.TryTake(woken, Settings(cs, "t3-ccc", leaseSeconds: 1.5), inc => inc != "t1-aaa", said.Add));
            Thread.Sleep(200);
        }
        Assert.True(FloorFence.Holds(live));
        Assert.Equal(0L, pg.Pg.Scalar("fence_lease", "SELECT count(*) FROM duplicator_fenced"));
        Assert.Contains(said, l => l.Contains("not fencing t1-aaa") && l.Contains("renewed its lease"));
        Exec(cs, "t1-aaa", "INSERT INTO journal (persistence_id, sequence_number) VALUES ('duplicator-tower', 1)"); // it still writes

        Thread.Sleep(TimeSpan.FromSeconds(1.8)); // silent (frozen) for longer than the lease
        Assert.True(FloorFence.TryTake(woken, Settings(cs, "t3-ccc", leaseSeconds: 1.5), inc => inc != "t1-aaa", said.Add));
        Assert.Equal("t3-ccc", pg.Pg.Scalar("fence_lease", "SELECT incarnation FROM duplicator_floor WHERE id = 1"));
        Assert.Equal(1L, pg.Pg.Scalar("fence_lease", "SELECT count(*) FROM duplicator_fenced WHERE incarnation = 't1-aaa'"));
        // The old holder's renewal names another holder now (its fence stops its host).
        Assert.False(FloorFence.Renew(woken, "t1-aaa"));
        Assert.True(FloorFence.Renew(woken, "t3-ccc"));
    }

    [Fact]
    public void Towers_of_a_floor_share_the_ledger_and_a_standalone_tower_runs_neither_beside_them_nor_they_beside_it()
    {
        var cs = pg.Pg.NewDatabase("fence_shared");
        using (var t1 = PostgresLedger.Open(cs, "tower t1", floor: true))
        {
            t1.ReleaseStart(); // its journal answered: the next tower may start
            using var t2 = PostgresLedger.Open(cs, "tower t2", floor: true);
            t2.ReleaseStart();
            var alone = Assert.Throws<Duplicator.Mastering.Imapi.ImapiException>(() => PostgresLedger.Open(cs, "standalone"));
            Assert.Contains("is in use by another duplicator: tower t2", alone.Message);
        }
        using var standalone = PostgresLedger.Open(cs, "standalone");
        var floor = Assert.Throws<Duplicator.Mastering.Imapi.ImapiException>(() => PostgresLedger.Open(cs, "tower t3", floor: true));
        Assert.Contains("is in use by a standalone duplicator: standalone; stop that one first, or give the floor its own database", floor.Message);
    }

    [Fact]
    public async Task Towers_of_a_floor_start_one_at_a_time_so_they_never_create_the_journal_tables_at_once()
    {
        var cs = pg.Pg.NewDatabase("fence_start");
        using var t1 = PostgresLedger.Open(cs, "tower t1", floor: true);
        var second = Task.Run(() => PostgresLedger.Open(cs, "tower t2", floor: true));
        // t1 has not said its journal answered: t2 waits (three towers started at once once failed with 23505 on
        // pg_type_typname_nsp_index, two of them creating the same table).
        Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(2)))); // still waiting
        Assert.Equal(1L, pg.Pg.Scalar("fence_start", $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = {PostgresLedger.StartLockKey & 0xFFFFFFFF}"));
        t1.ReleaseStart();
        using var t2 = await second.WaitAsync(TimeSpan.FromSeconds(60));
        t2.ReleaseStart();
        Assert.Equal(0L, pg.Pg.Scalar("fence_start", $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = {PostgresLedger.StartLockKey & 0xFFFFFFFF}"));
    }

    [Fact]
    public async Task The_fence_says_a_fresh_lease_once_per_interval_with_how_many_lines_it_held_back()
    {
        var said = new List<string>();
        var every = new LogEvery(TimeSpan.FromMilliseconds(300));
        for (int i = 0; i < 5; i++) every.Say("not fencing t1", said.Add);
        Assert.Equal(["not fencing t1"], said);
        await Task.Delay(400);
        every.Say("not fencing t1", said.Add);
        Assert.Equal(2, said.Count);
        Assert.Equal("not fencing t1 (4 more like it in the last 0.3 s)", said[1]);
    }
}
