using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Images;

/// <summary>
/// Staging of the jobs that read discs, for the <see cref="StagingActor"/>: a copy job's image is its master disc,
/// read once into the stash by the master drive's recorder (<see cref="MasterStager"/>); a verify-only job's "image" is
/// the hash and size another batch recorded; a read job's is its output folder, made its own (<see cref="ArchiveFolder"/>).
/// </summary>
public static class JobStaging
{
    /// <summary>The staged image of a copy, verify or read job is ready (sent to the staging actor by its helpers).</summary>
    internal sealed record Ready(StagedImage Image);

    /// <summary>It cannot be staged; the batch fails with <paramref name="Reason"/>.</summary>
    internal sealed record Failed(string Reason);

    /// <summary>True for the jobs whose discs are read, not burned: no waves, no stash.</summary>
    public static bool ReadsDiscs(BatchSpec spec) => spec.Source is SourceKind.Verify or SourceKind.Archive;

    /// <summary>What a recorder does with a disc of <paramref name="spec"/>.</summary>
    public static DiscTask TaskOf(BatchSpec spec) => spec.Source switch
    {
        SourceKind.Verify => DiscTask.Check,
        SourceKind.Archive => DiscTask.Archive,
        _ => DiscTask.Burn,
    };

    /// <summary>Drive ids <paramref name="spec"/> names beside its options' drives (a copy job's master).</summary>
    public static IEnumerable<string> DrivesNamed(BatchSpec spec) => spec.Source == SourceKind.Master && !spec.Paths.IsDefaultOrEmpty ? [spec.Paths[0]] : [];

    /// <summary>Starts staging <paramref name="spec"/> (a copy, verify or read job) for the staging actor whose context is <paramref name="context"/>.</summary>
    internal static void Start(IUntypedActorContext context, BatchSpec spec, string stashDirectory, (string Path, string Sha256)? previous, IActorRef? master)
    {
        var self = context.Self;
        switch (spec.Source)
        {
            case SourceKind.Master when master is null:
                self.Tell(new Failed($"{ImapiError.DeviceNotPresent.ToImapiName()}: the master drive {spec.Paths[0]} is not in this tower"));
                break;
            case SourceKind.Master:
                context.ActorOf(Akka.Actor.Props.Create(() => new MasterStager(spec, stashDirectory, previous, master)), "master");
                break;
            case SourceKind.Archive:
                try
                {
                    var folder = ArchiveFolder.Prepare(spec.Paths[0], spec.BatchId);
                    self.Tell(new Ready(new StagedImage(spec.BatchId, folder, 2048, 0, [], null)));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    self.Tell(new Failed($"IMAPI_E_FILEEXISTS: {e.Message}"));
                }
                break;
            case SourceKind.Verify:
            {
                // The other batch's ledger says what its discs hold; the tower reads it (a finished one from its journal).
                var against = spec.Paths[0];
                context.Parent.Ask<Supervision.Tower.BatchAnswer>(new Supervision.Tower.GetBatch(against), TimeSpan.FromSeconds(60))
                    .PipeTo(self, success: a => a.State is { ImageSha256: { } sha } s
                            ? new Ready(new StagedImage(spec.BatchId, "", s.Spec?.Source == SourceKind.Audio || s.StashPath?.EndsWith(".cue", StringComparison.OrdinalIgnoreCase) == true ? 2352 : 2048,
                                s.ImageSectors, [], sha))
                            : new Failed(a.State is null ? $"IMAPI_E_INVALIDINPUT: batch {BatchIds.Show(against)} does not exist: nothing to verify against"
                                : $"IMAPI_E_INVALIDINPUT: batch {BatchIds.Show(against)} has no recorded image hash (it was never staged)"),
                        failure: e => new Failed($"the tower did not say what batch {BatchIds.Show(against)} recorded: {e.Message}"));
                break;
            }
        }
    }

    private static string ToImapiName(this ImapiError code) => "IMAPI_E_" + code.ToString().ToUpperInvariant();
}

