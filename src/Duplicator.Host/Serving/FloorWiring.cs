using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using System.Collections.Immutable;
using Duplicator.Actors.Floor;
using Duplicator.Actors.Supervision;
using Duplicator.Host.Control.Images;
using Duplicator.Host.Configuration;
using Npgsql;

namespace Duplicator.Host.Serving;

/// <summary>
/// The host side of a floor of towers (config section <c>cluster</c>): remoting on <see cref="ClusterConfig.Host"/>:<see
/// cref="ClusterConfig.Port"/>, Akka.Cluster with the seeds and roles of the config, the split-brain resolver
/// (keep-majority) and the failure detector tuned from it, and the floor's router as a cluster singleton, registered
/// (through its proxy) as <see cref="TowerKey"/> so that <see cref="ActorTower"/>, the control API and status talk to
/// the floor wherever the router runs. A tower the others downed stops (<see cref="WatchMembership"/>); the router's
/// node alone writes the router's journal (<see cref="FloorFence"/>).
/// </summary>
public static class FloorWiring
{
    /// <summary>The singleton's name (its manager is /user/floor-router, the proxy /user/floor-router-proxy).</summary>
    public const string RouterName = "floor-router";

    /// <summary>The cluster role every tower of the floor carries (the router runs on one of them).</summary>
    public const string TowerRole = "tower";

    /// <summary>Prefix of the role naming this process's incarnation (see <see cref="Incarnation"/>).</summary>
    public const string IncarnationRolePrefix = "incarnation-";

    /// <summary>
    /// This process's incarnation on the floor: the tower id and a random suffix, new at every start. It is a cluster
    /// role (so the others know which incarnation they downed) and the PostgreSQL application name of every ledger
    /// connection (so the fence can refuse the writes of a downed incarnation, see <see cref="FloorFence"/>).
    /// </summary>
    public static string Incarnation(ClusterConfig cluster) => $"{cluster.Tower}-{Random.Shared.NextInt64(1L << 40, 1L << 44):x}";

    /// <summary>The tower id of an incarnation (what <see cref="Incarnation"/> made).</summary>
    public static string TowerOf(string incarnation) => incarnation.LastIndexOf('-') is var i and > 0 ? incarnation[..i] : incarnation;

    /// <summary>
    /// The router's props: floor-core's router (<see cref="Floor.RouterProps"/>), the tower core with no drives of its
    /// own; every tower's drives are registered with it at run time by that tower's agent (<see cref="StartAgent"/>).
    /// </summary>
    public static Props RouterProps(IReadOnlyList<Tower.DriveSpec> drives, Tower.Settings settings) => Floor.RouterProps(settings);

    /// <summary>The agent's actor name on every tower (/user/floor-agent).</summary>
    public const string AgentName = "floor-agent";

    /// <summary>
    /// Starts this tower's <see cref="Floor.AgentProps(string, ImmutableArray{Tower.DriveSpec}, Tower.Settings, IActorRef, IImageFetcher, Uri?)"/>:
    /// its configured drives, the router's singleton proxy (<paramref name="router"/>), an <see cref="HttpImageFetcher"/>
    /// carrying the control token of the config (every tower of a floor shares one) and this tower's own control URL
    /// (<see cref="ControlUrl"/>), where the others fetch the images its router stages.
    /// </summary>
    public static IActorRef StartAgent(ActorSystem system, IActorRef router, TowerConfig config, IReadOnlyList<Tower.DriveSpec> drives, Tower.Settings settings)
    {
        var cluster = config.Cluster ?? throw new InvalidOperationException("no cluster section");
        var fetcher = new HttpImageFetcher(config.Control.Token);
        system.RegisterOnTermination(fetcher.Dispose);
        return system.ActorOf(Floor.AgentProps(cluster.Tower, [.. drives], settings, router, fetcher, ControlUrl(config)), AgentName);
    }

    /// <summary>
    /// The control API's base URL as the other towers reach it: <c>control.listen</c>, with a wildcard address
    /// (0.0.0.0, [::], *, +) replaced by the cluster host (the address the others reach this tower at).
    /// </summary>
    public static Uri ControlUrl(TowerConfig config)
    {
        var listen = config.Control.Listen.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        var uri = new UriBuilder(listen);
        if (uri.Host is "0.0.0.0" or "[::]" or "::" && config.Cluster is { } cluster) uri.Host = cluster.Host;
        uri.Path = "/";
        return uri.Uri;
    }

