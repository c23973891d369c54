using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>A journal that refuses the next N writes: a disk that failed for a moment.</summary>
public sealed class FlakyJournal : MemoryJournal
{
    /// <summary>Writes still to refuse.</summary>
    public static int FailNext;

    /// <summary>Writes refused so far.</summary>
    public static int Refused;

    protected override Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref FailNext) >= 0)
        {
            Interlocked.Increment(ref Refused);
            throw new IOException("disk I/O error (injected)");
        }
        return base.WriteMessagesAsync(messages, cancellationToken);
    }
}

/// <summary>The tower stopped mid-batch and started again on the same SQLite ledger; a journal write that fails.</summary>
public sealed class TowerRecoveryTests : IDisposable
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    public void Dispose() => _fx.Dispose();

    [Fact]
    public async Task Tower_restarted_on_its_SQLite_ledger_resumes_the_batch_and_ends_with_exactly_N_good_discs()
    {
        var db = Path.Combine(_fx.Dir, "ledger.db");
        var (image, sha) = _fx.Image(512);
        var script = new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(25));
        BatchState before;
        var first = new[] { new FakeDrive("d1", script), new FakeDrive("d2", script) };
        using (var sys = ActorSystem.Create("first", PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING")))
        {
            var tower = sys.ActorOf(Tower.Props(TowerFixture.Drives(first), TowerFixture.Fast(_fx.Stash)), "tower");
            Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(TowerFixture.ImageBatch("r1", image, copies: 6)), Long));
            // Stop the host while discs are being written, after some are done.
            do
            {
                await Task.Delay(20);
                before = (await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("r1"), Long)).State!;
            }
            while (before.Good.Count < 2 || before.InFlight.IsEmpty);
            await sys.Terminate();
        }
        int burnedBefore = first.Sum(d => d.Burned.Count);

        var second = new[] { new FakeDrive("d3", new FakeScript()), new FakeDrive("d4", new FakeScript()) };
        using (var sys = ActorSystem.Create("second", PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING")))
        {
            var tower = sys.ActorOf(Tower.Props(TowerFixture.Drives(second), TowerFixture.Fast(_fx.Stash)), "tower");
            var done = await TowerFixture.UntilFinished(tower, "r1", Long);
            await sys.Terminate();

            Assert.Equal(BatchStatus.Completed, done.Status);
            Assert.Equal(6, done.Good.Count);
            Assert.All(done.Good.Values, h => Assert.Equal(sha, h));
            Assert.True(done.Interrupted >= 1, "the discs in flight at the stop were failed as interrupted");
            Assert.All(done.Discs.Values.Where(d => d.State == DiscState.Interrupted), d => Assert.Equal("interrupted", d.Reason));
            // Every disc acknowledged before the stop still counts, once; every disc burned after the restart counts, once.
            Assert.All(before.Good, g => Assert.Equal(g.Value, done.Good[g.Key]));
            var goodFirst = done.Discs.Values.Count(d => d.State == DiscState.Completed && d.Drive is "d1" or "d2");
            var goodSecond = done.Discs.Values.Count(d => d.State == DiscState.Completed && d.Drive is "d3" or "d4");
            Assert.InRange(goodFirst, before.Good.Count, burnedBefore);
            Assert.Equal(second.Sum(d => d.Burned.Count), goodSecond);
            Assert.Equal(6, goodFirst + goodSecond);
        }
    }

    [Fact]
    public async Task A_quarantined_drive_stays_quarantined_after_a_restart_until_an_operator_clears_it()
    {
        var db = Path.Combine(_fx.Dir, "ledger.db");
        var (image, _) = _fx.Image(128);
        var config = PersistenceConfig.Sqlite(db).WithFallback("akka.loglevel = WARNING");
        async Task<Tower.DriveStatus> Restarted(Func<IActorRef, Task>? act = null)
        {
            using var sys = ActorSystem.Create("q" + Guid.NewGuid().ToString("N")[..6], config);
            var tower = sys.ActorOf(Tower.Props(TowerFixture.Drives(new FakeDrive("bad", new FakeScript(FailAtBlock: 5)), new FakeDrive("ok", new FakeScript())),
                TowerFixture.Fast(_fx.Stash, quarantineAfter: 1)), "tower");
            if (act != null) await act(tower);
            var status = await TowerFixture.Drive(tower, "bad");
            await sys.Terminate();
            return status;
        }

        var first = await Restarted(async tower =>
        {
            Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(TowerFixture.ImageBatch("q1", image, copies: 3)), Long));
            await TowerFixture.UntilFinished(tower, "q1", Long);
        });
        Assert.True(first.Quarantined);
        var afterRestart = await Restarted();
        Assert.True(afterRestart.Quarantined);
        Assert.Contains("failed discs in a row", afterRestart.Message);
        var cleared = await Restarted(async tower => Assert.Equal(new Tower.Done(true), await tower.Ask<Tower.Done>(new Tower.ClearQuarantine("bad"), Long)));
        Assert.False(cleared.Quarantined);
        Assert.False((await Restarted()).Quarantined);
    }

    [Fact]
    public async Task A_journal_write_that_fails_loses_no_disc_and_the_batch_still_ends_with_exactly_N()
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.persistence.journal.plugin = "akka.persistence.journal.flaky"
            akka.persistence.journal.flaky.class = "{{typeof(FlakyJournal).AssemblyQualifiedName}}"
            akka.persistence.journal.flaky.plugin-dispatcher = "akka.actor.default-dispatcher"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(PersistenceConfig.InMemory());
        var (image, sha) = _fx.Image(256);
        var drives = new[] { new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(10))), new FakeDrive("d2", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(10))) };
        using var sys = ActorSystem.Create("flaky", config);
        FlakyJournal.Refused = 0;
        var tower = sys.ActorOf(Tower.Props(TowerFixture.Drives(drives), TowerFixture.Fast(_fx.Stash)), "tower");
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(TowerFixture.ImageBatch("j1", image, copies: 5)), Long));
        BatchState mid;
        do
        {
            await Task.Delay(10);
            mid = (await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("j1"), Long)).State!;
        }
        while (mid.Good.Count < 1);
        FlakyJournal.FailNext = 1; // the next ledger fact (a disc completing or starting) is refused by the disk

        var done = await TowerFixture.UntilFinished(tower, "j1", Long);
        await sys.Terminate();

        Assert.Equal(1, FlakyJournal.Refused);
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(5, done.Good.Count);
        Assert.All(done.Good.Values, h => Assert.Equal(sha, h));
        Assert.Empty(done.InFlight);
        Assert.True(drives.Sum(d => d.Burned.Count) >= 5); // a disc whose completion was refused is made again, never counted twice
    }
}
