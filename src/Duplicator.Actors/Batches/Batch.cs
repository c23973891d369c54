using Akka.Actor;

namespace Duplicator.Actors.Batches;

/// <summary>
/// Protocol of the persistent batch actor: send it a <see cref="BatchCommand"/>; it answers
/// <see cref="Accepted"/> (with the state after the events were persisted) or <see cref="Refused"/>.
/// <see cref="GetState"/> answers the current <see cref="BatchState"/>.
/// </summary>
public static class Batch
{
    /// <summary>What a <see cref="BatchCommand"/> is answered with: <see cref="Accepted"/> or <see cref="Refused"/>.</summary>
    public abstract record Reply;

    /// <summary>The command was decided and its events (possibly none) persisted.</summary>
    public sealed record Accepted(BatchState State, int Events) : Reply;

    /// <summary>The command was refused; nothing was persisted.</summary>
    public sealed record Refused(string Reason) : Reply;

    /// <summary>Made by an asker, never sent by the ledger: it did not answer in time or had stopped.</summary>
    public sealed record Unanswered(string Reason) : Reply;

    /// <summary>Asks for the current state.</summary>
    public sealed record GetState
    {
        /// <summary>The one instance.</summary>
        public static GetState Instance { get; } = new();
    }

    /// <summary>Persistence id of a batch.</summary>
    public static string PersistenceId(string batchId) => "batch-" + batchId;

    /// <summary>Props of the actor owning <paramref name="batchId"/>'s ledger; a snapshot every <paramref name="snapshotEvery"/> events.</summary>
    public static Props Props(string batchId, int snapshotEvery = 50) => Akka.Actor.Props.Create(() => new BatchActor(batchId, snapshotEvery));
}
