using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The one place the tower removes staged images. IMAPI clears its stash after a burn; so does the tower, once a
/// batch has ended (completed, cancelled or failed: a finished batch never uses its stash again), and at start for
/// finished batches a host that stopped between a batch's end and its clean-up left behind. An ISO job is burned
/// from the operator's own file in place and has nothing here. What may be deleted is decided by
/// <see cref="StashFolders.Delete"/> (only a folder this program made for that batch, directly inside the stash);
/// a refusal or an I/O error is logged and never fails the tower.
/// </summary>
internal sealed class TowerStash(string stashDirectory, ILoggingAdapter log)
{
    /// <summary>Removes what finished batches in <paramref name="registry"/> left in the stash (they are not loaded at start).</summary>
    public void SweepClosed(TowerRegistry registry)
    {
        foreach (var r in registry.Batches.Where(b => b.Closed is { Spec.Source: not SourceKind.Image }))
            if (Directory.Exists(StashFolders.Folder(stashDirectory, r.BatchId)))
                Delete(r.BatchId);
    }

    /// <summary>Removes the stash of <paramref name="batchId"/>, which ended, unless it was burned from an image in place.</summary>
    public void Finished(string batchId, BatchSpec spec)
    {
        if (spec.Source != SourceKind.Image) Delete(batchId);
    }

    private void Delete(string batchId)
    {
        try
        {
            if (StashFolders.Delete(stashDirectory, batchId) is { } left)
                log.Warning("batch {0}: the stash was left alone: {1}", batchId, left);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("batch {0}: the stash could not be removed: {1}", batchId, e.Message);
        }
    }
}
