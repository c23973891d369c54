using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Floor;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The tower (see <see cref="Tower"/>): a thin actor wiring its parts. <see cref="TowerJournal"/> keeps the registry
/// (<see cref="TowerLogic"/>); the drives are a <see cref="TowerDrives"/> value, the running batches a
/// <see cref="TowerBatches"/> value; <see cref="TowerDispatch"/> (over the <see cref="IDispatchStrategy"/>) says which
/// disc goes where; every ask of a ledger goes through <see cref="BatchLedgers"/>, a batch's staging and what its end
/// clears through <see cref="TowerStaging"/>, stash deletion through <see cref="TowerStash"/>, queries through
/// <see cref="TowerQueries"/>. Every outcome goes to the batch's ledger first and the tower acts on the ledger's
/// answer, so after a crash the ledgers alone say what is done. Behaviours: recovering (the journal),
/// <see cref="Loading"/> (the open batches' ledgers; everything else waits in the stash, so nobody sees a batch
/// before its ledger answered), <see cref="Running"/>.
/// </summary>
internal sealed partial class DuplicatorSupervisor : TowerJournal, IWithTimers
{
    private sealed record Redispatch
    {
        public static Redispatch Instance { get; } = new();
    }

    private readonly ImmutableArray<Tower.DriveSpec> _driveSpecs;
    private readonly Tower.Settings _settings;
    private readonly BatchLedgers _ledgers;
    private readonly TowerStash _stash;
    private readonly TowerStaging _staging;

    private TowerDrives _drives = TowerDrives.Empty;
    private TowerBatches _batches = TowerBatches.Empty;
    /// <summary>Open batches whose ledger has not answered since the start.</summary>
    private ImmutableHashSet<string> _loading = ImmutableHashSet<string>.Empty;

    public DuplicatorSupervisor(ImmutableArray<Tower.DriveSpec> drives, Tower.Settings settings) : this(drives, settings, floor: false)
    {
    }

    /// <summary>With <paramref name="floor"/>, a floor router (<see cref="Floor.Floor.RouterProps"/>): no drives of its own, registered by agents.</summary>
    public DuplicatorSupervisor(ImmutableArray<Tower.DriveSpec> drives, Tower.Settings settings, bool floor)
        : base(settings.SnapshotEvery, floor ? Floor.Floor.PersistenceId : Tower.PersistenceId)
    {
        _driveSpecs = drives;
        _settings = settings;
        _ledgers = new BatchLedgers(Context, settings, Log);
        _stash = new TowerStash(settings.StashDirectory, Log);
        _staging = new TowerStaging(Context, settings, _stash, Log);
        _floor = floor ? new FloorRouting(Context, Log) : null;
        // Before any recorder: no disc's fact is missed. On a floor each tower's agent keeps its own.
        _history = floor ? null : Drives.DriveHistory.Start(Context, settings.SnapshotEvery);
    }

    private readonly IActorRef? _history;
    private readonly FloorRouting? _floor;

    public ITimerScheduler Timers { get; set; } = null!;

    protected override SupervisorStrategy SupervisorStrategy() =>
        // A ledger that throws is restarted (it recovers from its journal); staging and backoff supervisors likewise.
        new OneForOneStrategy(_ => Directive.Restart);

    protected override void Recovered()
    {
        _drives = _floor is null ? TowerRecorders.Start(Context, _driveSpecs, _settings, Registry, Log) : TowerDrives.Empty;
        _stash.SweepClosed(Registry); // finished batches are not loaded, so what they left is removed here
        foreach (var r in Registry.Batches.Where(b => b.IsOpen))
        {
            _loading = _loading.Add(r.BatchId);
            Load(r);
        }
        if (_loading.IsEmpty) Become(Running);
        else Become(Loading);
    }

    private void Loading()
    {
        Command<BatchLedgers.Loaded>(l => Loaded(l.BatchId, () => OnBatchLoaded(l)));
        Command<BatchLedgers.LoadFailed>(f => Loaded(f.BatchId, () => _ledgers.Failed(f, Timers)));
        CommonCommands();
        CommandAny(_ => Stash.Stash());
    }

