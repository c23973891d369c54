using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The tower: see <see cref="Tower"/>. Its journal holds only which batches exist (facts, never progress); each
/// batch's ledger is its own persistent <see cref="BatchActor"/>. Every outcome goes to the ledger first and the
/// tower acts on the ledger's answer, so after a crash the ledgers alone say what is done.
/// </summary>
internal sealed class DuplicatorSupervisor : ReceivePersistentActor, IWithTimers
{
    private sealed record DriveSlot(Tower.DriveSpec Spec, IActorRef Recorder, Tower.DriveStatus Status, bool Assigning);

    private sealed record BatchSlot(string Id, DateTimeOffset At, IActorRef Ledger, BatchState State, IActorRef? Staging, StagedImage? Image, int Pending);

    private sealed record BatchLoaded(string BatchId, BatchState State, bool Resumed);
    private sealed record SubmitAnswered(string BatchId, object Reply, IActorRef ReplyTo);
    private sealed record DiscAssigned(string BatchId, string DriveId, object Reply);
    private sealed record LedgerAnswered(string BatchId, string What, object Reply);
    private sealed record Redispatch
    {
        public static Redispatch Instance { get; } = new();
    }

    private readonly ImmutableArray<Tower.DriveSpec> _driveSpecs;
    private readonly Tower.Settings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    /// <summary>Everything the tower knows, replaced (never mutated) on every change.</summary>
    /// <param name="Drives">Drive id -> its recorder and last status.</param>
    /// <param name="Batches">Batch id -> its ledger, state, staging and image.</param>
    /// <param name="Registry">Every batch ever registered, oldest first (from the journal).</param>
    /// <param name="Quarantined">Drive id -> why it is out of service (from the journal).</param>
    private sealed record TowerState(
        ImmutableDictionary<string, DriveSlot> Drives,
        ImmutableDictionary<string, BatchSlot> Batches,
        ImmutableList<BatchRegistered> Registry,
        ImmutableDictionary<string, string> Quarantined)
    {
        public static TowerState Empty { get; } = new(ImmutableDictionary<string, DriveSlot>.Empty, ImmutableDictionary<string, BatchSlot>.Empty,
            ImmutableList<BatchRegistered>.Empty, ImmutableDictionary<string, string>.Empty);
    }

    private TowerState _state = TowerState.Empty;
    private int _children;

    public DuplicatorSupervisor(ImmutableArray<Tower.DriveSpec> drives, Tower.Settings settings)
    {
        _driveSpecs = drives;
        _settings = settings;

        Recover<BatchRegistered>(e => _state = _state with { Registry = _state.Registry.Add(e) });
        Recover<DriveQuarantined>(e => _state = _state with { Quarantined = _state.Quarantined.SetItem(e.DriveId, e.Reason) });
        Recover<QuarantineCleared>(e => _state = _state with { Quarantined = _state.Quarantined.Remove(e.DriveId) });
        Recover<RecoveryCompleted>(_ => Start());

        Command<Tower.Submit>(OnSubmit);
        Command<SubmitAnswered>(OnSubmitAnswered);
        Command<BatchLoaded>(OnBatchLoaded);
        Command<DiscAssigned>(OnDiscAssigned);
        Command<LedgerAnswered>(OnLedgerAnswered);
        Command<Staging.Staged>(OnStaged);
        Command<Staging.StagingFailed>(f => AskLedger(f.BatchId, "fail", new FailBatch($"staging failed: {f.Reason}")));
        Command<Recorder.StatusChanged>(OnStatus);
        Command<Recorder.DiscBurned>(OnBurned);
        Command<Recorder.DiscFailed>(OnDiscFailed);
        Command<Tower.Cancel>(c =>
        {
            bool found = _state.Batches.ContainsKey(c.BatchId);
            if (found) AskLedger(c.BatchId, "cancel", new CancelBatch(c.Reason));
            Sender.Tell(new Tower.Done(found));
        });
        Command<Tower.ClearQuarantine>(c =>
        {
            if (!_state.Drives.ContainsKey(c.DriveId))
            {
                Sender.Tell(new Tower.Done(false));
                return;
            }
            var sender = Sender;
            Persist(new QuarantineCleared(c.DriveId, DateTimeOffset.UtcNow), e =>
            {
                _state = _state with { Quarantined = _state.Quarantined.Remove(e.DriveId) };
                _log.Info("drive {0}: quarantine cleared by the operator", e.DriveId);
                var slot = _state.Drives[e.DriveId];
                SetDrive(slot with { Status = slot.Status with { Quarantined = false, ConsecutiveFailures = 0, Message = null } });
                sender.Tell(new Tower.Done(true));
                TryDispatch();
            });
        });
        Command<Tower.GetDrives>(_ => Sender.Tell(_driveSpecs.Select(d => _state.Drives[d.Id].Status).ToArray()));
        Command<Tower.GetBatches>(_ => Sender.Tell(_state.Registry.AsEnumerable().Reverse()
            .Where(r => _state.Batches.ContainsKey(r.BatchId)).Select(r => _state.Batches[r.BatchId].State).ToArray()));
        Command<Tower.GetBatch>(g =>
        {
            if (_state.Batches.TryGetValue(g.BatchId, out var b)) Sender.Tell(b.State);
            else Sender.Tell(new Tower.Done(false));
        });
        Command<Tower.GetStagingStats>(g =>
        {
            if (_state.Batches.TryGetValue(g.BatchId, out var b) && b.Staging is { } s) s.Forward(Staging.GetStats.Instance);
            else Sender.Tell(new Tower.Done(false));
        });
        Command<Terminated>(OnTerminated);
        Command<Redispatch>(_ => TryDispatch());
        Command<SaveSnapshotSuccess>(_ => { });
    }

