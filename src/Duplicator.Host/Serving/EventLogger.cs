using Akka.Actor;
using Duplicator.Actors.Supervision;
using Microsoft.Extensions.Logging;

namespace Duplicator.Host.Serving;

/// <summary>
/// Turns the tower's published changes into plain structured log lines: one per drive state change (not per
/// progress tick) and one per change of a batch's counts or status.
/// </summary>
internal sealed class EventLogger : ReceiveActor
{
    private readonly Dictionary<string, string> _drives = [];
    private readonly Dictionary<string, string> _batches = [];

    public static Props Props(ILogger log) => Akka.Actor.Props.Create(() => new EventLogger(log));

    public EventLogger(ILogger log)
    {
        Receive<Tower.DriveChanged>(c =>
        {
            var d = c.Drive;
            var key = $"{d.State}|{d.Quarantined}|{d.BatchId}|{d.Disc}";
            if (_drives.TryGetValue(d.Id, out var last) && last == key) return;
            _drives[d.Id] = key;
            log.LogInformation("drive={Drive} state={State}{Quarantined} batch={Batch} disc={Disc} good={Good} bad={Bad}{Message}",
                d.Id, d.State.ToString().ToLowerInvariant(), d.Quarantined ? " quarantined=true" : "", d.BatchId ?? "-", d.Disc?.ToString() ?? "-",
                d.Good, d.Bad, d.Message is null ? "" : $" message=\"{d.Message}\"");
        });
        Receive<Tower.DriveRemoved>(r =>
        {
            if (!_drives.Remove(r.DriveId)) return;
            log.LogInformation("drive={Drive} removed reason=\"{Reason}\"", r.DriveId, r.Reason);
        });
        Receive<Tower.BatchChanged>(c =>
        {
            var b = c.Batch;
            if (b.Spec is null) return;
            var key = $"{b.Status}|{b.Good.Count}|{b.Failed}|{b.Interrupted}|{b.InFlight.Count}";
            if (_batches.TryGetValue(b.Spec.BatchId, out var last) && last == key) return;
            _batches[b.Spec.BatchId] = key;
            log.LogInformation("batch={Batch} status={Status} good={Good} failed={Failed} interrupted={Interrupted} in_flight={InFlight} remaining={Remaining}{Reason}",
                b.Spec.BatchId, b.Status.ToString().ToLowerInvariant(), b.Good.Count, b.Failed, b.Interrupted, b.InFlight.Count, b.Remaining,
                b.Reason is null ? "" : $" reason=\"{b.Reason}\"");
        });
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(Tower.DriveChanged));
        Context.System.EventStream.Subscribe(Self, typeof(Tower.DriveRemoved));
        Context.System.EventStream.Subscribe(Self, typeof(Tower.BatchChanged));
    }
}
