using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;

namespace Duplicator.Actors.Supervision;

/// <summary>A batch the tower is running: its ledger, the latest state the ledger answered, its staging and image.</summary>
/// <param name="Id">Batch id.</param>
/// <param name="At">When it was registered.</param>
/// <param name="Ledger">Its persistent <see cref="BatchActor"/>.</param>
/// <param name="State">The newest state its ledger answered (<see cref="BatchState.Empty"/> until it has).</param>
/// <param name="Staging">Its staging actor while it runs.</param>
/// <param name="Image">Its staged image, once staged.</param>
/// <param name="Pending">Discs asked of the ledger for a drive and not answered yet.</param>
internal sealed record BatchSlot(string Id, DateTimeOffset At, IActorRef Ledger, BatchState State, IActorRef? Staging, StagedImage? Image, int Pending);

/// <summary>
/// The batches the tower runs, as an immutable value: every change returns a new one. No messaging here: the
/// supervisor asks ledgers and applies their answers through <see cref="WithState"/>, and asks
/// <see cref="Demand"/> what the dispatch strategy may hand out.
/// </summary>
internal sealed record TowerBatches(ImmutableDictionary<string, BatchSlot> Slots)
{
    public static TowerBatches Empty { get; } = new(ImmutableDictionary<string, BatchSlot>.Empty);

    public BatchSlot? Get(string id) => Slots.GetValueOrDefault(id);

    public TowerBatches Set(BatchSlot slot) => new(Slots.SetItem(slot.Id, slot));

    public TowerBatches Remove(string id) => new(Slots.Remove(id));

    /// <summary>The slot with the ledger's answer, unless an answer with more events already arrived (asks complete out of order).</summary>
    public static BatchSlot WithState(BatchSlot slot, BatchState state) => state.Version < slot.State.Version ? slot : slot with { State = state };

    /// <summary>The slot whose ledger is <paramref name="ledger"/>, or null.</summary>
    public BatchSlot? ByLedger(IActorRef ledger) => Slots.Values.FirstOrDefault(b => b.Ledger.Equals(ledger));

    /// <summary>A registered batch as lists show it: the live ledger's state, else the summary of a finished one.</summary>
    public Tower.BatchInfo Info(RegisteredBatch r) => Get(r.BatchId) switch
    {
        { State.Spec: not null } live => Tower.BatchInfo.Of(r.BatchId, live.State, r.At),
        _ when r.Closed is { } summary => Tower.BatchInfo.Of(r.BatchId, summary, r.At),
        _ => new Tower.BatchInfo(r.BatchId, null, r.At, BatchStatus.New, false, 0, 0, 0, 0, null), // its ledger has not answered yet
    };

    /// <summary>
    /// Why <paramref name="spec"/> cannot become a new batch on a tower of <paramref name="drives"/> (a drive it names
    /// is not there, it has no source, or its ledger would refuse it), or null.
    /// </summary>
    public static string? Refuse(BatchSpec spec, TowerDrives drives, DateTimeOffset at)
    {
        var unknown = spec.Options.Drives.Concat(JobStaging.DrivesNamed(spec)).Where(d => !drives.Contains(d)).ToArray(); // a copy job's master drive too
        if (unknown.Length > 0)
            return $"drive(s) {string.Join(", ", unknown)} are not in this tower (it has {string.Join(", ", drives.Order)})";
        if (!Enum.IsDefined(spec.Source) || spec.Paths.IsDefaultOrEmpty)
            return $"batch {spec.BatchId}: source '{spec.Source}' with {spec.Paths.Length} path(s); want folder, image or audio with paths";
        return BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, at)).Refused;
    }

    /// <summary>
    /// What the running, staged batches can take at <paramref name="now"/>, in the registry's order (oldest first),
    /// with their priority and how long they have waited; a paused batch takes nothing.
    /// </summary>
    public ImmutableArray<BatchDemand> Demand(TowerRegistry registry, DateTimeOffset now) =>
    [
        .. registry.Batches.Where(r => !registry.IsPaused(r.BatchId)).Select(r => Get(r.BatchId)).OfType<BatchSlot>()
            .Where(b => b is { Image: not null, State: { Status: BatchStatus.Running, Spec: not null } })
            .Select(b => new BatchDemand(b.Id, JobRules.Open(b.State) - b.Pending, JobRules.Drives(b.State), [.. b.State.InFlight.Values],
                b.State.Spec!.Priority, now - b.At) { Set = b.State.Spec.Set?.SetId, Made = b.State.Good.Count + b.State.InFlight.Count + b.Pending })
            .Where(d => d.Needed > 0),
    ];
}
