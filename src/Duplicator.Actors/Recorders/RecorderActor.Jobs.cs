using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Images;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// The recorder's part in the jobs that read discs: reading a copy job's master into the stash
/// (<see cref="Recorder.ReadMaster"/>, behaviour <see cref="ReadingMaster"/>), and the disc tasks of verify-only and read
/// jobs (<see cref="DiscTask.Check"/>, <see cref="DiscTask.Archive"/>), which run through the burn's behaviour and
/// messages so they are cancelled, timed out and reported as a burn is. Reading goes through the drive's
/// <see cref="IDiscReader"/> on the drive thread; the disc is ejected afterwards, good or bad.
/// </summary>
internal sealed partial class RecorderActor
{
    private sealed record MasterState(Guid Id, Recorder.ReadMaster Job, IActorRef ReplyTo, CancellationTokenSource Cancel);

    private sealed record MasterDone(Guid Read, Duplicator.Drivers.Reading.DiscReadResult Result);
    private sealed record MasterFailed(Guid Read, Exception Error);
    private sealed record MasterProgress(Guid Read, long Done, long Total);

    private MasterState? _master;

    private void StartMasterRead(Recorder.ReadMaster job)
    {
        if (_handle.Drive is not IDiscReader)
        {
            Sender.Tell(new Recorder.MasterNotRead(_driveId, job.BatchId, $"{_driveId} cannot read discs (its driver has no reader)", Retry: false));
            return;
        }
        var state = new MasterState(Guid.NewGuid(), job, Sender, new CancellationTokenSource());
        _master = state;
        Become(ReadingMaster);
        Report(DriveState.Reading, batch: job.BatchId, message: "reading the master");
        var (self, handle, id, token) = (Self, _handle, state.Id, state.Cancel.Token);
        var progress = Throttled((done, total) => self.Tell(new MasterProgress(id, done, total)));
        _thread!.Post(() =>
        {
            var drive = handle.Drive!;
            try
            {
                var result = ((IDiscReader)drive).ReadDisc(job.Folder, "image", null, progress, token);
                drive.Eject(); // the master goes back to the operator; the drive may then burn copies
                self.Tell(new MasterDone(id, result));
            }
            catch (Exception e)
            {
                EjectAfterFailure(drive, e);
                self.Tell(new MasterFailed(id, e));
            }
        });
    }

    private void ReadingMaster()
    {
        Receive<MasterProgress>(p =>
        {
            if (_master is { } m && m.Id == p.Read)
                Report(DriveState.Reading, p.Total > 0 ? 100.0 * p.Done / p.Total : 0, batch: m.Job.BatchId, message: "reading the master");
        });
        Receive<MasterDone>(d =>
        {
            if (_master is not { } m || m.Id != d.Read) return;
            EndMaster(m);
            _log.Info("{0}: master of batch {1} read: {2} ({3}, {4} sectors)", _driveId, m.Job.BatchId, d.Result.ImagePath, d.Result.Content, d.Result.Sectors);
            m.ReplyTo.Tell(new Recorder.MasterRead(_driveId, m.Job.BatchId, d.Result));
            ToEmpty();
        });
        Receive<MasterFailed>(f =>
        {
            if (_master is not { } m || m.Id != f.Read) return;
            EndMaster(m);
            var e = f.Error is AggregateException { InnerException: { } inner } ? inner : f.Error;
            var reason = e is ImapiException ie ? $"{ie.ImapiName}: {ie.Message}" : $"{e.GetType().Name}: {e.Message}";
            bool deviceGone = e is TransportException || e is ImapiException { Code: ImapiError.DeviceNotPresent or ImapiError.DeviceNotAccessible };
            // No medium yet, or the drive went away: the read can be tried again; a disc that does not read is final.
            bool retry = deviceGone || e is ImapiException { Code: ImapiError.MediumNotPresent };
            _log.Warning("{0}: the master of batch {1} was not read: {2}", _driveId, m.Job.BatchId, reason);
            m.ReplyTo.Tell(new Recorder.MasterNotRead(_driveId, m.Job.BatchId, reason, retry, Batches.DiscError.From(e)));
            if (deviceGone) Fault(reason, e);
            else ToEmpty();
        });
        Receive<Recorder.CancelBurn>(c =>
        {
            if (_master is { } m && m.Job.BatchId == c.BatchId) m.Cancel.Cancel();
        });
        Receive<Recorder.Burn>(b => _tower.Tell(new Recorder.DiscFailed(_driveId, b.BatchId, b.Disc, "the drive is reading a master", DriveFault: false)));
        Receive<Recorder.ReadMaster>(m => Sender.Tell(new Recorder.MasterNotRead(_driveId, m.BatchId, "the drive is reading another master", Retry: true)));
        CommonHandlers();
    }

