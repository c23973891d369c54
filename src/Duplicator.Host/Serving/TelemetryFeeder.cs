using Akka.Actor;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;

namespace Duplicator.Host.Serving;

/// <summary>
/// Hands the tower's published changes (<see cref="Tower.DriveChanged"/>, <see cref="Tower.BatchChanged"/>,
/// <see cref="Recorder.ImapiEvent"/> block progress) to <see cref="TowerTelemetry"/>, and has it sample the drives'
/// rates every <see cref="TowerTelemetry.SampleSeconds"/>. Nothing here waits: the telemetry only updates counts under a lock.
/// </summary>
internal sealed class TelemetryFeeder : ReceiveActor, IWithTimers
{
    private sealed record SampleTick
    {
        public static readonly SampleTick Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TowerTelemetry telemetry) => Akka.Actor.Props.Create(() => new TelemetryFeeder(telemetry));

    public TelemetryFeeder(TowerTelemetry telemetry)
    {
        Receive<Tower.DriveChanged>(c => telemetry.OnDrive(c.Drive));
        Receive<Tower.DriveRemoved>(r => telemetry.OnDriveRemoved(r.DriveId));
        Receive<Duplicator.Actors.Floor.Floor.DrivesListed>(l => telemetry.OnDrivesListed(l.DriveIds));
        Receive<Tower.BatchChanged>(c => telemetry.OnBatch(c.Batch));
        Receive<Recorder.ImapiEvent>(e =>
        {
            if (e.Event == "BlockProgress") telemetry.OnBlocks(e.DriveId, e.BatchId, e.Disc, e.Completed);
        });
        Receive<Duplicator.Actors.Drives.DriveHistory.DiscRecorded>(d => telemetry.OnDiscRecorded(d.DriveId, d.Underruns));
        Receive<SampleTick>(_ => telemetry.Sample());
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(Tower.DriveChanged));
        Context.System.EventStream.Subscribe(Self, typeof(Tower.DriveRemoved));
        Context.System.EventStream.Subscribe(Self, typeof(Duplicator.Actors.Floor.Floor.DrivesListed));
        Context.System.EventStream.Subscribe(Self, typeof(Tower.BatchChanged));
        Context.System.EventStream.Subscribe(Self, typeof(Recorder.ImapiEvent));
        Context.System.EventStream.Subscribe(Self, typeof(Duplicator.Actors.Drives.DriveHistory.DiscRecorded));
        Timers.StartPeriodicTimer("sample", SampleTick.Instance, TimeSpan.FromSeconds(TowerTelemetry.SampleSeconds));
    }
}
