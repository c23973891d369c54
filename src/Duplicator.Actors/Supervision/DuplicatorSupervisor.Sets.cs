using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Supervision;

/// <summary>Disc set submission (<see cref="TowerSets"/>): the supervisor's part, kept apart from its single-batch wiring.</summary>
internal sealed partial class DuplicatorSupervisor
{
    /// <summary>Every member's ledger answered a set submission (in member order); <paramref name="ReplyTo"/> asked.</summary>
    private sealed record SetAnswered(string SetId, bool Created, ImmutableArray<(string BatchId, Batch.Reply Reply)> Replies, IActorRef ReplyTo);

    private void OnSubmitSet(Tower.SubmitSet submit)
    {
        var (members, sender, at) = (submit.Members, Sender, DateTimeOffset.UtcNow);
        switch (TowerSets.Check(members, Registry, _drives, at))
        {
            case TowerSets.Plan.Refuse no:
                sender.Tell(new Tower.Rejected(no.Reason));
                break;
            case TowerSets.Plan.Again:
                AskMembers(members, sender, created: false);
                break;
            default:
                int stored = 0;
                var decision = Record(new RegisterBatches([.. members.Select(m => m.BatchId)], at), e =>
                {
                    var id = ((BatchRegistered)e).BatchId;
                    _batches = _batches.Set(_ledgers.Open(id, at));
                    if (++stored == members.Length) AskMembers(members, sender, created: true); // all registered: the ledgers take their jobs
                });
                if (decision.Refused is { } refused) sender.Tell(new Tower.Rejected(refused));
                break;
        }
    }

    /// <summary>Each member's job to its ledger (a finished member is compared with its summary); one answer for the set.</summary>
    private void AskMembers(ImmutableArray<BatchSpec> members, IActorRef replyTo, bool created)
    {
        var asks = members.Select(async m =>
        {
            if (_batches.Get(m.BatchId) is { } slot)
                return (m.BatchId, await slot.Ledger.Ask<Batch.Reply>(new SubmitBatch(m, DateTimeOffset.UtcNow), _settings.AskTimeout)
                    .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new Batch.Unanswered(t.Exception?.GetBaseException().Message ?? "cancelled")));
            var closed = Registry.Find(m.BatchId)!.Closed!;
            return (m.BatchId, TowerSets.Closed(closed, m) is { } differs ? new Batch.Refused(differs) : (Batch.Reply)new Batch.Accepted(BatchState.Empty with { Spec = closed.Spec, Status = closed.Status }, 0));
        }).ToArray(); // the slots are read here, on the tower's thread; only the asks' answers come later
        Task.WhenAll(asks).PipeTo(Self, success: r => new SetAnswered(members[0].Set!.SetId, created, [.. r], replyTo));
    }

    private void OnSetAnswered(SetAnswered a)
    {
        foreach (var (id, reply) in a.Replies)
            if (reply is Batch.Accepted ok && _batches.Get(id) is { } slot) UpdateBatch(slot, ok.State);
        if (a.Replies.FirstOrDefault(r => r.Reply is not Batch.Accepted) is { BatchId: { } bad, Reply: var no })
            a.ReplyTo.Tell(new Tower.Rejected(no switch
            {
                Batch.Refused r => r.Reason,
                Batch.Unanswered u => $"the ledger did not accept batch {bad}: {u.Reason}",
                _ => $"batch {bad}: {no}",
            }));
        else
        {
            if (a.Created) Log.Info("disc set {0} submitted: {1} images, {2} sets", a.SetId, a.Replies.Length, ((Batch.Accepted)a.Replies[0].Reply).State.Spec?.Copies);
            a.ReplyTo.Tell(new Tower.SetSubmitted(a.SetId, a.Created, [.. a.Replies.Select(r => ((Batch.Accepted)r.Reply).State)]));
        }
    }
}
