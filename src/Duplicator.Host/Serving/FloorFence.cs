using Akka.Actor;
using Akka.Event;
using Duplicator.Host.Configuration;

namespace Duplicator.Host.Serving;

/// <summary>
/// What the cluster singleton runs: the fence in front of the floor's router. It starts the router (its child) only
/// once this node holds the floor's writer lock in the ledger, and forwards every message to it (kept meanwhile).
/// </summary>
public static class FloorFence
{
    /// <summary>What the fence needs: who this is, and the ledger.</summary>
    /// <param name="Tower">This tower's id.</param>
    /// <param name="Incarnation">This process's incarnation (<see cref="FloorWiring.Incarnation"/>).</param>
    /// <param name="ConnectionString">The ledger's connection string.</param>
    public sealed record Settings(string Tower, string Incarnation, string ConnectionString)
    {
        /// <summary>The settings of <paramref name="config"/>'s tower.</summary>
        public static Settings Of(TowerConfig config, string incarnation) => new(config.Cluster!.Tower, incarnation, config.Storage.ConnectionString ?? "");
    }

    /// <summary>Props of the fence around <paramref name="router"/>.</summary>
    public static Props Props(Settings settings, Props router) => Akka.Actor.Props.Create(() => new FloorFenceActor(settings, router));
}

internal sealed class FloorFenceActor : UntypedActor, IWithStash
{
    private readonly FloorFence.Settings _settings;
    private readonly Props _routerProps;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _router;

    public FloorFenceActor(FloorFence.Settings settings, Props router)
    {
        _settings = settings;
        _routerProps = router;
    }

    public IStash Stash { get; set; } = null!;

    protected override void PreStart()
    {
        _router = Context.ActorOf(_routerProps, "router");
        Context.Watch(_router);
        _log.Info("floor: the router runs on this tower ({0}, incarnation {1})", _settings.Tower, _settings.Incarnation);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Terminated t when t.ActorRef.Equals(_router):
                Context.Stop(Self);
                break;
            default:
                _router.Forward(message);
                break;
        }
    }
}
