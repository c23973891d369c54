using Akka.Actor;
using Akka.Hosting;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Duplicator.Host.Serving;

/// <summary>
/// The tower host's front ends, started once the actor system is up: the HTTP/JSON control API, the hot folder
/// (scanned every second; each accepted job's file follows its batch: running, done, failed), and the log of drive
/// and batch changes. It watches the tower (<see cref="JournalWatch"/>): a ledger that fails stops the host.
/// </summary>
public sealed class TowerService(IRequiredActor<TowerKey> towerActor, ActorSystem system, TowerConfig config, bool frontEnds, ILoggerFactory logs, TowerHealth health,
    StorageLock? storageLock = null, TowerTelemetry? telemetry = null) : IHostedService
{
    private readonly ILogger _log = logs.CreateLogger("duplicator");
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<ActorTower> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _api;
    private Task? _hotFolder;
    private Task? _lockWatch;

    /// <summary>The tower, once started.</summary>
    public Task<ActorTower> Tower => _ready.Task;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var towerRef = await towerActor.GetAsync(cancellationToken); // the tower is registered: the front ends may ask it
        var tower = new ActorTower(towerActor, config.Defaults, health: health)
        {
            RetryQueries = config.Cluster is not null, // a query lost to a router that died is asked again of the next one
            Floor = config.Cluster is null ? null
                : new FloorSubmission(system, config.StashDirectory, FloorWiring.ControlUrl(config), frontEnds ? [.. TowerRuntime.ServedRoots(config)] : null, TimeSpan.FromSeconds(30)),
        };
        var ledgerFile = StorageLock.LedgerFile(config.Storage);
        system.ActorOf(JournalWatch.Props(towerRef, health, StorageLock.LedgerName(config.Storage), ledgerFile), "journal-watch");
        // A PostgreSQL ledger's writer lock lives in a connection: losing it means another host may take the ledger.
        if (storageLock?.Postgres is { } postgres)
            _lockWatch = Task.Run(() => postgres.WatchAsync(TimeSpan.FromSeconds(2), health.Fail, _stop.Token));
        if (config.Cluster is { } floor) // downed by the floor: stop; once the journal answered, the next tower may start
            FloorWiring.WatchMembership(system, floor, health, _log, () => storageLock?.Postgres?.ReleaseStart());
        system.ActorOf(EventLogger.Props(_log), "event-log");
        if (telemetry != null) system.ActorOf(TelemetryFeeder.Props(telemetry), "telemetry"); // metrics and the console's feed
        var roots = config.Control.AllowedRoots.Select(Path.GetFullPath).ToArray();
        if (frontEnds)
        {
            _api = ControlApi.Build(config.Control.Listen, config.Control.Token, roots, Environment.CurrentDirectory, tower, allowedHosts: config.Control.AllowedHosts,
                feed: telemetry, towerName: config.Name);
            await _api.StartAsync(cancellationToken);
            if (config.HotFolder.Enabled)
                _hotFolder = Task.Run(() => WatchHotFolder(new HotFolder(config.HotFolder.Path, roots, tower), tower, _stop.Token));
            _log.LogInformation("tower {Name}: {Drives} drive(s) ({Ids}); control API on {Listen}; hot folder {HotFolder}; ledger {Ledger}",
                config.Name, config.Drives.Count, string.Join(", ", config.Drives.Select(d => d.Id)), config.Control.Listen,
                config.HotFolder.Enabled ? Path.GetFullPath(config.HotFolder.Path) : "off", StorageLock.LedgerName(config.Storage));
        }
        _ready.TrySetResult(tower);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        health.MarkStopping();
        _stop.Cancel();
        if (_api != null) await _api.StopAsync(cancellationToken);
        if (_hotFolder != null) await _hotFolder.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        if (_lockWatch != null) await _lockWatch.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    // A set job as the hot folder follows it: finished when the set is, running once a member has a disc.
    private static async Task<Control.BatchDetail?> SetJob(ActorTower tower, string id, CancellationToken stop) =>
        await tower.SetAsync(id, stop) is { } set
            ? new Control.BatchDetail(new Control.BatchView(id, set.Set.State, "set", set.Set.Copies, set.Set.Complete, set.Members.Sum(m => m.Bad),
                set.Set.Copies - set.Set.Complete, null, $"{set.Set.Complete} of {set.Set.Copies} sets complete"),
                [.. set.Sets.SelectMany(c => c.Discs).Select(d => new Control.DiscView(d.Disc, d.Drive, "completed", d.Sha256, null))])
            : null;

    private async Task WatchHotFolder(HotFolder folder, ActorTower tower, CancellationToken stop)
    {
        var running = new HashSet<string>(StringComparer.Ordinal);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                foreach (var e in folder.Scan())
                    _log.LogInformation("hot folder: {Job} {State}{Batch}{Problems}", e.JobFile, e.State, e.BatchId is null ? "" : $" as batch {e.BatchId}",
                        e.Problems.Count == 0 ? "" : ": " + string.Join("; ", e.Problems));
                foreach (var id in folder.ActiveJobs().Keys)
                {
                    // A disc set job's file follows its set.
                    if ((await tower.BatchAsync(id, stop) ?? await SetJob(tower, id, stop)) is not { } detail) continue;
                    var state = detail.Batch;
                    if (state.IsFinished)
                    {
                        folder.MarkFinished(id, state.State == "completed", state.State == "completed" ? [] : [$"batch {state.State}: {state.Reason}"]);
                        running.Remove(id);
                    }
                    else if (detail.Discs.Count > 0 && running.Add(id))
                    {
                        folder.MarkRunning(id);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogError("hot folder {Folder}: {Error}", folder.Folder, e.Message);
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
