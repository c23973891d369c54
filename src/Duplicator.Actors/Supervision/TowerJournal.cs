using Akka.Event;
using Akka.Persistence;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The tower's own journal (persistence id <see cref="Tower.PersistenceId"/>), as the base of the supervisor: the
/// <see cref="Registry"/> is rebuilt from snapshot and facts at start and changed only through <see cref="Record"/>,
/// which persists what <see cref="TowerLogic.Decide"/> returns and, once each fact is stored, applies it through the
/// same <see cref="TowerLogic.Apply"/> recovery uses and only then runs what the tower does about it (a quarantine
/// takes effect once it is stored). The registry is snapshotted every <c>SnapshotEvery</c> facts; a journal that
/// fails is announced with <see cref="JournalFailed"/> before Akka stops the tower, so a host can stop rather than
/// serve from a dead registry.
/// </summary>
internal abstract class TowerJournal : ReceivePersistentActor
{
    private readonly int _snapshotEvery;
    private readonly string _persistenceId;

    /// <summary>Recovers the registry (from <paramref name="persistenceId"/>: a floor router's is not a tower's), then calls <see cref="Recovered"/>.</summary>
    protected TowerJournal(int snapshotEvery, string persistenceId = Tower.PersistenceId)
    {
        _snapshotEvery = Math.Max(1, snapshotEvery);
        _persistenceId = persistenceId;
        Recover<SnapshotOffer>(o =>
        {
            if (o.Snapshot is TowerRegistry r) Registry = r;
        });
        Recover<ITowerEvent>(Applied);
        Recover<RecoveryCompleted>(_ => Recovered());
    }

    /// <summary>The registry as stored (journal and snapshot).</summary>
    protected TowerRegistry Registry { get; private set; } = TowerRegistry.Empty;

    /// <inheritdoc />
    public override string PersistenceId => _persistenceId;

    /// <summary>The registry is recovered: start the tower.</summary>
    protected abstract void Recovered();

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        JournalFailed.Publish(Context.System, PersistenceId, "write", cause);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        JournalFailed.Publish(Context.System, PersistenceId, "recovery", reason);
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>The one path from a tower fact to the registry: recovery and every persist callback go through it.</summary>
    private void Applied(ITowerEvent e) => Registry = TowerLogic.Apply(Registry, e);

    /// <summary>
    /// Decides <paramref name="command"/>; persists its facts and, for each once it is stored, applies it and runs
    /// <paramref name="then"/>. Returns the decision (no events: nothing was persisted, <paramref name="then"/> not run).
    /// </summary>
    protected TowerDecision Record(TowerCommand command, Action<ITowerEvent> then)
    {
        var decision = TowerLogic.Decide(Registry, command);
        if (decision.Refused is null && !decision.Events.IsEmpty)
            PersistAll(decision.Events, e =>
            {
                Applied(e);
                if (LastSequenceNr % _snapshotEvery == 0) SaveSnapshot(Registry);
                then(e);
            });
        return decision;
    }

    /// <summary>
    /// Quarantines <paramref name="driveId"/>; <paramref name="then"/> runs once that is stored (Persist holds every
    /// other message until then, so no disc is handed to the drive in between, and a crash before the write leaves the
    /// drive as it was). Nothing happens when it is quarantined already.
    /// </summary>
    protected void Quarantine(string driveId, string reason, Action then) =>
        Record(new QuarantineDrive(driveId, reason, DateTimeOffset.UtcNow), _ =>
        {
            Log.Warning("drive {0} quarantined after {1}; clear it to use it again", driveId, reason);
            then();
        });

    /// <summary>Clears a quarantine; <paramref name="then"/> runs once that is stored, or at once when the drive was not quarantined.</summary>
    protected void ClearQuarantine(string driveId, Action then)
    {
        var decision = Record(new ClearDriveQuarantine(driveId, DateTimeOffset.UtcNow), _ =>
        {
            Log.Info("drive {0}: quarantine cleared by the operator", driveId);
            then();
        });
        if (decision.Events.IsEmpty) then(); // it was not quarantined: only its failure count starts again
    }

    /// <summary>
    /// Records an operator's hold (pause, resume, hold, release: <see cref="TowerControl"/>); <paramref name="then"/>
    /// runs once it is stored, or at once when it changes nothing; <paramref name="refused"/> gets why it was refused.
    /// </summary>
    protected void Control(TowerCommand command, Action then, Action<string> refused)
    {
        var decision = Record(command, e =>
        {
            Log.Info("{0}", TowerControl.Describe(e));
            then();
        });
        if (decision.Refused is { } no) refused(no);
        else if (decision.Events.IsEmpty) then();
    }

    /// <summary>The answers to the registry's snapshots, in every behaviour.</summary>
    protected void SnapshotCommands()
    {
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(f => Log.Warning("the tower registry snapshot was not saved ({0}); the next start replays more events", f.Cause.Message));
    }
}
