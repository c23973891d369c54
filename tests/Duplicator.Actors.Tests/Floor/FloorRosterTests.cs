using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Floor;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using FloorProtocol = Duplicator.Actors.Floor.Floor;

namespace Duplicator.Actors.Tests.Floor;

/// <summary>The floor's pure parts: registration and removal of towers' drives, floor-wide drive names, interrupted discs.</summary>
public sealed class FloorRosterTests : TestKit
{
    private static FloorProtocol.Register Registration(string tower, params string[] drives) =>
        new(tower, [.. drives.Select(d => new FloorProtocol.DriveInfo(d, "fake:" + d, null))], new Uri($"http://t{tower.GetHashCode():x}.test/"), []);

    private static FloorTower TowerOf(FloorProtocol.Register r, IActorRef agent, bool sameNode = false) =>
        new(r.TowerId, agent, r.ControlUrl, r.Held, [.. r.Drives.Select(d => d.Id)], sameNode);

    [Fact]
    public void A_drive_id_another_tower_registered_is_refused_naming_both_towers()
    {
        var (agentA, agentB) = (CreateTestProbe().Ref, CreateTestProbe().Ref);
        var ra = Registration("ta", "d1", "d2");
        var (roster, _) = FloorRoster.Empty.With(TowerOf(ra, agentA));

        var clash = roster.Refusal(Registration("tb", "d3", "d2"));
        Assert.Equal("drive d2 of tower tb is already registered by tower ta: drive ids must be unique on the floor", clash);
        Assert.Null(roster.Refusal(Registration("ta", "d1", "d2", "d5"))); // the same tower again, one drive more
        Assert.Contains("drive id 'a/b'", roster.Refusal(Registration("tb", "a/b")));
        Assert.Contains("tower id", roster.Refusal(Registration("t b", "x")));
        Assert.Contains("named twice", roster.Refusal(Registration("tb", "x", "x")));
        Assert.Contains($"0-{FloorProtocol.MaxDrivesPerTower}",
            roster.Refusal(Registration("tb", [.. Enumerable.Range(0, FloorProtocol.MaxDrivesPerTower + 1).Select(i => $"x{i}")])));
    }

    [Fact]
    public void Registering_again_adds_and_removes_drives_and_a_new_agent_of_the_same_tower_replaces_all_of_them()
    {
        var (agent, restarted) = (CreateTestProbe().Ref, CreateTestProbe().Ref);
        var first = Registration("ta", "d1", "d2");
        var (roster, left) = FloorRoster.Empty.With(TowerOf(first, agent));
        Assert.Empty(left);
        var drives = FloorDrives.Registered(TowerDrives.Empty, TowerOf(first, agent), first.Drives, left, TowerRegistry.Empty);
        Assert.Equal(["d1", "d2"], drives.Order.ToArray());
        Assert.All(drives.Statuses, s => Assert.Equal("ta", s.Tower));

        var ready = new Recorder.StatusChanged("d3", DriveState.Ready, 0, 0, null, null, null, "blank");
        var second = Registration("ta", "d1", "d3") with { Drives = [new("d1", "fake:d1", null), new("d3", "fake:d3", ready)] };
        (roster, left) = roster.With(TowerOf(second, agent));
        Assert.Equal(["d2"], left.ToArray());
        drives = FloorDrives.Registered(drives, TowerOf(second, agent), second.Drives, left, TowerRegistry.Empty);
        Assert.Equal(["d1", "d3"], drives.Order.ToArray());
        Assert.Equal(DriveState.Ready, drives.Get("d3")!.Status.State); // a new router starts with what the drive is doing
        Assert.True(roster.Owns(agent, "d3"));
        Assert.False(roster.Owns(restarted, "d3"));

        (roster, left) = roster.With(TowerOf(second, restarted)); // the node restarted: its old registration goes whole
        Assert.Equal(["d1", "d3"], left.ToArray());
        Assert.True(roster.Owns(restarted, "d1"));

        (roster, var lost) = roster.Without(restarted);
        Assert.Equal("ta", lost!.Id);
        Assert.Empty(roster.Towers);
        Assert.Null(roster.Without(agent).Lost);
    }

    [Fact]
    public void Images_are_fetched_from_the_routers_tower_first_then_from_towers_that_hold_them()
    {
        var ra = Registration("ta", "a1");
        var rb = Registration("tb", "b1") with { Held = [new("AB", 10)] };
        var rc = Registration("tc", "c1");
        var roster = FloorRoster.Empty.With(TowerOf(rb, CreateTestProbe().Ref)).Roster
            .With(TowerOf(ra, CreateTestProbe().Ref, sameNode: true)).Roster.With(TowerOf(rc, CreateTestProbe().Ref)).Roster;
        Assert.Equal([ra.ControlUrl!, rb.ControlUrl!], roster.Sources("AB", "tc").ToArray());
        Assert.Equal([ra.ControlUrl!], roster.Sources("CD", "tc").ToArray());
        Assert.Equal([rb.ControlUrl!], roster.Sources("AB", "ta").ToArray()); // never from itself
    }

    [Fact]
    public void Discs_on_drives_that_left_are_failed_as_interrupted_and_count_against_no_threshold()
    {
        var spec = new BatchSpec("b", SourceKind.Image, ["/x.iso"], 3, new BatchOptions(false, 0, 1, true, []));
        var state = BatchState.Empty;
        foreach (var c in new BatchCommand[] { new SubmitBatch(spec, DateTimeOffset.UnixEpoch), new StartDisc("a1"), new StartDisc("c1") })
            state = BatchLogic.Decide(state, c).Events.Aggregate(state, BatchLogic.Apply);
        var slot = new BatchSlot("b", DateTimeOffset.UnixEpoch, CreateTestProbe().Ref, state, null, null, 0);

        var interrupted = FloorDrives.Interrupted(TowerBatches.Empty.Set(slot), ["c1"], "tower tc left the floor");
        var (batchId, command) = Assert.Single(interrupted);
        Assert.Equal(("b", 2, "c1", true), (batchId, command.Disc, command.Drive, command.Interrupted));

        var decision = BatchLogic.Decide(state, command); // the threshold is 1 failed disc: an interruption is none
        var after = decision.Events.Aggregate(state, BatchLogic.Apply);
        Assert.Equal((BatchStatus.Running, 0, 1), (after.Status, after.Failed, after.Interrupted));
        Assert.Equal(DiscState.Interrupted, after.Discs[2].State);
        Assert.Empty(BatchLogic.Decide(after, new CompleteDisc(2, "c1", "AB")).Events); // a late completion is not counted
    }

    [Fact]
    public void A_floor_refuses_what_it_cannot_run_yet_and_takes_data_batches()
    {
        BatchSpec Spec(SourceKind kind, string path) => new("b", kind, [path], 2, new BatchOptions(false, 0, 0, true, []));
        Assert.Null(FloorDrives.Refusal(Spec(SourceKind.Image, "/x.iso")));
        Assert.Null(FloorDrives.Refusal(Spec(SourceKind.Folder, "/src")));
        Assert.Contains("not an audio job", FloorDrives.Refusal(Spec(SourceKind.Audio, "/a.wav")));
        Assert.Contains("BIN/CUE", FloorDrives.Refusal(Spec(SourceKind.Image, "/x.cue")));
        Assert.Contains("master job", FloorDrives.Refusal(Spec(SourceKind.Master, "d1")));
    }
}
