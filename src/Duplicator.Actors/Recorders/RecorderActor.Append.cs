using Akka.Actor;
using Duplicator.Actors.Images;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Actors.Recorders;

/// <summary>
/// The recorder's part in an append batch (<see cref="Recorder.AppendBurn"/>): on the drive thread the loaded disc is
/// checked (the batch's media rules; appendable, not closed; the expected volume ID / file), its next writable address
/// and last session read, the session's metadata made for that disc (the batch's folder laid over the disc's tree,
/// <c>JolietStaging.BuildSession</c>) and the session written through <see cref="ISessionAppender"/>. Nothing comes from
/// the staging wave: each disc's session is streamed from the staged tree (the batch's folder) on its own. The disc's
/// ledger hash is the SHA-256 of the session written (read back when verifying in full).
/// </summary>
internal sealed partial class RecorderActor
{
    private void StartAppend(Recorder.Burn job)
    {
        var append = job.Append!;
        var cancel = new CancellationTokenSource();
        var id = Guid.NewGuid();
        var self = Self;
        var image = new FanOutImage(job.Image, _ => { }, cancel.Token); // no wave: the record only carries the image's description
        var burn = new BurnState(id, job, image, cancel, DriveState.Checking, 0, 0, DateTime.UtcNow, null, null);
        Become(Burning);
        Enter(burn);
        var (handle, token, driveId) = (_handle, cancel.Token, _driveId);
        var sink = new ProgressSink(self, id, token, _settings.ProgressInterval, Context.System.EventStream, _driveId, job.BatchId, job.Disc);
        _thread!.Post(() =>
        {
            var drive = handle.Drive!;
            long? underrunsBefore = (drive as IUnderrunCounter)?.Underruns;
            long? Underruns() => underrunsBefore is { } u0 && (drive as IUnderrunCounter)?.Underruns is { } u1 ? u1 - u0 : null;
            try
            {
                if (drive is not ISessionAppender appender)
                    throw new ImapiException(ImapiError.DeviceNotAccessible, $"{driveId} cannot append a session (its driver has no session writer)");
                var info = drive.QueryMediaInfo();
                if (!info.Present)
                    throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Path}: no medium");
                if (job.Media?.Refuse(driveId, info) is { } refused)
                    throw new ImapiException(ImapiError.MediumInvalidType, refused);
                ISectorSource? session = null;
                var (_, readBack) = appender.AppendSession((disc, previous, start) =>
                {
                    self.Tell(new PhaseChanged(id, DriveState.Writing, 0, 0));
                    session = BuildSession(append, disc, previous, start, token);
                    return session;
                }, job.Options with { EjectAfterBurn = false }, append.Finalize, sink, token, job.Expect?.VolumeId, job.Expect?.File);
                sink.NotifyBurnComplete(null);
                var sha = readBack ?? session!.ComputeSha256(token);
                self.Tell(new PhaseChanged(id, DriveState.Ejecting, 0, 0));
                drive.Eject();
                self.Tell(new BurnSucceeded(id, Convert.ToHexString(sha), readBack is not null, Underruns()));
            }
            catch (Exception e)
            {
                sink.NotifyBurnComplete((e as ImapiException)?.Code ?? ImapiError.CannotWriteToMedia);
                // The operator's message names the drive (the tower's id) and what to load.
                var reported = e is ImapiException { Code: ImapiError.WrongDisc or ImapiError.MediumInvalidType } wrong && !wrong.Message.StartsWith(driveId + ":", StringComparison.Ordinal)
                    ? new ImapiException(wrong.Code, $"{driveId}: {wrong.Message}"
                        + (job.Expect is { } expect && !wrong.Message.Contains("; load ", StringComparison.Ordinal) ? $"; load the disc this job appends to ({expect})" : ""), wrong)
                    : e;
                EjectAfterFailure(drive, reported);
                self.Tell(new BurnFailed(id, reported, Underruns()));
            }
            finally
            {
                image.Close();
            }
        });
    }

    /// <summary>The session for one disc: the batch's folder staged again (its files checked as they are read) and laid over the disc's last session.</summary>
    private static ISectorSource BuildSession(Recorder.AppendBurn append, ISectorSource? disc, long? previous, long start, CancellationToken token)
    {
        var media = append.Media is { } m && MediaCapacity.TryParse(m, out var kind) ? kind : MediaKind.Dvd;
        var staging = new JolietStaging(media) { Properties = new JolietProperties(VolumeName: append.Volume), FileSystems = DataFileSystems.Joliet };
        staging.AddData(append.Folder, overwrite: false, cancellationToken: token);
        return staging.BuildSession(disc, previous, start);
    }
}
