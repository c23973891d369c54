using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>One dispatch round and the answers to it as pure functions over the tower's drive and batch values.</summary>
public sealed class TowerDispatchTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static TowerRegistry Registry(params string[] batches) =>
        batches.Aggregate(TowerRegistry.Empty, (r, id) => TowerLogic.Apply(r, new BatchRegistered(id, T0)));

    private static TowerDrives Drives(TowerRegistry registry, params string[] ready) =>
        ready.Aggregate(TowerDrives.Empty, (d, id) =>
        {
            d = d.Add(new Tower.DriveSpec(id, "emulated:dvd+r", () => throw new InvalidOperationException()), ActorRefs.Nobody, registry);
            return d.Set(TowerDrives.Reported(d.Get(id)!, new Recorder.StatusChanged(id, DriveState.Ready, 0, 0, null, null, null, null)), registry);
        });

    private static BatchState Running(string id, int copies) =>
        BatchLogic.Apply(BatchState.Empty, new BatchSubmitted(new BatchSpec(id, SourceKind.Image, ["/srv/a.iso"], copies, new BatchOptions(true, 4, 0, true, [])), T0));

    private static BatchSlot Slot(string id, int copies, bool staged = true) =>
        new(id, T0, ActorRefs.Nobody, Running(id, copies), staged ? ActorRefs.Nobody : null,
            staged ? new StagedImage(id, "/stash/a.iso", 2048, 100, [], null) : null, 0);

    [Fact]
    public void A_round_hands_out_no_more_than_a_batch_needs_and_marks_drives_and_batches_pending()
    {
        var registry = Registry("a", "b");
        var batches = TowerBatches.Empty.Set(Slot("a", 1)).Set(Slot("b", 5));
        var (drives, after, made) = TowerDispatch.Plan(Drives(registry, "d1", "d2", "d3"), batches, registry, OldestBatchFirst.Instance, T0);
        Assert.Equal([("d1", "a"), ("d2", "b"), ("d3", "b")], made.Select(a => (a.DriveId, a.BatchId)));
        Assert.All(["d1", "d2", "d3"], id => Assert.True(drives.Get(id)!.Assigning));
        Assert.Equal((1, 2), (after.Get("a")!.Pending, after.Get("b")!.Pending));
        // Nothing is handed out twice: the next round has no ready drive and a for "a" nothing left.
        Assert.Empty(TowerDispatch.Plan(drives, after, registry, OldestBatchFirst.Instance, T0).Assignments);
    }

    [Fact]
    public void An_unstaged_batch_gets_no_disc_and_a_strategy_cannot_hand_out_a_drive_that_is_not_ready()
    {
        var registry = Registry("a");
        Assert.Empty(TowerDispatch.Plan(Drives(registry, "d1"), TowerBatches.Empty.Set(Slot("a", 2, staged: false)), registry, OldestBatchFirst.Instance, T0).Assignments);
        var rogue = new FixedStrategy([new DiscAssignment("d9", "a"), new DiscAssignment("d1", "zz"), new DiscAssignment("d1", "a")]);
        var (_, _, made) = TowerDispatch.Plan(Drives(registry, "d1"), TowerBatches.Empty.Set(Slot("a", 2)), registry, rogue, T0);
        Assert.Equal([new DiscAssignment("d1", "a")], made.ToArray());
    }

    [Fact]
    public void A_disc_the_ledger_gave_is_burned_on_a_drive_still_ready_and_abandoned_on_one_that_is_not()
    {
        var registry = Registry("a");
        var (drives, batches, _) = TowerDispatch.Plan(Drives(registry, "d1"), TowerBatches.Empty.Set(Slot("a", 2)), registry, OldestBatchFirst.Instance, T0);
        var started = BatchLogic.Apply(batches.Get("a")!.State, new DiscStarted("a", 1, "d1"));

        var (d, b, next) = TowerDispatch.Answered(drives, batches, registry, "a", "d1", new Batch.Accepted(started, 1));
        var burn = Assert.IsType<DiscHandOut.Burn>(next);
        Assert.Equal((DriveState.Checking, "a", (int?)1), (burn.Drive.Status.State, burn.Drive.Status.BatchId, burn.Drive.Status.Disc));
        Assert.Equal(("a", 1, 4, true), (burn.Command.BatchId, burn.Command.Disc, burn.Command.Options.Speed, burn.Command.Options.Verify));
        Assert.False(d.Get("d1")!.Assigning);
        Assert.Equal(0, b.Get("a")!.Pending);

        var quarantined = TowerLogic.Apply(registry, new DriveQuarantined("d1", "why", T0));
        var (_, _, abandoned) = TowerDispatch.Answered(drives, batches, quarantined, "a", "d1", new Batch.Accepted(started, 1));
        Assert.Equal(new FailDisc(1, "d1", "the drive was no longer ready"), Assert.IsType<DiscHandOut.Abandon>(abandoned).Command);

        Assert.IsType<DiscHandOut.Retry>(TowerDispatch.Answered(drives, batches, registry, "a", "d1", new Batch.Refused("no")).Next);
        var (gone, _, none) = TowerDispatch.Answered(drives, TowerBatches.Empty, registry, "a", "d1", new Batch.Accepted(started, 1));
        Assert.Null(none);
        Assert.False(gone.Get("d1")!.Assigning); // the drive is free again even when its batch is gone
    }

    private sealed class FixedStrategy(ImmutableArray<DiscAssignment> answer) : IDispatchStrategy
    {
        public ImmutableArray<DiscAssignment> Assign(IReadOnlyList<string> readyDrives, IReadOnlyList<BatchDemand> batches) => answer;
    }
}