    /// <summary>Adds remoting, the cluster and the router singleton (behind its <see cref="FloorFence"/>) to <paramref name="akka"/>.</summary>
    public static void Configure(AkkaConfigurationBuilder akka, TowerConfig config, string incarnation, Func<Props> routerProps)
    {
        var cluster = config.Cluster ?? throw new InvalidOperationException("no cluster section");
        akka.AddHocon(Hocon(cluster), HoconAddMode.Prepend);
        akka.WithRemoting(cluster.Host, cluster.Port);
        akka.WithClustering(new ClusterOptions
        {
            SeedNodes = [.. cluster.SeedAddresses],
            Roles = [TowerRole, IncarnationRolePrefix + incarnation, .. cluster.Roles],
            SplitBrainResolver = new KeepMajorityOption(),
        });
        var fence = FloorFence.Settings.Of(config, incarnation);
        akka.WithSingleton<TowerKey>(RouterName, (_, _, _) => FloorFence.Props(fence, routerProps()),
            // The proxy looks for a moved router every 250 ms (Akka's 1 s is a second of every failover).
            new ClusterSingletonOptions { Role = TowerRole, SingletonIdentificationInterval = TimeSpan.FromMilliseconds(250) }, createProxyToo: true);
    }

    /// <summary>The timings of the config as HOCON (see docs/architecture.md, "A floor of towers").</summary>
    public static Config Hocon(ClusterConfig cluster)
    {
        static string Ms(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        return ConfigurationFactory.ParseString($$"""
            akka.cluster {
              failure-detector.acceptable-heartbeat-pause = {{Ms(cluster.FailureDetectorPause)}}
              split-brain-resolver.stable-after = {{Ms(cluster.StableAfter)}}
              down-removal-margin = {{Ms(cluster.DownRemovalMargin)}}
              # a tower the others downed stops its actor system (and the host with it: WatchMembership)
              run-coordinated-shutdown-when-down = on
              log-info = on
              # the first seed joins itself after this when no other seed answers (Akka's 5 s slows every floor start)
              seed-node-timeout = 2s
            }
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = on
            """);
    }

    /// <summary>The ledger's connection string with this incarnation as its application name (seen by the fence).</summary>
    public static string TagConnection(string connectionString, string incarnation) =>
        new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = incarnation }.ConnectionString;

    /// <summary>
    /// Fails <paramref name="health"/> (so <c>serve</c> exits 1 with one line) when this tower leaves the cluster
    /// other than by an orderly stop: downed by the others (frozen, partitioned) or removed, or stopped for longer than
    /// the floor waits before downing a silent tower (<see cref="FreezeWatch"/>). A frozen tower that wakes must stop,
    /// not burn.
    /// </summary>
    public static void WatchMembership(ActorSystem system, ClusterConfig config, TowerHealth health, Microsoft.Extensions.Logging.ILogger log, Action? journalAnswered = null)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        system.ActorOf(FloorMembers.Props(log), "floor-members");
        system.ActorOf(JournalWarmup.Props(config.Tower, log, journalAnswered ?? (() => { })), "journal-warmup");
        void Gone(string how)
        {
            if (health.Stopping) return;
            health.Fail($"this tower ({config.Tower}, {cluster.SelfAddress}) {how}; stopping: it burns nothing more and writes nothing more to the ledger");
        }
        cluster.RegisterOnMemberRemoved(() => Gone("was downed and removed from the floor by the other towers"));
        // Stopped past the failure detector's pause plus stable-after, the others have downed it: stop before its own
        // stale view acts (its drives finish nothing, its router fences nobody; the lease guards that too).
        var limit = config.DownedAfterSilence;
        var watch = new FreezeWatch(limit, stopped => Gone(string.Create(CultureInfo.InvariantCulture,
            $"was frozen for {stopped.TotalSeconds:F1} s, past the failure detector's pause plus stable-after ({limit.TotalSeconds:F1} s), so the other towers have downed it and moved its discs")));
        system.RegisterOnTermination(watch.Dispose);
        system.WhenTerminated.ContinueWith(_ => Gone($"left the floor (its actor system stopped: {CoordinatedShutdown.Get(system).ShutdownReason?.GetType().Name ?? "no reason given"})"),
            TaskScheduler.Default);
    }
}
