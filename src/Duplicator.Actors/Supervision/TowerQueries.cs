using Akka.Actor;
using Duplicator.Actors.Images;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The tower's read side: how a query is answered from the registry, the drives and the running batches. A running
/// batch answers from its newest ledger state, a finished one from the summary the registry keeps, and
/// <see cref="Tower.GetBatch"/> of a finished batch has its ledger read on demand (<see cref="BatchLedgers.ReadClosed"/>).
/// Nothing here changes the tower.
/// </summary>
internal static class TowerQueries
{
    /// <summary>Answers <paramref name="query"/> to <paramref name="sender"/>; false when it is not a query.</summary>
    public static bool Answer(object query, TowerRegistry registry, TowerDrives drives, TowerBatches batches, BatchLedgers ledgers, IActorRef sender)
    {
        switch (query)
        {
            case Tower.GetDrives:
                sender.Tell(drives.Statuses);
                return true;
            case Tower.GetBatches:
                sender.Tell(new Tower.BatchList([.. registry.Batches.Reverse().Select(r => batches.Info(r) with { Paused = registry.IsPaused(r.BatchId) })]));
                return true;
            case Tower.GetBatch g:
                var known = registry.Find(g.BatchId);
                if (batches.Get(g.BatchId) is { } b) sender.Tell(new Tower.BatchAnswer(b.State, b.At, registry.IsPaused(g.BatchId)));
                else if (known is { IsOpen: false }) ledgers.ReadClosed(g.BatchId, known.At, sender, asSubmit: false);
                else sender.Tell(new Tower.BatchAnswer(null));
                return true;
            case Tower.GetStagingStats s:
                if (batches.Get(s.BatchId) is { Staging: { } staging }) staging.Tell(Staging.GetStats.Instance, sender);
                else sender.Tell(new Tower.Done(false));
                return true;
            case Tower.GetHolds:
                sender.Tell(TowerControl.HoldsOf(registry));
                return true;
            default:
                return false;
        }
    }
}