    public override string PersistenceId => Tower.PersistenceId;

    // Told before Akka stops the tower, so a host can stop rather than serve from a dead registry.
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

    public ITimerScheduler Timers { get; set; } = null!;

    protected override SupervisorStrategy SupervisorStrategy() =>
        // A ledger that throws is restarted (it recovers from its journal); staging and backoff supervisors likewise.
        new OneForOneStrategy(_ => Directive.Restart);

    private void Start()
    {
        foreach (var d in _driveSpecs)
        {
            var child = Recorder.Props(d.Id, d.Open, Self, _settings.Recorder);
            var backoff = BackoffSupervisor.Props(Backoff.OnFailure(child, "recorder", _settings.BackoffMin, _settings.BackoffMax, 0.2, -1));
            // Named after the drive, so the log says which drive an actor is; a counter when the id is no valid path element.
            var name = ActorPath.IsValidPathElement("drive-" + d.Id) ? "drive-" + d.Id : $"drive-{_children++}";
            var recorder = Context.ActorOf(backoff, name);
            bool quarantined = _state.Quarantined.TryGetValue(d.Id, out var why);
            if (quarantined) _log.Warning("drive {0} is still quarantined ({1}); clear it to use it again", d.Id, why);
            _state = _state with { Drives = _state.Drives.SetItem(d.Id, new DriveSlot(d, recorder, new Tower.DriveStatus(d.Id, d.Url, DriveState.Opening, 0, 0, null, quarantined, 0, null, null, why, 0, 0), false)) };
        }
        foreach (var r in _state.Registry)
            Load(r, resumed: true);
    }

    private void Load(BatchRegistered r, bool resumed)
    {
        var ledger = Context.ActorOf(Batch.Props(r.BatchId, _settings.SnapshotEvery), $"ledger-{_children++}");
        Context.Watch(ledger);
        _state = _state with { Batches = _state.Batches.SetItem(r.BatchId, new BatchSlot(r.BatchId, r.At, ledger, BatchState.Empty, null, null, 0)) };
        var id = r.BatchId;
        ledger.Ask<BatchState>(Batch.GetState.Instance, _settings.AskTimeout)
            .PipeTo(Self, success: s => new BatchLoaded(id, s, resumed), failure: e => new LedgerAnswered(id, "load", new Status.Failure(e)));
    }

    private void OnBatchLoaded(BatchLoaded loaded)
    {
        if (!_state.Batches.TryGetValue(loaded.BatchId, out var slot)) return;
        var s = loaded.State;
        if (loaded.Resumed && s.Status == BatchStatus.Running)
            _log.Info("resuming batch {0}: {1} of {2} good discs made, {3} failed, {4} interrupted disc(s) will be made again",
                loaded.BatchId, s.Good.Count, s.Spec?.Copies ?? 0, s.Failed, s.Interrupted);
        if (loaded.Resumed && s.IsFinished && s.Spec is { Source: not "image" })
            DeleteStash(loaded.BatchId); // a host that stopped between the batch's end and its clean-up left it
        UpdateBatch(slot, s);
    }

