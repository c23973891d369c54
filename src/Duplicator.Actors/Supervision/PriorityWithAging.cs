using System.Collections.Immutable;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The default dispatch strategy: batches by priority, with aging so a low one is not starved (PTBurn's Importance,
/// waiting jobs promoted over time). A batch's rank is its priority plus one level for every <see cref="AgingStep"/>
/// it has waited since it was submitted; each ready drive, in tower order, takes a disc of the highest-ranked batch
/// that accepts it, the oldest first among equals (so with equal priorities this is <see cref="OldestBatchFirst"/>).
/// A batch therefore goes before any batch of priority p higher that came more than p steps after it: a priority-0
/// batch waits at most 9 steps plus the discs of the batches submitted before that. Only ready drives are given
/// discs: a disc burning is never pre-empted, a higher batch simply takes the next drive that becomes ready.
/// </summary>
public sealed class PriorityWithAging(TimeSpan agingStep) : IDispatchStrategy
{
    /// <summary>One level every minute: priority 0 behind a stream of priority 9 starts within about 9 minutes.</summary>
    public static PriorityWithAging Default { get; } = new(TimeSpan.FromMinutes(1));

    /// <summary>The wait that raises a batch by one level.</summary>
    public TimeSpan AgingStep { get; } = agingStep > TimeSpan.Zero ? agingStep : throw new ArgumentOutOfRangeException(nameof(agingStep), agingStep, "the aging step must be positive");

    /// <summary>A batch's rank now: its priority, raised by one for every aging step it has waited.</summary>
    public double Rank(BatchDemand b) => b.Priority + Math.Max(0, b.Waited.Ticks) / (double)AgingStep.Ticks;

    /// <inheritdoc />
    public ImmutableArray<DiscAssignment> Assign(IReadOnlyList<string> readyDrives, IReadOnlyList<BatchDemand> batches) =>
        // OrderByDescending is stable: equal ranks keep the oldest-first order they came in.
        OldestBatchFirst.Instance.Assign(readyDrives, [.. batches.OrderByDescending(Rank)]);
}
