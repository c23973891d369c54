using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// A batch's staging while it runs, and what its end clears. A running batch gets one <see cref="StagingActor"/>
/// (given the stash its ledger recorded, so an unchanged stash is reused after a restart); when the batch ends, its
/// staging stops, the drives still on one of its discs are told to cancel, and its stash goes (through
/// <see cref="TowerStash"/>). Used only on the tower's own thread, with the tower's context.
/// </summary>
internal sealed class TowerStaging(IActorContext context, Tower.Settings settings, TowerStash stash, ILoggingAdapter log)
{
    private int _children;

    /// <summary>The slot with a staging actor, started now if the batch runs and has none (a copy job's master drive, one of <paramref name="drives"/>, reads the image).</summary>
    public BatchSlot Started(BatchSlot slot, TowerDrives drives)
    {
        var state = slot.State;
        if (state.Status != BatchStatus.Running || slot.Staging is not null) return slot;
        if (state.Spec!.FloorImage is { } floor)
        {
            // Staged by the tower it was submitted to: every agent fetches it by hash and stages it on its own node.
            var path = Floor.Floor.ImagePath(settings.StashDirectory, floor.Sha256);
            context.Self.Tell(new Staging.Staged(new StagedImage(slot.Id, path, 2048, floor.Sectors,
                [new Mastering.Images.TrackInfo(1, Mastering.Images.TrackKind.Data, 0, floor.Sectors, 0)], floor.Sha256)));
            return slot with { Staging = ActorRefs.Nobody };
        }
        (string, string)? previous = state.StashPath is { } p && state.ImageSha256 is { } h ? (p, h) : null;
        var master = JobStaging.DrivesNamed(state.Spec!).Select(d => drives.Get(d)?.Recorder).FirstOrDefault();
        var staging = context.ActorOf(Staging.Props(state.Spec!, slot.At, settings.StashDirectory, previous, settings.Staging, master), $"staging-{_children++}");
        return slot with { Staging = staging };
    }

    /// <summary>
    /// The slot of a batch that has ended (completed, cancelled or failed), cleared: once per batch, while it still has
    /// its staging, the staging stops, the burns on <paramref name="drives"/> are cancelled and its stash removed.
    /// </summary>
    public BatchSlot Ended(BatchSlot slot, TowerDrives drives)
    {
        if (slot.Staging is not { } staging) return slot;
        var state = slot.State;
        var how = state.Status.ToString().ToLowerInvariant();
        if (!staging.IsNobody()) context.Stop(staging);
        foreach (var d in drives.On(slot.Id))
            d.Recorder.Tell(new Recorder.CancelBurn(slot.Id, $"batch {how}: {state.Reason}"));
        stash.Finished(slot.Id, state.Spec!);
        log.Info("batch {0} {1}: {2} good, {3} failed ({4})", slot.Id, how, state.Good.Count, state.Failed, state.Reason);
        return slot with { Staging = null, Image = null };
    }

    /// <summary>Stops the slot's staging, if any (its ledger is being recovered; it is staged again once it answers).</summary>
    public void Stop(BatchSlot slot)
    {
        if (slot.Staging is { } s && !s.IsNobody()) context.Stop(s);
    }
}
