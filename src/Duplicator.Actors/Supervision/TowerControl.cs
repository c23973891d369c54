using System.Collections.Immutable;

namespace Duplicator.Actors.Supervision;

/// <summary>The operator paused the whole tower: no new disc starts on any drive; discs burning finish (manifest "tpa").</summary>
public sealed record TowerPaused(string Reason, DateTimeOffset At) : ITowerEvent;

/// <summary>The operator resumed the tower (manifest "tre").</summary>
public sealed record TowerResumed(DateTimeOffset At) : ITowerEvent;

/// <summary>The operator paused a batch: it starts no new disc; its discs burning finish (manifest "bpa").</summary>
public sealed record BatchPaused(string BatchId, DateTimeOffset At) : ITowerEvent;

/// <summary>The operator resumed a batch (manifest "bre").</summary>
public sealed record BatchResumed(string BatchId, DateTimeOffset At) : ITowerEvent;

/// <summary>
/// The operator took a drive out of service for a while (manifest "dh"): it finishes the disc it is burning, then
/// takes no other until released. Unlike a quarantine it says nothing about the drive's health and counts no failure.
/// </summary>
public sealed record DriveHeld(string DriveId, string Reason, DateTimeOffset At) : ITowerEvent;

/// <summary>The operator put a held drive back in service (manifest "drl").</summary>
public sealed record DriveReleased(string DriveId, DateTimeOffset At) : ITowerEvent;

/// <summary>
/// What the operator holds back, part of the tower's registry (and of its snapshot; absent from registries written
/// before it existed, which hold nothing back).
/// </summary>
/// <param name="TowerPaused">Why the whole tower is paused, or null while it runs.</param>
/// <param name="Batches">Paused batches.</param>
/// <param name="Drives">Held drives, with why.</param>
public sealed record TowerHolds(string? TowerPaused, ImmutableSortedSet<string> Batches, ImmutableSortedDictionary<string, string> Drives)
{
    /// <summary>Nothing held back.</summary>
    public static TowerHolds None { get; } = new(null, ImmutableSortedSet<string>.Empty, ImmutableSortedDictionary<string, string>.Empty);
}

/// <summary>Pause the whole tower.</summary>
public sealed record PauseTower(string Reason, DateTimeOffset At) : TowerCommand;

/// <summary>Resume the tower.</summary>
public sealed record ResumeTower(DateTimeOffset At) : TowerCommand;

/// <summary>Pause a batch.</summary>
public sealed record PauseBatch(string BatchId, DateTimeOffset At) : TowerCommand;

/// <summary>Resume a batch.</summary>
public sealed record ResumeBatch(string BatchId, DateTimeOffset At) : TowerCommand;

/// <summary>Hold a drive (the tower checks the drive exists: the registry does not know the configuration).</summary>
public sealed record HoldDrive(string DriveId, string Reason, DateTimeOffset At) : TowerCommand;

/// <summary>Release a held drive.</summary>
public sealed record ReleaseDrive(string DriveId, DateTimeOffset At) : TowerCommand;

/// <summary>
/// The operator's holds as pure rules, the part of <see cref="TowerLogic"/> that pause, resume and hold go through:
/// each yields a fact only when it changes something (pausing a paused batch, releasing a drive not held: nothing),
/// and a finished batch cannot be paused (nothing of it is left to start).
/// </summary>
public static class TowerControl
{
    /// <summary>The registry's holds (none for a registry written before they existed).</summary>
    public static TowerHolds HoldsOf(TowerRegistry registry) => registry.Holds ?? TowerHolds.None;

    /// <summary>Whether the whole tower is paused.</summary>
    public static bool IsPaused(this TowerRegistry registry) => HoldsOf(registry).TowerPaused != null;

    /// <summary>Whether batch <paramref name="batchId"/> is paused.</summary>
    public static bool IsPaused(this TowerRegistry registry, string batchId) => HoldsOf(registry).Batches.Contains(batchId);

    /// <summary>Whether drive <paramref name="driveId"/> is held, and why.</summary>
    public static bool IsHeld(this TowerRegistry registry, string driveId, out string? why)
    {
        bool held = HoldsOf(registry).Drives.TryGetValue(driveId, out var reason);
        why = reason;
        return held;
    }

