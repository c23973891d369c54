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
/// The tower: see <see cref="Tower"/>. The actor plumbing only: what its journal may hold is decided by
/// <see cref="TowerLogic"/>, which disc goes where by the <see cref="IDispatchStrategy"/>, the running batches are a
/// <see cref="TowerBatches"/> value. Each batch's ledger is its own persistent <see cref="BatchActor"/>; every outcome
/// goes to the ledger first and the tower acts on the ledger's answer, so after a crash the ledgers alone say what
/// is done. Behaviours: recovering (the journal), <see cref="Loading"/> (the open batches' ledgers; everything else
/// waits in the stash, so nobody sees a batch before its ledger answered), <see cref="Running"/>.
/// </summary>
internal sealed class DuplicatorSupervisor : ReceivePersistentActor, IWithTimers
{
    private sealed record DriveSlot(Tower.DriveSpec Spec, IActorRef Recorder, Tower.DriveStatus Status, bool Assigning);

    private sealed record BatchLoaded(string BatchId, BatchState State);
    private sealed record LoadFailed(string BatchId, string Reason);
    private sealed record Reload(string BatchId);
    private sealed record SubmitAnswered(string BatchId, Batch.Reply Reply, IActorRef ReplyTo);
    private sealed record DiscAssigned(string BatchId, string DriveId, Batch.Reply Reply);
    private sealed record LedgerAnswered(string BatchId, string What, Batch.Reply Reply);
    private sealed record Redispatch
    {
        public static Redispatch Instance { get; } = new();
    }

    private readonly ImmutableArray<Tower.DriveSpec> _driveSpecs;
    private readonly Tower.Settings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>The registry (journal and snapshot): changed only by <see cref="Applied"/>.</summary>
    private TowerRegistry _registry = TowerRegistry.Empty;
    private ImmutableDictionary<string, DriveSlot> _drives = ImmutableDictionary<string, DriveSlot>.Empty;
    private TowerBatches _batches = TowerBatches.Empty;
    /// <summary>Finished batches whose ledger a <see cref="ClosedBatchReader"/> is reading on demand.</summary>
    private ImmutableDictionary<string, IActorRef> _reads = ImmutableDictionary<string, IActorRef>.Empty;
    /// <summary>Open batches whose ledger has not answered since the start.</summary>
    private ImmutableHashSet<string> _loading = ImmutableHashSet<string>.Empty;
    private int _children;

