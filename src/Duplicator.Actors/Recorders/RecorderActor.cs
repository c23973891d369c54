using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Drives;
using Duplicator.Actors.Images;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// Owns one drive. Behaviours: <see cref="Opening"/> -> <see cref="Empty"/> (polls for a medium) -> <see cref="Ready"/>
/// -> <see cref="Burning"/> (checking, writing, closing, verifying, ejecting) -> <see cref="Empty"/>; a drive that
/// stops answering is reported and the actor throws <see cref="DriveFaultException"/> so its backoff supervisor
/// restarts it. Every drive command runs on the drive's own <see cref="DriveThread"/>; results come back as messages
/// tagged with the burn they belong to, so a late answer from an abandoned burn is ignored.
/// </summary>
internal sealed partial class RecorderActor : ReceiveActor, IWithTimers
{
    private sealed class DriveHandle
    {
        public IDiscRecorder? Drive;
    }

    /// <summary>One burn in progress; replaced, never mutated (its image and token source are the drive thread's).</summary>
    private sealed record BurnState(Guid Id, Recorder.Burn Job, FanOutImage Image, CancellationTokenSource Cancel,
        DriveState Phase, long Done, long Total, DateTime PhaseStarted, IActorRef? Wave, string? StopReason, bool StopBlamesDrive = false)
    {
        /// <summary>When the first write was about to go out (joining the wave), for the drive's hours writing.</summary>
        public DateTime? WritingStarted { get; init; }

        /// <summary>Seconds from the first write to the end of writing, known once writing ended (closing began).</summary>
        public double? WritingSeconds { get; init; }
    }

    private sealed record Opened;
    private sealed record OpenFailed(Exception Error);
    private sealed record PollMedia;
    private sealed record MediaPolled(MediaInfo Info);
    private sealed record PollFailed(Exception Error);
    private sealed record JoinWave(Guid Burn);
    private sealed record PhaseChanged(Guid Burn, DriveState Phase, long Done, long Total);
    private sealed record BurnSucceeded(Guid Burn, string Sha256, bool Verified, long? Underruns = null);
    private sealed record BurnFailed(Guid Burn, Exception Error, long? Underruns = null);
    private sealed record GraceExpired(Guid Burn);

    private readonly string _driveId;
    private readonly Func<IDiscRecorder> _open;
    private readonly IActorRef _tower;
    private readonly Recorder.Settings _settings;
    private readonly DriveHandle _handle = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DriveThread? _thread;
    private BurnState? _burn;

    public RecorderActor(string driveId, Func<IDiscRecorder> open, IActorRef tower, Recorder.Settings settings)
    {
        _driveId = driveId;
        _open = open;
        _tower = tower;
        _settings = settings;
        Opening();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _thread = new DriveThread(_driveId);
        var self = Self;
        var handle = _handle;
        var open = _open;
        Report(DriveState.Opening);
        _thread.Post(() =>
        {
            try
            {
                handle.Drive = open();
                self.Tell(new Opened());
            }
            catch (Exception e)
            {
                self.Tell(new OpenFailed(e));
            }
        });
    }

    protected override void PostStop()
    {
        if (_burn is { } b) b.Cancel.Cancel();
        _master?.Cancel.Cancel();
        var handle = _handle;
        _thread?.Post(() => handle.Drive?.Dispose());
        _thread?.Dispose();
    }

    private void Opening()
    {
        Receive<Opened>(_ => ToEmpty());
        Receive<OpenFailed>(f => Fault($"cannot open the drive: {f.Error.Message}", f.Error));
        CommonHandlers();
    }

    private void Empty()
    {
        Receive<PollMedia>(_ =>
        {
            var self = Self;
            var handle = _handle;
            _thread!.Post(() =>
            {
                try
                {
                    self.Tell(new MediaPolled(handle.Drive!.QueryMediaInfo()));
                }
                catch (Exception e)
                {
                    self.Tell(new PollFailed(e));
                }
            });
        });
        Receive<MediaPolled>(p =>
        {
            if (p.Info.Present)
            {
                Become(Ready);
                Report(DriveState.Ready, message: $"{p.Info.ProfileName}{((p.Info.Flags & MediaFlags.Blank) != 0 ? ", blank" : ", not blank")}, {p.Info.FreeBlocks} free blocks");
            }
            else
            {
                Timers.StartSingleTimer("poll", new PollMedia(), _settings.MediaPoll);
            }
        });
        Receive<PollFailed>(f => Fault($"the drive does not answer: {f.Error.Message}", f.Error));
        Receive<Recorder.Burn>(b => _tower.Tell(new Recorder.DiscFailed(_driveId, b.BatchId, b.Disc, "the drive has no medium", DriveFault: false)));
        CommonHandlers();
    }

