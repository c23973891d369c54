namespace Duplicator.Host.Configuration;

/// <summary>
/// This tower's place in a floor of towers (config section <c>cluster</c>): one Akka.Cluster of <c>duplicator serve</c>
/// hosts on one PostgreSQL ledger. Absent: the tower runs alone, as it always did.
/// </summary>
/// <param name="Tower">This tower's id on the floor (as a drive id: 1-32 letters, digits, '-', '_'); unique per floor.</param>
/// <param name="Host">The address this host's remoting binds to and the others reach it at.</param>
/// <param name="Port">Remoting's TCP port (1-65535).</param>
/// <param name="Seeds">Seed nodes, each <c>akka.tcp://duplicator@HOST:PORT</c> (1 to <see cref="MaxSeeds"/>).</param>
/// <param name="Roles">Extra cluster roles of this node (the host adds its own: see <c>Serving/FloorWiring</c>).</param>
/// <param name="FailureDetectorPause">The failure detector's acceptable heartbeat pause: silence longer than this marks a tower unreachable.</param>
/// <param name="StableAfter">The split-brain resolver's stable-after: how long the membership must be quiet before it downs the unreachable.</param>
/// <param name="DownRemovalMargin">After a tower is downed, how long the survivors wait before starting its singleton elsewhere.</param>
public sealed record ClusterConfig(string Tower, string Host, int Port, IReadOnlyList<Uri> Seeds, IReadOnlyList<string> Roles,
    TimeSpan FailureDetectorPause, TimeSpan StableAfter, TimeSpan DownRemovalMargin)
{
    /// <summary>
    /// The least time a tower the floor downed has been silent: the failure detector's pause plus stable-after. The
    /// fence's lease (<see cref="Serving.FloorFence.Settings.Lease"/>) and the freeze watch (<see cref="Serving.FreezeWatch"/>) both wait this long.
    /// </summary>
    public TimeSpan DownedAfterSilence => FailureDetectorPause + StableAfter;

    /// <summary>At most this many seed nodes.</summary>
    public const int MaxSeeds = 16;

    /// <summary>At most this many roles of the operator's own.</summary>
    public const int MaxRoles = 8;

    /// <summary>The actor system's name: every seed address must name it.</summary>
    public const string SystemName = "duplicator";

    /// <summary>Default acceptable heartbeat pause (Akka's own is 3 s).</summary>
    public static readonly TimeSpan DefaultFailureDetectorPause = TimeSpan.FromSeconds(2);

    /// <summary>Default stable-after (Akka's own is 20 s, which with the default margin took ~47 s to fail over).</summary>
    public static readonly TimeSpan DefaultStableAfter = TimeSpan.FromSeconds(2);

    /// <summary>Default down-removal margin (Akka's own follows stable-after).</summary>
    public static readonly TimeSpan DefaultDownRemovalMargin = TimeSpan.FromSeconds(1);

    /// <summary>Seed addresses as Akka writes them.</summary>
    public IEnumerable<string> SeedAddresses => Seeds.Select(s => $"akka.tcp://{SystemName}@{s.Host}:{s.Port}");
}