    public DuplicatorSupervisor(ImmutableArray<Tower.DriveSpec> drives, Tower.Settings settings)
    {
        _driveSpecs = drives;
        _settings = settings;

        Recover<SnapshotOffer>(o =>
        {
            if (o.Snapshot is TowerRegistry r) _registry = r;
        });
        Recover<ITowerEvent>(Applied);
        Recover<RecoveryCompleted>(_ => Start());
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

    /// <summary>The one path from a tower fact to the registry: recovery and every persist callback go through it.</summary>
    private void Applied(ITowerEvent e) => _registry = TowerLogic.Apply(_registry, e);

    /// <summary>
    /// Decides <paramref name="command"/>; persists its facts and, for each once it is stored, applies it and runs
    /// <paramref name="then"/>. Returns the decision (no events: nothing was persisted, <paramref name="then"/> not run).
    /// </summary>
    private TowerDecision Record(TowerCommand command, Action<ITowerEvent> then)
    {
        var decision = TowerLogic.Decide(_registry, command);
        if (decision.Refused is null && !decision.Events.IsEmpty)
            PersistAll(decision.Events, e =>
            {
                Applied(e);
                if (LastSequenceNr % Math.Max(1, _settings.SnapshotEvery) == 0) SaveSnapshot(_registry);
                then(e);
            });
        return decision;
    }

    private void Start()
    {
        foreach (var d in _driveSpecs)
        {
            var child = Recorder.Props(d.Id, d.Open, Self, _settings.Recorder);
            var backoff = BackoffSupervisor.Props(Backoff.OnFailure(child, "recorder", _settings.BackoffMin, _settings.BackoffMax, 0.2, -1));
            // Named after the drive, so the log says which drive an actor is; a counter when the id is no valid path element.
            var name = ActorPath.IsValidPathElement("drive-" + d.Id) ? "drive-" + d.Id : $"drive-{_children++}";
            var recorder = Context.ActorOf(backoff, name);
            if (_registry.Quarantined.TryGetValue(d.Id, out var why))
                _log.Warning("drive {0} is still quarantined ({1}); clear it to use it again", d.Id, why);
            _drives = _drives.SetItem(d.Id, new DriveSlot(d, recorder,
                new Tower.DriveStatus(d.Id, d.Url, DriveState.Opening, 0, 0, null, why != null, 0, null, null, why, 0, 0), false));
        }
        // A host that stopped between a batch's end and its clean-up left its stash: finished batches are not loaded, so sweep here.
        foreach (var r in _registry.Batches.Where(b => b.Closed is { Spec.Source: not SourceKind.Image }))
            if (Directory.Exists(StashFolders.Folder(_settings.StashDirectory, r.BatchId)))
                DeleteStash(r.BatchId);
        foreach (var r in _registry.Batches.Where(b => b.IsOpen))
        {
            _loading = _loading.Add(r.BatchId);
            Load(r);
        }
        if (_loading.IsEmpty) Become(Running);
        else Become(Loading);
    }

    private void Loading()
    {
        Command<BatchLoaded>(l =>
        {
            OnBatchLoaded(l);
            Loaded(l.BatchId);
        });
        Command<LoadFailed>(f =>
        {
            OnLoadFailed(f);
            Loaded(f.BatchId);
        });
        CommonCommands();
        CommandAny(_ => Stash.Stash());
    }

    private void Loaded(string batchId)
    {
        _loading = _loading.Remove(batchId);
        if (!_loading.IsEmpty) return;
        Become(Running);
        Stash.UnstashAll();
        TryDispatch();
    }

    private void CommonCommands()
    {
        Command<Reload>(r =>
        {
            if (_batches.Get(r.BatchId) is { } slot) AskState(r.BatchId, slot.Ledger);
        });
        Command<SaveSnapshotSuccess>(_ => { });
        Command<SaveSnapshotFailure>(f => _log.Warning("the tower registry snapshot was not saved ({0}); the next start replays more events", f.Cause.Message));
    }

    private void Running()
    {
        Command<Tower.Submit>(OnSubmit);
        Command<SubmitAnswered>(OnSubmitAnswered);
        Command<BatchLoaded>(OnBatchLoaded);
        Command<LoadFailed>(OnLoadFailed);
        Command<DiscAssigned>(OnDiscAssigned);
        Command<LedgerAnswered>(OnLedgerAnswered);
        Command<Staging.Staged>(OnStaged);
        Command<Staging.StagingFailed>(f => AskLedger(f.BatchId, "fail", new FailBatch($"staging failed: {f.Reason}")));
        Command<Recorder.StatusChanged>(OnStatus);
        Command<Recorder.DiscBurned>(OnBurned);
        Command<Recorder.DiscFailed>(OnDiscFailed);
        Command<Tower.Cancel>(c =>
        {
            bool live = _batches.Get(c.BatchId) != null;
            if (live) AskLedger(c.BatchId, "cancel", new CancelBatch(c.Reason));
            Sender.Tell(new Tower.Done(live || _registry.Find(c.BatchId) != null)); // a finished batch stays as it ended
        });
        Command<Tower.ClearQuarantine>(OnClearQuarantine);
        Command<Tower.GetDrives>(_ => Sender.Tell(_driveSpecs.Select(d => _drives[d.Id].Status).ToArray()));
        Command<Tower.GetBatches>(_ => Sender.Tell(new Tower.BatchList([.. _registry.Batches.Reverse().Select(Info)])));
        Command<Tower.GetBatch>(g =>
        {
            var known = _registry.Find(g.BatchId);
            if (_batches.Get(g.BatchId) is { } b) Sender.Tell(new Tower.BatchAnswer(b.State, b.At));
            else if (known is { IsOpen: false }) ReadClosed(g.BatchId, Sender, asSubmit: false);
            else Sender.Tell(new Tower.BatchAnswer(null));
        });
        Command<Tower.GetStagingStats>(g =>
        {
            if (_batches.Get(g.BatchId) is { Staging: { } s }) s.Forward(Staging.GetStats.Instance);
            else Sender.Tell(new Tower.Done(false));
        });
        Command<ClosedBatchReader.Answered>(a =>
        {
            if (!_reads.TryGetValue(a.BatchId, out var reader) || !reader.Equals(Sender)) return;
            _reads = _reads.Remove(a.BatchId);
            reader.Tell(PoisonPill.Instance); // after every Wait sent to it so far
        });
        Command<Terminated>(OnTerminated);
        Command<Redispatch>(_ => TryDispatch());
        CommonCommands();
    }

    /// <summary>A registered batch as lists show it: the live ledger's state, else the summary of a finished one.</summary>
    private Tower.BatchInfo Info(RegisteredBatch r) => _batches.Get(r.BatchId) switch
    {
        { State.Spec: not null } live => Tower.BatchInfo.Of(r.BatchId, live.State, r.At),
        _ when r.Closed is { } summary => Tower.BatchInfo.Of(r.BatchId, summary, r.At),
        _ => new Tower.BatchInfo(r.BatchId, null, r.At, BatchStatus.New, false, 0, 0, 0, 0, null), // its ledger has not answered yet
    };

    private void Load(RegisteredBatch r)
    {
        var ledger = Context.ActorOf(Batch.Props(r.BatchId, _settings.SnapshotEvery), $"ledger-{_children++}");
        Context.Watch(ledger);
        _batches = _batches.Set(new BatchSlot(r.BatchId, r.At, ledger, BatchState.Empty, null, null, 0));
        AskState(r.BatchId, ledger);
    }

    private void AskState(string id, IActorRef ledger) =>
        ledger.Ask<BatchState>(Batch.GetState.Instance, _settings.AskTimeout)
            .PipeTo(Self, success: s => new BatchLoaded(id, s), failure: e => new LoadFailed(id, e.Message));

    private void OnBatchLoaded(BatchLoaded loaded)
    {
        if (_batches.Get(loaded.BatchId) is not { } slot) return;
        var s = loaded.State;
        if (s.Status == BatchStatus.Running)
            _log.Info("resuming batch {0}: {1} of {2} good discs made, {3} failed, {4} interrupted disc(s) will be made again",
                loaded.BatchId, s.Good.Count, s.Spec?.Copies ?? 0, s.Failed, s.Interrupted);
        if (s.IsFinished && s.Spec is { Source: not SourceKind.Image })
            DeleteStash(loaded.BatchId); // a host that stopped between the batch's end and its clean-up left it
        UpdateBatch(slot, s);
    }

    private void OnLoadFailed(LoadFailed f)
    {
        _log.Error("batch {0}: its ledger did not answer ({1}); asking again", f.BatchId, f.Reason);
        Timers.StartSingleTimer("reload-" + f.BatchId, new Reload(f.BatchId), TimeSpan.FromSeconds(1));
    }

    private void OnSubmit(Tower.Submit submit)
    {
        var spec = submit.Spec;
        if (_batches.Get(spec.BatchId) is { } existing)
        {
            // The ledger decides: the same job again is answered with the batch, another job under its id is refused.
            existing.Ledger.Ask<Batch.Reply>(new SubmitBatch(spec, DateTimeOffset.UtcNow), _settings.AskTimeout)
                .PipeTo(Sender, success: r => r switch
                {
                    Batch.Accepted a => new Tower.Submitted(a.State, false),
                    Batch.Refused no => new Tower.Rejected(no.Reason),
                    _ => new Tower.Rejected($"the ledger gave no answer for batch {spec.BatchId}"),
                }, failure: e => new Tower.Rejected(e.Message));
            return;
        }
        if (_registry.Find(spec.BatchId) is { IsOpen: false })
        {
            ReadClosed(spec.BatchId, Sender, asSubmit: true);
            return;
        }
        var unknown = spec.Options.Drives.Where(d => !_drives.ContainsKey(d)).ToArray();
        if (unknown.Length > 0)
        {
            Sender.Tell(new Tower.Rejected($"drive(s) {string.Join(", ", unknown)} are not in this tower (it has {string.Join(", ", _driveSpecs.Select(d => d.Id))})"));
            return;
        }
        if (!Enum.IsDefined(spec.Source) || spec.Paths.IsDefaultOrEmpty)
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
        var decision = Record(new RegisterBatch(spec.BatchId, at), _ =>
        {
            var ledger = Context.ActorOf(Batch.Props(spec.BatchId, _settings.SnapshotEvery), $"ledger-{_children++}");
            Context.Watch(ledger);
            _batches = _batches.Set(new BatchSlot(spec.BatchId, at, ledger, BatchState.Empty, null, null, 0));
            ledger.Ask<Batch.Reply>(new SubmitBatch(spec, at), _settings.AskTimeout)
                .PipeTo(Self, success: r => new SubmitAnswered(spec.BatchId, r, sender), failure: e => new SubmitAnswered(spec.BatchId, new Batch.Unanswered(e.Message), sender));
        });
        if (decision.Refused is { } no) sender.Tell(new Tower.Rejected(no));
    }

    private void OnSubmitAnswered(SubmitAnswered a)
    {
        if (_batches.Get(a.BatchId) is not { } slot) return;
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
            case Batch.Unanswered u:
                a.ReplyTo.Tell(new Tower.Rejected($"the ledger did not accept batch {a.BatchId}: {u.Reason}"));
                break;
        }
    }