    private void Ready()
    {
        Receive<Recorder.Burn>(StartBurn);
        Receive<Recorder.ReadMaster>(StartMasterRead);
        CommonHandlers();
    }

    private void Burning()
    {
        Receive<JoinWave>(j =>
        {
            if (_burn is not { } b || b.Id != j.Burn) return;
            b.Job.Staging.Tell(new Staging.Join(_driveId, b.Job.Disc));
            Enter(b with { Phase = DriveState.Writing, PhaseStarted = DateTime.UtcNow, WritingStarted = DateTime.UtcNow });
        });
        Receive<Staging.Chunk>(c =>
        {
            if (_burn is not { } b || b.StopReason != null)
            {
                c.Wave.Tell(new Staging.Leave("not burning"));
                return;
            }
            if (b.Wave is null) _burn = b with { Wave = c.Wave };
            b.Image.Add(c);
        });
        Receive<Staging.ReadOn>(r =>
        {
            if (_burn is not { } b || b.StopReason != null) return;
            if (b.Wave is null) _burn = b with { Wave = r.Wave };
            _log.Info("{0}: reads on from the stash of batch {1} at its own pace: {2}", _driveId, b.Job.BatchId, r.Reason);
            b.Image.ReadOn(r);
        });
        Receive<Staging.Hashed>(h =>
        {
            if (_burn is { } b && b.Job.BatchId == h.BatchId) b.Image.SetContentSha256(h.ContentSha256);
        });
        Receive<Staging.Detached>(d =>
        {
            if (_burn is not { } b) return;
            _log.Warning("{0}: detached from the wave of batch {1}: {2}", _driveId, b.Job.BatchId, d.Reason);
            Stop(b, $"detached from the wave: {d.Reason}", blamesDrive: true);
        });
        Receive<Recorder.CancelBurn>(c =>
        {
            if (_burn is { } b && b.Job.BatchId == c.BatchId) Stop(b, $"cancelled: {c.Reason}", blamesDrive: false);
        });
        Receive<PhaseChanged>(p =>
        {
            if (_burn is not { } b || b.Id != p.Burn) return;
            if (b.Phase == DriveState.Writing && p.Phase != DriveState.Writing && b.WritingStarted is { } w)
                b = b with { WritingSeconds = (DateTime.UtcNow - w).TotalSeconds }; // writing ended: closing or verifying follows
            Enter(b.Phase == p.Phase ? b with { Done = p.Done, Total = p.Total } : b with { Phase = p.Phase, Done = p.Done, Total = p.Total, PhaseStarted = DateTime.UtcNow });
        });
        Receive<BurnSucceeded>(s =>
        {
            if (_burn is not { } b || b.Id != s.Burn) return;
            if (b.StopReason is { } stopped)
            {
                // The stream was cut (detached, cancelled) while the drive finished anyway: what it wrote after the
                // cut is not the image, so the disc is never counted.
                Finish(b);
                _tower.Tell(new Recorder.DiscFailed(_driveId, b.Job.BatchId, b.Job.Disc, stopped, b.StopBlamesDrive));
                History(b, good: false, s.Underruns, stopped, null, b.StopBlamesDrive);
                ToEmpty();
                return;
            }
            Finish(b, completed: true);
            History(b, good: true, s.Underruns, null, null, false);
            _log.Info("{0}: disc {1} of batch {2} done, SHA-256 {3}{4}", _driveId, b.Job.Disc, b.Job.BatchId, s.Sha256, s.Verified ? " (verified)" : "");
            _tower.Tell(new Recorder.DiscBurned(_driveId, b.Job.BatchId, b.Job.Disc, s.Sha256, s.Verified));
            ToEmpty();
        });
        Receive<BurnFailed>(f =>
        {
            if (_burn is not { } b || b.Id != f.Burn) return;
            Finish(b);
            var (reason, driveFault, restart) = Classify(b, f.Error);
            // The codes travel with the prose: the tower and the ledger keep them, a console shows "03/0C/00 ... at LBA n".
            var cause = f.Error is AggregateException { InnerException: { } inner } ? inner : f.Error;
            bool duringVerify = b.StopReason is null && cause is VerificationException;
            // A failed read-back keeps the drive's own codes (the sense of the READ that failed).
            var error = b.StopReason is null ? Batches.DiscError.From(cause is VerificationException { InnerException: { } drive } && Batches.DiscError.From(drive) is not null ? drive : cause) : null;
            _log.Warning("{0}: disc {1} of batch {2} failed: {3}", _driveId, b.Job.Disc, b.Job.BatchId, error?.Sense is null ? reason : $"{reason} [{error.Describe(_driveId)}]");
            _tower.Tell(new Recorder.DiscFailed(_driveId, b.Job.BatchId, b.Job.Disc, reason, driveFault, error) { DuringVerify = duringVerify });
            History(b, good: false, f.Underruns, reason, error, driveFault);
            if (restart) Fault(reason, f.Error);
            else ToEmpty();
        });
        Receive<GraceExpired>(g =>
        {
            if (_burn is not { } b || b.Id != g.Burn) return;
            Finish(b);
            var reason = $"{b.StopReason}; the drive did not stop within {_settings.CancelGrace.TotalSeconds:0.#} s (hung)";
            _tower.Tell(new Recorder.DiscFailed(_driveId, b.Job.BatchId, b.Job.Disc, reason, DriveFault: true));
            History(b, good: false, null, reason, null, true);
            Fault(reason, null); // the hung thread is abandoned; the restart opens the drive afresh
        });
        Receive<Recorder.Burn>(b => _tower.Tell(new Recorder.DiscFailed(_driveId, b.BatchId, b.Disc, "the drive is busy", DriveFault: false)));
        Receive<Recorder.ReadMaster>(m => Sender.Tell(new Recorder.MasterNotRead(_driveId, m.BatchId, "the drive is busy with a disc", Retry: true)));
        Receive<PollMedia>(_ => { });
        Receive<MediaPolled>(_ => { });
    }

