using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The tower's registry across restarts (snapshots, finished batches as summaries), its dispatch strategy, failure codes in the ledger.</summary>
public sealed class TowerRegistryTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private async Task Stop(IActorRef tower)
    {
        Watch(tower);
        tower.Tell(PoisonPill.Instance);
        ExpectTerminated(tower, Long);
        await Task.Delay(100);
    }

    private async Task<int> Ledgers()
    {
        var inbox = Inbox.Create(Sys);
        Sys.ActorSelection("/user/tower/ledger-*").Tell(new Identify(null), inbox.Receiver);
        int n = 0;
        try
        {
            while (true)
                if (await inbox.ReceiveAsync(TimeSpan.FromMilliseconds(400)) is ActorIdentity { Subject: not null }) n++;
        }
        catch (TimeoutException)
        {
        }
        return n;
    }

    [Fact]
    public async Task After_a_restart_finished_batches_come_from_the_registry_snapshot_and_their_ledgers_are_read_only_when_asked()
    {
        var (image, sha) = _fx.Image(64);
        var d1 = new FakeDrive("d1", new FakeScript());
        var settings = TowerFixture.Fast(_fx.Stash) with { SnapshotEvery = 2 };
        var tower = Sys.ActorOf(Tower.Props(TowerFixture.Drives(d1), settings), "tower");
        foreach (var id in new[] { "f1", "f2", "f3" })
        {
            Assert.IsType<Tower.Submitted>(await tower.Ask<Tower.SubmitReply>(new Tower.Submit(TowerFixture.ImageBatch(id, image, copies: 2)), Long));
            Assert.Equal(BatchStatus.Completed, (await TowerFixture.UntilFinished(tower, id, Long)).Status);
        }
        await Task.Delay(300); // the last BatchClosed is persisted after the ledger's answer
        await Stop(tower);

        var store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        var loaded = await store.Ask<LoadSnapshotResult>(new LoadSnapshot(Tower.PersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue), Long);
        var snapshot = Assert.IsType<TowerRegistry>(loaded.Snapshot!.Snapshot);
        Assert.True(snapshot.Batches.Count(b => !b.IsOpen) >= 2, "the snapshot holds finished batches as summaries");

        tower = Sys.ActorOf(Tower.Props(TowerFixture.Drives(d1), settings), "tower");
        var list = (await tower.Ask<Tower.BatchList>(Tower.GetBatches.Instance, Long)).Batches;
        Assert.Equal(["f3", "f2", "f1"], list.Select(b => b.Id));
        Assert.All(list, b => Assert.Equal((BatchStatus.Completed, 2, true), (b.Status, b.Good, b.Staged)));
        Assert.Equal(0, await Ledgers()); // nothing finished is recovered at start

        // Many asking at once share one reader of the ledger, and everyone gets the same answer.
        var many = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("f1"), Long)));
        Assert.All(many, m => Assert.Equal(2, m.State!.Good.Count));
        var f1 = (await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("f1"), Long)).State!;
        Assert.Equal([DiscState.Completed, DiscState.Completed], f1.Discs.Values.Select(d => d.State));
        Assert.All(f1.Good.Values, h => Assert.Equal(sha, h));
        var again = Assert.IsType<Tower.Submitted>(await tower.Ask<Tower.SubmitReply>(new Tower.Submit(TowerFixture.ImageBatch("f2", image, copies: 9)), Long));
        Assert.False(again.Created);
        Assert.Equal(2, again.State.Spec!.Copies);
        Assert.Null((await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("nope"), Long)).State);
        Assert.Equal(6, d1.Burned.Count); // reading a finished batch burns nothing
    }

    [Fact]
    public async Task The_tower_hands_out_discs_as_its_dispatch_strategy_says()
    {
        var (image, _) = _fx.Image(32);
        var d1 = new FakeDrive("d1", new FakeScript());
        var d2 = new FakeDrive("d2", new FakeScript());
        var settings = TowerFixture.Fast(_fx.Stash) with { Dispatch = new OnlyDrive("d2") };
        var tower = Sys.ActorOf(Tower.Props(TowerFixture.Drives(d1, d2), settings), "tower");
        await tower.Ask<Tower.SubmitReply>(new Tower.Submit(TowerFixture.ImageBatch("s1", image, copies: 3)), Long);
        var done = await TowerFixture.UntilFinished(tower, "s1", Long);
        Assert.Equal(3, done.Good.Count);
        Assert.All(done.Discs.Values, d => Assert.Equal("d2", d.Drive));
        Assert.Equal((0, 3), (d1.Started, d2.Started));
    }

    [Fact]
    public async Task A_write_error_reaches_the_ledger_with_its_IMAPI_code_sense_and_LBA()
    {
        var (image, _) = _fx.Image(256);
        var bad = new FakeDrive("d1", new FakeScript(SenseFailAtBlock: 96));
        var tower = Sys.ActorOf(Tower.Props(TowerFixture.Drives(bad), TowerFixture.Fast(_fx.Stash, quarantineAfter: 0)), "tower");
        await tower.Ask<Tower.SubmitReply>(new Tower.Submit(TowerFixture.ImageBatch("e1", image, copies: 1, verify: false, threshold: 1)), Long);
        var done = await TowerFixture.UntilFinished(tower, "e1", Long);

        Assert.Equal(BatchStatus.Failed, done.Status);
        var disc = Assert.Single(done.Discs.Values);
        Assert.Equal(DiscState.Failed, disc.State);
        Assert.Equal(new DiscError(ImapiError.CannotWriteToMedia, new SenseCode(0x03, 0x0C, 0x00), 96), disc.Error);
        Assert.Equal("03/0C/00 write error at LBA 96 on d1", disc.Error!.Describe(disc.Drive));
    }

    /// <summary>A strategy that gives every disc to one drive: proves the tower asks its strategy.</summary>
    private sealed class OnlyDrive(string drive) : IDispatchStrategy
    {
        public ImmutableArray<DiscAssignment> Assign(IReadOnlyList<string> readyDrives, IReadOnlyList<BatchDemand> batches) =>
            readyDrives.Contains(drive) && batches.FirstOrDefault(b => b.Accepts(drive)) is { } b ? [new DiscAssignment(drive, b.BatchId)] : [];
    }
}
