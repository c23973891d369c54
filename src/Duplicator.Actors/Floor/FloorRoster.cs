using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Floor;

/// <summary>A tower registered with the floor router: its agent, where its images are fetched from, what it holds, its drives in order.</summary>
/// <param name="Id">The tower id.</param>
/// <param name="Agent">Its <see cref="FloorAgent"/> (the router watches it).</param>
/// <param name="ControlUrl">Its control API base URL, or null.</param>
/// <param name="Held">The staged images it holds.</param>
/// <param name="Drives">Its drive ids, in its order.</param>
/// <param name="SameNode">It runs on the router's node (its recorders take the router's staging as it is).</param>
internal sealed record FloorTower(string Id, IActorRef Agent, Uri? ControlUrl, ImmutableArray<Floor.HeldImage> Held, ImmutableArray<string> Drives, bool SameNode);

/// <summary>
/// The towers on the floor as an immutable value, the router's twin of <see cref="TowerDrives"/>: who registered which
/// drives, and the pure rules of registration. Drive ids are unique floor-wide: a tower may not register a drive id
/// another tower holds (refused, naming both); a tower that registers again from a new agent (its node restarted)
/// replaces its old registration, whose drives leave first.
/// </summary>
internal sealed record FloorRoster(ImmutableDictionary<string, FloorTower> Towers)
{
    /// <summary>No towers.</summary>
    public static FloorRoster Empty { get; } = new(ImmutableDictionary<string, FloorTower>.Empty);

    /// <summary>The tower registered by <paramref name="agent"/>, or null.</summary>
    public FloorTower? ByAgent(IActorRef agent) => Towers.Values.FirstOrDefault(t => t.Agent.Equals(agent));

    /// <summary>The tower that registered drive <paramref name="driveId"/>, or null.</summary>
    public FloorTower? TowerOf(string driveId) => Towers.Values.FirstOrDefault(t => t.Drives.Contains(driveId));

    /// <summary>Whether <paramref name="agent"/> is the agent of the tower holding drive <paramref name="driveId"/>: reports from anyone else are not the drive's.</summary>
    public bool Owns(IActorRef agent, string driveId) => TowerOf(driveId) is { } t && t.Agent.Equals(agent);

