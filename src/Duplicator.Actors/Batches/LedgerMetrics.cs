using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Duplicator.Actors.Batches;

/// <summary>
/// How long a batch's ledger takes to store what a command decided (System.Diagnostics.Metrics, meter
/// <see cref="MeterName"/>; a host exports it, e.g. the tower's <c>/metrics</c> as
/// <c>duplicator_ledger_write_seconds</c>). One sample per command with facts: from the decision to the journal's
/// acknowledgement of its last fact, the time a drive waits for its disc to be counted.
/// </summary>
public static class LedgerMetrics
{
    /// <summary>The meter's name (what a MeterProvider adds).</summary>
    public const string MeterName = "Duplicator.Ledger";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> WriteSeconds = Meter.CreateHistogram<double>("duplicator.ledger.write", "s",
        "Time from a batch command's decision until the journal stored its facts");

    /// <summary>Records a write that started at <paramref name="startedTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>) and is acknowledged now.</summary>
    internal static void Written(long startedTimestamp) => WriteSeconds.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
}
