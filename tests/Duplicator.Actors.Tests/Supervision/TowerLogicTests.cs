using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The tower registry's rules as pure functions, and its records through the ledger's serializer.</summary>
public sealed class TowerLogicTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static BatchSummary Summary(string id, BatchStatus status) =>
        new(new BatchSpec(id, SourceKind.Image, ["/srv/a.iso"], 2, new BatchOptions(true, 0, 0, true, [])), status, 2, 1, 0, "2 good discs", true);

    private static TowerRegistry Run(TowerRegistry r, TowerCommand c) => TowerLogic.Decide(r, c).Events.Aggregate(r, TowerLogic.Apply);

    [Fact]
    public void A_batch_id_is_registered_once_oldest_first()
    {
        var r = Run(Run(TowerRegistry.Empty, new RegisterBatch("a", T0)), new RegisterBatch("b", T0.AddSeconds(1)));
        Assert.Equal(["a", "b"], r.Batches.Select(b => b.BatchId));
        Assert.All(r.Batches, b => Assert.True(b.IsOpen));
        var again = TowerLogic.Decide(r, new RegisterBatch("a", T0.AddSeconds(2)));
        Assert.Equal("batch a is already registered", again.Refused);
        Assert.Equal(2, r.Version);
    }

    [Fact]
    public void Closing_keeps_a_summary_once_and_refuses_unknown_or_unfinished_batches()
    {
        var r = Run(TowerRegistry.Empty, new RegisterBatch("a", T0));
        Assert.NotNull(TowerLogic.Decide(r, new CloseBatch("zz", Summary("zz", BatchStatus.Completed))).Refused);
        Assert.Contains("running, not finished", TowerLogic.Decide(r, new CloseBatch("a", Summary("a", BatchStatus.Running))).Refused);
        r = Run(r, new CloseBatch("a", Summary("a", BatchStatus.Completed)));
        Assert.Equal(BatchStatus.Completed, r.Find("a")!.Closed!.Status);
        Assert.Empty(TowerLogic.Decide(r, new CloseBatch("a", Summary("a", BatchStatus.Failed))).Events); // closed once
    }

    [Fact]
    public void Quarantine_and_clear_yield_a_fact_only_when_they_change_something()
    {
        var q = TowerLogic.Decide(TowerRegistry.Empty, new QuarantineDrive("d1", "3 failed discs in a row", T0));
        var r = q.Events.Aggregate(TowerRegistry.Empty, TowerLogic.Apply);
        Assert.Equal("3 failed discs in a row", r.Quarantined["d1"]);
        Assert.Empty(TowerLogic.Decide(r, new QuarantineDrive("d1", "again", T0)).Events);
        Assert.Empty(TowerLogic.Decide(r, new ClearDriveQuarantine("d2", T0)).Events);
        Assert.Empty(Run(r, new ClearDriveQuarantine("d1", T0)).Quarantined);
    }

    [Theory]
    [InlineData(2, 3, false)]
    [InlineData(3, 3, true)]
    [InlineData(9, 0, false)]
    public void A_drive_is_quarantined_after_the_configured_failures_in_a_row(int failures, int after, bool expected) =>
        Assert.Equal(expected, TowerLogic.ShouldQuarantine(failures, after));

    [Fact]
    public void Replay_of_the_026b234_event_kinds_rebuilds_the_registry()
    {
        var r = TowerLogic.Replay([
            new BatchRegistered("a", T0), new DriveQuarantined("d1", "why", T0), new QuarantineCleared("d1", T0), new DriveQuarantined("d1", "again", T0),
            new BatchRegistered("b", T0),
        ]);
        Assert.Equal(["a", "b"], r.Batches.Select(b => b.BatchId));
        Assert.Equal("again", r.Quarantined["d1"]);
        Assert.Equal(5, r.Version);
    }

    [Fact]
    public void A_failed_disc_keeps_its_IMAPI_code_sense_and_LBA_through_the_ledger_serializer()
    {
        using var sys = ActorSystem.Create("disc-error", PersistenceConfig.InMemory());
        var serializer = new BatchSerializer((ExtendedActorSystem)sys);
        var error = new DiscError(Duplicator.Mastering.Imapi.ImapiError.CannotWriteToMedia, new SenseCode(0x03, 0x0C, 0x00), 123456);
        var failed = new DiscFailed("b1", 2, "drive-3", "IMAPI_E_CANNOTWRITETOMEDIA: drive-3: WRITE(10) failed", error);
        var bytes = serializer.ToBinary(failed);
        Assert.Contains("\"code\":\"CannotWriteToMedia\"", System.Text.Encoding.UTF8.GetString(bytes)); // by name: renumbering the enum cannot change a journal
        var back = Assert.IsType<DiscFailed>(serializer.FromBinary(bytes, serializer.Manifest(failed)));
        Assert.Equal(error, back.Error);
        Assert.False(back.Interrupted);

        var state = BatchLogic.Replay([
            new BatchSubmitted(new BatchSpec("b1", SourceKind.Image, ["/a.iso"], 2, new BatchOptions(true, 0, 0, true, [])), T0),
            new DiscStarted("b1", 2, "drive-3"), back,
        ]);
        var entry = Assert.IsType<BatchState>(serializer.FromBinary(serializer.ToBinary(state), "state")).Discs[2];
        Assert.Equal((DiscState.Failed, error), (entry.State, entry.Error));
        Assert.Contains("\"state\":\"failed\"", System.Text.Encoding.UTF8.GetString(serializer.ToBinary(state))); // 026b234's spelling
    }

    [Fact]
    public void The_registry_snapshot_and_BatchClosed_round_trip_through_the_ledger_serializer()
    {
        using var sys = ActorSystem.Create("tower-logic", PersistenceConfig.InMemory());
        var serializer = new BatchSerializer((ExtendedActorSystem)sys);
        var r = Run(Run(Run(TowerRegistry.Empty, new RegisterBatch("a", T0)), new CloseBatch("a", Summary("a", BatchStatus.Completed))),
            new QuarantineDrive("d1", "why", T0));
        var closed = new BatchClosed("a", Summary("a", BatchStatus.Completed));
        Assert.Equal("tower", serializer.Manifest(r));
        Assert.Equal("tc", serializer.Manifest(closed));

        var back = Assert.IsType<TowerRegistry>(serializer.FromBinary(serializer.ToBinary(r), "tower"));
        Assert.Equal(r.Version, back.Version);
        Assert.Equal("why", back.Quarantined["d1"]);
        var a = Assert.Single(back.Batches);
        Assert.Equal(("a", T0, BatchStatus.Completed, 2, 1, "2 good discs", true), (a.BatchId, a.At, a.Closed!.Status, a.Closed.Good, a.Closed.Failed, a.Closed.Reason, a.Closed.Staged));
        Assert.Equal(SourceKind.Image, a.Closed.Spec.Source);
        var closedBack = Assert.IsType<BatchClosed>(serializer.FromBinary(serializer.ToBinary(closed), "tc"));
        Assert.Equal("/srv/a.iso", closedBack.Summary.Spec.Paths.Single());
        Assert.Contains("\"source\":\"image\"", System.Text.Encoding.UTF8.GetString(serializer.ToBinary(closed))); // the spelling 026b234 wrote
    }
}
