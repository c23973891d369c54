using System.Collections.Immutable;

namespace Duplicator.Actors.Supervision;

/// <summary>A batch that could take discs now, as the dispatch strategy sees it.</summary>
/// <param name="BatchId">The batch.</param>
/// <param name="Needed">Discs it can still hand out: wanted, less good, in flight and being assigned.</param>
/// <param name="Drives">Drives it may use (empty: any).</param>
/// <param name="Burning">Drives already on a disc of this batch (a drive makes one disc of a batch at a time).</param>
/// <param name="Priority">0 (lowest) to 9 (highest).</param>
/// <param name="Waited">How long since the batch was submitted (what aging promotes it by).</param>
public sealed record BatchDemand(string BatchId, int Needed, ImmutableArray<string> Drives, ImmutableHashSet<string> Burning,
    int Priority = Batches.BatchSpec.DefaultPriority, TimeSpan Waited = default)
{
    /// <summary>The disc set this batch is an image of (<see cref="Batches.DiscSets"/>), or null.</summary>
    public string? Set { get; init; }

    /// <summary>Its good discs plus those in flight and being assigned: among the members of one set, the one with fewest goes first.</summary>
    public int Made { get; init; }

    /// <summary>Whether <paramref name="driveId"/> may take a disc of this batch now.</summary>
    public bool Accepts(string driveId) => Needed > 0 && (Drives.IsDefaultOrEmpty || Drives.Contains(driveId)) && !Burning.Contains(driveId);
}

/// <summary>One disc of <paramref name="BatchId"/> to start on <paramref name="DriveId"/>.</summary>
public sealed record DiscAssignment(string DriveId, string BatchId);

/// <summary>
/// Which disc goes where (compare Akka's IShardAllocationStrategy): given the drives ready now and the batches that
/// want discs, the assignments to make. Pure: no actors, no I/O, the same answer for the same question; the tower
/// asks each ledger for the disc before the drive gets it, so a strategy cannot hand out more than a batch allows.
/// </summary>
public interface IDispatchStrategy
{
    /// <summary>Assignments for <paramref name="readyDrives"/> (tower order) over <paramref name="batches"/> (oldest first).</summary>
    ImmutableArray<DiscAssignment> Assign(IReadOnlyList<string> readyDrives, IReadOnlyList<BatchDemand> batches);
}

/// <summary>
/// The default: each ready drive, in tower order, takes a disc of the oldest batch that accepts it, so batches finish
/// in the order they came; a batch restricted to some drives leaves the others to later batches.
/// </summary>
public sealed class OldestBatchFirst : IDispatchStrategy
{
    /// <summary>The one instance.</summary>
    public static OldestBatchFirst Instance { get; } = new();

    /// <inheritdoc />
    public ImmutableArray<DiscAssignment> Assign(IReadOnlyList<string> readyDrives, IReadOnlyList<BatchDemand> batches)
    {
        var demand = batches.ToList();
        var result = ImmutableArray.CreateBuilder<DiscAssignment>();
        foreach (var drive in readyDrives.Distinct())
        {
            int i = demand.FindIndex(b => b.Accepts(drive));
            if (i < 0) continue;
            i = SetMemberFor(demand, i, drive);
            var b = demand[i];
            result.Add(new DiscAssignment(drive, b.BatchId));
            demand[i] = b with { Needed = b.Needed - 1, Burning = b.Burning.Add(drive), Made = b.Made + 1 };
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// When the chosen batch is a member of a disc set, the member of that set that accepts the drive and has made the
    /// fewest discs (the first such in order among equals), so drives burn the set's different images at the same time
    /// and its sets fill evenly; otherwise <paramref name="chosen"/>.
    /// </summary>
    public static int SetMemberFor(IReadOnlyList<BatchDemand> demand, int chosen, string drive)
    {
        if (demand[chosen].Set is not { } set) return chosen;
        int best = chosen;
        for (int j = 0; j < demand.Count; j++)
            if (demand[j].Set == set && demand[j].Accepts(drive) && demand[j].Made < demand[best].Made) best = j;
        return best;
    }
}
