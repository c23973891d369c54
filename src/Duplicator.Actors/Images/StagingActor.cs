using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Mastering.Images;

namespace Duplicator.Actors.Images;

/// <summary>
/// Stages one batch's image on a long-running task (never on the dispatcher), then serves waves while it hashes the
/// content on another task. Recorders that join within <see cref="Staging.Settings.GatherWindow"/> of each other
/// share one new <see cref="WaveActor"/>; a recorder that joins while a wave runs is admitted to it if chunk 0 is
/// still in its window, otherwise it gathers with others into the next wave. Waves run side by side.
/// </summary>
internal sealed class StagingActor : ReceiveActor, IWithTimers
{
    private sealed record StagingDone(StagedImage Image);
    private sealed record StagingError(string Reason);
    private sealed record HashDone(StagedImage Image);
    private sealed record StartWave;

    private readonly BatchSpec _spec;
    private readonly Staging.Settings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<(IActorRef Recorder, Staging.Join Join)> _gathering = [];
    private readonly HashSet<IActorRef> _joined = []; // recorders to tell the hash (one per drive at most)
    private StagedImage? _image;
    private IDiscImage? _source;
    private IActorRef? _current; // the running wave that may still admit recorders
    private long _bytesRead, _bytesHashed;
    private int _waves, _detached;

    public StagingActor(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, (string Path, string Sha256)? previous, Staging.Settings settings,
        IActorRef? master = null, (ArrivingImage Image, string Path, string Sha256)? arriving = null)
    {
        _spec = spec;
        _settings = settings;
        var token = _cancel.Token;
        if (arriving is { } a)
        {
            // Still arriving, checked piece by piece against the ledger as it comes: served at once, each read waiting
            // for its sectors; its hash is the ledger's, which every piece was checked against.
            _source = a.Image;
            Self.Tell(new StagingDone(StagedImage.Of(spec.BatchId, a.Path, a.Image) with { ContentSha256 = a.Sha256 }));
        }
        else if (spec.Source is SourceKind.Master or SourceKind.Verify or SourceKind.Archive)
            JobStaging.Start(Context, spec, stashDirectory, previous, master); // a disc, not files: see JobStaging
        else Task.Factory.StartNew(() => previous is { } p
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
        Receive<JobStaging.Ready>(r => Self.Tell(new StagingDone(r.Image)));
        Receive<JobStaging.Failed>(f => Self.Tell(new StagingError(f.Reason)));
        Receive<StagingDone>(done =>
        {
            if (JobStaging.ReadsDiscs(_spec))
            {
                // Verify-only and read jobs stream nothing: the recorders read their own discs.
                _image = done.Image;
                Context.Parent.Tell(new Staging.Staged(done.Image));
                Become(Serving);
                return;
            }
            _image = done.Image;
            _source ??= ImageStager.Open(done.Image.StashPath);
            _log.Info("batch {0}: image staged at {1}, {2} sectors of {3} bytes{4}", _spec.BatchId, done.Image.StashPath,
                done.Image.SectorCount, done.Image.SectorSize, done.Image.ContentSha256 is { } h ? $", content SHA-256 {h}" : "; hashing it while it streams");
            Context.Parent.Tell(new Staging.Staged(done.Image));
            if (done.Image.ContentSha256 is null)
            {
                // The hash is needed only to verify a disc and to resume after a crash, both later: the first wave
                // starts now, and verification and the ledger wait for the hash (Hashed, Staged again).
                var token = _cancel.Token;
                var image = done.Image;
                Task.Factory.StartNew(() => ImageStager.Hash(image, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                    .PipeTo(Self, success: hashed => new HashDone(hashed), failure: e => new StagingError($"hashing the stash failed: {Describe(e)}"));
            }
            Become(Serving);
        });
        Receive<StagingError>(Failed);
        Receive<Staging.Join>(_ => Sender.Tell(new Staging.Detached($"batch {_spec.BatchId}: the image is not staged yet")));
        Receive<Staging.GetStats>(_ => Sender.Tell(Stats()));
    }

    private void Serving()
    {
        Receive<Staging.Join>(join =>
        {
            _joined.Add(Sender);
            if (_image!.ContentSha256 is { } sha) Sender.Tell(new Staging.Hashed(_spec.BatchId, sha)); // each burn needs it
            if (_current is { } wave) wave.Tell(new WaveActor.Admit(Sender, join));
            else Gather(Sender, join);
        });
        Receive<WaveActor.NotAdmitted>(n =>
        {
            if (Sender.Equals(_current)) _current = null; // it has passed chunk 0: nobody else can join it
            Gather(n.Recorder, n.Join);
        });
        Receive<WaveActor.Emptied>(_ =>
        {
            if (Sender.Equals(_current)) _current = null;
            Sender.Tell(new WaveActor.Close()); // after every Admit sent to it: a recorder admitted meanwhile keeps it open
        });
        Receive<StartWave>(_ =>
        {
            if (_gathering.Count == 0) return;
            _waves++;
            _current = Context.ActorOf(WaveActor.Props(_source!, _image!, [.. _gathering.Select(g => g.Recorder)], _settings, _waves), $"wave-{_waves}");
            _log.Info("batch {0}: wave {1} starts with {2} recorder(s): {3}", _spec.BatchId, _waves, _gathering.Count,
                string.Join(", ", _gathering.Select(g => $"{g.Join.DriveId} (disc {g.Join.Disc})")));
            _gathering.Clear();
        });
        Receive<HashDone>(done =>
        {
            _image = done.Image;
            _bytesHashed += done.Image.SectorCount * done.Image.SectorSize;
            _log.Info("batch {0}: content SHA-256 {1}", _spec.BatchId, done.Image.ContentSha256);
            Context.Parent.Tell(new Staging.Staged(done.Image));
            foreach (var recorder in _joined) recorder.Tell(new Staging.Hashed(_spec.BatchId, done.Image.ContentSha256!));
        });
        Receive<StagingError>(Failed);
        Receive<Staging.WaveFinished>(f =>
        {
            _bytesRead += f.BytesRead;
            _detached += f.Detached;
        });
        Receive<Staging.GetStats>(_ => Sender.Tell(Stats()));
    }

    private Staging.Stats Stats() => new(_bytesRead, _waves, _detached, _bytesHashed);

    private void Failed(StagingError error)
    {
        _log.Error("batch {0}: staging failed: {1}", _spec.BatchId, error.Reason);
        Context.Parent.Tell(new Staging.StagingFailed(_spec.BatchId, error.Reason));
    }

    private void Gather(IActorRef recorder, Staging.Join join)
    {
        _gathering.Add((recorder, join));
        if (_gathering.Count == 1) Timers.StartSingleTimer("gather", new StartWave(), _settings.GatherWindow);
    }

    protected override void PostStop()
    {
        _cancel.Cancel();
        _cancel.Dispose();
        foreach (var (recorder, _) in _gathering)
            recorder.Tell(new Staging.Detached($"batch {_spec.BatchId}: staging stopped"));
    }
}
