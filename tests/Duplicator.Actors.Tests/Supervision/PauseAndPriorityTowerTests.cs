using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The tower with fake drives: priorities decide the next disc, a running disc is never pre-empted, pause and hold stop new discs only.</summary>
public sealed class PauseAndPriorityTowerTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private IActorRef Start(params FakeDrive[] drives) => Sys.ActorOf(Tower.Props(TowerFixture.Drives(drives), TowerFixture.Fast(_fx.Stash)), "tower");

    private static BatchSpec Batch(string id, string image, int copies, int priority) => TowerFixture.ImageBatch(id, image, copies, verify: false) with { Priority = priority };

    private static async Task<BatchState> Until(IActorRef tower, string id, Func<BatchState, bool> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var s = (await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch(id), Long)).State!;
            if (condition(s)) return s;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"batch {id}: {s.Status}, {s.Good.Count} good, {s.InFlight.Count} in flight");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_higher_batch_takes_the_next_disc_but_never_the_one_burning()
    {
        var (lowImage, lowSha) = _fx.Image(256, seed: 1);
        var (highImage, highSha) = _fx.Image(256, seed: 2);
        var drive = new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(40)));
        var tower = Start(drive);

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Batch("low", lowImage, 2, priority: 1)), Long));
        await Until(tower, "low", s => s.InFlight.Count == 1);
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Batch("high", highImage, 1, priority: 9)), Long));

        var high = await TowerFixture.UntilFinished(tower, "high", Long);
        var low = await TowerFixture.UntilFinished(tower, "low", Long);
        Assert.Equal((BatchStatus.Completed, BatchStatus.Completed), (high.Status, low.Status));
        Assert.Equal((0, 0), (low.Failed, low.Interrupted)); // the low disc burning when the high batch came was not stopped
        Assert.Equal([lowSha, highSha, lowSha], drive.Burned.ToArray()); // its first disc, then the high one, then its second
    }

    [Fact]
    public async Task A_paused_batch_finishes_the_disc_burning_starts_no_other_and_ends_once_resumed()
    {
        var (image, _) = _fx.Image(256);
        var drive = new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(40)));
        var tower = Start(drive);
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Batch("b", image, 3, priority: 4)), Long));
        await Until(tower, "b", s => s.InFlight.Count == 1);

        Assert.Equal(new Tower.Done(true), await tower.Ask<object>(new Tower.Pause("b"), Long));
        var paused = await Until(tower, "b", s => s.InFlight.IsEmpty);
        Assert.Equal((1, 0), (paused.Good.Count, paused.Failed));
        await Task.Delay(1500); // the drive is ready again meanwhile: nothing may start
        Assert.Single((await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("b"), Long)).State!.Discs);
        Assert.True((await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("b"), Long)).Paused);
        Assert.True((await tower.Ask<Tower.BatchList>(Tower.GetBatches.Instance, Long)).Batches.Single().Paused);

        Assert.Equal(new Tower.Done(true), await tower.Ask<object>(new Tower.Resume("b"), Long));
        var done = await TowerFixture.UntilFinished(tower, "b", Long);
        Assert.Equal((BatchStatus.Completed, 3, 0), (done.Status, done.Good.Count, done.Failed));
        Assert.Equal(new Tower.Done(false), await tower.Ask<object>(new Tower.Pause("nope"), Long));
        Assert.Equal("batch b is completed: nothing is left to pause", Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.Pause("b"), Long)).Reason);
    }

    [Fact]
    public async Task A_held_drive_takes_no_disc_counts_no_failure_and_works_again_once_released()
    {
        var (image, _) = _fx.Image(128);
        var d1 = new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(5)));
        var d2 = new FakeDrive("d2", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(5)));
        var tower = Start(d1, d2);
        Assert.Equal(new Tower.Done(true), await tower.Ask<object>(new Tower.Hold("d2"), Long));
        Assert.Equal(new Tower.Done(false), await tower.Ask<object>(new Tower.Hold("d9"), Long));
        var held = await TowerFixture.Drive(tower, "d2");
        Assert.Equal((true, false, 0), (held.Held, held.Quarantined, held.ConsecutiveFailures));

        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Batch("b", image, 3, priority: 4)), Long));
        var done = await TowerFixture.UntilFinished(tower, "b", Long);
        Assert.Equal(3, done.Good.Count);
        Assert.All(done.Discs.Values, d => Assert.Equal("d1", d.Drive));
        Assert.Empty(d2.Burned);

        Assert.Equal(new Tower.Done(true), await tower.Ask<object>(new Tower.Release("d2"), Long));
        Assert.False((await TowerFixture.Drive(tower, "d2")).Held);
        var holds = await tower.Ask<TowerHolds>(Tower.GetHolds.Instance, Long);
        Assert.Empty(holds.Drives);
    }

    [Fact]
    public async Task A_paused_tower_starts_no_disc_until_resumed()
    {
        var (image, _) = _fx.Image(128);
        var drive = new FakeDrive("d1", new FakeScript());
        var tower = Start(drive);
        Assert.Equal(new Tower.Done(true), await tower.Ask<object>(new Tower.Pause(null, "cover open"), Long));
        Assert.Equal("cover open", (await tower.Ask<TowerHolds>(Tower.GetHolds.Instance, Long)).TowerPaused);
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(Batch("b", image, 2, priority: 9)), Long));
        await Task.Delay(1500);
        Assert.Empty((await tower.Ask<Tower.BatchAnswer>(new Tower.GetBatch("b"), Long)).State!.Discs);
        Assert.Equal(0, drive.Started);

        Assert.Equal(new Tower.Done(true), await tower.Ask<object>(new Tower.Resume(null), Long));
        Assert.Equal(2, (await TowerFixture.UntilFinished(tower, "b", Long)).Good.Count);
    }
}
