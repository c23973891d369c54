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
            var b = demand[i];
            result.Add(new DiscAssignment(drive, b.BatchId));
            demand[i] = b with { Needed = b.Needed - 1, Burning = b.Burning.Add(drive) };
        }
        return result.ToImmutable();
    }
}
