using System.Collections.Immutable;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The default dispatch strategy alone: ready drives and batch demands in, assignments out.</summary>
public sealed class DispatchStrategyTests
{
    private static BatchDemand Demand(string id, int needed, string[]? drives = null, params string[] burning) =>
        new(id, needed, drives is null ? [] : [.. drives], [.. burning]);

    private static (string, string)[] Assign(string[] ready, params BatchDemand[] batches) =>
        [.. OldestBatchFirst.Instance.Assign(ready, batches).Select(a => (a.DriveId, a.BatchId))];

    [Fact]
    public void Every_ready_drive_takes_a_disc_of_the_oldest_batch_until_it_needs_no_more()
    {
        Assert.Equal([("d1", "old"), ("d2", "old"), ("d3", "new")], Assign(["d1", "d2", "d3"], Demand("old", 2), Demand("new", 5)));
    }

    [Fact]
    public void A_batch_restricted_to_some_drives_leaves_the_others_to_later_batches()
    {
        Assert.Equal([("d1", "new"), ("d2", "old")], Assign(["d1", "d2"], Demand("old", 4, ["d2"]), Demand("new", 4)));
    }

    [Fact]
    public void A_drive_already_burning_a_disc_of_a_batch_gets_no_second_one_of_it()
    {
        Assert.Equal([("d1", "b")], Assign(["d1"], Demand("a", 3, null, "d1"), Demand("b", 1)));
        Assert.Empty(Assign(["d1"], Demand("a", 3, null, "d1")));
    }

    [Fact]
    public void Nothing_is_assigned_without_demand_or_ready_drives_and_a_drive_listed_twice_gets_one_disc()
    {
        Assert.Empty(Assign([], Demand("a", 3)));
        Assert.Empty(Assign(["d1"], Demand("a", 0)));
        Assert.Equal([("d1", "a")], Assign(["d1", "d1"], Demand("a", 3)));
    }

    [Fact]
    public void No_batch_gets_more_discs_than_it_needs_whatever_the_number_of_drives()
    {
        var ready = Enumerable.Range(1, 16).Select(i => $"d{i}").ToArray();
        var result = Assign(ready, Demand("a", 3), Demand("b", 2, ["d15", "d16"]), Demand("c", 100));
        Assert.Equal(3, result.Count(r => r.Item2 == "a"));
        Assert.Equal([("d15", "b"), ("d16", "b")], result.Where(r => r.Item2 == "b"));
        Assert.Equal(11, result.Count(r => r.Item2 == "c"));
        Assert.Equal(16, result.Select(r => r.Item1).Distinct().Count());
    }
}
