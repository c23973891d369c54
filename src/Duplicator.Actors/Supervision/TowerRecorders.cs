using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Duplicator.Actors.Recorders;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// The tower's recorders: one <see cref="RecorderActor"/> per configured drive, each under a
/// <see cref="BackoffSupervisor"/> (a faulted drive is restarted after 1 s, 2 s, ... up to <c>BackoffMax</c>), as
/// children of the tower, reporting to it. Their bookkeeping is the <see cref="TowerDrives"/> value returned.
/// </summary>
internal static class TowerRecorders
{
    /// <summary>Starts a recorder for each of <paramref name="drives"/> (in order) and returns them opening, quarantined as the registry says.</summary>
    public static TowerDrives Start(IActorContext context, IEnumerable<Tower.DriveSpec> drives, Tower.Settings settings, TowerRegistry registry, ILoggingAdapter log)
    {
        var result = TowerDrives.Empty;
        int unnamed = 0;
        foreach (var d in drives)
        {
            var child = Recorder.Props(d.Id, d.Open, context.Self, settings.Recorder);
            var backoff = BackoffSupervisor.Props(Backoff.OnFailure(child, "recorder", settings.BackoffMin, settings.BackoffMax, 0.2, -1));
            // Named after the drive, so the log says which drive an actor is; a counter when the id is no valid path element.
            var name = ActorPath.IsValidPathElement("drive-" + d.Id) ? "drive-" + d.Id : $"drive-{unnamed++}";
            if (registry.Quarantined.TryGetValue(d.Id, out var why))
                log.Warning("drive {0} is still quarantined ({1}); clear it to use it again", d.Id, why);
            result = result.Add(d, context.ActorOf(backoff, name), registry);
        }
        return result;
    }
}
