using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Logging;

namespace Duplicator.Host.Serving;

/// <summary>
/// Logs the floor's membership as this tower sees it, one line per change: <c>floor: tower T (ADDRESS) is up; 3 up: a, b, c</c>,
/// and the same for unreachable, reachable again, downed and removed. Towers are named by their tower role.
/// </summary>
internal sealed class FloorMembers : ReceiveActor
{
    public static Props Props(ILogger log) => Akka.Actor.Props.Create(() => new FloorMembers(log));

    private readonly HashSet<Member> _up = [];

    public FloorMembers(ILogger log)
    {
        // Its own count from the events: the cluster's State may lag behind the event being logged.
        void Say(Member m, string what) =>
            log.LogInformation("floor: tower {Tower} ({Address}) {What}; {Count} up: {Up}", Name(m), m.Address, what, _up.Count,
                string.Join(", ", _up.Select(Name).Order(StringComparer.Ordinal)));
        Receive<ClusterEvent.MemberUp>(e =>
        {
            _up.Add(e.Member);
            Say(e.Member, "is up");
        });
        Receive<ClusterEvent.UnreachableMember>(e => Say(e.Member, "is unreachable"));
        Receive<ClusterEvent.ReachableMember>(e => Say(e.Member, "is reachable again"));
        Receive<ClusterEvent.MemberDowned>(e =>
        {
            _up.Remove(e.Member);
            Say(e.Member, "was downed");
        });
        Receive<ClusterEvent.MemberRemoved>(e =>
        {
            _up.Remove(e.Member);
            Say(e.Member, "was removed");
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    /// <summary>The tower id of a member: its incarnation role without the suffix, or its address.</summary>
    public static string Name(Member m) =>
        m.Roles.FirstOrDefault(r => r.StartsWith(FloorWiring.IncarnationRolePrefix, StringComparison.Ordinal)) is { } r
            ? FloorWiring.TowerOf(r[FloorWiring.IncarnationRolePrefix.Length..]) : m.Address.ToString();

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