    /// <summary>The registry command of an operator's request (<see cref="Tower.Pause"/>, <see cref="Tower.Resume"/>, <see cref="Tower.Hold"/>, <see cref="Tower.Release"/>), with the batch or drive it names.</summary>
    public static (TowerCommand Command, string? BatchId, string? DriveId) Of(object request, DateTimeOffset at) => request switch
    {
        Tower.Pause { BatchId: { } b } => (new PauseBatch(b, at), b, null),
        Tower.Pause p => (new PauseTower(p.Reason, at), null, null),
        Tower.Resume { BatchId: { } b } => (new ResumeBatch(b, at), b, null),
        Tower.Resume => (new ResumeTower(at), null, null),
        Tower.Hold h => (new HoldDrive(h.DriveId, h.Reason, at), null, h.DriveId),
        Tower.Release r => (new ReleaseDrive(r.DriveId, at), null, r.DriveId),
        _ => throw new ArgumentException($"{request.GetType().Name} is not an operator's hold", nameof(request)),
    };

    /// <summary>Decides a hold command; null when <paramref name="command"/> is not one.</summary>
    public static TowerDecision? Decide(TowerRegistry registry, TowerCommand command)
    {
        var h = HoldsOf(registry);
        return command switch
        {
            PauseTower p => h.TowerPaused != null ? TowerDecision.Accept() : TowerDecision.Accept(new TowerPaused(p.Reason, p.At)),
            ResumeTower r => h.TowerPaused == null ? TowerDecision.Accept() : TowerDecision.Accept(new TowerResumed(r.At)),
            PauseBatch p when registry.Find(p.BatchId) is null => TowerDecision.Refuse($"batch {p.BatchId} is not registered"),
            PauseBatch p when registry.Find(p.BatchId) is { Closed: { } c } =>
                TowerDecision.Refuse($"batch {p.BatchId} is {c.Status.ToString().ToLowerInvariant()}: nothing is left to pause"),
            PauseBatch p => h.Batches.Contains(p.BatchId) ? TowerDecision.Accept() : TowerDecision.Accept(new BatchPaused(p.BatchId, p.At)),
            ResumeBatch r when registry.Find(r.BatchId) is null => TowerDecision.Refuse($"batch {r.BatchId} is not registered"),
            ResumeBatch r => h.Batches.Contains(r.BatchId) ? TowerDecision.Accept(new BatchResumed(r.BatchId, r.At)) : TowerDecision.Accept(),
            HoldDrive d => h.Drives.ContainsKey(d.DriveId) ? TowerDecision.Accept() : TowerDecision.Accept(new DriveHeld(d.DriveId, d.Reason, d.At)),
            ReleaseDrive d => h.Drives.ContainsKey(d.DriveId) ? TowerDecision.Accept(new DriveReleased(d.DriveId, d.At)) : TowerDecision.Accept(),
            _ => null,
        };
    }

    /// <summary>A hold fact as the log says it.</summary>
    public static string Describe(ITowerEvent e) => e switch
    {
        TowerPaused p => $"the tower is paused ({p.Reason}): no new disc starts, discs burning finish",
        TowerResumed => "the tower is resumed",
        BatchPaused p => $"batch {p.BatchId} is paused: it starts no new disc, its discs burning finish",
        BatchResumed p => $"batch {p.BatchId} is resumed",
        DriveHeld d => $"drive {d.DriveId} is held ({d.Reason}): it finishes its disc, then takes none until released",
        DriveReleased d => $"drive {d.DriveId} is released",
        _ => e.ToString() ?? "",
    };

    /// <summary>Folds a hold fact into the registry; null when <paramref name="e"/> is not one.</summary>
    public static TowerRegistry? Fold(TowerRegistry r, ITowerEvent e)
    {
        var h = HoldsOf(r);
        TowerHolds? next = e switch
        {
            TowerPaused p => h with { TowerPaused = p.Reason },
            TowerResumed => h with { TowerPaused = null },
            BatchPaused p => h with { Batches = h.Batches.Add(p.BatchId) },
            BatchResumed p => h with { Batches = h.Batches.Remove(p.BatchId) },
            DriveHeld d => h with { Drives = h.Drives.SetItem(d.DriveId, d.Reason) },
            DriveReleased d => h with { Drives = h.Drives.Remove(d.DriveId) },
            BatchClosed c when h.Batches.Contains(c.BatchId) => h with { Batches = h.Batches.Remove(c.BatchId) }, // a finished batch holds nothing
            _ => null,
        };
        return next is null ? null : r with { Holds = next };
    }
}
