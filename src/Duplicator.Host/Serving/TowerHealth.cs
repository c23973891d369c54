using Microsoft.Extensions.Hosting;

namespace Duplicator.Host.Serving;

/// <summary>
/// Whether the tower host can still serve. The first fatal failure (a journal that cannot be written or read, the
/// tower actor gone) is kept, every pending and later ask of the tower fails at once with it
/// (<see cref="TowerFailedException"/>), and the application is stopped, so `serve` exits non-zero with one line
/// instead of listening on for a dead tower.
/// </summary>
public sealed class TowerHealth(IHostApplicationLifetime lifetime)
{
    private readonly CancellationTokenSource _failed = new();
    private string? _failure;

    /// <summary>Cancelled when the tower failed.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>The first fatal failure, or null.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Set when the host is stopping on purpose: the tower going away then is no failure.</summary>
    public bool Stopping { get; private set; }

    /// <summary>Marks an orderly stop.</summary>
    public void MarkStopping() => Stopping = true;

    /// <summary>Records <paramref name="reason"/> (the first one wins) and stops the application.</summary>
    public void Fail(string reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) != null) return;
        _failed.Cancel();
        lifetime.StopApplication();
    }
}

/// <summary>The tower failed (see <see cref="TowerHealth"/>); the message says why.</summary>
public sealed class TowerFailedException(string message) : IOException(message);