/// <summary>
/// Gets a copy job's image: the stash an earlier run left when it still hashes as the ledger says (no second read),
/// else the master drive's recorder reads the disc into the batch's stash folder (asked again every second while the
/// drive has no medium or is busy). A master read again after a restart must hash as recorded (SourceChanged otherwise).
/// </summary>
internal sealed class MasterStager : ReceiveActor, IWithTimers
{
    private sealed record Hashed(StagedImage Image);
    private sealed record Ask;

    private readonly BatchSpec _spec;
    private readonly string _stash;
    private readonly (string Path, string Sha256)? _previous;
    private readonly IActorRef _master;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _cancel = new();
    private string? _lastWait;
    private bool _readAgain;

    public MasterStager(BatchSpec spec, string stashDirectory, (string Path, string Sha256)? previous, IActorRef master)
    {
        _spec = spec;
        _stash = stashDirectory;
        _previous = previous;
        _master = master;
        Receive<Hashed>(h =>
        {
            if (_previous is { } p && h.Image.ContentSha256 == p.Sha256) Context.Parent.Tell(new JobStaging.Ready(h.Image));
            else if (_readAgain) // the master read again after a restart must be the same master
                Fail($"IMAPI_E_SOURCECHANGED: batch {BatchIds.Show(_spec.BatchId)}: the master in {_spec.Paths[0]} reads as SHA-256 {h.Image.ContentSha256}, the ledger has {_previous?.Sha256}; copies made so far would differ from the rest");
            else Read(); // the stash was altered or lost: read the master again
        });
        Receive<Ask>(_ => _master.Tell(new Recorder.ReadMaster(_spec.BatchId, StashFolders.Folder(_stash, _spec.BatchId))));
        Receive<Recorder.MasterNotRead>(n =>
        {
            if (!n.Retry)
            {
                Fail($"the master in {n.DriveId} was not read: {n.Reason}");
                return;
            }
            if (n.Reason != _lastWait) _log.Info("batch {0}: waiting for the master in {1}: {2}", _spec.BatchId, n.DriveId, n.Reason);
            _lastWait = n.Reason;
            Timers.StartSingleTimer("ask", new Ask(), TimeSpan.FromSeconds(1));
        });
        Receive<Recorder.MasterRead>(r =>
        {
            if (_previous is not null)
            {
                _readAgain = true;
                HashOnTask(r.Result.ImagePath);
                return;
            }
            try
            {
                // Readable now; the staging actor hashes it while the first wave streams, as for any staged image.
                var opened = ImageStager.Open(r.Result.ImagePath);
                Context.Parent.Tell(new JobStaging.Ready(StagedImage.Of(_spec.BatchId, r.Result.ImagePath, opened)));
            }
            catch (Exception e) when (e is IOException or ImapiException)
            {
                Fail($"the master's image cannot be opened: {e.Message}");
            }
        });
        Receive<Status.Failure>(f => Fail($"the stash could not be read: {(f.Cause is AggregateException { InnerException: { } i } ? i.Message : f.Cause.Message)}"));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        if (_previous is { } p && File.Exists(p.Path)) HashOnTask(p.Path);
        else Read();
    }

    protected override void PostStop()
    {
        _cancel.Cancel();
        _cancel.Dispose();
    }

    private void HashOnTask(string path)
    {
        var (id, token) = (_spec.BatchId, _cancel.Token);
        Task.Factory.StartNew(() => ImageStager.Describe(id, path, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .PipeTo(Self, success: image => new Hashed(image));
    }

    /// <summary>Clears what an interrupted read left in the batch's own stash folder, then asks the master drive.</summary>
    private void Read()
    {
        try
        {
            var folder = StashFolders.Create(_stash, _spec.BatchId);
            foreach (var name in new[] { "image.iso", "image.bin", "image.cue" })
                if (File.Exists(Path.Combine(folder, name))) File.Delete(Path.Combine(folder, name));
            foreach (var part in Directory.EnumerateFileSystemEntries(folder, ".image.*.part"))
                if (Directory.Exists(part) && new DirectoryInfo(part).LinkTarget is null) Directory.Delete(part, recursive: true);
                else File.Delete(part);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail($"the stash folder cannot take the master: {e.Message}");
            return;
        }
        Self.Tell(new Ask());
    }

    private void Fail(string reason) => Context.Parent.Tell(new JobStaging.Failed(reason));
}