    /// <summary>Handles a ledger's first answer while loading; once every open batch's ledger answered, runs.</summary>
    private void Loaded(string batchId, Action handle)
    {
        handle();
        _loading = _loading.Remove(batchId);
        if (!_loading.IsEmpty) return;
        Become(Running);
        Stash.UnstashAll();
        TryDispatch();
    }

    private void CommonCommands()
    {
        Command<BatchLedgers.Reload>(r =>
        {
            if (_batches.Get(r.BatchId) is { } slot) _ledgers.AskState(r.BatchId, slot.Ledger);
        });
        SnapshotCommands();
    }

    private void Running()
    {
        Command<Tower.Submit>(OnSubmit);
        Command<BatchLedgers.SubmitAnswered>(a =>
        {
            if (_batches.Get(a.BatchId) is { } slot && _ledgers.Accepted(a) is { } state) UpdateBatch(slot, state);
        });
        Command<BatchLedgers.Loaded>(OnBatchLoaded);
        Command<BatchLedgers.LoadFailed>(f => _ledgers.Failed(f, Timers));
        Command<BatchLedgers.DiscAssigned>(OnDiscAssigned);
        Command<BatchLedgers.Answered>(a =>
        {
            if (_batches.Get(a.BatchId) is { } slot && _ledgers.Accepted(a) is { } state) UpdateBatch(slot, state);
        });
        Command<Staging.Staged>(OnStaged);
        Command<Staging.StagingFailed>(f => AskLedger(f.BatchId, "fail", new FailBatch($"staging failed: {f.Reason}")));
        Command<Recorder.StatusChanged>(s =>
        {
            if (_drives.Get(s.DriveId) is not { } drive || !FromDrive(s.DriveId)) return;
            SetDrive(TowerDrives.Reported(drive, s));
            if (s.State == DriveState.Ready) TryDispatch();
        });
        Command<Recorder.DiscBurned>(b =>
        {
            if (!FromDrive(b.DriveId)) return; // a tower that left: its disc was interrupted and is made again
            if (_drives.Get(b.DriveId) is { } drive) SetDrive(TowerDrives.Burned(drive));
            AskLedger(b.BatchId, "complete", new CompleteDisc(b.Disc, b.DriveId, b.Sha256));
        });
        Command<Recorder.DiscFailed>(OnDiscFailed);
        Command<Floor.Floor.Late>(l => OnLate(l.Burned));
        Command<Tower.SubmitSet>(OnSubmitSet);
        Command<SetAnswered>(OnSetAnswered);
        Command<Tower.Cancel>(c =>
        {
            bool live = _batches.Get(c.BatchId) != null;
            foreach (var id in TowerSets.CancelTargets(c.BatchId, _batches)) AskLedger(id, "cancel", new CancelBatch(c.Reason)); // a set member: the whole set
            Sender.Tell(new Tower.Done(live || Registry.Find(c.BatchId) != null)); // a finished batch stays as it ended
        });
        Command<Tower.ClearQuarantine>(OnClearQuarantine);
        Command<Tower.Pause>(OnControl);
        Command<Tower.Resume>(OnControl);
        Command<Tower.Hold>(OnControl);
        Command<Tower.Release>(OnControl);
        Command<Tower.GetHolds>(Query);
        Command<Tower.GetDrives>(Query);
        Command<Tower.GetBatches>(Query);
        Command<Tower.GetBatch>(Query);
        Command<Tower.GetStagingStats>(Query);
        Command<ClosedBatchReader.Answered>(a => _ledgers.ReaderAnswered(a, Sender));
        Command<Terminated>(OnTerminated);
        Command<Redispatch>(_ => TryDispatch());
        Command<Drives.DriveHistory.Get>(g =>
        {
            if (_history is { } h) h.Forward(g);
            else if (_floor is { } floor) floor.GatherHistories(Sender, TimeSpan.FromSeconds(5)); // each tower's agent keeps its drives' history
            else Sender.Tell(new Drives.DriveHistory.Histories(System.Collections.Immutable.ImmutableSortedDictionary<string, Drives.DriveHistory.Record>.Empty));
        });
        Command<Floor.Floor.Register>(OnRegister);
        Command<Recorder.ImapiEvent>(e =>
        {
            if (_floor is null || !FromDrive(e.DriveId)) return;
            // Progress for the floor's live view: on the router's node (its own recorders published theirs there), and on every other tower's.
            if (!Sender.Path.Address.HasLocalScope) Context.System.EventStream.Publish(e);
            _floor.Broadcast(new Floor.Floor.View(Progress: e), except: Sender);
        });
        Command<FloorRouting.FlushView>(_ => _floor?.FlushBatches());
        CommonCommands();
    }