    /// <summary>Has a finished batch's ledger read for <paramref name="replyTo"/> (one reader per batch at a time).</summary>
    private void ReadClosed(string batchId, IActorRef replyTo, bool asSubmit)
    {
        if (!_reads.TryGetValue(batchId, out var reader))
        {
            var at = _registry.Find(batchId)?.At ?? default;
            reader = Context.Watch(Context.ActorOf(ClosedBatchReader.Props(batchId, at, _settings.SnapshotEvery, _settings.AskTimeout), $"reader-{_children++}"));
            _reads = _reads.SetItem(batchId, reader);
        }
        reader.Tell(new ClosedBatchReader.Wait(replyTo, asSubmit));
    }

    private void UpdateBatch(BatchSlot slot, BatchState state)
    {
        slot = TowerBatches.WithState(slot, state);
        state = slot.State;
        _batches = _batches.Set(slot);
        Context.System.EventStream.Publish(new Tower.BatchChanged(state, slot.At));
        if (state.IsFinished)
        {
            if (slot.Staging is { } staging)
            {
                Context.Stop(staging);
                _batches = _batches.Set(slot with { Staging = null, Image = null });
                foreach (var d in _drives.Values.Where(d => d.Status.BatchId == slot.Id))
                    d.Recorder.Tell(new Recorder.CancelBurn(slot.Id, $"batch {state.Status.ToString().ToLowerInvariant()}: {state.Reason}"));
                if (state.Spec!.Source != SourceKind.Image)
                    DeleteStash(slot.Id); // completed, cancelled or failed: a finished batch never uses its stash again
                _log.Info("batch {0} {1}: {2} good, {3} failed ({4})", slot.Id, state.Status.ToString().ToLowerInvariant(), state.Good.Count, state.Failed, state.Reason);
            }
            if (_registry.Find(slot.Id) is { IsOpen: true } && state.Spec != null)
                Record(new CloseBatch(slot.Id, BatchSummary.Of(state)), _ => { }); // the next start keeps it as a summary
            return;
        }
        if (state.Status == BatchStatus.Running && slot.Staging is null)
        {
            (string, string)? previous = state.StashPath is { } p && state.ImageSha256 is { } h ? (p, h) : null;
            var staging = Context.ActorOf(Staging.Props(state.Spec!, slot.At, _settings.StashDirectory, previous, _settings.Staging), $"staging-{_children++}");
            _batches = _batches.Set(slot with { Staging = staging });
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
        if (_batches.Get(image.BatchId) is not { } slot || slot.State.IsFinished) return;
        _batches = _batches.Set(slot with { Image = image });
        // Staged comes first without the hash (discs start at once), then with it: only a hashed image goes into the ledger.
        if (image.ContentSha256 is { } sha && (slot.State.ImageSha256 != sha || slot.State.StashPath != image.StashPath))
            AskLedger(slot.Id, "staged", new RecordStaged(image.StashPath, sha, image.SectorCount));
        TryDispatch();
    }

    private void AskLedger(string batchId, string what, BatchCommand command)
    {
        if (_batches.Get(batchId) is not { } slot) return;
        slot.Ledger.Ask<Batch.Reply>(command, _settings.AskTimeout)
            .PipeTo(Self, success: r => new LedgerAnswered(batchId, what, r), failure: e => new LedgerAnswered(batchId, what, new Batch.Unanswered(e.Message)));
    }

    private void OnLedgerAnswered(LedgerAnswered a)
    {
        if (_batches.Get(a.BatchId) is not { } slot) return;
        switch (a.Reply)
        {
            case Batch.Accepted ok:
                UpdateBatch(slot, ok.State);
                break;
            case Batch.Refused no:
                _log.Debug("batch {0}: ledger refused {1}: {2}", a.BatchId, a.What, no.Reason);
                break;
            case Batch.Unanswered u:
                _log.Error("batch {0}: the ledger did not answer {1}: {2}", a.BatchId, a.What, u.Reason);
                break;
        }
    }

    private void TryDispatch()
    {
        var ready = _driveSpecs.Select(d => _drives[d.Id])
            .Where(d => d.Status.State == DriveState.Ready && !_registry.Quarantined.ContainsKey(d.Spec.Id) && !d.Assigning)
            .Select(d => d.Spec.Id).ToArray();
        if (ready.Length == 0) return;
        var demand = _batches.Demand(_registry.Batches);
        foreach (var a in _settings.DispatchStrategy.Assign(ready, demand))
        {
            // A strategy is trusted with the choice, not with the rules: the ledger still refuses a disc too many.
            if (!ready.Contains(a.DriveId) || _drives[a.DriveId].Assigning || _batches.Get(a.BatchId) is not { Image: not null } batch) continue;
            _drives = _drives.SetItem(a.DriveId, _drives[a.DriveId] with { Assigning = true });
            _batches = _batches.Set(batch with { Pending = batch.Pending + 1 });
            var (batchId, driveId) = (a.BatchId, a.DriveId);
            batch.Ledger.Ask<Batch.Reply>(new StartDisc(driveId), _settings.AskTimeout)
                .PipeTo(Self, success: r => new DiscAssigned(batchId, driveId, r), failure: e => new DiscAssigned(batchId, driveId, new Batch.Unanswered(e.Message)));
        }
    }

    private void OnDiscAssigned(DiscAssigned a)
    {
        var drive = _drives[a.DriveId] with { Assigning = false };
        _drives = _drives.SetItem(a.DriveId, drive);
        if (_batches.Get(a.BatchId) is not { } slot) return;
        slot = slot with { Pending = Math.Max(0, slot.Pending - 1) };
        _batches = _batches.Set(slot);
        if (a.Reply is not Batch.Accepted ok)
        {
            // Refused (a race) or unanswered (the ledger stopped and is being recovered): try again shortly.
            _log.Debug("batch {0}: no disc for {1}: {2}", a.BatchId, a.DriveId, a.Reply);
            Timers.StartSingleTimer("redispatch", Redispatch.Instance, TimeSpan.FromSeconds(1));
            return;
        }
        if (!ok.State.InFlight.Any(kv => kv.Value == a.DriveId)) { UpdateBatch(slot, ok.State); return; } // accepted as the batch's end (its values ran out)
        int disc = ok.State.InFlight.First(kv => kv.Value == a.DriveId).Key;
        var spec = ok.State.Spec!;
        string? perDiscError = null;
        if (slot.Image is { } image && slot.Staging is { } staging && drive.Status.State == DriveState.Ready && !_registry.Quarantined.ContainsKey(a.DriveId)
            && PerDiscLogic.Burn(spec, image, ok.State.Discs[disc], out perDiscError) is var perDisc && perDiscError is null)
        {
            SetDrive(drive with { Status = drive.Status with { State = DriveState.Checking, BatchId = a.BatchId, Disc = disc, Percent = 0 } });
            drive.Recorder.Tell(new Recorder.Burn(a.BatchId, disc, image, staging,
                new RecordOptions(Speed: spec.Options.Speed, Verify: spec.Options.Verify, AudioMode: spec.Options.AudioMode), spec.Options.RejectIfNotBlank, perDisc));
        }
        else
        {
            AskLedger(a.BatchId, "fail", new FailDisc(disc, a.DriveId, perDiscError ?? "the drive was no longer ready"));
        }
        UpdateBatch(slot, ok.State);
    }

    private void OnStatus(Recorder.StatusChanged s)
    {
        if (!_drives.TryGetValue(s.DriveId, out var drive)) return;
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
        if (_drives.TryGetValue(b.DriveId, out var drive))
            SetDrive(drive with { Status = drive.Status with { ConsecutiveFailures = 0, Good = drive.Status.Good + 1 } });
        AskLedger(b.BatchId, "complete", new CompleteDisc(b.Disc, b.DriveId, b.Sha256));
    }

    private void OnDiscFailed(Recorder.DiscFailed f)
    {
        if (_drives.TryGetValue(f.DriveId, out var drive))
        {
            var status = drive.Status with { Bad = drive.Status.Bad + 1 };
            if (f.DriveFault) status = status with { ConsecutiveFailures = status.ConsecutiveFailures + 1 };
            SetDrive(drive with { Status = status });
            if (f.DriveFault && TowerLogic.ShouldQuarantine(status.ConsecutiveFailures, _settings.QuarantineAfter))
            {
                var reason = $"{status.ConsecutiveFailures} failed discs in a row, the last: {f.Reason}";
                // Takes effect once stored: Persist holds every other message until the callback ran, so no disc is
                // handed to the drive in between, and a crash before the write leaves the drive as it was.
                Record(new QuarantineDrive(f.DriveId, reason, DateTimeOffset.UtcNow), e =>
                {
                    _log.Warning("drive {0} quarantined after {1}; clear it to use it again", f.DriveId, reason);
                    SetDrive(_drives[f.DriveId]);
                });
            }
        }
        AskLedger(f.BatchId, "fail", new FailDisc(f.Disc, f.DriveId, f.Reason, f.Error));
    }

    private void OnClearQuarantine(Tower.ClearQuarantine c)
    {
        if (!_drives.ContainsKey(c.DriveId))
        {
            Sender.Tell(new Tower.Done(false));
            return;
        }
        var sender = Sender;
        void Cleared()
        {
            var slot = _drives[c.DriveId];
            SetDrive(slot with { Status = slot.Status with { ConsecutiveFailures = 0, Message = null } });
            sender.Tell(new Tower.Done(true));
            TryDispatch();
        }
        var decision = Record(new ClearDriveQuarantine(c.DriveId, DateTimeOffset.UtcNow), _ =>
        {
            _log.Info("drive {0}: quarantine cleared by the operator", c.DriveId);
            Cleared();
        });
        if (decision.Events.IsEmpty) Cleared(); // it was not quarantined: only its failure count starts again
    }

    private void OnTerminated(Terminated t)
    {
        if (_reads.FirstOrDefault(r => r.Value.Equals(t.ActorRef)) is { Key: { } read }) _reads = _reads.Remove(read);
        if (_batches.ByLedger(t.ActorRef) is not { } slot) return;
        // A ledger stops when its journal refuses a write: start it again from what the journal holds.
        _log.Warning("batch {0}: its ledger stopped (journal failure?); recovering it from the journal", slot.Id);
        if (slot.Staging is { } s) Context.Stop(s);
        _batches = _batches.Remove(slot.Id);
        Load(_registry.Find(slot.Id)!);
    }

    /// <summary>Stores and publishes a drive's status; whether it is quarantined always comes from the registry.</summary>
    private void SetDrive(DriveSlot slot)
    {
        bool quarantined = _registry.Quarantined.TryGetValue(slot.Spec.Id, out var why);
        if (quarantined && !slot.Status.Quarantined) slot = slot with { Status = slot.Status with { Message = slot.Status.Message ?? why } };
        slot = slot with { Status = slot.Status with { Quarantined = quarantined } };
        _drives = _drives.SetItem(slot.Spec.Id, slot);
        Context.System.EventStream.Publish(new Tower.DriveChanged(slot.Status));
    }
}
