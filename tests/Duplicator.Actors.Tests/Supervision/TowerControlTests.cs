using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>Pause, resume, hold and release as pure rules, their facts through the ledger's serializer, and their effect on dispatch.</summary>
public sealed class TowerControlTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly ActorSystem _sys = ActorSystem.Create("control", PersistenceConfig.InMemory());

    public void Dispose() => _sys.Dispose();

    private static TowerRegistry Run(TowerRegistry r, params TowerCommand[] commands) =>
        commands.Aggregate(r, (acc, c) => TowerLogic.Decide(acc, c).Events.Aggregate(acc, TowerLogic.Apply));

    private static TowerRegistry Registered(params string[] ids) => Run(TowerRegistry.Empty, [.. ids.Select(id => (TowerCommand)new RegisterBatch(id, T0))]);

    private static BatchSummary Summary(string id) =>
        new(new BatchSpec(id, SourceKind.Image, ["/srv/a.iso"], 1, new BatchOptions(true, 0, 0, true, [])), BatchStatus.Completed, 1, 0, 0, "1 good disc", true);

    [Fact]
    public void Each_hold_yields_a_fact_only_when_it_changes_something()
    {
        var r = Registered("a");
        Assert.Single(TowerLogic.Decide(r, new PauseTower("cover open", T0)).Events);
        r = Run(r, new PauseTower("cover open", T0));
        Assert.True(r.IsPaused());
        Assert.Equal("cover open", TowerControl.HoldsOf(r).TowerPaused);
        Assert.Empty(TowerLogic.Decide(r, new PauseTower("again", T0)).Events);
        Assert.False(Run(r, new ResumeTower(T0)).IsPaused());
        Assert.Empty(TowerLogic.Decide(Registered("a"), new ResumeTower(T0)).Events);

        r = Run(r, new PauseBatch("a", T0), new HoldDrive("d2", "cleaning the lens", T0));
        Assert.True(r.IsPaused("a"));
        Assert.True(r.IsHeld("d2", out var why));
        Assert.Equal("cleaning the lens", why);
        Assert.Empty(TowerLogic.Decide(r, new PauseBatch("a", T0)).Events);
        Assert.Empty(TowerLogic.Decide(r, new HoldDrive("d2", "again", T0)).Events);
        Assert.Empty(TowerLogic.Decide(r, new ReleaseDrive("d9", T0)).Events);
        r = Run(r, new ResumeBatch("a", T0), new ReleaseDrive("d2", T0));
        Assert.False(r.IsPaused("a"));
        Assert.False(r.IsHeld("d2", out _));
        Assert.Empty(r.Quarantined); // a hold is not a quarantine
    }

    [Fact]
    public void Unknown_and_finished_batches_are_refused_and_a_batch_that_ends_is_no_longer_paused()
    {
        var r = Registered("a", "b");
        Assert.Equal("batch zz is not registered", TowerLogic.Decide(r, new PauseBatch("zz", T0)).Refused);
        Assert.Equal("batch zz is not registered", TowerLogic.Decide(r, new ResumeBatch("zz", T0)).Refused);
        r = Run(r, new PauseBatch("b", T0), new CloseBatch("b", Summary("b")), new CloseBatch("a", Summary("a")));
        Assert.False(r.IsPaused("b"));
        Assert.Equal(BatchStatus.Completed, r.Find("b")!.Closed!.Status);
        Assert.Equal("batch a is completed: nothing is left to pause", TowerLogic.Decide(r, new PauseBatch("a", T0)).Refused);
    }

    [Fact]
    public void Hold_facts_and_a_registry_with_holds_survive_the_serializer_and_a_registry_without_them_holds_nothing()
    {
        var serializer = (SerializerWithStringManifest)_sys.Serialization.FindSerializerForType(typeof(TowerPaused));
        ITowerEvent[] facts = [new TowerPaused("cover open", T0), new TowerResumed(T0), new BatchPaused("a", T0), new BatchResumed("a", T0),
            new DriveHeld("d1", "lens", T0), new DriveReleased("d1", T0)];
        Assert.Equal(["tpa", "tre", "bpa", "bre", "dh", "drl"], facts.Select(serializer.Manifest));
        foreach (var f in facts)
            Assert.Equal(f, serializer.FromBinary(serializer.ToBinary(f), serializer.Manifest(f)));

        var registry = Run(Registered("a"), new PauseTower("cover open", T0), new PauseBatch("a", T0), new HoldDrive("d1", "lens", T0));
        var back = (TowerRegistry)serializer.FromBinary(serializer.ToBinary(registry), "tower");
        Assert.Equal(TowerControl.HoldsOf(registry).TowerPaused, TowerControl.HoldsOf(back).TowerPaused);
        Assert.Equal(["a"], TowerControl.HoldsOf(back).Batches);
        Assert.True(back.IsHeld("d1", out var why) && why == "lens");

        // A snapshot as written before holds existed (no "holds" member) reads as holding nothing back.
        var old = """{"batches":[{"batchId":"a","at":"2026-12-01T09:00:00+00:00","closed":null}],"quarantined":{"d2":"3 failed"},"version":3}""";
        var legacy = (TowerRegistry)serializer.FromBinary(Encoding.UTF8.GetBytes(old), "tower");
        Assert.Null(legacy.Holds);
        Assert.False(legacy.IsPaused() || legacy.IsPaused("a") || legacy.IsHeld("d2", out _));
        Assert.Equal("3 failed", legacy.Quarantined["d2"]);
    }

    private static TowerDrives ReadyDrives(TowerRegistry registry, params string[] ids) =>
        ids.Aggregate(TowerDrives.Empty, (d, id) =>
        {
            d = d.Add(new Tower.DriveSpec(id, "emulated:dvd+r", () => throw new InvalidOperationException()), ActorRefs.Nobody, registry);
            return d.Set(TowerDrives.Reported(d.Get(id)!, new Recorder.StatusChanged(id, DriveState.Ready, 0, 0, null, null, null, null)), registry);
        });

    private static BatchSlot Staged(string id, int copies, int priority = BatchSpec.DefaultPriority) =>
        new(id, T0, ActorRefs.Nobody,
            BatchLogic.Apply(BatchState.Empty, new BatchSubmitted(new BatchSpec(id, SourceKind.Image, ["/srv/a.iso"], copies, new BatchOptions(true, 0, 0, true, []), Priority: priority), T0)),
            ActorRefs.Nobody, new StagedImage(id, "/stash/a.iso", 2048, 100, [], null), 0);

    [Fact]
    public void A_paused_tower_assigns_nothing_a_paused_batch_takes_nothing_and_a_held_drive_gets_nothing()
    {
        var registry = Registered("a", "b");
        var batches = TowerBatches.Empty.Set(Staged("a", 4)).Set(Staged("b", 4));
        (string, string)[] Plan(TowerRegistry r) =>
            [.. TowerDispatch.Plan(ReadyDrives(r, "d1", "d2"), batches, r, PriorityWithAging.Default, T0).Assignments.Select(a => (a.DriveId, a.BatchId))];

        Assert.Equal([("d1", "a"), ("d2", "a")], Plan(registry));
        Assert.Empty(Plan(Run(registry, new PauseTower("cover open", T0))));
        Assert.Equal([("d1", "b"), ("d2", "b")], Plan(Run(registry, new PauseBatch("a", T0))));
        Assert.Equal([("d2", "a")], Plan(Run(registry, new HoldDrive("d1", "lens", T0))));
        var held = ReadyDrives(Run(registry, new HoldDrive("d1", "lens", T0)), "d1").Get("d1")!.Status;
        Assert.Equal((true, false, 0), (held.Held, held.Quarantined, held.ConsecutiveFailures));
    }

    [Fact]
    public void Dispatch_follows_batch_priority_and_reports_it_in_the_demand()
    {
        var registry = Registered("low", "high");
        var batches = TowerBatches.Empty.Set(Staged("low", 4, priority: 1)).Set(Staged("high", 1, priority: 9));
        var demand = batches.Demand(registry, T0.AddSeconds(30));
        Assert.Equal([(1, 30.0), (9, 30.0)], demand.Select(d => (d.Priority, d.Waited.TotalSeconds)));
        var made = TowerDispatch.Plan(ReadyDrives(registry, "d1", "d2"), batches, registry, PriorityWithAging.Default, T0).Assignments;
        Assert.Equal([("d1", "high"), ("d2", "low")], made.Select(a => (a.DriveId, a.BatchId)));
    }
}