    /// <summary>A standalone tower's recorders are its children; on a floor only the agent holding the drive speaks for it.</summary>
    private bool FromDrive(string driveId) => _floor?.Owns(Sender, driveId) ?? true;

    /// <summary>A good disc no live router counted, from the agent of its drive: its ledger decides (<see cref="CompleteDisc.Late"/>).</summary>
    private void OnLate(Recorder.DiscBurned b)
    {
        if (_floor is null || !FromDrive(b.DriveId)) return;
        if (_batches.Get(b.BatchId) is null)
            Log.Warning("floor: disc {0} of batch {1} came out good on {2} after its router was gone; the batch has ended: not counted, set it aside", b.Disc, b.BatchId, b.DriveId);
        else AskLedger(b.BatchId, "late", new CompleteDisc(b.Disc, b.DriveId, b.Sha256) { Late = true });
    }

    private void OnRegister(Floor.Floor.Register r)
    {
        (_drives, var left) = _floor!.Register(r, Sender, _drives, Registry);
        DrivesLeft(left, $"tower {r.TowerId} registered again without them");
        // Before these drives are handed anything: a late disc is counted before a remake of it could start.
        foreach (var b in r.Late.IsDefault ? [] : r.Late) OnLate(b);
        foreach (var id in r.Drives.Select(d => d.Id).Where(_drives.Contains)) SetDrive(_drives.Get(id)!);
        TryDispatch();
    }

    /// <summary>Discs in flight on drives that left the floor are failed as interrupted: made again elsewhere, not counted against the threshold.</summary>
    private void DrivesLeft(ImmutableArray<string> left, string why)
    {
        if (left.IsEmpty) return;
        foreach (var (batchId, command) in FloorDrives.Interrupted(_batches, left, why)) AskLedger(batchId, "interrupt", command);
        foreach (var id in left)
        {
            var removed = new Tower.DriveRemoved(id, why);
            Context.System.EventStream.Publish(removed);
            _floor!.Broadcast(new Floor.Floor.View(Removed: removed));
        }
    }

    private void Query(object query) => TowerQueries.Answer(query, Registry, _drives, _batches, _ledgers, Sender);

    private void Load(RegisteredBatch r)
    {
        var slot = _ledgers.Open(r.BatchId, r.At);
        _batches = _batches.Set(slot);
        _ledgers.AskState(r.BatchId, slot.Ledger);
    }

    private void OnBatchLoaded(BatchLedgers.Loaded loaded)
    {
        if (_batches.Get(loaded.BatchId) is not { } slot) return;
        var s = loaded.State;
        if (s.Status == BatchStatus.Running)
            Log.Info("resuming batch {0}: {1} of {2} good discs made, {3} failed, {4} interrupted disc(s) will be made again",
                loaded.BatchId, s.Good.Count, s.Spec?.Copies ?? 0, s.Failed, s.Interrupted);
        if (s.IsFinished && s.Spec is { } spec) _stash.Finished(loaded.BatchId, spec); // a host that stopped between its end and its clean-up left it
        UpdateBatch(slot, s);
    }