    private void Faulted()
    {
        Receive<DriveFaultException>(e => throw e);
        CommonHandlers();
    }

    private void CommonHandlers()
    {
        Receive<Staging.Chunk>(c => c.Wave.Tell(new Staging.Leave("not burning")));
        Receive<Staging.Detached>(_ => { });
        Receive<Staging.ReadOn>(_ => { });
        Receive<Staging.Hashed>(_ => { });
        Receive<Recorder.Burn>(b => _tower.Tell(new Recorder.DiscFailed(_driveId, b.BatchId, b.Disc, "the drive is not ready", DriveFault: false)));
        Receive<Recorder.CancelBurn>(_ => { });
        Receive<Recorder.ReadMaster>(m => Sender.Tell(new Recorder.MasterNotRead(_driveId, m.BatchId, "the drive is not ready (no medium yet?)", Retry: true)));
        Receive<PollMedia>(_ => { });
        Receive<MediaPolled>(_ => { });
        Receive<PhaseChanged>(_ => { });
        Receive<BurnSucceeded>(_ => { });
        Receive<BurnFailed>(_ => { });
        Receive<GraceExpired>(_ => { });
        Receive<JoinWave>(_ => { });
    }

    private void ToEmpty()
    {
        Become(Empty);
        Report(DriveState.Empty);
        Self.Tell(new PollMedia());
    }

    /// <summary>Reports the fault, then fails the actor so the backoff supervisor restarts it.</summary>
    private void Fault(string reason, Exception? error)
    {
        _log.Error("{0}: {1}", _driveId, reason);
        Become(Faulted);
        Report(DriveState.Faulted, message: reason);
        Self.Tell(new DriveFaultException($"{_driveId}: {reason}", error));
    }

