using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Host.Serving;

/// <summary>
/// Watches the tower actor and the journal failures its persistent actors publish (<see cref="JournalFailed"/>), and
/// fails the host's <see cref="TowerHealth"/> on the first: a ledger that cannot be written or read is not one to
/// keep burning on (a restart recovers from what the journal holds, as after a crash), and a tower that stopped
/// answers nothing. A journal failure of a SQLite ledger also leaves a note beside it (<see cref="LedgerFile.MarkFailed"/>)
/// that makes the next start refuse the ledger until someone has checked it.
/// </summary>
internal sealed class JournalWatch : ReceiveActor
{
    private sealed record TowerGone
    {
        public static TowerGone Instance { get; } = new();
    }

    public static Props Props(IActorRef tower, TowerHealth health, string ledger, string? ledgerFile) => Akka.Actor.Props.Create(() => new JournalWatch(tower, health, ledger, ledgerFile));

    public JournalWatch(IActorRef tower, TowerHealth health, string ledger, string? ledgerFile)
    {
        Receive<JournalFailed>(f =>
        {
            if (health.Failure != null) return;
            var reason = $"the ledger {ledger} failed ({f.Operation} of {f.PersistenceId}): {f.Reason}";
            // Noted beside a ledger file, so a restart does not resume on a ledger that may have lost writes.
            var note = ledgerFile is null ? null : LedgerFile.MarkFailed(ledgerFile, reason);
            health.Fail(ledgerFile is null ? $"{reason}; stopping"
                : note is null ? $"{reason}; stopping: check the ledger, then remove {LedgerFile.FailedNote(ledgerFile)} to start again"
                : $"{reason}; stopping (and the note {LedgerFile.FailedNote(ledgerFile)} could not be written: {note})");
        });
        // Terminated is a system message and overtakes the JournalFailed the tower published just before it stopped:
        // go round the ordinary mailbox once, so the failure that names the cause is seen first.
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(tower)) Self.Tell(TowerGone.Instance);
        });
        Receive<TowerGone>(_ =>
        {
            if (health.Stopping || CoordinatedShutdown.Get(Context.System).ShutdownReason != null) return;
            health.Fail($"the tower stopped unexpectedly (ledger {ledger}); stopping");
        });
        Context.Watch(tower);
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(JournalFailed));
}