    private void OnSubmit(Tower.Submit submit)
    {
        var (spec, sender, at) = (submit.Spec, Sender, DateTimeOffset.UtcNow);
        if (_batches.Get(spec.BatchId) is { } existing) _ledgers.Resubmit(existing.Ledger, spec, sender);
        else if (Registry.Find(spec.BatchId) is { IsOpen: false } closed) _ledgers.ReadClosed(spec.BatchId, closed.At, sender, asSubmit: true);
        else if (spec.Set != null) sender.Tell(new Tower.Rejected($"batch {BatchIds.Show(spec.BatchId)} is a member of disc set {BatchIds.Show(spec.Set.SetId)}: a set is submitted whole"));
        else if (((_floor is null ? null : FloorRouting.Refuse(spec)) ?? TowerBatches.Refuse(spec, _drives, at)) is { } why) sender.Tell(new Tower.Rejected(why));
        else
        {
            var decision = Record(new RegisterBatch(spec.BatchId, at), _ =>
            {
                var slot = _ledgers.Open(spec.BatchId, at);
                _batches = _batches.Set(slot);
                _ledgers.Submit(slot.Ledger, spec, at, sender);
            });
            if (decision.Refused is { } no) sender.Tell(new Tower.Rejected(no));
        }
    }

    private void UpdateBatch(BatchSlot slot, BatchState state)
    {
        slot = TowerBatches.WithState(slot, state);
        var changed = new Tower.BatchChanged(slot.State, slot.At);
        Context.System.EventStream.Publish(changed);
        _floor?.ViewBatch(changed, Timers);
        if (slot.State.IsFinished)
        {
            if (slot.Staging != null && slot.State.Spec?.FloorImage is { } image) _floor?.Ended(slot.Id, image.Sha256);
            _batches = _batches.Set(_staging.Ended(slot, _drives));
            if (Registry.Find(slot.Id) is { IsOpen: true } && slot.State.Spec != null)
                Record(new CloseBatch(slot.Id, BatchSummary.Of(slot.State)), _ => { }); // the next start keeps it as a summary
            return;
        }
        _batches = _batches.Set(_staging.Started(slot, _drives));
        TryDispatch();
    }

    private void OnStaged(Staging.Staged staged)
    {
        var image = staged.Image;
        if (_batches.Get(image.BatchId) is not { } slot || slot.State.IsFinished) return;
        if (_floor != null && image.ContentSha256 is null) return; // other towers fetch the image by its hash: discs start once it is known
        _batches = _batches.Set(slot with { Image = image });
        // Staged comes first without the hash (discs start at once), then with it: only a hashed image goes into the ledger.
        if (image.ContentSha256 is { } sha && (slot.State.ImageSha256 != sha || slot.State.StashPath != image.StashPath))
            AskLedger(slot.Id, "staged", new RecordStaged(image.StashPath, sha, image.SectorCount));
        if (slot.Image is null && slot.State.Spec?.FloorImage is { } floorImage) _floor?.Prefetch(slot.Id, floorImage);
        TryDispatch();
    }

    private void AskLedger(string batchId, string what, BatchCommand command)
    {
        if (_batches.Get(batchId) is { } slot) _ledgers.Ask(batchId, slot.Ledger, what, command);
    }

    private void TryDispatch()
    {
        (_drives, _batches, var assignments) = TowerDispatch.Plan(_drives, _batches, Registry, _settings.DispatchStrategy, DateTimeOffset.UtcNow);
        foreach (var a in assignments)
            _ledgers.AskDisc(a.BatchId, _batches.Get(a.BatchId)!.Ledger, a.DriveId);
    }

