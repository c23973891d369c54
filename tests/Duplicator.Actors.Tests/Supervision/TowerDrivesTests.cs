using Akka.Actor;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The tower's drive bookkeeping alone: an immutable value, no actors (recorders are <see cref="ActorRefs.Nobody"/>).</summary>
public sealed class TowerDrivesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static Tower.DriveSpec Spec(string id) => new(id, $"emulated:dvd+r?name={id}", () => throw new InvalidOperationException("not opened here"));

    private static TowerRegistry Quarantined(string id, string why) =>
        TowerLogic.Apply(TowerRegistry.Empty, new DriveQuarantined(id, why, T0));

    private static TowerDrives Tower(TowerRegistry registry, params string[] ids) =>
        ids.Aggregate(TowerDrives.Empty, (d, id) => d.Add(Spec(id), ActorRefs.Nobody, registry));

    private static TowerDrives Report(TowerDrives drives, string id, DriveState state, TowerRegistry registry) =>
        drives.Set(TowerDrives.Reported(drives.Get(id)!, new Recorder.StatusChanged(id, state, 0, 0, null, null, null, null)), registry);

    [Fact]
    public void Drives_keep_configuration_order_and_open_quarantined_as_the_registry_says()
    {
        var registry = Quarantined("d2", "3 failed discs in a row");
        var drives = Tower(registry, "d3", "d1", "d2");
        Assert.Equal(["d3", "d1", "d2"], drives.Statuses.Select(s => s.Id));
        Assert.All(drives.Statuses, s => Assert.Equal(DriveState.Opening, s.State));
        var d2 = drives.Get("d2")!.Status;
        Assert.True(d2.Quarantined);
        Assert.Equal("3 failed discs in a row", d2.Message);
        Assert.False(drives.Get("d1")!.Status.Quarantined);
        Assert.Null(drives.Get("d9"));
        Assert.False(drives.Contains("d9"));
    }

    [Fact]
    public void Only_ready_drives_in_service_and_not_being_assigned_a_disc_are_ready_for_dispatch()
    {
        var registry = TowerRegistry.Empty;
        var drives = Tower(registry, "d1", "d2", "d3", "d4");
        Assert.Empty(drives.Ready(registry).ToArray());
        foreach (var id in new[] { "d1", "d2", "d3" }) drives = Report(drives, id, DriveState.Ready, registry);
        drives = Report(drives, "d4", DriveState.Writing, registry);
        Assert.Equal(["d1", "d2", "d3"], drives.Ready(registry).ToArray());

        drives = drives.Assigning("d2", true);
        Assert.Equal(["d1", "d3"], drives.Ready(registry).ToArray());
        var quarantined = Quarantined("d3", "why");
        Assert.Equal(["d1"], drives.Ready(quarantined).ToArray());
        Assert.Equal(["d1", "d2", "d3"], drives.Assigning("d2", false).Ready(registry).ToArray());
        Assert.Same(drives, drives.Assigning("d9", true)); // an unknown drive changes nothing
    }

    [Fact]
    public void Quarantine_is_always_taken_from_the_registry_and_shows_why_unless_the_status_says_something()
    {
        var drives = Tower(TowerRegistry.Empty, "d1");
        var registry = Quarantined("d1", "3 failed discs in a row, the last: write error");
        var shown = drives.Set(drives.Get("d1")!, registry).Get("d1")!.Status;
        Assert.True(shown.Quarantined);
        Assert.Equal("3 failed discs in a row, the last: write error", shown.Message);

        var reported = drives.Get("d1")! with { Status = drives.Get("d1")!.Status with { Message = "no medium" } };
        Assert.Equal("no medium", drives.Set(reported, registry).Get("d1")!.Status.Message);

        // A status that claims quarantine the registry does not hold is corrected.
        var claimed = drives.Get("d1")! with { Status = drives.Get("d1")!.Status with { Quarantined = true } };
        Assert.False(drives.Set(claimed, TowerRegistry.Empty).Get("d1")!.Status.Quarantined);
    }

    [Fact]
    public void Failures_in_a_row_count_only_the_drives_own_and_a_good_disc_starts_them_again()
    {
        var slot = Tower(TowerRegistry.Empty, "d1").Get("d1")!;
        (slot, var q) = TowerDrives.Failed(slot, driveFault: true, "write error", quarantineAfter: 3);
        Assert.Null(q);
        (slot, q) = TowerDrives.Failed(slot, driveFault: false, "not blank", quarantineAfter: 3); // the medium, not the drive
        Assert.Null(q);
        Assert.Equal((2, 1), (slot.Status.Bad, slot.Status.ConsecutiveFailures));
        slot = TowerDrives.Burned(slot);
        Assert.Equal((1, 2, 0), (slot.Status.Good, slot.Status.Bad, slot.Status.ConsecutiveFailures));

        for (int i = 1; i <= 2; i++)
        {
            (slot, q) = TowerDrives.Failed(slot, driveFault: true, $"write error {i}", quarantineAfter: 3);
            Assert.Null(q);
        }
        (slot, q) = TowerDrives.Failed(slot, driveFault: true, "write error 3", quarantineAfter: 3);
        Assert.Equal("3 failed discs in a row, the last: write error 3", q);
        Assert.Equal(5, slot.Status.Bad);

        (_, q) = TowerDrives.Failed(slot, driveFault: true, "again", quarantineAfter: 0); // 0 = never
        Assert.Null(q);
        var cleared = TowerDrives.Cleared(slot with { Status = slot.Status with { Message = "quarantined" } });
        Assert.Equal((0, null), (cleared.Status.ConsecutiveFailures, cleared.Status.Message));
        Assert.Equal((1, 5), (cleared.Status.Good, cleared.Status.Bad)); // lifetime counts stay
    }

    [Fact]
    public void A_report_replaces_progress_but_keeps_the_towers_counters_and_a_started_disc_shows_its_batch()
    {
        var slot = TowerDrives.Burned(Tower(TowerRegistry.Empty, "d1").Get("d1")!);
        slot = TowerDrives.Reported(slot, new Recorder.StatusChanged("d1", DriveState.Writing, 42.5, 1e6, 12, "b1", 3, "writing"));
        Assert.Equal((DriveState.Writing, 42.5, 1e6, (double?)12, "b1", (int?)3, "writing", 1),
            (slot.Status.State, slot.Status.Percent, slot.Status.BytesPerSecond, slot.Status.EtaSeconds, slot.Status.BatchId, slot.Status.Disc, slot.Status.Message, slot.Status.Good));

        var started = TowerDrives.Starting(slot with { Status = slot.Status with { State = DriveState.Ready } }, "b2", 7);
        Assert.Equal((DriveState.Checking, "b2", (int?)7, 0.0), (started.Status.State, started.Status.BatchId, started.Status.Disc, started.Status.Percent));
        var drives = Tower(TowerRegistry.Empty, "d1", "d2").Set(started, TowerRegistry.Empty);
        Assert.Equal(["d1"], drives.On("b2").Select(d => d.Spec.Id));
        Assert.Empty(drives.On("b1"));
    }
}
