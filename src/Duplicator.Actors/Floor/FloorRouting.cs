using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Floor;

/// <summary>
/// What makes the tower core (<see cref="DuplicatorSupervisor"/>) a floor router: the <see cref="FloorRoster"/> of
/// registered towers, each agent watched (a tower whose node leaves is <see cref="Terminated"/>: its drives go and
/// their discs are interrupted), the burns sent to the drive's agent as <see cref="Floor.Assign"/> with where the image
/// can be fetched, and reports taken only from the agent holding the drive. Used only on the router's own thread.
/// </summary>
internal sealed class FloorRouting(IActorContext context, ILoggingAdapter log)
{
    /// <summary>The router's own message: send the batches' views that wait (<see cref="ViewBatch"/>).</summary>
    public sealed record FlushView
    {
        public static FlushView Instance { get; } = new();
    }

    private FloorRoster _roster = FloorRoster.Empty;
    private readonly Dictionary<string, Tower.BatchChanged> _viewBatches = new(StringComparer.Ordinal); // the last change of each batch not yet sent

    /// <summary>The towers registered.</summary>
    public FloorRoster Roster => _roster;

    /// <summary>
    /// Registers <paramref name="r"/> from <paramref name="agent"/> and answers it; returns the drives after it and the
    /// drives that left with it (their discs are to be interrupted), or the drives unchanged when it was refused.
    /// </summary>
    public (TowerDrives Drives, ImmutableArray<string> Left) Register(Floor.Register r, IActorRef agent, TowerDrives drives, TowerRegistry registry)
    {
        if (_roster.Refusal(r) is { } no)
        {
            log.Warning("floor: registration refused: {0}", no);
            agent.Tell(new Floor.RegistrationRefused(r.TowerId, no), context.Self);
            return (drives, []);
        }
        var known = _roster.Towers.GetValueOrDefault(r.TowerId);
        if (known != null && !known.Agent.Equals(agent)) context.Unwatch(known.Agent);
        var tower = new FloorTower(r.TowerId, agent, r.ControlUrl, r.Held.IsDefault ? [] : r.Held, [.. r.Drives.Select(d => d.Id)],
            agent.Path.Address.HasLocalScope);
        (_roster, var left) = _roster.With(tower);
        if (known is null || !known.Agent.Equals(agent))
        {
            context.Watch(agent);
            log.Info("floor: tower {0} registered {1} drive(s): {2}", r.TowerId, r.Drives.Length, string.Join(", ", tower.Drives));
        }
        var after = FloorDrives.Registered(drives, tower, r.Drives, left, registry);
        agent.Tell(new Floor.Registered(r.TowerId, r.Drives.Length, [.. _roster.Towers.Values.SelectMany(t => t.Drives)]), context.Self);
        return (after, left);
    }

    /// <summary>
    /// Tells every registered agent not on the router's node (but <paramref name="except"/>) a change of the floor's view:
    /// on the router's node the router's own event stream has it already.
    /// </summary>
    public void Broadcast(Floor.View change, IActorRef? except = null)
    {
        foreach (var t in _roster.Towers.Values)
            if (!t.SameNode && !t.Agent.Equals(except)) t.Agent.Tell(change, context.Self);
    }

    /// <summary>A watched actor stopped: if it was a tower's agent, the drives without that tower's and the drives that left; else null.</summary>
    public (TowerDrives Drives, ImmutableArray<string> Left, string Tower)? Lost(IActorRef actor, TowerDrives drives)
    {
        (_roster, var lost) = _roster.Without(actor);
        if (lost is null) return null;
        log.Warning("floor: tower {0} left ({1} drive(s): {2}); its discs in flight are interrupted and made again on the others",
            lost.Id, lost.Drives.Length, string.Join(", ", lost.Drives));
        foreach (var id in lost.Drives) drives = drives.Remove(id);
        return (drives, lost.Drives, lost.Id);
    }