    private void OnDiscAssigned(BatchLedgers.DiscAssigned a)
    {
        (_drives, _batches, var next) = TowerDispatch.Answered(_drives, _batches, Registry, a.BatchId, a.DriveId, a.Reply);
        switch (next)
        {
            case DiscHandOut.Retry:
                Log.Debug("batch {0}: no disc for {1}: {2}", a.BatchId, a.DriveId, a.Reply);
                Timers.StartSingleTimer("redispatch", Redispatch.Instance, TimeSpan.FromSeconds(1));
                break;
            case DiscHandOut.Burn burn:
                SetDrive(burn.Drive);
                if (_floor is { } floor) floor.Send(burn.Drive, burn.Command, _batches.Get(a.BatchId)?.State.Spec?.FloorImage);
                else burn.Drive.Recorder.Tell(burn.Command);
                UpdateBatch(_batches.Get(a.BatchId)!, burn.State);
                break;
            case DiscHandOut.Abandon abandon:
                AskLedger(a.BatchId, "fail", abandon.Command);
                UpdateBatch(_batches.Get(a.BatchId)!, abandon.State);
                break;
            case DiscHandOut.Ended ended:
                UpdateBatch(_batches.Get(a.BatchId)!, ended.State);
                break;
        }
    }

    private void OnDiscFailed(Recorder.DiscFailed f)
    {
        if (_drives.Get(f.DriveId) is { } drive)
        {
            var (failed, quarantine) = TowerDrives.Failed(drive, f.DriveFault, f.Reason, _settings.QuarantineAfter);
            SetDrive(failed);
            if (quarantine is { } reason) Quarantine(f.DriveId, reason, () => SetDrive(_drives.Get(f.DriveId)!));
        }
        AskLedger(f.BatchId, "fail", new FailDisc(f.Disc, f.DriveId, f.Reason, f.Error) { DuringVerify = f.DuringVerify });
    }

    private void OnClearQuarantine(Tower.ClearQuarantine c)
    {
        var sender = Sender;
        if (!_drives.Contains(c.DriveId)) sender.Tell(new Tower.Done(false));
        else
            ClearQuarantine(c.DriveId, () =>
            {
                SetDrive(TowerDrives.Cleared(_drives.Get(c.DriveId)!));
                sender.Tell(new Tower.Done(true));
                TryDispatch();
            });
    }

    /// <summary>Pause, resume, hold or release: stored before it takes effect, then the drives and dispatch follow.</summary>
    private void OnControl(object request)
    {
        var (sender, (command, batchId, driveId)) = (Sender, TowerControl.Of(request, DateTimeOffset.UtcNow));
        if ((driveId != null && !_drives.Contains(driveId)) || (batchId != null && Registry.Find(batchId) is null))
            sender.Tell(new Tower.Done(false));
        else
            Control(command, () =>
            {
                if (driveId != null) SetDrive(_drives.Get(driveId)!);
                Context.System.EventStream.Publish(new Tower.HoldsChanged(TowerControl.HoldsOf(Registry)));
                sender.Tell(new Tower.Done(true));
                TryDispatch();
            }, no => sender.Tell(new Tower.Rejected(no)));
    }

    private void OnTerminated(Terminated t)
    {
        if (_floor?.Lost(t.ActorRef, _drives) is { } lost)
        {
            _drives = lost.Drives;
            DrivesLeft(lost.Left, $"tower {lost.Tower} left the floor");
            return;
        }
        _ledgers.Stopped(t.ActorRef);
        if (_batches.ByLedger(t.ActorRef) is not { } slot) return;
        // A ledger stops when its journal refuses a write: start it again from what the journal holds.
        Log.Warning("batch {0}: its ledger stopped (journal failure?); recovering it from the journal", slot.Id);
        _staging.Stop(slot);
        _batches = _batches.Remove(slot.Id);
        Load(Registry.Find(slot.Id)!);
    }

    /// <summary>Stores and publishes a drive's status; whether it is quarantined always comes from the registry.</summary>
    private void SetDrive(DriveSlot slot)
    {
        _drives = _drives.Set(slot, Registry);
        var changed = new Tower.DriveChanged(_drives.Get(slot.Spec.Id)!.Status);
        Context.System.EventStream.Publish(changed);
        _floor?.Broadcast(new Floor.Floor.View(Drive: changed));
    }
}
