using Akka.Actor;
using Akka.Hosting;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Serving;

/// <summary>
/// <see cref="ITower"/> over the orchestrator's supervisor actor: the control API, the hot folder and the CLI ask
/// it, and it turns the actor protocol's records into the views they show. Every call is an Ask with a timeout and
/// the caller's cancellation, never a blocked thread; no answer in time is a <see cref="TowerUnavailableException"/>.
/// Job options left unset take the tower's configured defaults. With a <see cref="TowerHealth"/>, asks fail at once
/// (<see cref="TowerFailedException"/>) once the tower has failed.
/// </summary>
public sealed partial class ActorTower : ITower, IJobSink
{
    private readonly Func<CancellationToken, Task<IActorRef>> _tower;
    private readonly BatchDefaults _defaults;
    private readonly TimeSpan _timeout;
    private readonly TowerHealth? _health;

    /// <summary>Over the tower Akka.Hosting registered (<see cref="IRequiredActor{TKey}"/> of <see cref="TowerKey"/>).</summary>
    public ActorTower(IRequiredActor<TowerKey> tower, BatchDefaults defaults, TimeSpan? timeout = null, TowerHealth? health = null)
        : this(tower.GetAsync, defaults, timeout, health)
    {
    }

    /// <summary>Over <paramref name="tower"/>, the supervisor actor itself.</summary>
    public ActorTower(IActorRef tower, BatchDefaults defaults, TimeSpan? timeout = null, TowerHealth? health = null)
        : this(_ => Task.FromResult(tower), defaults, timeout, health)
    {
    }

