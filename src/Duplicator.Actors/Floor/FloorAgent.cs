using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Floor;

/// <summary>
/// One tower (node) of a floor (see <see cref="Floor"/>): starts the node's recorders (each under a backoff supervisor,
/// reporting to this agent), keeps the node's drive history under a tower-unique persistence id, registers the drives
/// with the router every <see cref="Floor.AgentSettings.RegisterEvery"/> (the answer's sender is the current router,
/// which it watches), and forwards the recorders' reports to it. A burn it is handed (<see cref="Floor.Assign"/>) is
/// passed on as it is on the router's node; elsewhere the image is made local first: a copy in this tower's stash with
/// the batch's SHA-256, or one fetched by hash into it (<see cref="IImageFetcher"/>, checked there and again by the
/// local staging before any byte reaches a disc), staged by this node's own <see cref="StagingActor"/> for the batch,
/// so the chunks stay in-process. A burn's outcome goes only to the router that assigned it and only while it is the
/// current one: burns of a router that is gone, or of one another router replaced, are cancelled, and their late
/// outcomes dropped, so a stale disc never completes into a new ledger.
/// </summary>
internal sealed class FloorAgent : ReceiveActor, IWithTimers
{
    private sealed record RegisterNow
    {
        public static RegisterNow Instance { get; } = new();
    }

    // Local to this agent (never cross nodes): Fetch names the fetch they end, so an answer of a cancelled one is known.
    private sealed record Fetched(string Sha256, string Path, CancellationTokenSource Fetch);
    private sealed record FetchFailed(string Sha256, ImmutableArray<Uri> Left, string Reason, long Bytes, FloorImage? Image, CancellationTokenSource Fetch);
    private sealed record IdleCheck(string BatchId);
    private sealed record Sweep
    {
        public static Sweep Instance { get; } = new();
    }

    /// <summary>A disc handed to one of this tower's drives: by which router, and whether its recorder has been told.</summary>
    private sealed record Job(string DriveId, Recorder.Burn Burn, IActorRef Router, ImmutableArray<Uri> Sources, bool Sent);

    /// <summary>A batch's staging on this node, from the local copy of its image (<paramref name="Arriving"/>: a copy still being fetched).</summary>
    private sealed record LocalStaging(IActorRef Staging, string Sha256, string Path, StagedImage? Image, bool Arriving = false);

    private readonly string _towerId;
    private readonly Tower.Settings _settings;
    private readonly IActorRef _router;
    private readonly IImageFetcher _fetcher;
    private readonly Uri? _controlUrl;
    private readonly Floor.AgentSettings _agent;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TowerDrives _drives;
    private readonly string _images;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Dictionary<string, Recorder.StatusChanged> _last = [];
    private readonly Dictionary<string, Job> _jobs = []; // by drive id
    private readonly Dictionary<string, string> _held = []; // local copies: SHA-256 -> path
    private readonly Dictionary<string, CancellationTokenSource> _fetching = []; // fetches under way, by SHA-256: each cancelled alone
    private readonly Dictionary<string, ArrivingImage> _arriving = []; // fetches with a piece list: readable as they are checked
    private readonly HashSet<string> _pinned = [];
    private readonly HashSet<string> _verified = []; // copies this process checked against their hash as it placed them
    // Good discs reported to the current router lately: if it dies, it may have died before counting them.
    private readonly Queue<(Recorder.DiscBurned Burned, DateTime At)> _reported = new();
    private readonly List<Recorder.DiscBurned> _late = []; // good discs no live router has counted: told to the next one // images staged here for a batch submitted here: kept until it ends
    private readonly Dictionary<string, LocalStaging> _staging = []; // by batch id
    private readonly Dictionary<string, DateTime> _unusedSince = []; // held copies nothing here uses, since when
    private IActorRef? _current;
    private int _children;

