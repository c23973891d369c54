using System.Collections.Immutable;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Supervision;

/// <summary>A fact in the tower's own journal (which batches exist, which drives are out of service).</summary>
public interface ITowerEvent : IBatchPersisted;

/// <summary>The tower registered a batch id (manifest "tr", as written since 026b234).</summary>
public sealed record BatchRegistered(string BatchId, DateTimeOffset At) : ITowerEvent;

/// <summary>The tower took a drive out of service after repeated failures; it stays out after a restart (manifest "dq").</summary>
public sealed record DriveQuarantined(string DriveId, string Reason, DateTimeOffset At) : ITowerEvent;

/// <summary>An operator put a quarantined drive back in service (manifest "qc").</summary>
public sealed record QuarantineCleared(string DriveId, DateTimeOffset At) : ITowerEvent;

/// <summary>
/// A batch ended (its ledger said so); <paramref name="Summary"/> is what a list of batches shows of it, so the tower
/// need not start its ledger again at the next start (manifest "tc").
/// </summary>
public sealed record BatchClosed(string BatchId, BatchSummary Summary) : ITowerEvent;

/// <summary>A finished batch as lists show it, kept in the tower's registry; its disc-by-disc ledger stays in its own journal.</summary>
/// <param name="Spec">What the batch was.</param>
/// <param name="Status">Completed, failed or cancelled.</param>
/// <param name="Good">Good discs made.</param>
/// <param name="Failed">Discs failed.</param>
/// <param name="Interrupted">Discs interrupted by a host stop (made again).</param>
/// <param name="Reason">Why it ended.</param>
/// <param name="Staged">Whether its image had been staged.</param>
public sealed record BatchSummary(BatchSpec Spec, BatchStatus Status, int Good, int Failed, int Interrupted, string? Reason, bool Staged)
{
    /// <summary>The summary of a finished ledger state.</summary>
    public static BatchSummary Of(BatchState s) =>
        new(s.Spec ?? throw new ArgumentException("a batch without a spec has no summary"), s.Status, s.Good.Count, s.Failed, s.Interrupted, s.Reason, s.ImageSha256 != null);
}

/// <summary>A batch the tower knows: when it was registered and, once it ended, its summary.</summary>
public sealed record RegisteredBatch(string BatchId, DateTimeOffset At, BatchSummary? Closed = null)
{
    /// <summary>Still to be worked on (its ledger is started with the tower).</summary>
    public bool IsOpen => Closed is null;
}

/// <summary>
/// The tower's registry, rebuilt from its journal and snapshotted as is (manifest "tower"): every batch oldest first
/// (open ones by id, finished ones with their summary), the quarantined drives with why, and what the operator holds
/// back (<see cref="TowerHolds"/>: paused tower and batches, held drives; null in registries written before them).
/// </summary>
public sealed record TowerRegistry(ImmutableList<RegisteredBatch> Batches, ImmutableDictionary<string, string> Quarantined, long Version = 0,
    TowerHolds? Holds = null) : IBatchPersisted
{
    /// <summary>Nothing registered.</summary>
    public static TowerRegistry Empty { get; } = new(ImmutableList<RegisteredBatch>.Empty, ImmutableDictionary<string, string>.Empty);

    /// <summary>The batch <paramref name="batchId"/>, or null.</summary>
    public RegisteredBatch? Find(string batchId) => Batches.Find(b => b.BatchId == batchId);
}

/// <summary>A request to the tower's registry.</summary>
public abstract record TowerCommand;

/// <summary>Register a new batch id.</summary>
public sealed record RegisterBatch(string BatchId, DateTimeOffset At) : TowerCommand;

/// <summary>Record that a batch ended, with its summary.</summary>
public sealed record CloseBatch(string BatchId, BatchSummary Summary) : TowerCommand;

/// <summary>Take a drive out of service.</summary>
public sealed record QuarantineDrive(string DriveId, string Reason, DateTimeOffset At) : TowerCommand;

/// <summary>Put a drive back in service.</summary>
public sealed record ClearDriveQuarantine(string DriveId, DateTimeOffset At) : TowerCommand;

