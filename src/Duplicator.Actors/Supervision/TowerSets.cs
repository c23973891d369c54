using System.Collections.Immutable;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Supervision;

/// <summary>Register every member batch of a disc set at once (one write: a set is never half registered).</summary>
public sealed record RegisterBatches(ImmutableArray<string> BatchIds, DateTimeOffset At) : TowerCommand;

/// <summary>
/// The tower's part in disc sets (<see cref="DiscSets"/>), pure: registering a set's members together (K
/// <see cref="BatchRegistered"/> facts in one persisted write, no new manifest), and which batches a cancel of one
/// member reaches (the whole set: a set without one of its images is no set).
/// </summary>
internal static class TowerSets
{
    /// <summary>Decides <see cref="RegisterBatches"/>: all or nothing; null when <paramref name="command"/> is not one.</summary>
    public static TowerDecision? Decide(TowerRegistry registry, TowerCommand command) => command switch
    {
        RegisterBatches r when r.BatchIds.FirstOrDefault(id => registry.Find(id) != null) is { } taken => TowerDecision.Refuse($"batch {taken} is already registered"),
        RegisterBatches r when r.BatchIds.Distinct().Count() != r.BatchIds.Length => TowerDecision.Refuse("a batch id is named twice"),
        RegisterBatches r => TowerDecision.Accept([.. r.BatchIds.Select(id => (ITowerEvent)new BatchRegistered(id, r.At))]),
        _ => null,
    };

    /// <summary>What a set submission comes to before anything is written.</summary>
    public abstract record Plan
    {
        /// <summary>Refused; nothing is created.</summary>
        public sealed record Refuse(string Reason) : Plan;

        /// <summary>A new set: register every member, then submit each to its new ledger.</summary>
        public sealed record Register : Plan;

        /// <summary>The set exists: each member's ledger (or a finished member's summary) says whether it is the same job.</summary>
        public sealed record Again : Plan;
    }

    /// <summary>
    /// Whether <paramref name="members"/> (a set job's member batches) are a new set, the set again, or refused: a
    /// member that names an unknown drive or that its ledger would refuse refuses the whole set, and so does a set id
    /// some of whose members exist and others not.
    /// </summary>
    public static Plan Check(IReadOnlyList<BatchSpec> members, TowerRegistry registry, TowerDrives drives, DateTimeOffset at)
    {
        if (DiscSets.Refusal(members) is { } bad) return new Plan.Refuse(bad);
        var known = members.Where(m => registry.Find(m.BatchId) != null).Select(m => m.BatchId).ToArray();
        if (known.Length == members.Count) return new Plan.Again();
        if (known.Length > 0)
            return new Plan.Refuse($"set {BatchIds.Show(members[0].Set!.SetId)}: batch(es) {string.Join(", ", known.Select(BatchIds.Show))} exist but not every member: another set job under this id needs a new id");
        for (int k = 0; k < members.Count; k++)
            if (TowerBatches.Refuse(members[k], drives, at) is { } why) return new Plan.Refuse($"set member {k + 1} ({BatchIds.Show(members[k].BatchId)}): {why}");
        return new Plan.Register();
    }

    /// <summary>The batches a cancel of <paramref name="batchId"/> reaches: every member of its set when it is a set member, else itself.</summary>
    public static ImmutableArray<string> CancelTargets(string batchId, TowerBatches batches) =>
        batches.Get(batchId)?.State.Spec?.Set is { } set
            ? [.. Enumerable.Range(1, set.Count).Select(k => DiscSets.MemberId(set.SetId, k))]
            : [batchId];

    /// <summary>A finished member's answer to the set again: the same job (null) or how it differs.</summary>
    public static string? Closed(BatchSummary summary, BatchSpec submitted) =>
        BatchLogic.Difference(summary.Spec, submitted) is { } differs
            ? $"id: batch {summary.Spec.BatchId} exists ({summary.Status.ToString().ToLowerInvariant()}) with a different job ({differs}); a new job needs a new id"
            : null;
}