    public FloorAgent(string towerId, ImmutableArray<Tower.DriveSpec> drives, Tower.Settings settings, IActorRef router, IImageFetcher fetcher, Uri? controlUrl,
        Floor.AgentSettings agent)
    {
        (_towerId, _settings, _router, _fetcher, _controlUrl, _agent) = (towerId, settings, router, fetcher, controlUrl, agent);
        _images = Floor.ImageFolder(settings.StashDirectory);
        Directory.CreateDirectory(_images);
        foreach (var f in Directory.EnumerateFiles(_images, "*.iso"))
            if (Path.GetFileNameWithoutExtension(f) is var name && FloorImage.IsSha256(name)) _held[name.ToUpperInvariant()] = f;
        Drives.DriveHistory.Start(Context, settings.SnapshotEvery, Floor.DriveHistoryId(towerId)); // before any recorder
        _drives = TowerRecorders.Start(Context, drives, settings, TowerRegistry.Empty, _log);

        Receive<RegisterNow>(_ => Register());
        Receive<Floor.Registered>(OnRegistered);
        Receive<Floor.RegistrationRefused>(r => _log.Error("floor: the router refused tower {0}: {1}", r.TowerId, r.Reason));
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_current)) return;
            _log.Warning("floor: the router {0} is gone; cancelling its burns and registering again", t.ActorRef.Path);
            _current = null;
            _late.AddRange(_reported.Select(r => r.Burned).Take(Floor.MaxLate - _late.Count)); // a report the dead router had not written yet; a counted one is ignored
            _reported.Clear();
            CancelStale(null);
            Self.Tell(RegisterNow.Instance);
        });
        Receive<Floor.Assign>(OnAssign);
        Receive<Recorder.CancelBurn>(OnCancel);
        Receive<Recorder.StatusChanged>(s =>
        {
            _last[s.DriveId] = s;
            _current?.Tell(s, Self);
        });
        Receive<Recorder.ImapiEvent>(e =>
        {
            // Progress as IMAPI reports it, for the router to publish on its node (unless it is this one) and send to the other towers.
            if (_current is { } router && _drives.Contains(e.DriveId)) router.Tell(e, Self);
        });
        Receive<Floor.View>(OnView);
        Receive<Recorder.DiscBurned>(b => Ended(b.DriveId, b.BatchId, b.Disc, b));
        Receive<Recorder.DiscFailed>(f => Ended(f.DriveId, f.BatchId, f.Disc, f));
        Receive<Fetched>(OnFetched);
        Receive<FetchFailed>(OnFetchFailed);
        Receive<Staging.Staged>(OnStaged);
        Receive<Staging.StagingFailed>(f => StagingFailed(f.BatchId, f.Reason));
        Receive<IdleCheck>(i => StopIdle(i.BatchId));
        Receive<Sweep>(_ => SweepCopies());
        Receive<Floor.Hold>(OnHold);
        Receive<Floor.BatchEnded>(OnBatchEnded);
        Receive<Floor.Prefetch>(p =>
        {
            if (!Sender.Equals(_current) || !FloorImage.IsSha256(p.Sha256)) return;
            Prepare(p.BatchId, p.Sha256.ToUpperInvariant(), p.Bytes, p.Sources, p.Image); // its first disc finds it local, or the fetch under way
        });
        Receive<Floor.Unhold>(u =>
        {
            if (LetGo(u.Sha256.ToUpperInvariant()) != null) Register();
        });
        Receive<Drives.DriveHistory.Get>(g => Context.Child("drive-history").Forward(g));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(Recorder.ImapiEvent));
        Self.Tell(RegisterNow.Instance);
        Timers.StartPeriodicTimer("register", RegisterNow.Instance, _agent.RegisterEvery);
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, _agent.IdleStaging / 2);
    }

    protected override void PostStop()
    {
        foreach (var arriving in _arriving.Values) arriving.Fail($"tower {_towerId}'s floor agent stopped");
        _cancel.Cancel();
        _cancel.Dispose();
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Restart);

    private void Register() =>
        _router.Tell(new Floor.Register(_towerId,
            [.. _drives.Order.Select(id => new Floor.DriveInfo(id, _drives.Get(id)!.Spec.Url, _last.GetValueOrDefault(id)))],
            _controlUrl, [.. _held.Select(kv => new Floor.HeldImage(kv.Key, SizeOf(kv.Value)))], [.. _late]), Self);

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The current router's change of the floor's view, published on this node (see <see cref="Floor.View"/>).</summary>
    private void OnView(Floor.View v)
    {
        if (!Sender.Equals(_current)) return; // a router that is gone, or another one's, says nothing about the floor now
        object? change = (object?)v.Drive ?? (object?)v.Removed ?? (object?)v.Batch ?? v.Progress;
        if (change != null) Context.System.EventStream.Publish(change);
    }

    private void OnRegistered(Floor.Registered r)
    {
        // Every registration: the router's list of drives, so this node's view forgets drives no router has (a dead router's last view).
        if (!r.FloorDrives.IsDefault) Context.System.EventStream.Publish(new Floor.DrivesListed(r.FloorDrives));
        if (Sender.Equals(_current)) return;
        if (_current is { } old) Context.Unwatch(old);
        _log.Info("floor: tower {0} registered {1} drive(s) with the router {2}", _towerId, r.Drives, Sender.Path);
        _current = Sender;
        Context.Watch(Sender);
        CancelStale(Sender); // the new router recovered their discs as interrupted: they must not complete into its ledger
        foreach (var s in _last.Values) Sender.Tell(s, Self);
        // The registration carried them (counted before these drives got anything); again, for one added since it was sent.
        foreach (var b in _late) Sender.Tell(new Floor.Late(b), Self);
        _late.Clear();
    }

    /// <summary>Cancels every burn not assigned by <paramref name="router"/> (null: every burn) and forgets it, so its outcome is never reported.</summary>
    private void CancelStale(IActorRef? router)
    {
        foreach (var job in _jobs.Values.Where(j => router is null || !j.Router.Equals(router)).ToList())
        {
            _log.Warning("floor: drive {0}: disc {1} of batch {2} was assigned by a router that is gone; cancelling it", job.DriveId, job.Burn.Disc, job.Burn.BatchId);
            if (job.Sent) Recorder(job.DriveId).Tell(new Recorder.CancelBurn(job.Burn.BatchId, "the router that assigned it is gone"), Self);
            _jobs.Remove(job.DriveId);
            CheckIdle(job.Burn.BatchId);
        }
    }

    private IActorRef Recorder(string driveId) => _drives.Get(driveId)!.Recorder;

    private void OnAssign(Floor.Assign a)
    {
        var burn = a.Burn;
        if (!_drives.Contains(a.DriveId) || !Sender.Equals(_current))
        {
            Sender.Tell(new Recorder.DiscFailed(a.DriveId, burn.BatchId, burn.Disc,
                _drives.Contains(a.DriveId) ? $"tower {_towerId} is not registered with this router" : $"drive {a.DriveId} is not on tower {_towerId}", DriveFault: false), Self);
            return;
        }
        _jobs[a.DriveId] = new Job(a.DriveId, burn, Sender, a.Sources, false);
        Timers.Cancel("idle-" + burn.BatchId);
        if (a.SameNode)
        {
            Send(a.DriveId, burn); // the router's staging is on this node: its chunks stay in-process
            return;
        }
        if (burn.Image.ContentSha256 is not { } sha)
        {
            Fail(a.DriveId, "the batch's image has no content hash yet: it cannot be fetched");
            return;
        }
        Prepare(burn.BatchId, sha, burn.Image.SectorCount * burn.Image.SectorSize, a.Sources, a.Image);
        SendReady(burn.BatchId);
    }

    /// <summary>
    /// Makes the batch's image local: staged already, staged from a copy held, served as it arrives (a fetch with the
    /// ledger's piece list), or fetched whole first.
    /// </summary>
    private void Prepare(string batchId, string sha, long bytes, ImmutableArray<Uri> sources, FloorImage? image)
    {
        if (_staging.ContainsKey(batchId)) return;
        if (_held.TryGetValue(sha, out var path))
        {
            StartStaging(batchId, sha, path);
            return;
        }
        if (!_fetching.ContainsKey(sha))
        {
            _fetching[sha] = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token);
            Fetch(sha, bytes, sources, image);
        }
        if (_arriving.TryGetValue(sha, out var arriving)) StartArriving(batchId, sha, arriving);
    }

    private void Fetch(string sha, long bytes, ImmutableArray<Uri> sources, FloorImage? image)
    {
        var fetch = _fetching[sha];
        if (sources.IsDefaultOrEmpty)
        {
            Self.Tell(new FetchFailed(sha, [], "no tower that holds it has a control URL", bytes, image, fetch));
            return;
        }
        var target = Floor.ImagePath(_settings.StashDirectory, sha);
        var from = sources[0];
        var left = sources.RemoveAt(0);
        // With the ledger's piece list the copy is readable piece by piece as each is checked (the fetcher's part file,
        // IImageFetcher's contract); a retry from another tower resumes the same part and the same readers.
        if (!_arriving.TryGetValue(sha, out var arriving) && image is { PiecesSha256: not null } && bytes > 0 && bytes % 2048 == 0)
            _arriving[sha] = arriving = new ArrivingImage(target + ".part", target, bytes);
        Action<long> verified = arriving is null ? _ => { } : arriving.Verified;
        _log.Info("floor: fetching image {0} ({1} bytes) from {2}{3}", sha, bytes, from, arriving is null ? "" : ", served piece by piece as it arrives");
        _fetcher.FetchAsync(from, sha.ToLowerInvariant(), bytes, target, arriving is null ? null : image, verified, fetch.Token)
            .PipeTo(Self, success: () => new Fetched(sha, target, fetch), failure: e => new FetchFailed(sha, left, $"from {from}: {Describe(e)}", bytes, image, fetch));
    }

    /// <summary>Stages the batch on the copy still arriving: its recorders start now, each chunk read when its sectors are checked.</summary>
    private void StartArriving(string batchId, string sha, ArrivingImage arriving)
    {
        var path = Floor.ImagePath(_settings.StashDirectory, sha);
        StartLocal(batchId, sha, path, (spec, settings) => Staging.ArrivingProps(spec, arriving, path, sha, settings), arriving: true);
    }

    private static string Describe(Exception e) => e is AggregateException { InnerException: { } inner } ? Describe(inner)
        : e is Mastering.Imapi.ImapiException ie ? $"{ie.ImapiName}: {ie.Message}" : e.Message;

    private void OnFetched(Fetched f)
    {
        f.Fetch.Dispose();
        _held[f.Sha256] = f.Path;
        _verified.Add(f.Sha256);
        // A fetch cancelled as it ended: a checked copy all the same, held until the sweep finds nothing uses it.
        if (!_fetching.TryGetValue(f.Sha256, out var current) || current != f.Fetch) return;
        _fetching.Remove(f.Sha256);
        if (_arriving.Remove(f.Sha256, out var arriving))
        {
            arriving.Verified(long.MaxValue);
            // Served as it arrived, for batches that have all ended meanwhile: nothing here needs the copy any more.
            if (!_staging.Values.Any(s => s.Sha256 == f.Sha256) && !_pinned.Contains(f.Sha256) && LetGo(f.Sha256) is { } gone)
                _log.Info("floor: image {0} arrived after its batches ended here; its copy {1} is removed", f.Sha256, gone);
        }
        foreach (var batchId in _jobs.Values.Where(j => !j.Sent && j.Burn.Image.ContentSha256 == f.Sha256).Select(j => j.Burn.BatchId).Distinct().ToList())
            if (!_staging.ContainsKey(batchId)) StartStaging(batchId, f.Sha256, f.Path);
    }

    private void OnFetchFailed(FetchFailed f)
    {
        if (!_fetching.TryGetValue(f.Sha256, out var current) || current != f.Fetch)
        {
            // Cancelled (its batches ended here): its part and list go, unless a fetch of the same image began since and resumes them.
            f.Fetch.Dispose();
            if (!_fetching.ContainsKey(f.Sha256) && !_held.ContainsKey(f.Sha256)) RemovePart(f.Sha256); // a held copy keeps its list
            return;
        }
        var waiting = _jobs.Values.Where(j => !j.Sent && j.Burn.Image.ContentSha256 == f.Sha256).ToList();
        var streaming = _staging.Where(s => s.Value.Arriving && s.Value.Sha256 == f.Sha256).Select(s => s.Key).ToList();
        if (!f.Left.IsEmpty && (waiting.Count > 0 || streaming.Count > 0))
        {
            _log.Warning("floor: fetching image {0} failed ({1}); trying {2}", f.Sha256, f.Reason, f.Left[0]);
            Fetch(f.Sha256, f.Bytes, f.Left, f.Image);
            return;
        }
        _fetching.Remove(f.Sha256);
        f.Fetch.Dispose();
        if (_arriving.Remove(f.Sha256, out var arriving)) arriving.Fail(f.Reason); // its waiting reads fail: those discs fail, not the drives
        _log.Error("floor: image {0} could not be fetched: {1}", f.Sha256, f.Reason);
        foreach (var j in waiting) Fail(j.DriveId, $"the image could not be fetched: {f.Reason}");
        foreach (var batchId in streaming) StagingFailed(batchId, $"the image could not be fetched: {f.Reason}"); // the next disc fetches again
    }

    private void StartStaging(string batchId, string sha, string path)
    {
        // A copy this process checked against the ledger's SHA-256 as it placed it (the fetcher's check before its rename,
        // or the submitting host's own hash) is staged in place at once and hashed again while its first wave streams;
        // one found in the stash at start is hashed before it serves. It is this tower's own stash file, so the allowed
        // roots of submitted sources do not apply.
        (string, string)? check = _verified.Contains(sha) ? null : (path, sha);
        StartLocal(batchId, sha, path, (spec, settings) => Staging.Props(spec, DateTimeOffset.UtcNow, _settings.StashDirectory, check, settings), arriving: false);
    }

    /// <summary>Starts the batch's staging on this tower's copy at <paramref name="path"/> (its own stash file: no allowed roots) and records it.</summary>
    private void StartLocal(string batchId, string sha, string path, Func<BatchSpec, Staging.Settings, Props> props, bool arriving)
    {
        var spec = new BatchSpec(batchId, SourceKind.Image, [path], 1, new BatchOptions(false, 0, 0, true, []));
        var staging = Context.ActorOf(props(spec, _settings.Staging with { LinkRoots = null }), $"staging-{_children++}");
        _staging[batchId] = new LocalStaging(staging, sha, path, null, arriving);
        CheckIdle(batchId); // a prefetch: if no disc comes, and the batch's end is missed, it still goes
    }

    private void OnStaged(Staging.Staged s)
    {
        if (!_staging.TryGetValue(s.Image.BatchId, out var local) || !Sender.Equals(local.Staging)) return;
        if (s.Image.ContentSha256 is null)
        {
            // Readable now; the hash the copy was checked against goes with it (verification needs it).
            _staging[s.Image.BatchId] = local with { Image = s.Image with { ContentSha256 = local.Sha256 } };
            SendReady(s.Image.BatchId);
            return;
        }
        if (s.Image.ContentSha256 != local.Sha256)
        {
            StagingFailed(s.Image.BatchId, $"the local copy hashes to {s.Image.ContentSha256}, the ledger has {local.Sha256}");
            return;
        }
        if (local.Image is null) _staging[s.Image.BatchId] = local with { Image = s.Image };
        SendReady(s.Image.BatchId);
    }

    /// <summary>Hands the recorders waiting for <paramref name="batchId"/>'s image their burn, with the local image and staging.</summary>
    private void SendReady(string batchId)
    {
        if (!_staging.TryGetValue(batchId, out var local) || local.Image is not { } image) return;
        foreach (var job in _jobs.Values.Where(j => !j.Sent && j.Burn.BatchId == batchId).ToList())
            Send(job.DriveId, job.Burn with { Image = image, Staging = local.Staging });
    }

    private void Send(string driveId, Recorder.Burn burn)
    {
        _jobs[driveId] = _jobs[driveId] with { Sent = true };
        Recorder(driveId).Tell(burn, Self);
    }

    private void StagingFailed(string batchId, string reason)
    {
        if (!_staging.Remove(batchId, out var local)) return;
        _log.Error("floor: batch {0}: the local copy of its image failed: {1}; it is removed and fetched again for the next disc", batchId, reason);
        Context.Stop(local.Staging);
        _held.Remove(local.Sha256);
        _verified.Remove(local.Sha256);
        TryDelete(local.Path);
        foreach (var j in _jobs.Values.Where(j => j.Burn.BatchId == batchId).ToList())
            if (j.Sent) Recorder(j.DriveId).Tell(new Recorder.CancelBurn(batchId, $"the local copy of the image failed: {reason}"), Self); // fails its disc
            else Fail(j.DriveId, $"the local copy of the image failed: {reason}");
    }

    /// <summary>Fails a disc not yet given to its recorder (not the drive's fault), telling the router that assigned it if it is still current.</summary>
    private void Fail(string driveId, string reason)
    {
        if (!_jobs.Remove(driveId, out var job)) return;
        if (job.Router.Equals(_current))
            job.Router.Tell(new Recorder.DiscFailed(driveId, job.Burn.BatchId, job.Burn.Disc, reason, DriveFault: false), Self);
        CheckIdle(job.Burn.BatchId);
    }

    private void OnCancel(Recorder.CancelBurn c)
    {
        foreach (var job in _jobs.Values.Where(j => j.Burn.BatchId == c.BatchId).ToList())
            if (job.Sent) Recorder(job.DriveId).Tell(c, Self);
            else Fail(job.DriveId, $"cancelled: {c.Reason}");
    }

    /// <summary>A recorder's outcome: reported to the router that assigned the disc, only while it is the current router.</summary>
    private void Ended(string driveId, string batchId, int disc, object outcome)
    {
        if (!_jobs.TryGetValue(driveId, out var job) || job.Burn.BatchId != batchId || job.Burn.Disc != disc)
        {
            // Cancelled when its router went, it came out good all the same: the next router decides whether it counts.
            if (outcome is Recorder.DiscBurned good && _late.Count < Floor.MaxLate)
            {
                _log.Warning("floor: drive {0}: disc {1} of batch {2} came out good after its router was gone; it is reported to the current router as late", driveId, disc, batchId);
                if (_current is { } now) now.Tell(new Floor.Late(good), Self);
                else _late.Add(good);
            }
            else _log.Info("floor: drive {0}: disc {1} of batch {2} ended, not reported: its router is gone or it was never assigned here", driveId, disc, batchId);
            return;
        }
        _jobs.Remove(driveId);
        if (job.Burn.Image.ContentSha256 is { } sha) CancelUnusedFetch(sha, $"disc {disc} of batch {batchId}, the last use here, ended");
        if (job.Router.Equals(_current))
        {
            job.Router.Tell(outcome, Self);
            if (outcome is Recorder.DiscBurned burned) Remember(burned);
        }
        CheckIdle(batchId);
    }

    private void Remember(Recorder.DiscBurned burned)
    {
        var now = DateTime.UtcNow;
        _reported.Enqueue((burned, now));
        // A router that took a report longer ago than a downing takes has written it (or is alive and will).
        while (_reported.Count > 0 && (_reported.Count > Floor.MaxLate || now - _reported.Peek().At > TimeSpan.FromSeconds(60))) _reported.Dequeue();
    }

    private void CheckIdle(string batchId)
    {
        if (_staging.ContainsKey(batchId) && !_jobs.Values.Any(j => j.Burn.BatchId == batchId))
            Timers.StartSingleTimer("idle-" + batchId, new IdleCheck(batchId), _agent.IdleStaging);
    }

    /// <summary>No disc of the batch is on this tower since <see cref="Floor.AgentSettings.IdleStaging"/>: its local staging and copy go.</summary>
    private void StopIdle(string batchId)
    {
        if (_jobs.Values.Any(j => j.Burn.BatchId == batchId) || !_staging.Remove(batchId, out var local)) return;
        Context.Stop(local.Staging);
        CancelUnusedFetch(local.Sha256, $"batch {batchId} had no disc here for {_agent.IdleStaging}");
        // Another batch of the same image still uses it, or the batch was submitted here: the others fetch it from here.
        if (_staging.Values.Any(s => s.Sha256 == local.Sha256) || _pinned.Contains(local.Sha256)) return;
        _held.Remove(local.Sha256);
        TryDelete(local.Path);
        _log.Info("floor: batch {0}: no disc here for {1}; its local copy {2} is removed", batchId, _agent.IdleStaging, local.Path);
    }

    /// <summary>
    /// Every <see cref="Floor.AgentSettings.IdleStaging"/> / 2: a held copy that nothing here has used (no staging, no
    /// disc, no fetch, not pinned by this tower's host) for <see cref="Floor.AgentSettings.IdleStaging"/> goes, so a
    /// copy outlives its batch by that much at most even when the batch's end never reached this tower (it was
    /// partitioned, or the router moved as the batch ended), and a copy found in the stash at start that no batch
    /// wants does not stay forever.
    /// </summary>
    private void SweepCopies()
    {
        var now = DateTime.UtcNow;
        foreach (var sha in _held.Keys.ToList())
        {
            if (_pinned.Contains(sha) || _fetching.ContainsKey(sha) || _staging.Values.Any(s => s.Sha256 == sha) || _jobs.Values.Any(j => j.Burn.Image.ContentSha256 == sha))
            {
                _unusedSince.Remove(sha);
                continue;
            }
            if (!_unusedSince.TryGetValue(sha, out var since)) _unusedSince[sha] = now;
            else if (now - since >= _agent.IdleStaging && LetGo(sha) is { } path)
            {
                _unusedSince.Remove(sha);
                _log.Info("floor: image {0}: nothing here used its copy for {1}; {2} is removed", sha, _agent.IdleStaging, path);
                Register(); // no longer offered to the others
            }
        }
        foreach (var gone in _unusedSince.Keys.Where(k => !_held.ContainsKey(k)).ToList()) _unusedSince.Remove(gone);
    }

    /// <summary>The host staged a batch's image here (<see cref="Floor.ImagePath"/>): held, registered now, kept until the batch ends.</summary>
    private void OnHold(Floor.Hold h)
    {
        var sha = h.Sha256.ToUpperInvariant();
        var path = Floor.ImagePath(_settings.StashDirectory, sha);
        if (!File.Exists(path))
        {
            Sender.Tell(new Status.Failure(new FileNotFoundException($"floor: no staged image {path}")));
            return;
        }
        _held[sha] = path;
        _pinned.Add(sha);
        _verified.Add(sha); // the host hashed it as it placed it
        Register(); // before the host submits the batch: the router knows this tower holds it
        Sender.Tell(new Floor.HoldTaken(sha));
    }

    /// <summary>The router says a batch of a floor image ended: its staging here stops and the copy goes unless another batch uses it.</summary>
    private void OnBatchEnded(Floor.BatchEnded e)
    {
        if (!Sender.Equals(_current)) return;
        var sha = e.Sha256.ToUpperInvariant();
        if (_staging.Remove(e.BatchId, out var local)) Context.Stop(local.Staging);
        Timers.Cancel("idle-" + e.BatchId);
        if (LetGo(sha) is { } path) _log.Info("floor: batch {0} ended; its image's copy {1} is removed", e.BatchId, path);
        CancelUnusedFetch(sha, $"batch {e.BatchId} ended");
    }

    /// <summary>
    /// Cancels the fetch of <paramref name="sha"/> when nothing here uses the image any more (no staging, disc or pin: its
    /// batches ended), rather than let it run to the end and then remove the copy. Its answer is then stale (see
    /// <see cref="OnFetchFailed"/>).
    /// </summary>
    private void CancelUnusedFetch(string sha, string why)
    {
        if (!_fetching.TryGetValue(sha, out var fetch) || _pinned.Contains(sha) || _staging.Values.Any(s => s.Sha256 == sha)
            || _jobs.Values.Any(j => j.Burn.Image.ContentSha256 == sha)) return;
        _fetching.Remove(sha);
        if (_arriving.Remove(sha, out var arriving)) arriving.Fail(why);
        fetch.Cancel();
        _log.Info("floor: image {0}: {1}; its fetch is cancelled", sha, why);
    }

    private void RemovePart(string sha)
    {
        var target = Floor.ImagePath(_settings.StashDirectory, sha);
        foreach (var path in new[] { target + ".part", FloorPieces.ListPath(target) })
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.Warning("floor: could not remove {0}: {1}", path, e.Message);
            }
    }

    /// <summary>Unpins <paramref name="sha"/> and removes its copy unless a staging or a disc here still uses it; the path removed, or null.</summary>
    private string? LetGo(string sha)
    {
        _pinned.Remove(sha);
        if (_staging.Values.Any(s => s.Sha256 == sha) || _jobs.Values.Any(j => j.Burn.Image.ContentSha256 == sha) || !_held.Remove(sha, out var path)) return null;
        _verified.Remove(sha);
        TryDelete(path);
        return path;
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            File.Delete(FloorPieces.ListPath(path)); // kept beside a copy that has one: it goes with it
        }
        catch (IOException e)
        {
            _log.Warning("floor: could not remove {0}: {1}", path, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            _log.Warning("floor: could not remove {0}: {1}", path, e.Message);
        }
    }
}
