using System.Text.Json;
using Duplicator.Host.Control;

namespace Duplicator.Host.WebConsole;

/// <summary>
/// The console's picture of the tower as one JSON document (drives, the newest batches, the feed's extras), built at
/// most once per <see cref="MinAge"/> however many consoles ask: every event stream shares it.
/// </summary>
internal sealed class ConsoleSnapshots(ITower tower, ITowerFeed? feed, string name)
{
    /// <summary>Batches a snapshot lists, newest first (the rest: GET /api/batches).</summary>
    public const int MaxBatches = 50;

    private static readonly TimeSpan MinAge = TimeSpan.FromMilliseconds(200);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly object _gate = new();
    private Task<string>? _pending;
    private DateTime _at;

    /// <summary>The current snapshot (a shared one younger than <see cref="MinAge"/>, or a new one).</summary>
    public Task<string> GetAsync()
    {
        lock (_gate)
        {
            if (_pending is { IsFaulted: false } p && (!p.IsCompleted || DateTime.UtcNow - _at < MinAge)) return p;
            _at = DateTime.UtcNow;
            return _pending = BuildAsync();
        }
    }

    private async Task<string> BuildAsync()
    {
        // The tower's own timeouts bound these asks; no caller's cancellation, since the result is shared.
        var drives = await tower.DrivesAsync(CancellationToken.None);
        var batches = await tower.BatchesAsync(CancellationToken.None);
        return JsonSerializer.Serialize(new
        {
            name,
            at = DateTimeOffset.UtcNow,
            drives,
            batches = batches.Take(MaxBatches),
            batchCount = batches.Count,
            extras = feed?.Extras() ?? ConsoleExtras.None,
        }, Json);
    }
}
