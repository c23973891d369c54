using System.Collections.Immutable;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>Disc sets as pure functions: member ids and their refusals, the set ledger from the members' ledgers, spreading a set over drives.</summary>
public sealed class DiscSetsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 6, 0, 0, TimeSpan.Zero);

    private static BatchSpec Member(string set, int k, int count, int copies = 4) =>
        new BatchSpec(DiscSets.MemberId(set, k), SourceKind.Image, [$"/srv/{k}.iso"], copies, new BatchOptions(false, 0, 0, true, []))
            { Set = new SetMember(set, k, count) };

    [Fact]
    public void Member_ids_are_the_set_id_a_tilde_and_the_index_and_a_set_id_too_long_for_them_is_refused_naming_the_limit()
    {
        Assert.Equal("orders~3", DiscSets.MemberId("orders", 3));
        Assert.Null(DiscSets.Refusal(new string('s', 126), 9)); // s...s~9: 128
        Assert.Null(DiscSets.Refusal(new string('s', 125), 16)); // s...s~16: 128
        var tooLong = DiscSets.Refusal(new string('s', 126), 16);
        Assert.Contains("has 126 characters", tooLong);
        Assert.Contains("the 128 characters of a batch id; a set of 16 images takes an id of at most 125", tooLong);
        Assert.Null(BatchIds.Problem(DiscSets.MemberId(new string('s', 125), 16)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(0)]
    public void A_set_of_fewer_than_2_or_more_than_16_images_is_refused(int images) =>
        Assert.Equal($"set 'a': {images} image(s); a set has 2 to 16 images", DiscSets.Refusal("a", images));

    [Fact]
    public void A_set_id_that_is_no_batch_id_or_holds_the_separator_is_refused()
    {
        Assert.StartsWith("set id: batch id '..' is refused: it is only dots", DiscSets.Refusal("..", 3));
        Assert.Contains("it has the character U+000A", DiscSets.Refusal("a\nb", 3));
        Assert.Contains("holds '~'", DiscSets.Refusal("a~1", 3));
    }

    [Fact]
    public void Members_must_be_the_sets_members_in_order_with_the_same_copies()
    {
        Assert.Null(DiscSets.Refusal([Member("s", 1, 2), Member("s", 2, 2)]));
        Assert.Contains("member 2 is 's~3'", DiscSets.Refusal([Member("s", 1, 2), Member("s", 3, 2)]));
        Assert.Contains("member 2 wants 5 copies, member 1 4", DiscSets.Refusal([Member("s", 1, 2), Member("s", 2, 2, copies: 5)]));
        Assert.NotNull(DiscSets.Refusal([Member("s", 1, 1)]));
        Assert.NotNull(DiscSets.Refusal([Member("s", 1, 2) with { Set = null }, Member("s", 2, 2)]));
    }

    // A member's ledger from its events: discs start in number order, complete in the order given.
    private static BatchState Ledger(BatchSpec spec, int started, int[] completed, int[]? failed = null)
    {
        var events = new List<IBatchEvent> { new BatchSubmitted(spec, T0) };
        for (int d = 1; d <= started; d++) events.Add(new DiscStarted(spec.BatchId, d, $"d{d}"));
        foreach (var d in failed ?? []) events.Add(new DiscFailed(spec.BatchId, d, $"d{d}", "write error"));
        foreach (var d in completed) events.Add(new DiscCompleted(spec.BatchId, d, $"d{d}", $"sha-{spec.Set!.Index}-{d}"));
        return BatchLogic.Replay(events);
    }

    [Fact]
    public void Set_i_is_the_i_th_good_disc_of_every_member_in_completion_order_and_complete_only_when_all_have_one()
    {
        var a = Ledger(Member("s", 1, 3), started: 3, completed: [2, 1]); // disc 2 finished first
        var b = Ledger(Member("s", 2, 3), started: 3, completed: [1, 3], failed: [2]);
        var c = Ledger(Member("s", 3, 3), started: 1, completed: [1]);
        var p = DiscSets.Progress("s", 4, [a, b, c]);

        Assert.Equal((3, 4, 1, BatchStatus.Running), (p.Images, p.Copies, p.Complete, p.Status));
        Assert.Equal([true, false, false, false], p.Sets.Select(s => s.Complete));
        Assert.Equal([(1, "s~1", 2, "sha-1-2"), (2, "s~2", 1, "sha-2-1"), (3, "s~3", 1, "sha-3-1")],
            p.Sets[0].Discs.Select(d => (d.Member, d.BatchId, d.Disc, d.Sha256)));
        Assert.Equal([(1, 1), (2, 3)], p.Sets[1].Discs.Select(d => (d.Member, d.Disc))); // the failed disc 2 of s~2 is in no set
        Assert.Empty(p.Sets[3].Discs);
        Assert.Equal(["s~1", "s~2", "s~3"], p.Members.Select(m => m.BatchId));
    }

    [Fact]
    public void A_set_job_is_completed_when_every_member_is_and_failed_or_cancelled_when_one_is()
    {
        var done = BatchLogic.Apply(Ledger(Member("s", 1, 2, copies: 1), 1, [1]), new BatchFinished("s~1", true, "1 good discs"));
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal((1, BatchStatus.Completed), (DiscSets.Progress("s", 1, [done, done]).Complete, DiscSets.Progress("s", 1, [done, done]).Status));
        var failed = BatchLogic.Apply(Ledger(Member("s", 2, 2, copies: 1), 1, [], [1]), new BatchFinished("s~2", false, "threshold"));
        Assert.Equal((0, BatchStatus.Failed), (DiscSets.Progress("s", 1, [done, failed]).Complete, DiscSets.Progress("s", 1, [done, failed]).Status));
        var cancelled = BatchLogic.Apply(failed, new BatchCancelled("s~2", "operator"));
        Assert.Equal(BatchStatus.Cancelled, DiscSets.Progress("s", 1, [done, cancelled]).Status);
        Assert.Equal(0, DiscSets.Progress("s", 1, [done, BatchState.Empty]).Complete); // a member not read yet has no disc
    }

    [Fact]
    public void A_ledger_records_when_each_good_disc_completed_and_its_member_spec_differs_from_a_single_job()
    {
        var a = Ledger(Member("s", 1, 2), started: 2, completed: [2, 1]);
        Assert.True(a.Discs[2].Completed < a.Discs[1].Completed);
        Assert.Null(a.Discs[1].Reason);
        var m = Member("s", 1, 2);
        Assert.Equal("set (none), not SetMember { SetId = s, Index = 1, Count = 2 }", BatchLogic.Difference(m, m with { Set = null }));
        Assert.Null(BatchLogic.Difference(m, m with { }));
    }

    private static BatchDemand Demand(string id, int needed, string? set, int made = 0, params string[] burning) =>
        new BatchDemand(id, needed, [], [.. burning]) { Set = set, Made = made };

    [Fact]
    public void Drives_take_the_member_of_a_set_with_fewest_discs_so_different_images_burn_at_once()
    {
        var assigned = PriorityWithAging.Default.Assign(["d1", "d2", "d3", "d4"], [Demand("s~1", 4, "s"), Demand("s~2", 4, "s"), Demand("s~3", 4, "s")]);
        Assert.Equal([("d1", "s~1"), ("d2", "s~2"), ("d3", "s~3"), ("d4", "s~1")], assigned.Select(a => (a.DriveId, a.BatchId)));

        // A member ahead (more good or in flight) waits for the others; one that refuses the drive is passed over.
        var next = OldestBatchFirst.Instance.Assign(["d1", "d2"], [Demand("s~1", 2, "s", made: 2), Demand("s~2", 3, "s", made: 1, "d1"), Demand("s~3", 2, "s", made: 2)]);
        Assert.Equal([("d1", "s~1"), ("d2", "s~2")], next.Select(a => (a.DriveId, a.BatchId)));

        // Batches outside the set keep their order: the set is chosen as a whole, then its member.
        var mixed = OldestBatchFirst.Instance.Assign(["d1", "d2", "d3"], [Demand("old", 1, null), Demand("s~1", 4, "s", made: 1), Demand("s~2", 4, "s")]);
        Assert.Equal([("d1", "old"), ("d2", "s~2"), ("d3", "s~1")], mixed.Select(a => (a.DriveId, a.BatchId)));
    }

    [Fact]
    public void A_set_some_of_whose_members_exist_is_refused_one_all_of_whose_exist_is_asked_again()
    {
        var members = new[] { Member("s", 1, 2), Member("s", 2, 2) };
        var one = TowerLogic.Apply(TowerRegistry.Empty, new BatchRegistered("s~1", T0));
        var partial = Assert.IsType<TowerSets.Plan.Refuse>(TowerSets.Check(members, one, TowerDrives.Empty, T0));
        Assert.Contains("batch(es) 's~1' exist but not every member", partial.Reason);
        var both = TowerLogic.Apply(one, new BatchRegistered("s~2", T0));
        Assert.IsType<TowerSets.Plan.Again>(TowerSets.Check(members, both, TowerDrives.Empty, T0));
        Assert.IsType<TowerSets.Plan.Register>(TowerSets.Check(members, TowerRegistry.Empty, TowerDrives.Empty, T0));
    }

    [Fact]
    public void A_set_registers_all_its_members_in_one_decision_or_none()
    {
        var r = TowerLogic.Decide(TowerRegistry.Empty, new RegisterBatches(["s~1", "s~2", "s~3"], T0)).Events.Aggregate(TowerRegistry.Empty, TowerLogic.Apply);
        Assert.Equal(["s~1", "s~2", "s~3"], r.Batches.Select(b => b.BatchId));
        Assert.Equal("batch s~2 is already registered", TowerLogic.Decide(r, new RegisterBatches(["t~1", "s~2"], T0)).Refused);
        Assert.Equal("a batch id is named twice", TowerLogic.Decide(r, new RegisterBatches(["t~1", "t~1"], T0)).Refused);
    }
}