    /// <summary>
    /// Answers <paramref name="asker"/> with every tower's drive history (each agent keeps its tower's), merged: a tower
    /// that does not answer within <paramref name="timeout"/> is left out rather than hold the answer up.
    /// </summary>
    public void GatherHistories(IActorRef asker, TimeSpan timeout)
    {
        var asks = _roster.Towers.Values.Select(t => t.Agent.Ask<Drives.DriveHistory.Histories>(Drives.DriveHistory.Get.Instance, timeout)
            .ContinueWith(a => a.IsCompletedSuccessfully ? a.Result.Drives : ImmutableSortedDictionary<string, Drives.DriveHistory.Record>.Empty, TaskScheduler.Default)).ToArray();
        Task.WhenAll(asks).ContinueWith(all =>
        {
            var merged = ImmutableSortedDictionary.CreateBuilder<string, Drives.DriveHistory.Record>(StringComparer.Ordinal);
            foreach (var histories in all.Result)
                foreach (var (id, record) in histories) merged[id] = record; // drive ids are unique on the floor
            return new Drives.DriveHistory.Histories(merged.ToImmutable());
        }, TaskScheduler.Default).PipeTo(asker);
    }

    /// <summary>
    /// A batch changed: its last change goes to the other towers' agents within <see cref="Floor.ViewBatchEvery"/>. A
    /// ledger state grows with the batch's discs; sending each change to every tower would cost towers x discs x changes.
    /// </summary>
    public void ViewBatch(Tower.BatchChanged change, ITimerScheduler timers)
    {
        if (change.Batch.Spec is not { } spec) return;
        _viewBatches[spec.BatchId] = change;
        if (!timers.IsTimerActive("view")) timers.StartSingleTimer("view", FlushView.Instance, Floor.ViewBatchEvery);
    }

    /// <summary>Sends the batches' changes that waited.</summary>
    public void FlushBatches()
    {
        foreach (var c in _viewBatches.Values) Broadcast(new Floor.View(Batch: c));
        _viewBatches.Clear();
    }

    /// <summary>Whether a drive's report from <paramref name="sender"/> is the drive's: only its tower's agent speaks for it.</summary>
    public bool Owns(IActorRef sender, string driveId) => _roster.Owns(sender, driveId);

    /// <summary>
    /// Sends <paramref name="burn"/> to the agent of <paramref name="drive"/>, with where its image can be fetched: for a
    /// batch's <paramref name="floorImage"/> (staged by the tower it was submitted to, not by the router) that tower
    /// first, and every agent, the router's own node's too, makes it local.
    /// </summary>
    public void Send(DriveSlot drive, Recorder.Burn burn, FloorImage? floorImage)
    {
        if (_roster.TowerOf(drive.Spec.Id) is not { } tower) return; // it left meanwhile: its Terminated interrupts the disc
        var sources = burn.Image.ContentSha256 is { } sha ? Sources(tower, sha, floorImage) : [];
        tower.Agent.Tell(new Floor.Assign(drive.Spec.Id, burn, tower.SameNode && floorImage is null, sources, floorImage), context.Self);
    }

    /// <summary>A floor image's batch is logged: every tower makes the image local at once, before its first disc.</summary>
    public void Prefetch(string batchId, FloorImage image)
    {
        foreach (var t in _roster.Towers.Values)
            t.Agent.Tell(new Floor.Prefetch(batchId, image.Sha256, image.Sectors * 2048, Sources(t, image.Sha256, image), image), context.Self);
    }

    // Where a tower fetches an image: the tower a floor image was submitted to first, then the towers that hold it.
    private ImmutableArray<Uri> Sources(FloorTower tower, string sha, FloorImage? floorImage)
    {
        var sources = _roster.Sources(sha, tower.Id);
        if (floorImage?.Origin is { } origin && Uri.TryCreate(origin, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            && !url.Equals(tower.ControlUrl))
            sources = [url, .. sources.Where(s => !s.Equals(url))];
        return sources;
    }

    /// <summary>A batch of a floor image ended: every agent is told, so its staging and copies of the image may go.</summary>
    public void Ended(string batchId, string sha256)
    {
        foreach (var t in _roster.Towers.Values) t.Agent.Tell(new Floor.BatchEnded(batchId, sha256), context.Self);
    }

    /// <summary>Why a submission cannot run on the floor, or null.</summary>
    public static string? Refuse(BatchSpec spec) => FloorDrives.Refusal(spec);
}
