using Akka.Actor;
using Akka.Persistence;

namespace Duplicator.Actors.Batches;

/// <summary>
/// Owns one batch's ledger. Each command is decided by <see cref="BatchLogic.Decide"/>; the resulting facts
/// are persisted, then applied, then the sender is answered, so an acknowledged fact is never lost. On
/// recovery the facts (after the latest snapshot) are replayed and, if discs were in flight when the host
/// stopped, a <see cref="RecoverBatch"/> fails them as interrupted so they are made again.
/// </summary>
internal sealed class BatchActor : ReceivePersistentActor
{
    private readonly int _snapshotEvery;
    private BatchState _state = BatchState.Empty;

    public BatchActor(string batchId, int snapshotEvery)
    {
        PersistenceId = Batch.PersistenceId(batchId);
        _snapshotEvery = Math.Max(1, snapshotEvery);

        Recover<SnapshotOffer>(offer => _state = (BatchState)offer.Snapshot);
        Recover<IBatchEvent>(e => _state = BatchLogic.Apply(_state, e));
        Recover<RecoveryCompleted>(_ =>
        {
            // Persisted here rather than sent to Self, so no command is served from the pre-recovery state:
            // commands arriving meanwhile wait until these facts are stored.
            var interrupted = BatchLogic.Decide(_state, new RecoverBatch()).Events;
            if (!interrupted.IsEmpty) PersistAll(interrupted, e => _state = BatchLogic.Apply(_state, e));
        });

        Command<BatchCommand>(Handle);
        Command<Batch.GetState>(_ => Sender.Tell(_state));
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(_ => { }); // a missing snapshot only lengthens the next recovery
    }

    public override string PersistenceId { get; }

    // Told before Akka stops this actor, so a host can stop rather than serve from a dead ledger.
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

    private void Handle(BatchCommand command)
    {
        var decision = BatchLogic.Decide(_state, command);
        if (decision.Refused is { } why)
        {
            Sender.Tell(new Batch.Refused(why));
            return;
        }
        var sender = Sender;
        if (decision.Events.IsEmpty)
        {
            sender.Tell(new Batch.Accepted(_state, 0));
            return;
        }
        int left = decision.Events.Length;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        PersistAll(decision.Events, e =>
        {
            _state = BatchLogic.Apply(_state, e);
            if (LastSequenceNr % _snapshotEvery == 0) SaveSnapshot(_state);
            if (--left == 0)
            {
                LedgerMetrics.Written(started);
                sender.Tell(new Batch.Accepted(_state, decision.Events.Length));
            }
        });
    }
}
