using System.Collections.Immutable;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// One round of dispatch as a pure function: which ready drives the <see cref="IDispatchStrategy"/> may choose from,
/// what each running batch can take, and the assignments that pass the tower's own checks, with the drives and batches
/// marked as waiting for the ledgers' answers. The supervisor then asks each ledger for its disc, and
/// <see cref="Answered"/> says what becomes of each answer.
/// </summary>
internal static class TowerDispatch
{
    /// <summary>
    /// The assignments to ask ledgers for at <paramref name="now"/>, and the drives and batches with those marked
    /// pending. A paused tower assigns nothing, a paused batch takes nothing, a held drive gets nothing.
    /// </summary>
    public static (TowerDrives Drives, TowerBatches Batches, ImmutableArray<DiscAssignment> Assignments) Plan(
        TowerDrives drives, TowerBatches batches, TowerRegistry registry, IDispatchStrategy strategy, DateTimeOffset now)
    {
        var ready = drives.Ready(registry);
        if (ready.IsEmpty || registry.IsPaused()) return (drives, batches, []);
        var demand = batches.Demand(registry, now);
        var made = ImmutableArray.CreateBuilder<DiscAssignment>();
        foreach (var a in strategy.Assign(ready, demand))
        {
            // A strategy is trusted with the choice, not with the rules: the ledger still refuses a disc too many.
            if (!ready.Contains(a.DriveId) || drives.Get(a.DriveId)!.Assigning || batches.Get(a.BatchId) is not { Image: not null } batch) continue;
            drives = drives.Assigning(a.DriveId, true);
            batches = batches.Set(batch with { Pending = batch.Pending + 1 });
            made.Add(a);
        }
        return (drives, batches, made.ToImmutable());
    }

    /// <summary>
    /// A ledger answered whether drive <paramref name="driveId"/> gets a disc of <paramref name="batchId"/>: the drive
    /// and batch are no longer waiting, and the disc is burned if the drive is still ready and in service and the
    /// batch still staged, abandoned (failed at once, made again) otherwise; no disc means dispatching again shortly.
    /// A pause or hold that came between the ask and the answer does not stop the disc: it was decided before.
    /// Null when the batch is no longer running here.
    /// </summary>
    public static (TowerDrives Drives, TowerBatches Batches, DiscHandOut? Next) Answered(
        TowerDrives drives, TowerBatches batches, TowerRegistry registry, string batchId, string driveId, Batch.Reply reply)
    {
        drives = drives.Assigning(driveId, false);
        if (batches.Get(batchId) is not { } slot) return (drives, batches, null);
        slot = slot with { Pending = Math.Max(0, slot.Pending - 1) };
        batches = batches.Set(slot);
        if (reply is not Batch.Accepted ok) return (drives, batches, new DiscHandOut.Retry());
        if (!ok.State.InFlight.Any(kv => kv.Value == driveId)) return (drives, batches, new DiscHandOut.Ended(ok.State)); // accepted as the batch's end (its values ran out)
        int disc = ok.State.InFlight.First(kv => kv.Value == driveId).Key;
        if (drives.Get(driveId) is not { } drive) // a floor's tower left while the ledger answered
            return (drives, batches, new DiscHandOut.Abandon(new FailDisc(disc, driveId, "interrupted: the drive left the floor") { Interrupted = true }, ok.State));
        var spec = ok.State.Spec!;
        string? perDiscError = null;
        DiscHandOut next = slot.Image is { } image && slot.Staging is { } staging && drive.Status.State == DriveState.Ready && !registry.Quarantined.ContainsKey(driveId)
            && PerDiscLogic.Burn(spec, image, ok.State.Discs[disc], out perDiscError) is var perDisc && perDiscError is null
            ? new DiscHandOut.Burn(TowerDrives.Starting(drive, batchId, disc), new Recorder.Burn(batchId, disc, image, staging,
                new RecordOptions(Speed: spec.Options.Speed, Verify: spec.Options.Verify, AudioMode: spec.Options.AudioMode)
                    .WithVerification(VerifyPlan.Level(ok.State.Discs[disc].Verify ?? spec.Options.EffectiveVerify.Mode)), // as the ledger chose it
                spec.Options.RejectIfNotBlank, JobStaging.TaskOf(spec), perDisc) { Media = spec.Options.MediaRules, Expect = spec.Options.Expect, Append = Recorder.AppendBurn.Of(spec) }, ok.State)
            : new DiscHandOut.Abandon(new FailDisc(disc, driveId, perDiscError ?? "the drive was no longer ready"), ok.State);
        return (drives, batches, next);
    }
}

/// <summary>What becomes of a ledger's answer to a disc for a drive (<see cref="TowerDispatch.Answered"/>).</summary>
internal abstract record DiscHandOut
{
    /// <summary>No disc (refused: a race; unanswered: the ledger is being recovered): dispatch again shortly.</summary>
    public sealed record Retry : DiscHandOut;

    /// <summary>The drive, now starting, is sent <paramref name="Command"/>; the batch takes <paramref name="State"/>.</summary>
    public sealed record Burn(DriveSlot Drive, Recorder.Burn Command, BatchState State) : DiscHandOut;

    /// <summary>The drive is no longer ready: the ledger is told <paramref name="Command"/>; the batch takes <paramref name="State"/>.</summary>
    public sealed record Abandon(FailDisc Command, BatchState State) : DiscHandOut;

    /// <summary>The ledger accepted by ending the batch (a per-disc batch's values ran out): no disc; the batch takes <paramref name="State"/>.</summary>
    public sealed record Ended(BatchState State) : DiscHandOut;
}