    private void StartBurn(Recorder.Burn job)
    {
        if (job.Append is not null)
        {
            StartAppend(job);
            return;
        }
        if (job.Task != DiscTask.Burn)
        {
            StartDiscTask(job);
            return;
        }
        var cancel = new CancellationTokenSource();
        var id = Guid.NewGuid();
        var self = Self;
        var wave = new WaveRef();
        var image = new FanOutImage(job.Image, index => wave.Ref?.Tell(new Staging.Consumed(index), self), cancel.Token, job.PerDisc?.Patches, _driveId);
        var burn = new BurnState(id, job, image, cancel, DriveState.Checking, 0, job.Image.SectorCount, DateTime.UtcNow, null, null);
        Become(Burning);
        Enter(burn);
        var handle = _handle;
        var driveId = _driveId;
        var sink = new ProgressSink(self, id, cancel.Token, _settings.ProgressInterval, Context.System.EventStream, _driveId, job.BatchId, job.Disc);
        var token = cancel.Token;
        // The consumed-callback runs on the drive thread and needs the wave's ref: the first chunk carries it.
        image.WaveKnown = r => wave.Ref = r;
        _thread!.Post(() =>
        {
            var drive = handle.Drive!;
            long? underrunsBefore = (drive as IUnderrunCounter)?.Underruns;
            long? Underruns() => underrunsBefore is { } u0 && (drive as IUnderrunCounter)?.Underruns is { } u1 ? u1 - u0 : null;
            try
            {
                CheckMedium(drive, job, driveId, token);
                self.Tell(new JoinWave(id));
                var sha = drive.Record(image, job.Options with { EjectAfterBurn = false }, sink, token);
                sink.NotifyBurnComplete(null);
                self.Tell(new PhaseChanged(id, DriveState.Ejecting, 0, 0));
                drive.Eject();
                self.Tell(new BurnSucceeded(id, Convert.ToHexString(sha ?? image.ContentSha256), sha is not null, Underruns())); // waits for the staging's hash if need be
            }
            catch (Exception e)
            {
                sink.NotifyBurnComplete((e as ImapiException)?.Code ?? ImapiError.CannotWriteToMedia);
                try
                {
                    if (e is not TransportException && e.InnerException is not TransportException) drive.Eject(); // hand the bad medium back
                }
                catch (Exception)
                {
                    // the failure already reported says more than the eject's
                }
                self.Tell(new BurnFailed(id, e, Underruns()));
            }
            finally
            {
                image.Close(); // a per-disc hash's thread ends with the burn
            }
        });
    }

    private sealed class WaveRef
    {
        public volatile IActorRef? Ref;
    }

