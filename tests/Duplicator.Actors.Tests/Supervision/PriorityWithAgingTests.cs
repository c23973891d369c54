using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The default dispatch strategy alone: priority, aging, and a low batch under a stream of high ones.</summary>
public sealed class PriorityWithAgingTests
{
    private static readonly PriorityWithAging Strategy = new(TimeSpan.FromMinutes(1));

    private static BatchDemand Demand(string id, int needed, int priority, double waitedSeconds) =>
        new(id, needed, [], [], priority, TimeSpan.FromSeconds(waitedSeconds));

    private static (string, string)[] Assign(IDispatchStrategy s, string[] ready, params BatchDemand[] batches) =>
        [.. s.Assign(ready, batches).Select(a => (a.DriveId, a.BatchId))];

    [Fact]
    public void A_higher_priority_batch_takes_the_ready_drives_first_and_equals_go_oldest_first()
    {
        Assert.Equal([("d1", "high"), ("d2", "high"), ("d3", "low")],
            Assign(Strategy, ["d1", "d2", "d3"], Demand("low", 5, 2, 10), Demand("high", 2, 8, 1)));
        // Equal priorities: exactly what OldestBatchFirst does (the list comes oldest first).
        var equal = new[] { Demand("a", 1, 4, 30), Demand("b", 2, 4, 20), Demand("c", 9, 4, 10) };
        Assert.Equal(Assign(OldestBatchFirst.Instance, ["d1", "d2", "d3", "d4"], equal), Assign(Strategy, ["d1", "d2", "d3", "d4"], equal));
    }

    [Fact]
    public void Waiting_raises_a_batch_one_level_per_aging_step()
    {
        Assert.Equal(4.5, Strategy.Rank(Demand("x", 1, 4, 30)));
        // 0 + 10 steps of waiting beats a 9 that has just arrived; 0 + 8 steps does not.
        Assert.Equal([("d1", "old-low")], Assign(Strategy, ["d1"], Demand("old-low", 1, 0, 600), Demand("new-high", 1, 9, 0)));
        Assert.Equal([("d1", "new-high")], Assign(Strategy, ["d1"], Demand("old-low", 1, 0, 480), Demand("new-high", 1, 9, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PriorityWithAging(TimeSpan.Zero));
    }

    /// <summary>
    /// Two drives, 30 s a disc; a new priority-9 batch of one disc every 10 s (more than the drives can burn: the queue
    /// of high batches only grows), and one priority-0 batch of one disc at t = 0 with two priority-9 ones. Returns when the low disc started,
    /// or null if it never did within the simulated hour.
    /// </summary>
    private static double? LowStartsAt(IDispatchStrategy strategy, out int highsBefore)
    {
        // At t = 0 two high batches and the low one are there: the highs take both drives.
        var submitted = new Dictionary<string, double> { ["high-a"] = 0, ["high-b"] = 0, ["low"] = 0 };
        var needed = new Dictionary<string, int> { ["high-a"] = 1, ["high-b"] = 1, ["low"] = 1 };
        var order = new List<string> { "high-a", "high-b", "low" };
        var busyUntil = new Dictionary<string, double> { ["d1"] = 0, ["d2"] = 0 };
        highsBefore = 0;
        int high = 0;
        for (double t = 0; t <= 3600; t += 1)
        {
            if (t > 0 && t % 10 == 0)
            {
                var id = $"high-{++high}";
                (submitted[id], needed[id]) = (t, 1);
                order.Add(id);
            }
            var ready = busyUntil.Where(d => d.Value <= t).Select(d => d.Key).Order().ToArray();
            if (ready.Length == 0) continue;
            var demand = order.Where(id => needed[id] > 0).Select(id => Demand(id, needed[id], id == "low" ? 0 : 9, t - submitted[id])).ToArray();
            foreach (var a in strategy.Assign(ready, demand))
            {
                needed[a.BatchId]--;
                busyUntil[a.DriveId] = t + 30;
                if (a.BatchId == "low") return t;
                highsBefore++;
            }
        }
        return null;
    }

    [Fact]
    public void A_low_batch_starts_after_a_bounded_wait_under_a_stream_of_high_ones()
    {
        var started = LowStartsAt(Strategy, out int highsBefore);

        // Bound: it goes before every high batch that came more than 9 levels (540 s) after it, so it waits at most for
        // the 2 + 54 that came before that, at 2 discs per 30 s. And not before: until then a high one is always waiting.
        Assert.NotNull(started);
        Assert.InRange(started!.Value, 540, 56 * 15);
        Assert.InRange(highsBefore, 36, 56);

        // Without aging (a step longer than the simulation) the same stream starves it for the whole hour.
        Assert.Null(LowStartsAt(new PriorityWithAging(TimeSpan.FromDays(365)), out int highsWithoutAging));
        Assert.True(highsWithoutAging > 200, $"{highsWithoutAging} high discs burned while the low one waited");
    }
}