    /// <summary>Why <paramref name="r"/> cannot be registered (bad ids, too many drives or images, a drive id another tower holds), or null.</summary>
    public string? Refusal(Floor.Register r)
    {
        if (!Floor.IsId(r.TowerId)) return $"tower id '{Show(r.TowerId)}' must be 1-32 letters, digits, '-' or '_'";
        if (r.Drives.IsDefault || r.Drives.Length > Floor.MaxDrivesPerTower)
            return $"tower {r.TowerId}: {(r.Drives.IsDefault ? 0 : r.Drives.Length)} drives; a tower registers 0-{Floor.MaxDrivesPerTower}";
        if (!r.Held.IsDefault && r.Held.Length > Floor.MaxHeldImages)
            return $"tower {r.TowerId}: {r.Held.Length} held images; at most {Floor.MaxHeldImages}";
        if (!r.Late.IsDefault && r.Late.Length > Floor.MaxLate)
            return $"tower {r.TowerId}: {r.Late.Length} late discs; at most {Floor.MaxLate}";
        if (r.Drives.FirstOrDefault(d => !Floor.IsId(d.Id)) is { } bad)
            return $"tower {r.TowerId}: drive id '{Show(bad.Id)}' must be 1-32 letters, digits, '-' or '_'";
        if (r.Drives.GroupBy(d => d.Id).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return $"tower {r.TowerId}: drive {twice.Key} is named twice";
        foreach (var d in r.Drives)
            if (TowerOf(d.Id) is { } other && other.Id != r.TowerId)
                return $"drive {d.Id} of tower {r.TowerId} is already registered by tower {other.Id}: drive ids must be unique on the floor";
        return null;
    }

    /// <summary>
    /// The roster with <paramref name="tower"/> registered, and the drives that left with it: every drive of its
    /// previous registration when its agent changed (the node restarted), else those it no longer names.
    /// </summary>
    public (FloorRoster Roster, ImmutableArray<string> Left) With(FloorTower tower)
    {
        var left = Towers.GetValueOrDefault(tower.Id) is not { } before ? []
            : before.Agent.Equals(tower.Agent) ? before.Drives.Except(tower.Drives).ToImmutableArray() : before.Drives;
        return (new FloorRoster(Towers.SetItem(tower.Id, tower)), left);
    }

    /// <summary>The roster without the tower of <paramref name="agent"/> (its node left), and that tower (null: not registered, nothing changes).</summary>
    public (FloorRoster Roster, FloorTower? Lost) Without(IActorRef agent) =>
        ByAgent(agent) is { } t ? (new FloorRoster(Towers.Remove(t.Id)), t) : (this, null);

    /// <summary>Where tower <paramref name="forTower"/> may fetch the image <paramref name="sha256"/>: the router's own tower first, then towers that said they hold it.</summary>
    public ImmutableArray<Uri> Sources(string sha256, string forTower) =>
    [
        .. Towers.Values.Where(t => t.Id != forTower && t.ControlUrl != null && (t.SameNode || t.Held.Any(h => h.Sha256 == sha256)))
            .OrderBy(t => t.SameNode ? 0 : 1).ThenBy(t => t.Id, StringComparer.Ordinal).Select(t => t.ControlUrl!),
    ];

    private static string Show(string? s) => s is null ? "" : s.Length > 40 ? s[..40] + "..." : s;
}

/// <summary>
/// How a registration changes the router's <see cref="TowerDrives"/> (pure): drives that left are removed, new ones are
/// added as their recorder last reported (a new router starts with what the drives are doing now, not "opening"),
/// and drives the same agent registered before keep their slot. <see cref="Interrupted"/> names the discs on drives
/// that left, to be failed as interrupted (made again elsewhere, not counted against the failed-disc threshold).
/// </summary>
internal static class FloorDrives
{
    /// <summary>
    /// The drives after <paramref name="tower"/> registered <paramref name="drives"/> (each recorder is the tower's agent),
    /// with <paramref name="left"/> removed first.
    /// </summary>
    public static TowerDrives Registered(TowerDrives current, FloorTower tower, ImmutableArray<Floor.DriveInfo> drives, ImmutableArray<string> left, TowerRegistry registry)
    {
        foreach (var id in left) current = current.Remove(id);
        foreach (var d in drives)
        {
            if (current.Get(d.Id) is { } known && known.Recorder.Equals(tower.Agent)) continue;
            var spec = new Tower.DriveSpec(d.Id, d.Url, () => throw new InvalidOperationException($"drive {d.Id} is opened by tower {tower.Id}'s agent"));
            current = current.Add(spec, tower.Agent, registry, tower.Id);
            if (d.Last is { } last && last.DriveId == d.Id) current = current.Set(TowerDrives.Reported(current.Get(d.Id)!, last), registry);
        }
        return current;
    }

    /// <summary>The discs in flight on <paramref name="left"/> drives, as the interrupted failures to tell their ledgers.</summary>
    public static ImmutableArray<(string BatchId, FailDisc Command)> Interrupted(TowerBatches batches, IReadOnlyCollection<string> left, string why) =>
    [
        .. batches.Slots.Values.SelectMany(b => b.State.InFlight.Where(kv => left.Contains(kv.Value))
            .Select(kv => (b.Id, new FailDisc(kv.Key, kv.Value, $"interrupted: {why}") { Interrupted = true }))),
    ];

    /// <summary>Why a batch cannot run on a floor (for now: only data batches of identical discs), or null.</summary>
    public static string? Refusal(BatchSpec spec) =>
        spec.Source is SourceKind.Folder or SourceKind.Image && spec.PerDisc is null && !(spec.Source == SourceKind.Image && spec.Paths.Any(p => p.EndsWith(".cue", StringComparison.OrdinalIgnoreCase)))
            ? null
            : $"batch {BatchIds.Show(spec.BatchId)}: a floor of towers runs data batches (a folder or an ISO image) of identical discs; not {Describe(spec)}";

    private static string Describe(BatchSpec spec) => spec.PerDisc is not null ? "per-disc files"
        : spec.Source == SourceKind.Image ? "a BIN/CUE image"
        : spec.Source.ToString().ToLowerInvariant() is var kind && "aeiou".Contains(kind[0]) ? $"an {kind} job" : $"a {kind} job";
}