    private ActorTower(Func<CancellationToken, Task<IActorRef>> tower, BatchDefaults defaults, TimeSpan? timeout, TowerHealth? health)
    {
        _health = health;
        _tower = tower;
        _defaults = defaults;
        _timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    /// <inheritdoc />
    public async Task<SubmitResult> SubmitAsync(string batchId, JobRequest request, CancellationToken cancellationToken)
    {
        if (request.Set != null) throw new JobRejectedException("request", ["set: a disc set job is submitted as a set (SubmitSetAsync)"]);
        var spec = ToSpec(batchId, request, _defaults);
        // On a floor this tower stages the image (it sees the source); a batch the router knows is submitted as it is.
        if (Floor is { } floor && FloorSubmission.Stages(spec)
            && (await Query<Tower.BatchAnswer>(new Tower.GetBatch(batchId), $"batch {batchId}", cancellationToken)).State is null)
            spec = await floor.StageAsync(spec, cancellationToken);
        var reply = await Ask<Tower.SubmitReply>(new Tower.Submit(spec), "the submission", cancellationToken);
        if (reply is not Tower.Submitted { Created: true } && spec.FloorImage is { } staged) Floor!.Release(staged.Sha256);
        return reply switch
        {
            Tower.Submitted s => new SubmitResult(View(Tower.BatchInfo.Of(batchId, s.State, default), []), s.Created),
            Tower.Rejected r => throw new JobRejectedException("request", [r.Reason]),
            var other => throw new InvalidOperationException($"the tower answered the submission with {other.GetType().Name}"),
        };
    }

    /// <summary>On a floor of towers: how this tower stages what is submitted to it and serves the images it staged (null: a standalone tower).</summary>
    public FloorSubmission? Floor { get; init; }

    void IJobSink.Submit(string batchId, JobRequest request)
    {
        // The hot folder scans on its own task (never an actor's thread): waiting here holds nothing else up.
        if (request.Set != null) SubmitSetAsync(batchId, request, CancellationToken.None).GetAwaiter().GetResult(); // the job's id is the set's
        else SubmitAsync(batchId, request, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The batch a job request describes, with the tower's defaults filled in.</summary>
    public static BatchSpec ToSpec(string batchId, JobRequest request, BatchDefaults defaults) => new(
        batchId,
        request.Source switch
        {
            JobSourceKind.Folder => SourceKind.Folder,
            JobSourceKind.Image => SourceKind.Image,
            JobSourceKind.Audio => SourceKind.Audio,
            JobSourceKind.Master => SourceKind.Master,
            JobSourceKind.Verify => SourceKind.Verify,
            JobSourceKind.Archive => SourceKind.Archive,
            JobSourceKind.Cue => SourceKind.Image, // a BIN/CUE is burned as it is, like an ISO
            var k => throw new ArgumentOutOfRangeException(nameof(request), k, "unknown source kind"),
        },
        [.. request.Paths],
        request.Copies,
        new BatchOptions(request.Verify ?? defaults.Verify, request.Speed ?? defaults.Speed,
            request.FailedDiscThreshold ?? defaults.FailedDiscThreshold, request.RejectIfNotBlank ?? defaults.RejectIfNotBlank,
            [.. request.Drives], DiscAtOnce: request.AudioMode == Duplicator.Drivers.Imapi.AudioWriteMode.DiscAtOnce)
        { VerifyPolicy = request.VerifyPolicy, MediaRules = request.MediaRules, Expect = request.Expect, Append = request.Append },
        request.Volume,
        request.Media is { } m ? MediaCapacity.Name(m) : null,
        request.Priority ?? BatchSpec.DefaultPriority,
        PerDisc: request.PerDisc,
        AudioInfo: request.AudioInfo,
        // Always recorded for a folder (the medium's default when the job names none, joliet for per-disc files, which
        // are laid out for it alone): a spec without it means joliet.
        FileSystem: request.Source == JobSourceKind.Folder
            ? FileSystemNames.Name(request.FileSystem ?? (request.PerDisc != null || request.Append != null ? DataFileSystems.Joliet : FileSystemNames.DefaultFor(request.Media ?? MediaKind.Dvd)))
            : null);

    /// <inheritdoc />
    public async Task<IReadOnlyList<BatchView>> BatchesAsync(CancellationToken cancellationToken)
    {
        var drives = await DriveStatuses(cancellationToken);
        var list = await Query<Tower.BatchList>(Tower.GetBatches.Instance, "the list of batches", cancellationToken);
        return list.Batches.Select(b => View(b, drives)).ToArray();
    }

    /// <inheritdoc />
    public async Task<BatchDetail?> BatchAsync(string id, CancellationToken cancellationToken)
    {
        var answer = await Query<Tower.BatchAnswer>(new Tower.GetBatch(id), $"batch {id}", cancellationToken);
        if (answer.State is not { } state) return null;
        var drives = await DriveStatuses(cancellationToken);
        return new BatchDetail(View(Tower.BatchInfo.Of(id, state, answer.SubmittedAt) with { Paused = answer.Paused }, drives), state.Discs.Values.Select(View).ToArray());
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DriveView>> DrivesAsync(CancellationToken cancellationToken)
    {
        var drives = await DriveStatuses(cancellationToken);
        var history = await Query<Duplicator.Actors.Drives.DriveHistory.Histories>(Duplicator.Actors.Drives.DriveHistory.Get.Instance, "the drive history", cancellationToken);
        return drives.Select(d => View(d) with { History = history.Drives.TryGetValue(d.Id, out var h) ? View(h) : null }).ToArray();
    }

    /// <summary>A drive's history as the front ends show it.</summary>
    public static DriveHistoryView View(Duplicator.Actors.Drives.DriveHistory.Record h) => new(h.Good, h.Bad, h.Refused, h.BytesWritten,
        Math.Round(h.HoursWriting, 4), h.Underruns,
        [.. h.LastFailures.Select(f => new DriveFailureView(f.At, f.BatchId, f.Disc, f.Reason, f.Error?.ImapiName, f.Error?.Sense?.ToString(), f.Error?.Lba))],
        h.FirstSeen, h.LastSeen);

    /// <inheritdoc />
    public async Task<bool> CancelAsync(string id, CancellationToken cancellationToken) =>
        (await Ask<Tower.Done>(new Tower.Cancel(id, "cancelled by the operator"), $"the cancellation of batch {id}", cancellationToken)).Found;

    /// <inheritdoc />
    public async Task<bool> ClearQuarantineAsync(string driveId, CancellationToken cancellationToken) =>
        (await Ask<Tower.Done>(new Tower.ClearQuarantine(driveId), $"clearing drive {driveId}", cancellationToken)).Found;

    /// <inheritdoc />
    public async Task<TowerView> TowerAsync(CancellationToken cancellationToken) =>
        View(await Query<TowerHolds>(Tower.GetHolds.Instance, "the tower's state", cancellationToken));

    /// <inheritdoc />
    public async Task<bool> PauseAsync(string? batchId, CancellationToken cancellationToken) =>
        Controlled(await Ask<object>(new Tower.Pause(batchId), batchId is null ? "pausing the tower" : $"pausing batch {batchId}", cancellationToken));

    /// <inheritdoc />
    public async Task<bool> ResumeAsync(string? batchId, CancellationToken cancellationToken) =>
        Controlled(await Ask<object>(new Tower.Resume(batchId), batchId is null ? "resuming the tower" : $"resuming batch {batchId}", cancellationToken));

    /// <inheritdoc />
    public async Task<bool> HoldAsync(string driveId, CancellationToken cancellationToken) =>
        Controlled(await Ask<object>(new Tower.Hold(driveId), $"holding drive {driveId}", cancellationToken));

    /// <inheritdoc />
    public async Task<bool> ReleaseAsync(string driveId, CancellationToken cancellationToken) =>
        Controlled(await Ask<object>(new Tower.Release(driveId), $"releasing drive {driveId}", cancellationToken));

    /// <inheritdoc />
    /// <remarks>
    /// Asked of the running batches only (a finished batch burns nothing more; a folder or audio batch's stash is removed when it ends):
    /// the one whose ledger recorded that content hash for a data image (an .iso: its file's bytes are what the hash
    /// covers; the content hash of a BIN/CUE covers its tracks, not its files) of the recorded size. The path is the
    /// ledger's, never one built from the request.
    /// </remarks>
    public async Task<StagedImageFile?> StagedImageAsync(string sha256, CancellationToken cancellationToken)
    {
        if (Floor?.Held(sha256) is { } held) return held; // staged here for a batch submitted here, or fetched here
        var list = await Query<Tower.BatchList>(Tower.GetBatches.Instance, "the list of batches", cancellationToken);
        foreach (var b in list.Batches.Where(b => b.Staged && b.Status == BatchStatus.Running))
        {
            var answer = await Query<Tower.BatchAnswer>(new Tower.GetBatch(b.Id), $"batch {b.Id}", cancellationToken);
            if (answer.State is not { ImageSha256: { } sha, StashPath: { } path } state
                || !string.Equals(sha, sha256, StringComparison.OrdinalIgnoreCase)
                || path.EndsWith(".cue", StringComparison.OrdinalIgnoreCase))
                continue;
            var file = new FileInfo(path);
            if (!file.Exists || (state.ImageSectors > 0 && file.Length != state.ImageSectors * 2048)) continue;
            return new StagedImageFile(file.FullName, file.Length);
        }
        return null;
    }

    private static bool Controlled(object answer) => answer switch
    {
        Tower.Done d => d.Found,
        Tower.Rejected r => throw new TowerRefusedException(r.Reason),
        _ => throw new InvalidOperationException($"the tower answered with {answer.GetType().Name}"),
    };

    /// <summary>What the operator holds back, as the front ends show it.</summary>
    public static TowerView View(TowerHolds h) => new(h.TowerPaused != null, h.TowerPaused, [.. h.Batches], [.. h.Drives.Keys]);

    private Task<Tower.DriveStatus[]> DriveStatuses(CancellationToken cancellationToken) =>
        Query<Tower.DriveStatus[]>(Tower.GetDrives.Instance, "the list of drives", cancellationToken);

    /// <summary>
    /// Whether a query (never a change) that gets no answer is asked again within the timeout, the first after 2 s, each
    /// wait twice the last: on a floor a query sent while the router moves goes to the dead router and is lost, and the
    /// new one answers in seconds. Set for a tower of a floor.
    /// </summary>
    public bool RetryQueries { get; init; }

    // A query: asked again when it is lost (RetryQueries), since asking twice changes nothing.
    private async Task<T> Query<T>(object message, string what, CancellationToken cancellationToken)
    {
        if (!RetryQueries) return await Ask<T>(message, what, cancellationToken);
        var deadline = DateTime.UtcNow + _timeout;
        var wait = TimeSpan.FromSeconds(2);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var last = left <= wait;
            try
            {
                return await Ask<T>(message, what, cancellationToken, last ? left : wait);
            }
            catch (TowerUnavailableException) when (!last)
            {
                wait *= 2;
            }
        }
    }

    private async Task<T> Ask<T>(object message, string what, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        // A failed tower (see TowerHealth) answers nothing: fail at once with the reason rather than wait for the timeout.
        if (_health?.Failure is { } failed) throw new TowerFailedException(failed);
        using var linked = _health is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _health.Failed);
        try
        {
            var tower = await _tower(cancellationToken);
            return await tower.Ask<T>(message, timeout ?? _timeout, linked?.Token ?? cancellationToken);
        }
        catch (Exception e) when (_health?.Failure is { } why && e is OperationCanceledException or AskTimeoutException or TimeoutException)
        {
            throw new TowerFailedException(why);
        }
        catch (Exception e) when (e is AskTimeoutException or TimeoutException)
        {
            throw new TowerUnavailableException(what, _timeout, e);
        }
    }

    /// <summary>A drive as the front ends show it.</summary>
    public static DriveView View(Tower.DriveStatus d) => new(d.Id, d.Url,
        d.Quarantined ? "quarantined"
            : d.Held && d.State is DriveState.Opening or DriveState.Empty or DriveState.Ready ? "held" // a held drive finishes its disc first
            : d.State.ToString().ToLowerInvariant(),
        Math.Round(d.Percent, 1), Math.Round(d.BytesPerSecond), d.Quarantined,
        d.BatchId, d.Disc, d.EtaSeconds is { } e ? Math.Round(e, 1) : null, d.Good, d.Bad, d.Held)
    {
        Tower = d.Tower,
    };

    /// <summary>A disc of a batch's ledger as the front ends show it, with its failure's codes.</summary>
    public static DiscView View(DiscEntry d) => new(d.Disc, d.Drive, d.State.ToString().ToLowerInvariant(), d.Sha256, d.Reason,
        d.Error?.ImapiName, d.Error?.Sense?.ToString(), d.Error?.Lba, d.Error?.Describe(d.Drive))
    {
        Verify = d.Verify?.ToString().ToLowerInvariant(), VerifyFailed = d.VerifyFailed,
        Serial = d.Serial, Row = d.Row is { } r ? r + 1 : null, Values = d.Values, SerialFate = d.SerialFate,
    };

    /// <summary>
    /// A batch as the front ends show it. The ETA is rough: the longest ETA among the drives burning it, times the
    /// rounds of discs still to start across those drives; null when nothing is burning.
    /// </summary>
    public static BatchView View(Tower.BatchInfo b, IReadOnlyList<Tower.DriveStatus> drives)
    {
        var spec = b.Spec;
        string state = b.Status switch
        {
            BatchStatus.New => "recovering", // its ledger has not answered since the host started
            BatchStatus.Running when b.Paused => "paused",
            BatchStatus.Running when !b.Staged => "staging",
            BatchStatus.Running => "running",
            var s => s.ToString().ToLowerInvariant(),
        };
        double? eta = null;
        var burning = drives.Where(d => d.BatchId == b.Id && d.EtaSeconds is not null).ToArray();
        if (b.Status == BatchStatus.Running && burning.Length > 0)
        {
            int toStart = Math.Max(0, b.Remaining - b.InFlight);
            double perDisc = burning.Max(d => d.EtaSeconds!.Value);
            eta = Math.Round(perDisc * (1 + Math.Ceiling(toStart / (double)burning.Length)), 1);
        }
        return new BatchView(b.Id, state, spec is null ? "" : $"{spec.Source.ToString().ToLowerInvariant()} {string.Join(" ", spec.Paths)}",
            spec?.Copies ?? 0, b.Good, b.Failed + b.Interrupted, b.Remaining, eta, b.Reason, spec?.Priority ?? BatchSpec.DefaultPriority,
            spec is { Source: SourceKind.Folder } ? spec.FileSystem ?? FileSystemNames.Name(BatchFileSystem.Legacy) : null);
    }
}