/// <summary>The outcome of <see cref="TowerLogic.Decide"/>: the events to persist, or why the command was refused.</summary>
public sealed record TowerDecision(ImmutableArray<ITowerEvent> Events, string? Refused)
{
    /// <summary>Accepted with these events (possibly none: nothing to change).</summary>
    public static TowerDecision Accept(params ITowerEvent[] events) => new([.. events], null);

    /// <summary>Refused, with the reason.</summary>
    public static TowerDecision Refuse(string why) => new([], why);
}

/// <summary>
/// The tower registry's rules as pure functions, the twin of <see cref="BatchLogic"/>: <see cref="Decide"/> turns a
/// command into facts, <see cref="Apply"/> folds a fact into the registry. The supervisor persists what Decide returns
/// and applies each fact in its persist callback, through the same Apply its recovery uses, and only then acts on it
/// (a quarantine takes effect once it is stored).
/// </summary>
public static class TowerLogic
{
    /// <summary>Decides <paramref name="command"/> against <paramref name="registry"/>.</summary>
    public static TowerDecision Decide(TowerRegistry registry, TowerCommand command) => command switch
    {
        RegisterBatch r when registry.Find(r.BatchId) != null => TowerDecision.Refuse($"batch {r.BatchId} is already registered"),
        RegisterBatch r => TowerDecision.Accept(new BatchRegistered(r.BatchId, r.At)),
        CloseBatch c when registry.Find(c.BatchId) is null => TowerDecision.Refuse($"batch {c.BatchId} is not registered"),
        CloseBatch c when !registry.Find(c.BatchId)!.IsOpen => TowerDecision.Accept(),
        CloseBatch c when c.Summary.Status is not (BatchStatus.Completed or BatchStatus.Failed or BatchStatus.Cancelled)
            => TowerDecision.Refuse($"batch {c.BatchId} is {c.Summary.Status.ToString().ToLowerInvariant()}, not finished"),
        CloseBatch c => TowerDecision.Accept(new BatchClosed(c.BatchId, c.Summary)),
        QuarantineDrive q when registry.Quarantined.ContainsKey(q.DriveId) => TowerDecision.Accept(),
        QuarantineDrive q => TowerDecision.Accept(new DriveQuarantined(q.DriveId, q.Reason, q.At)),
        ClearDriveQuarantine c when !registry.Quarantined.ContainsKey(c.DriveId) => TowerDecision.Accept(),
        ClearDriveQuarantine c => TowerDecision.Accept(new QuarantineCleared(c.DriveId, c.At)),
        _ => TowerControl.Decide(registry, command) ?? TowerSets.Decide(registry, command) ?? TowerDecision.Refuse($"unknown command {command.GetType().Name}"),
    };

    /// <summary>Folds <paramref name="e"/> into <paramref name="registry"/>.</summary>
    public static TowerRegistry Apply(TowerRegistry registry, ITowerEvent e) => Fold(registry, e) with { Version = registry.Version + 1 };

    private static TowerRegistry Fold(TowerRegistry r, ITowerEvent e) => e switch
    {
        BatchClosed c when r.Find(c.BatchId) is { } known && TowerControl.Fold(r, e) is { } released => released with { Batches = r.Batches.Replace(known, known with { Closed = c.Summary }) },
        BatchRegistered b when r.Find(b.BatchId) is null => r with { Batches = r.Batches.Add(new RegisteredBatch(b.BatchId, b.At)) },
        BatchClosed c when r.Find(c.BatchId) is { } known => r with { Batches = r.Batches.Replace(known, known with { Closed = c.Summary }) },
        DriveQuarantined q => r with { Quarantined = r.Quarantined.SetItem(q.DriveId, q.Reason) },
        QuarantineCleared c => r with { Quarantined = r.Quarantined.Remove(c.DriveId) },
        _ => TowerControl.Fold(r, e) ?? r,
    };

    /// <summary>Applies every event in order.</summary>
    public static TowerRegistry Replay(IEnumerable<ITowerEvent> events) => events.Aggregate(TowerRegistry.Empty, Apply);

    /// <summary>Whether a drive with <paramref name="consecutiveFailures"/> failed discs in a row is to be quarantined (0 = never).</summary>
    public static bool ShouldQuarantine(int consecutiveFailures, int quarantineAfter) => quarantineAfter > 0 && consecutiveFailures >= quarantineAfter;
}
