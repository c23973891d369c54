using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The tower's conversations with its batches' ledgers. It starts a batch's <see cref="BatchActor"/> as a watched
/// child of the tower, asks it (never blocking: each answer is piped back to the tower as one of the typed messages
/// below, a failed ask as <see cref="Batch.Unanswered"/>), and has finished batches' ledgers read on demand by a
/// <see cref="ClosedBatchReader"/>, at most one per batch at a time. It keeps no batch state: what a ledger answered is
/// the supervisor's to apply (<see cref="Accepted(Answered)"/> and <see cref="Accepted(SubmitAnswered)"/> say which
/// answers change a batch). Used only on the tower's own thread (it is created with, and calls, the tower's context).
/// </summary>
internal sealed class BatchLedgers(IActorContext context, Tower.Settings settings, ILoggingAdapter log)
{
    /// <summary>To the tower, a second after a ledger did not answer its state: ask it again.</summary>
    public sealed record Reload(string BatchId);

    /// <summary>A ledger answered its state (at start, or when asked again).</summary>
    public sealed record Loaded(string BatchId, BatchState State);

    /// <summary>A ledger did not answer its state.</summary>
    public sealed record LoadFailed(string BatchId, string Reason);

    /// <summary>A new batch's ledger answered its submission; <paramref name="ReplyTo"/> asked for it.</summary>
    public sealed record SubmitAnswered(string BatchId, Batch.Reply Reply, IActorRef ReplyTo);

    /// <summary>A ledger answered whether it gives drive <paramref name="DriveId"/> a disc.</summary>
    public sealed record DiscAssigned(string BatchId, string DriveId, Batch.Reply Reply);

    /// <summary>A ledger answered <paramref name="What"/> (a disc outcome, staging, cancel, failure).</summary>
    public sealed record Answered(string BatchId, string What, Batch.Reply Reply);

    private int _children;

    /// <summary>Finished batches whose ledger a <see cref="ClosedBatchReader"/> is reading on demand.</summary>
    private ImmutableDictionary<string, IActorRef> _reads = ImmutableDictionary<string, IActorRef>.Empty;

    private IActorRef Self => context.Self;

    /// <summary>
    /// Starts and watches the ledger of <paramref name="batchId"/> (it recovers from its journal) and returns the
    /// batch's slot, with <see cref="BatchState.Empty"/> until the ledger answers.
    /// </summary>
    public BatchSlot Open(string batchId, DateTimeOffset at)
    {
        var ledger = context.ActorOf(Batch.Props(batchId, settings.SnapshotEvery), $"ledger-{_children++}");
        context.Watch(ledger);
        return new BatchSlot(batchId, at, ledger, BatchState.Empty, null, null, 0);
    }

    /// <summary>Asks a ledger its state: answered as <see cref="Loaded"/> or <see cref="LoadFailed"/>.</summary>
    public void AskState(string batchId, IActorRef ledger) =>
        ledger.Ask<BatchState>(Batch.GetState.Instance, settings.AskTimeout)
            .PipeTo(Self, success: s => new Loaded(batchId, s), failure: e => new LoadFailed(batchId, e.Message));

    /// <summary>Submits a new batch to its ledger: answered as <see cref="SubmitAnswered"/>.</summary>
    public void Submit(IActorRef ledger, BatchSpec spec, DateTimeOffset at, IActorRef replyTo) =>
        ledger.Ask<Batch.Reply>(new SubmitBatch(spec, at), settings.AskTimeout)
            .PipeTo(Self, success: r => new SubmitAnswered(spec.BatchId, r, replyTo),
                failure: e => new SubmitAnswered(spec.BatchId, new Batch.Unanswered(e.Message), replyTo));

    /// <summary>
    /// Submits a job again under a running batch's id; the ledger decides and <paramref name="replyTo"/> is answered
    /// directly: the same job again with the batch, another job under its id refused.
    /// </summary>
    public void Resubmit(IActorRef ledger, BatchSpec spec, IActorRef replyTo) =>
        ledger.Ask<Batch.Reply>(new SubmitBatch(spec, DateTimeOffset.UtcNow), settings.AskTimeout)
            .PipeTo(replyTo, success: r => r switch
            {
                Batch.Accepted a => new Tower.Submitted(a.State, false),
                Batch.Refused no => new Tower.Rejected(no.Reason),
                _ => new Tower.Rejected($"the ledger gave no answer for batch {spec.BatchId}"),
            }, failure: e => new Tower.Rejected(e.Message));

