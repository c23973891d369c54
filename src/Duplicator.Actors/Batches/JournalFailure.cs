using Akka.Actor;

namespace Duplicator.Actors.Batches;

/// <summary>
/// Published on the event stream when a persistent actor of the tower (the tower's registry or a batch's ledger)
/// cannot write to or recover from its journal; Akka.Persistence stops that actor right after. A host that must
/// not serve from a dead ledger subscribes to it and stops (see the host's <c>JournalWatch</c>).
/// </summary>
/// <param name="PersistenceId">Whose journal failed.</param>
/// <param name="Operation">"write" (a persist failed) or "recovery" (replaying the journal failed).</param>
/// <param name="Reason">The journal's error, in one line.</param>
public sealed record JournalFailed(string PersistenceId, string Operation, string Reason)
{
    /// <summary>Publishes the failure of <paramref name="persistenceId"/>'s journal.</summary>
    public static void Publish(ActorSystem system, string persistenceId, string operation, Exception cause)
    {
        var inner = cause;
        while (inner.InnerException is { } next && inner is AggregateException or TypeInitializationException) inner = next;
        var text = inner.GetType().Name + ": " + inner.Message.ReplaceLineEndings(" ");
        if (inner != cause.GetBaseException() && cause.GetBaseException() is var root && root.Message != inner.Message)
            text += " (" + root.Message.ReplaceLineEndings(" ") + ")";
        system.EventStream.Publish(new JournalFailed(persistenceId, operation, text.Length > 500 ? text[..500] + "..." : text));
    }
}