    private void EndMaster(MasterState m)
    {
        m.Cancel.Dispose();
        _master = null;
    }

    /// <summary>Checks or archives the loaded disc of a verify-only or read job, through the burn's behaviour and messages.</summary>
    private void StartDiscTask(Recorder.Burn job)
    {
        var cancel = new CancellationTokenSource();
        var id = Guid.NewGuid();
        var self = Self;
        // No wave feeds these tasks: the image record only carries what the task needs (the hash and sectors, or the folder).
        var image = new FanOutImage(job.Image, _ => { }, cancel.Token);
        var burn = new BurnState(id, job, image, cancel, DriveState.Checking, 0, 0, DateTime.UtcNow, null, null);
        Become(Burning);
        Enter(burn);
        var (handle, token, driveId) = (_handle, cancel.Token, _driveId);
        var phase = job.Task == DiscTask.Check ? DriveState.Verifying : DriveState.Reading;
        var progress = Throttled((done, total) => self.Tell(new PhaseChanged(id, phase, done, total)));
        _thread!.Post(() =>
        {
            var drive = handle.Drive!;
            try
            {
                if (drive is not IDiscReader reader)
                    throw new ImapiException(ImapiError.DeviceNotAccessible, $"{driveId} cannot read discs (its driver has no reader)");
                self.Tell(new PhaseChanged(id, phase, 0, 0));
                if (job.Expect is { } expect) CheckIdentity(drive, expect, driveId, token); // before any hashing: a wrong disc is never read through
                string sha;
                if (job.Task == DiscTask.Check)
                {
                    var want = job.Image.ContentSha256 ?? throw new ImapiException(ImapiError.InvalidInput, $"batch {job.BatchId} has no recorded hash to check against");
                    sha = Convert.ToHexString(reader.ReadContentSha256(job.Image.SectorCount, progress, token));
                    if (sha != want)
                        throw new ImapiException(ImapiError.WrongDisc, $"{drive.Path}: the disc reads as SHA-256 {sha}, the batch recorded {want}");
                }
                else
                {
                    var result = reader.ReadDisc(job.Image.StashPath, job.Disc.ToString(CultureInfo.InvariantCulture), null, progress, token);
                    ArchiveFolder.Append(job.Image.StashPath, result.Files);
                    sha = result.Files[0].Sha256;
                }
                self.Tell(new PhaseChanged(id, DriveState.Ejecting, 0, 0));
                drive.Eject();
                self.Tell(new BurnSucceeded(id, sha, true));
            }
            catch (Exception e)
            {
                EjectAfterFailure(drive, e);
                self.Tell(new BurnFailed(id, e));
            }
        });
    }

    /// <summary>
    /// PTBurn's CheckVolumeIDOnDisc / CheckFileOnDisc on the loaded disc (drive thread): throws WrongDisc, the disc's
    /// fault, naming the drive, what the job expects and what the disc holds.
    /// </summary>
    private static void CheckIdentity(IDiscRecorder drive, Batches.DiscIdentity expect, string driveId, CancellationToken token)
    {
        if (drive is not IDiscIdentityReader identity)
            throw new ImapiException(ImapiError.DeviceNotAccessible, $"{driveId} cannot check a disc's volume ID or files (its driver has no reader)");
        string? refusal;
        try
        {
            refusal = identity.CheckIdentity(expect.VolumeId, expect.File, driveId, token);
        }
        catch (ImapiException e) when (e.Code is ImapiError.WrongDisc)
        {
            throw new ImapiException(ImapiError.WrongDisc, $"{driveId}: the loaded disc is not the one this job expects ({expect}): {e.Message}", e);
        }
        if (refusal is not null)
            throw new ImapiException(ImapiError.WrongDisc, $"{refusal}; load the disc this job expects ({expect})");
    }

    private static void EjectAfterFailure(IDiscRecorder drive, Exception e)
    {
        try
        {
            if (e is not TransportException && e.InnerException is not TransportException
                && e is not ImapiException { Code: ImapiError.MediumNotPresent or ImapiError.DeviceNotPresent or ImapiError.DeviceNotAccessible })
                drive.Eject(); // hand the disc back
        }
        catch (Exception)
        {
            // the failure already reported says more than the eject's
        }
    }

    /// <summary>A progress callback for the drive thread that passes at most one report per progress interval (and the last).</summary>
    private Action<long, long> Throttled(Action<long, long> report)
    {
        var clock = Stopwatch.StartNew();
        var interval = _settings.ProgressInterval;
        var last = TimeSpan.FromDays(-1);
        return (done, total) =>
        {
            var now = clock.Elapsed;
            if (done < total && now - last < interval) return;
            last = now;
            report(done, total);
        };
    }
}
