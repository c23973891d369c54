using Akka.Actor;
using Akka.Persistence;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Drives;

/// <summary>
/// The one writer of the drive history journal (<see cref="DriveHistory.PersistenceId"/>): persists each
/// <see cref="DriveHistory.DiscRecorded"/> it is told, then applies it; recovery replays snapshot plus facts.
/// Commands arriving while it recovers wait (Akka.Persistence stashes them).
/// </summary>
internal sealed class DriveHistoryActor : ReceivePersistentActor
{
    private readonly int _snapshotEvery;
    private DriveHistory.State _state = DriveHistory.State.Empty;

    private readonly string _persistenceId;

    public DriveHistoryActor(int snapshotEvery, string persistenceId = DriveHistory.PersistenceId)
    {
        _persistenceId = persistenceId;
        _snapshotEvery = Math.Max(1, snapshotEvery);
        Recover<SnapshotOffer>(o =>
        {
            if (o.Snapshot is DriveHistory.State s) _state = s;
        });
        Recover<DriveHistory.DiscRecorded>(e => _state = DriveHistory.Apply(_state, e));
        Command<DriveHistory.DiscRecorded>(e => Persist(e, stored =>
        {
            _state = DriveHistory.Apply(_state, stored);
            if (LastSequenceNr % _snapshotEvery == 0) SaveSnapshot(_state);
        }));
        Command<DriveHistory.Get>(_ => Sender.Tell(new DriveHistory.Histories(_state.Drives)));
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(_ => { }); // a missing snapshot only lengthens the next recovery
    }

    public override string PersistenceId => _persistenceId;

    // Told before Akka stops this actor, so a host can stop rather than go on with a history that lost facts.
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        JournalFailed.Publish(Context.System, PersistenceId, "write", cause);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        JournalFailed.Publish(Context.System, PersistenceId, "recovery", reason);
        base.OnRecoveryFailure(reason, message);
    }
}