    private void OnSubmit(Tower.Submit submit)
    {
        var spec = submit.Spec;
        if (_state.Batches.TryGetValue(spec.BatchId, out var existing))
        {
            // The ledger decides: the same job again is answered with the batch, another job under its id is refused.
            var replyTo = Sender;
            existing.Ledger.Ask<object>(new SubmitBatch(spec, DateTimeOffset.UtcNow), _settings.AskTimeout)
                .PipeTo(replyTo, success: r => r switch
                {
                    Batch.Accepted a => new Tower.Submitted(a.State, false),
                    Batch.Refused no => new Tower.Rejected(no.Reason),
                    _ => new Tower.Rejected($"the ledger gave no answer for batch {spec.BatchId}"),
                }, failure: e => new Tower.Rejected(e.Message));
            return;
        }
        var unknown = spec.Options.Drives.Where(d => !_state.Drives.ContainsKey(d)).ToArray();
        if (unknown.Length > 0)
        {
            Sender.Tell(new Tower.Rejected($"drive(s) {string.Join(", ", unknown)} are not in this tower (it has {string.Join(", ", _driveSpecs.Select(d => d.Id))})"));
            return;
        }
        if (spec.Source is not ("folder" or "image" or "audio") || spec.Paths.IsDefaultOrEmpty)
        {
            Sender.Tell(new Tower.Rejected($"batch {spec.BatchId}: source '{spec.Source}' with {spec.Paths.Length} path(s); want folder, image or audio with paths"));
            return;
        }
        var at = DateTimeOffset.UtcNow;
        var check = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, at));
        if (check.Refused is { } why)
        {
            Sender.Tell(new Tower.Rejected(why));
            return;
        }
        var sender = Sender;
        Persist(new BatchRegistered(spec.BatchId, at), registered =>
        {
            _state = _state with { Registry = _state.Registry.Add(registered) };
            var ledger = Context.ActorOf(Batch.Props(spec.BatchId, _settings.SnapshotEvery), $"ledger-{_children++}");
            Context.Watch(ledger);
            _state = _state with { Batches = _state.Batches.SetItem(spec.BatchId, new BatchSlot(spec.BatchId, at, ledger, BatchState.Empty, null, null, 0)) };
            ledger.Ask<object>(new SubmitBatch(spec, at), _settings.AskTimeout)
                .PipeTo(Self, success: r => new SubmitAnswered(spec.BatchId, r, sender), failure: e => new SubmitAnswered(spec.BatchId, new Status.Failure(e), sender));
        });
    }

    private void OnSubmitAnswered(SubmitAnswered a)
    {
        if (!_state.Batches.TryGetValue(a.BatchId, out var slot)) return;
        switch (a.Reply)
        {
            case Batch.Accepted ok:
                _log.Info("batch {0} submitted: {1} copies of {2} {3}", a.BatchId, ok.State.Spec!.Copies, ok.State.Spec.Source, string.Join(" ", ok.State.Spec.Paths));
                a.ReplyTo.Tell(new Tower.Submitted(ok.State, true));
                UpdateBatch(slot, ok.State);
                break;
            case Batch.Refused no:
                a.ReplyTo.Tell(new Tower.Rejected(no.Reason));
                break;
            default:
                a.ReplyTo.Tell(new Tower.Rejected($"the ledger did not accept batch {a.BatchId}: {(a.Reply as Status.Failure)?.Cause.Message}"));
                break;
        }
    }

    private void UpdateBatch(BatchSlot slot, BatchState state)
    {
        if (state.Version < slot.State.Version) state = slot.State; // ledger answers may arrive out of order: keep the newest
        slot = slot with { State = state };
        _state = _state with { Batches = _state.Batches.SetItem(slot.Id, slot) };
        Context.System.EventStream.Publish(new Tower.BatchChanged(state, slot.At));
        if (state.IsFinished)
        {
            if (slot.Staging is { } staging)
            {
                Context.Stop(staging);
                _state = _state with { Batches = _state.Batches.SetItem(slot.Id, slot with { Staging = null, Image = null }) };
                foreach (var d in _state.Drives.Values.Where(d => d.Status.BatchId == slot.Id))
                    d.Recorder.Tell(new Recorder.CancelBurn(slot.Id, $"batch {state.Status.ToString().ToLowerInvariant()}: {state.Reason}"));
                if (state.Spec!.Source != "image")
                    DeleteStash(slot.Id); // completed, cancelled or failed: a finished batch never uses its stash again
                _log.Info("batch {0} {1}: {2} good, {3} failed ({4})", slot.Id, state.Status.ToString().ToLowerInvariant(), state.Good.Count, state.Failed, state.Reason);
            }
            return;
        }
        if (state.Status == BatchStatus.Running && slot.Staging is null)
        {
            (string, string)? previous = state.StashPath is { } p && state.ImageSha256 is { } h ? (p, h) : null;
            var staging = Context.ActorOf(Staging.Props(state.Spec!, slot.At, _settings.StashDirectory, previous, _settings.Staging), $"staging-{_children++}");
            _state = _state with { Batches = _state.Batches.SetItem(slot.Id, slot with { Staging = staging }) };
        }
        TryDispatch();
    }

    private void DeleteStash(string batchId)
    {
        try
        {
            // IMAPI clears the stash after a burn; only a folder this program made for this batch, inside the stash.
            if (StashFolders.Delete(_settings.StashDirectory, batchId) is { } left)
                _log.Warning("batch {0}: the stash was left alone: {1}", batchId, left);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("batch {0}: the stash could not be removed: {1}", batchId, e.Message);
        }
    }

    private void OnStaged(Staging.Staged staged)
    {
        var image = staged.Image;
        if (!_state.Batches.TryGetValue(image.BatchId, out var slot) || slot.State.IsFinished) return;
        _state = _state with { Batches = _state.Batches.SetItem(slot.Id, slot with { Image = image }) };
        // Staged comes first without the hash (discs start at once), then with it: only a hashed image goes into the ledger.
        if (image.ContentSha256 is { } sha && (slot.State.ImageSha256 != sha || slot.State.StashPath != image.StashPath))
            AskLedger(slot.Id, "staged", new RecordStaged(image.StashPath, sha, image.SectorCount));
        TryDispatch();
    }

    private void AskLedger(string batchId, string what, BatchCommand command)
    {
        if (!_state.Batches.TryGetValue(batchId, out var slot)) return;
        slot.Ledger.Ask<object>(command, _settings.AskTimeout)
            .PipeTo(Self, success: r => new LedgerAnswered(batchId, what, r), failure: e => new LedgerAnswered(batchId, what, new Status.Failure(e)));
    }

    private void OnLedgerAnswered(LedgerAnswered a)
    {
        if (!_state.Batches.TryGetValue(a.BatchId, out var slot)) return;
        switch (a.Reply)
        {
            case Batch.Accepted ok:
                UpdateBatch(slot, ok.State);
                break;
            case Batch.Refused no:
                _log.Debug("batch {0}: ledger refused {1}: {2}", a.BatchId, a.What, no.Reason);
                break;
            case Status.Failure f:
                _log.Error("batch {0}: the ledger did not answer {1}: {2}", a.BatchId, a.What, f.Cause.Message);
                break;
        }
    }

    private void TryDispatch()
    {
        foreach (var spec in _driveSpecs)
        {
            var drive = _state.Drives[spec.Id];
            if (drive.Status.State != DriveState.Ready || drive.Status.Quarantined || drive.Assigning) continue;
            var batch = _state.Registry.Select(r => _state.Batches.GetValueOrDefault(r.BatchId)).FirstOrDefault(b =>
                b is { Image: not null, State: { Status: BatchStatus.Running, Spec: { } s } st }
                && (s.Options.Drives.IsDefaultOrEmpty || s.Options.Drives.Contains(spec.Id))
                && !st.InFlight.ContainsValue(spec.Id)
                && st.Good.Count + st.InFlight.Count + b.Pending < s.Copies);
            if (batch is null) continue;
            _state = _state with { Drives = _state.Drives.SetItem(spec.Id, drive with { Assigning = true }) };
            _state = _state with { Batches = _state.Batches.SetItem(batch.Id, batch with { Pending = batch.Pending + 1 }) };
            var (batchId, driveId) = (batch.Id, spec.Id);
            batch.Ledger.Ask<object>(new StartDisc(driveId), _settings.AskTimeout)
                .PipeTo(Self, success: r => new DiscAssigned(batchId, driveId, r), failure: e => new DiscAssigned(batchId, driveId, new Status.Failure(e)));
        }
    }

    private void OnDiscAssigned(DiscAssigned a)
    {
        var drive = _state.Drives[a.DriveId] with { Assigning = false };
        _state = _state with { Drives = _state.Drives.SetItem(a.DriveId, drive) };
        if (!_state.Batches.TryGetValue(a.BatchId, out var slot)) return;
        slot = slot with { Pending = Math.Max(0, slot.Pending - 1) };
        _state = _state with { Batches = _state.Batches.SetItem(a.BatchId, slot) };
        if (a.Reply is not Batch.Accepted ok)
        {
            // Refused (a race) or unanswered (the ledger stopped and is being recovered): try again shortly.
            _log.Debug("batch {0}: no disc for {1}: {2}", a.BatchId, a.DriveId, a.Reply);
            Timers.StartSingleTimer("redispatch", Redispatch.Instance, TimeSpan.FromSeconds(1));
            return;
        }
        int disc = ok.State.InFlight.First(kv => kv.Value == a.DriveId).Key;
        var spec = ok.State.Spec!;
        if (slot.Image is { } image && slot.Staging is { } staging && drive.Status.State == DriveState.Ready)
        {
            SetDrive(drive with { Status = drive.Status with { State = DriveState.Checking, BatchId = a.BatchId, Disc = disc, Percent = 0 } });
            drive.Recorder.Tell(new Recorder.Burn(a.BatchId, disc, image, staging,
                new RecordOptions(Speed: spec.Options.Speed, Verify: spec.Options.Verify,
                    AudioMode: spec.Options.DiscAtOnce ? AudioWriteMode.DiscAtOnce : AudioWriteMode.TrackAtOnce), spec.Options.RejectIfNotBlank));
        }
        else
        {
            AskLedger(a.BatchId, "fail", new FailDisc(disc, a.DriveId, "the drive was no longer ready"));
        }
        UpdateBatch(slot, ok.State);
    }

    private void OnStatus(Recorder.StatusChanged s)
    {
        if (!_state.Drives.TryGetValue(s.DriveId, out var drive)) return;
        SetDrive(drive with
        {
            Status = drive.Status with
            {
                State = s.State, Percent = s.Percent, BytesPerSecond = s.BytesPerSecond, EtaSeconds = s.EtaSeconds,
                BatchId = s.BatchId, Disc = s.Disc, Message = s.Message,
            },
        });
        if (s.State == DriveState.Ready) TryDispatch();
    }

    private void OnBurned(Recorder.DiscBurned b)
    {
        if (_state.Drives.TryGetValue(b.DriveId, out var drive))
            SetDrive(drive with { Status = drive.Status with { ConsecutiveFailures = 0, Good = drive.Status.Good + 1 } });
        AskLedger(b.BatchId, "complete", new CompleteDisc(b.Disc, b.DriveId, b.Sha256));
    }

    private void OnDiscFailed(Recorder.DiscFailed f)
    {
        if (_state.Drives.TryGetValue(f.DriveId, out var drive))
        {
            var status = drive.Status with { Bad = drive.Status.Bad + 1 };
            if (f.DriveFault)
            {
                status = status with { ConsecutiveFailures = status.ConsecutiveFailures + 1 };
                if (_settings.QuarantineAfter > 0 && status.ConsecutiveFailures >= _settings.QuarantineAfter && !status.Quarantined)
                {
                    status = status with { Quarantined = true };
                    var reason = $"{status.ConsecutiveFailures} failed discs in a row, the last: {f.Reason}";
                    _log.Warning("drive {0} quarantined after {1}; clear it to use it again", f.DriveId, reason);
                    _state = _state with { Quarantined = _state.Quarantined.SetItem(f.DriveId, reason) };
                    Persist(new DriveQuarantined(f.DriveId, reason, DateTimeOffset.UtcNow), _ => { });
                }
            }
            SetDrive(drive with { Status = status });
        }
        AskLedger(f.BatchId, "fail", new FailDisc(f.Disc, f.DriveId, f.Reason));
    }

    private void OnTerminated(Terminated t)
    {
        var slot = _state.Batches.Values.FirstOrDefault(b => b.Ledger.Equals(t.ActorRef));
        if (slot is null) return;
        // A ledger stops when its journal refuses a write: start it again from what the journal holds.
        _log.Warning("batch {0}: its ledger stopped (journal failure?); recovering it from the journal", slot.Id);
        if (slot.Staging is { } s) Context.Stop(s);
        _state = _state with { Batches = _state.Batches.Remove(slot.Id) };
        Load(_state.Registry.First(r => r.BatchId == slot.Id), resumed: true);
    }

    private void SetDrive(DriveSlot slot)
    {
        _state = _state with { Drives = _state.Drives.SetItem(slot.Spec.Id, slot) };
        Context.System.EventStream.Publish(new Tower.DriveChanged(slot.Status));
    }
}
