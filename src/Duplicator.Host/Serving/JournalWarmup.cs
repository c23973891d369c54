using Akka.Actor;
using Akka.Persistence;
using Microsoft.Extensions.Logging;

namespace Duplicator.Host.Serving;

/// <summary>
/// On every tower of a floor, recovers an empty persistence id once at start, so the journal's plugin, its connection
/// pool and Linq2Db are warm before the router may have to start on this tower: measured, a cold first recovery on
/// PostgreSQL cost several seconds of every failover. It only reads (a fenced tower may read).
/// </summary>
internal sealed class JournalWarmup : ReceivePersistentActor
{
    private readonly ILogger _log;
    private readonly DateTime _started = DateTime.UtcNow;

    private readonly Action _answered;

    /// <summary>Props; <paramref name="answered"/> runs once the journal answered or failed (the next tower may start).</summary>
    public static Props Props(string tower, ILogger log, Action answered) => Akka.Actor.Props.Create(() => new JournalWarmup(tower, log, answered));

    public JournalWarmup(string tower, ILogger log, Action answered)
    {
        _log = log;
        _answered = answered;
        PersistenceId = $"floor-warmup-{tower}";
        Recover<RecoveryCompleted>(_ =>
        {
            _log.LogInformation("floor: the ledger's journal answered this tower in {Seconds:F1} s", (DateTime.UtcNow - _started).TotalSeconds);
            _answered();
            Context.Stop(Self);
        });
        RecoverAny(_ => { });
    }

    public override string PersistenceId { get; }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.LogWarning("floor: the ledger's journal did not answer this tower's warm-up: {Error}", reason.Message);
        _answered();
    }
}
