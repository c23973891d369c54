using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Mastering.Images;

namespace Duplicator.Actors.Images;

/// <summary>
/// Stages one batch's image on a long-running task (never on the dispatcher), then serves waves: recorders that
/// join within <see cref="Staging.Settings.GatherWindow"/> of each other share one <see cref="WaveActor"/>, and
/// recorders that join later get the next wave. Waves run side by side, each reading the stash once.
/// </summary>
internal sealed class StagingActor : ReceiveActor, IWithTimers
{
    private sealed record StagingDone(StagedImage Image);
    private sealed record StagingError(string Reason);
    private sealed record StartWave;

    private readonly BatchSpec _spec;
    private readonly Staging.Settings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<(IActorRef Recorder, Staging.Join Join)> _gathering = [];
    private StagedImage? _image;
    private IDiscImage? _source;
    private long _bytesRead;
    private int _waves, _detached;

    public StagingActor(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, (string Path, string Sha256)? previous, Staging.Settings settings)
    {
        _spec = spec;
        _settings = settings;
        var token = _cancel.Token;
        Task.Factory.StartNew(() => previous is { } p
                ? ImageStager.Restore(spec, submittedAt, stashDirectory, p.Path, p.Sha256, token, settings.LinkRoots)
                : ImageStager.Stage(spec, submittedAt, stashDirectory, token, settings.LinkRoots),
                token, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .PipeTo(Self, success: image => new StagingDone(image), failure: e => new StagingError(Describe(e)));
        Staging();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static string Describe(Exception e) => e is AggregateException { InnerException: { } inner } ? Describe(inner)
        : e is Mastering.Imapi.ImapiException ie ? $"{ie.ImapiName}: {ie.Message}" : e.Message;

    private void Staging()
    {
        Receive<StagingDone>(done =>
        {
            _image = done.Image;
            _source = ImageStager.Open(done.Image.StashPath);
            _log.Info("batch {0}: image staged at {1}, {2} sectors of {3} bytes, content SHA-256 {4}",
                _spec.BatchId, done.Image.StashPath, done.Image.SectorCount, done.Image.SectorSize, done.Image.ContentSha256);
            Context.Parent.Tell(new Staging.Staged(done.Image));
            Become(Serving);
        });
        Receive<StagingError>(error =>
        {
            _log.Error("batch {0}: staging failed: {1}", _spec.BatchId, error.Reason);
            Context.Parent.Tell(new Staging.StagingFailed(_spec.BatchId, error.Reason));
        });
        Receive<Staging.Join>(_ => Sender.Tell(new Staging.Detached($"batch {_spec.BatchId}: the image is not staged yet")));
        Receive<Staging.GetStats>(_ => Sender.Tell(new Staging.Stats(_bytesRead, _waves, _detached)));
    }

    private void Serving()
    {
        Receive<Staging.Join>(join =>
        {
            _gathering.Add((Sender, join));
            if (_gathering.Count == 1) Timers.StartSingleTimer("gather", new StartWave(), _settings.GatherWindow);
        });
        Receive<StartWave>(_ =>
        {
            if (_gathering.Count == 0) return;
            _waves++;
            Context.ActorOf(WaveActor.Props(_source!, _image!, [.. _gathering.Select(g => g.Recorder)], _settings, _waves), $"wave-{_waves}");
            _log.Info("batch {0}: wave {1} starts with {2} recorder(s): {3}", _spec.BatchId, _waves, _gathering.Count,
                string.Join(", ", _gathering.Select(g => $"{g.Join.DriveId} (disc {g.Join.Disc})")));
            _gathering.Clear();
        });
        Receive<Staging.WaveFinished>(f =>
        {
            _bytesRead += f.BytesRead;
            _detached += f.Detached;
        });
        Receive<Staging.GetStats>(_ => Sender.Tell(new Staging.Stats(_bytesRead, _waves, _detached)));
    }

    protected override void PostStop()
    {
        _cancel.Cancel();
        _cancel.Dispose();
        foreach (var (recorder, _) in _gathering)
            recorder.Tell(new Staging.Detached($"batch {_spec.BatchId}: staging stopped"));
    }
}