    /// <summary>Asks a ledger for a disc for <paramref name="driveId"/>: answered as <see cref="DiscAssigned"/>.</summary>
    public void AskDisc(string batchId, IActorRef ledger, string driveId) =>
        ledger.Ask<Batch.Reply>(new StartDisc(driveId), settings.AskTimeout)
            .PipeTo(Self, success: r => new DiscAssigned(batchId, driveId, r),
                failure: e => new DiscAssigned(batchId, driveId, new Batch.Unanswered(e.Message)));

    /// <summary>Tells a ledger <paramref name="command"/>: answered as <see cref="Answered"/>.</summary>
    public void Ask(string batchId, IActorRef ledger, string what, BatchCommand command) =>
        ledger.Ask<Batch.Reply>(command, settings.AskTimeout)
            .PipeTo(Self, success: r => new Answered(batchId, what, r),
                failure: e => new Answered(batchId, what, new Batch.Unanswered(e.Message)));

    /// <summary>A ledger did not answer its state: logged, and <see cref="Reload"/> comes back to the tower in a second.</summary>
    public void Failed(LoadFailed f, ITimerScheduler timers)
    {
        log.Error("batch {0}: its ledger did not answer ({1}); asking again", f.BatchId, f.Reason);
        timers.StartSingleTimer("reload-" + f.BatchId, new Reload(f.BatchId), TimeSpan.FromSeconds(1));
    }

    /// <summary>The state a ledger accepted <paramref name="a"/> with, or null (a refusal is logged as debug, no answer as an error).</summary>
    public BatchState? Accepted(Answered a)
    {
        if (a.Reply is Batch.Accepted ok)
        {
            if (a.What == "late") log.Info("batch {0}: a disc reported late (its router was gone) is in the ledger: {1} good", a.BatchId, ok.State.Good.Count);
            return ok.State;
        }
        if (a.Reply is Batch.Refused late && a.What == "late") log.Warning("batch {0}: {1}", a.BatchId, late.Reason);
        else if (a.Reply is Batch.Refused no) log.Debug("batch {0}: ledger refused {1}: {2}", a.BatchId, a.What, no.Reason);
        else if (a.Reply is Batch.Unanswered u) log.Error("batch {0}: the ledger did not answer {1}: {2}", a.BatchId, a.What, u.Reason);
        return null;
    }

    /// <summary>Answers whoever submitted a new batch with its ledger's answer; returns the state it was accepted with, or null.</summary>
    public BatchState? Accepted(SubmitAnswered a)
    {
        switch (a.Reply)
        {
            case Batch.Accepted ok:
                log.Info("batch {0} submitted: {1} copies of {2} {3}", a.BatchId, ok.State.Spec!.Copies, ok.State.Spec.Source, string.Join(" ", ok.State.Spec.Paths));
                a.ReplyTo.Tell(new Tower.Submitted(ok.State, true));
                return ok.State;
            case Batch.Refused no:
                a.ReplyTo.Tell(new Tower.Rejected(no.Reason));
                return null;
            case Batch.Unanswered u:
                a.ReplyTo.Tell(new Tower.Rejected($"the ledger did not accept batch {a.BatchId}: {u.Reason}"));
                return null;
            default:
                return null;
        }
    }

    /// <summary>Has a finished batch's ledger read for <paramref name="replyTo"/> (one reader per batch at a time).</summary>
    public void ReadClosed(string batchId, DateTimeOffset at, IActorRef replyTo, bool asSubmit)
    {
        if (!_reads.TryGetValue(batchId, out var reader))
        {
            reader = context.Watch(context.ActorOf(ClosedBatchReader.Props(batchId, at, settings.SnapshotEvery, settings.AskTimeout), $"reader-{_children++}"));
            _reads = _reads.SetItem(batchId, reader);
        }
        reader.Tell(new ClosedBatchReader.Wait(replyTo, asSubmit));
    }

    /// <summary>A reader has read its ledger: forget it and stop it (after every Wait sent to it so far).</summary>
    public void ReaderAnswered(ClosedBatchReader.Answered a, IActorRef sender)
    {
        if (!_reads.TryGetValue(a.BatchId, out var reader) || !reader.Equals(sender)) return;
        _reads = _reads.Remove(a.BatchId);
        reader.Tell(PoisonPill.Instance);
    }

    /// <summary>A watched child stopped: if it was a reader, the next ask of its batch starts another.</summary>
    public void Stopped(IActorRef child)
    {
        if (_reads.FirstOrDefault(r => r.Value.Equals(child)) is { Key: { } read }) _reads = _reads.Remove(read);
    }
}