    /// <summary>Blank? Big enough? Runs on the drive thread; throws the IMAPI error that names the problem.</summary>
    private static void CheckMedium(IDiscRecorder drive, Recorder.Burn job, string driveId, CancellationToken token)
    {
        var info = drive.QueryMediaInfo();
        if (!info.Present)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Path}: no medium");
        if (job.Media?.Refuse(driveId, info) is { } refused)
            throw new ImapiException(ImapiError.MediumInvalidType, refused);
        if ((info.Flags & MediaFlags.Blank) == 0)
        {
            if (job.RejectIfNotBlank || (info.Flags & MediaFlags.Rewritable) == 0)
                throw new ImapiException(ImapiError.WrongDisc, $"{drive.Path}: the {info.ProfileName} is not blank ({info.Sessions} session(s)){(job.RejectIfNotBlank ? " and the batch rejects media that is not blank" : "")}");
            drive.Erase(full: false, cancellationToken: token);
            info = drive.QueryMediaInfo();
        }
        long needed = job.Image.Tracks.Sum(t => t.Length) + 150L * (job.Image.Tracks.Length - 1);
        if (job.Image.SectorSize == 2048) needed = job.Image.SectorCount;
        if (info.FreeBlocks < needed)
            throw new ImapiException(ImapiError.DiscFull, $"{drive.Path}: the image needs {needed} blocks, the {info.ProfileName} has {info.FreeBlocks} free");
    }

    private (string Reason, bool DriveFault, bool Restart) Classify(BurnState b, Exception error)
    {
        var e = error is AggregateException { InnerException: { } inner } ? inner : error;
        if (b.StopReason is { } stop && e is ImapiException { Code: ImapiError.LossOfStreaming or ImapiError.UserAbort })
            return (stop, b.StopBlamesDrive, false);
        if (b.Job.Task != DiscTask.Burn && e is ImapiException { Code: not (ImapiError.DeviceNotPresent or ImapiError.DeviceNotAccessible) } bad)
            return ($"{bad.ImapiName}: {bad.Message}", false, false); // a disc that reads wrong or not at all is the disc's fault, not the drive's
        return e switch
        {
            ImapiException { Code: ImapiError.MediumNotPresent or ImapiError.MediumInvalidType or ImapiError.WrongDisc or ImapiError.DiscFull } ie
                => ($"{ie.ImapiName}: {ie.Message}", false, false),
            ImapiException { Code: ImapiError.UserAbort } ie => ($"{ie.ImapiName}: {ie.Message}", false, false),
            ImapiException { Code: ImapiError.DeviceNotPresent or ImapiError.DeviceNotAccessible } ie => ($"{ie.ImapiName}: {ie.Message}", true, true),
            ImapiException ie => ($"{ie.ImapiName}: {ie.Message}", true, false),
            TransportException te => ($"the drive stopped answering: {te.Message}", true, true),
            _ => ($"{e.GetType().Name}: {e.Message}", true, false),
        };
    }

    /// <summary>Stops a burn: the drive thread's reads fail, its commands are cancelled; if it does not return in time the drive is hung.</summary>
    private void Stop(BurnState b, string reason, bool blamesDrive)
    {
        if (b.StopReason != null) return;
        _burn = b with { StopReason = reason, StopBlamesDrive = blamesDrive };
        b.Cancel.Cancel();
        b.Image.Fail(reason);
        b.Wave?.Tell(new Staging.Leave(reason));
        Timers.StartSingleTimer("grace", new GraceExpired(b.Id), _settings.CancelGrace);
    }

    /// <summary>Publishes the disc's fact for the drive history (<see cref="DriveHistory"/>): one per disc that ended.</summary>
    private void History(BurnState b, bool good, long? underruns, string? reason, Batches.DiscError? error, bool driveFault)
    {
        // A disc that failed after writing (closing, verifying) was written whole; one that failed writing, up to its last progress.
        long sectors = good || b.WritingSeconds is not null ? b.Job.Image.SectorCount : b.Phase == DriveState.Writing ? b.Done : 0;
        double seconds = b.WritingSeconds ?? (b.WritingStarted is { } w ? (DateTime.UtcNow - w).TotalSeconds : 0);
        Context.System.EventStream.Publish(new DriveHistory.DiscRecorded(_driveId, b.Job.BatchId, b.Job.Disc, good,
            sectors * b.Job.Image.SectorSize, seconds, underruns, reason, error, driveFault, DateTimeOffset.UtcNow));
    }

    private void Finish(BurnState b, bool completed = false)
    {
        Timers.Cancel("grace");
        if (!completed) b.Wave?.Tell(new Staging.Leave("done")); // a drive that read every chunk has left its wave already
        b.Image.Fail("the burn ended");
        b.Cancel.Dispose();
        _burn = null;
    }

    private void Enter(BurnState b)
    {
        _burn = b;
        double percent = b.Total > 0 ? 100.0 * b.Done / b.Total : 0;
        double seconds = (DateTime.UtcNow - b.PhaseStarted).TotalSeconds;
        double rate = seconds > 0.05 ? b.Done * (double)b.Job.Image.SectorSize / seconds : 0;
        double? eta = rate > 0 && b.Total > b.Done ? (b.Total - b.Done) * (double)b.Job.Image.SectorSize / rate : null;
        Report(b.Phase, percent, rate, eta, b.Job.BatchId, b.Job.Disc);
    }

    private void Report(DriveState state, double percent = 0, double rate = 0, double? eta = null, string? batch = null, int? disc = null, string? message = null) =>
        _tower.Tell(new Recorder.StatusChanged(_driveId, state, percent, rate, eta, batch, disc, message));

    /// <summary>
    /// IMAPI's progress events from the drive thread: each is published as <see cref="Recorder.ImapiEvent"/>
    /// (block progress at most once per interval) and turned into at most one phase message per interval.
    /// </summary>
    private sealed class ProgressSink(IActorRef self, Guid burn, CancellationToken token, TimeSpan interval,
        Akka.Event.EventStream events, string drive, string batch, int disc) : IDiscMasterProgressEvents
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.FromDays(-1);

        public bool QueryCancel() => token.IsCancellationRequested;

        public void NotifyPreparingBurn(int estimatedSeconds) => Publish("PreparingBurn", 0, estimatedSeconds);

        public void NotifyBlockProgress(long completedBlocks, long totalBlocks)
        {
            if (Tick(DriveState.Writing, completedBlocks, totalBlocks)) Publish("BlockProgress", completedBlocks, totalBlocks);
        }

        public void NotifyTrackProgress(int completedTracks, int totalTracks) => Publish("TrackProgress", completedTracks, totalTracks);

        public void NotifyVerifyProgress(long completedBlocks, long totalBlocks) => Tick(DriveState.Verifying, completedBlocks, totalBlocks);

        public void NotifyClosingDisc(int estimatedSeconds)
        {
            Publish("ClosingDisc", 0, estimatedSeconds);
            self.Tell(new PhaseChanged(burn, DriveState.Closing, 0, 0));
        }

        public void NotifyBurnComplete(ImapiError? error) => Publish(error is null ? "BurnComplete" : $"BurnComplete:{error}", 0, 0);

        private void Publish(string name, long completed, long total) =>
            events.Publish(new Recorder.ImapiEvent(drive, batch, disc, name, completed, total));

        private bool Tick(DriveState phase, long done, long total)
        {
            var now = _clock.Elapsed;
            if (done < total && now - _last < interval) return false;
            _last = now;
            self.Tell(new PhaseChanged(burn, phase, done, total));
            return true;
        }
    }
}
