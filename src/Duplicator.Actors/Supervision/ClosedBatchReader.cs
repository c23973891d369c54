using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// Reads a finished batch's ledger on demand (the tower does not keep finished batches' ledgers running): starts the
/// batch's <see cref="BatchActor"/> as its child, asks its state once, answers everyone who asked meanwhile
/// (<see cref="Wait"/>), then tells its parent <see cref="Answered"/>. The parent forgets it and sends it a
/// PoisonPill, which arrives after any <see cref="Wait"/> the parent sent before (one sender, one order), and those
/// are answered from the state read. The tower keeps at most one reader per batch, so one ledger is never
/// recovered twice at once.
/// </summary>
internal sealed class ClosedBatchReader : ReceiveActor
{
    /// <summary>Answer <paramref name="ReplyTo"/> with the state: as a <see cref="Tower.Submitted"/> (a repeated submission) or a <see cref="Tower.BatchAnswer"/>.</summary>
    internal sealed record Wait(IActorRef ReplyTo, bool AsSubmit);

    /// <summary>To the parent: the ledger was read; stop me once you no longer send me <see cref="Wait"/>.</summary>
    internal sealed record Answered(string BatchId);

    private sealed record Read(BatchState? State, string? Error);

    private ImmutableList<Wait> _waiting = ImmutableList<Wait>.Empty;

    public static Props Props(string batchId, DateTimeOffset submittedAt, int snapshotEvery, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new ClosedBatchReader(batchId, submittedAt, snapshotEvery, timeout));

    public ClosedBatchReader(string batchId, DateTimeOffset submittedAt, int snapshotEvery, TimeSpan timeout)
    {
        var ledger = Context.ActorOf(Batch.Props(batchId, snapshotEvery), "ledger");
        ledger.Ask<BatchState>(Batch.GetState.Instance, timeout)
            .PipeTo(Self, success: s => new Read(s, null), failure: e => new Read(null, e.Message));

        Receive<Wait>(w => _waiting = _waiting.Add(w));
        Receive<Read>(r =>
        {
            foreach (var w in _waiting) Answer(w, r);
            Become(() => Receive<Wait>(w => Answer(w, r)));
            Context.Parent.Tell(new Answered(batchId));
        });

        void Answer(Wait w, Read r)
        {
            var why = $"batch {batchId}: its ledger did not answer: {r.Error}";
            if (r.State is not { } state)
                w.ReplyTo.Tell(w.AsSubmit ? new Tower.Rejected(why) : new Status.Failure(new TimeoutException(why)));
            else w.ReplyTo.Tell(w.AsSubmit ? new Tower.Submitted(state, false) : new Tower.BatchAnswer(state, submittedAt));
        }
    }
}
