using Duplicator.Host.Control;
using Duplicator.Host.Jobs;

namespace Duplicator.Host.Tests.Control;

/// <summary>A scripted tower behind the control API: batches kept in a dictionary, one drive; <see cref="Unavailable"/> makes every call time out.</summary>
public sealed class FakeTower : ITower
{
    public Dictionary<string, (BatchView View, JobRequest Request)> Store { get; } = [];
    public List<string> Cleared { get; } = [];

    /// <summary>When set, every call throws <see cref="TowerUnavailableException"/> as an ask that timed out does.</summary>
    public bool Unavailable { get; set; }

    private void Check(string what)
    {
        if (Unavailable) throw new TowerUnavailableException(what, TimeSpan.FromSeconds(30));
    }

    public Task<SubmitResult> SubmitAsync(string batchId, JobRequest request, CancellationToken cancellationToken)
    {
        Check("the submission");
        bool created = !Store.ContainsKey(batchId);
        if (created) Store[batchId] = (new BatchView(batchId, "staging", request.Paths[0], request.Copies, 0, 0, request.Copies, null), request);
        return Task.FromResult(new SubmitResult(Store[batchId].View, created));
    }

    public Task<IReadOnlyList<BatchView>> BatchesAsync(CancellationToken cancellationToken)
    {
        Check("the list of batches");
        return Task.FromResult<IReadOnlyList<BatchView>>(Store.Values.Select(v => v.View).ToList());
    }

    public Task<BatchDetail?> BatchAsync(string id, CancellationToken cancellationToken)
    {
        Check($"batch {id}");
        return Task.FromResult(Store.TryGetValue(id, out var b)
            ? new BatchDetail(b.View, [new DiscView(1, "drive-1", "completed", "ab12", null),
                new DiscView(2, "drive-1", "failed", null, "IMAPI_E_CANNOTWRITETOMEDIA: drive-1: WRITE(10) failed", "IMAPI_E_CANNOTWRITETOMEDIA", "03/0C/00", 123456,
                    "03/0C/00 write error at LBA 123456 on drive-1")])
            : null);
    }

    public Task<IReadOnlyList<DriveView>> DrivesAsync(CancellationToken cancellationToken)
    {
        Check("the list of drives");
        return Task.FromResult<IReadOnlyList<DriveView>>([new DriveView("drive-1", "emulated:dvd+r", Held.Count > 0 ? "held" : "idle", 0, 0, Cleared.Count == 0, Held: Held.Count > 0)]);
    }

    public Task<bool> CancelAsync(string id, CancellationToken cancellationToken)
    {
        Check($"the cancellation of batch {id}");
        if (!Store.TryGetValue(id, out var b)) return Task.FromResult(false);
        Store[id] = (b.View with { State = "cancelled", Reason = "cancelled by the operator" }, b.Request);
        return Task.FromResult(true);
    }

    public bool TowerPaused { get; private set; }
    public HashSet<string> Held { get; } = [];

    public Task<TowerView> TowerAsync(CancellationToken cancellationToken)
    {
        Check("the tower's state");
        return Task.FromResult(new TowerView(TowerPaused, TowerPaused ? "paused by the operator" : null,
            [.. Store.Where(b => b.Value.View.State == "paused").Select(b => b.Key)], [.. Held]));
    }

    public Task<bool> PauseAsync(string? batchId, CancellationToken cancellationToken) => SetPaused(batchId, true);

    public Task<bool> ResumeAsync(string? batchId, CancellationToken cancellationToken) => SetPaused(batchId, false);

    private Task<bool> SetPaused(string? batchId, bool paused)
    {
        Check("pausing");
        if (batchId is null)
        {
            TowerPaused = paused;
            return Task.FromResult(true);
        }
        if (!Store.TryGetValue(batchId, out var b)) return Task.FromResult(false);
        if (b.View.IsFinished) throw new TowerRefusedException($"batch {batchId} is {b.View.State}: nothing is left to pause");
        Store[batchId] = (b.View with { State = paused ? "paused" : "running" }, b.Request);
        return Task.FromResult(true);
    }

    public Task<bool> HoldAsync(string driveId, CancellationToken cancellationToken)
    {
        Check($"holding drive {driveId}");
        return Task.FromResult(driveId == "drive-1" && (Held.Add(driveId) || true));
    }

    public Task<bool> ReleaseAsync(string driveId, CancellationToken cancellationToken)
    {
        Check($"releasing drive {driveId}");
        return Task.FromResult(driveId == "drive-1" && (Held.Remove(driveId) || true));
    }

    /// <summary>Staged images the tower answers for, by content hash (either case), and every hash it was asked for.</summary>
    public Dictionary<string, string> Images { get; } = new(StringComparer.OrdinalIgnoreCase);
    public List<string> ImageLookups { get; } = [];

    public Task<StagedImageFile?> StagedImageAsync(string sha256, CancellationToken cancellationToken)
    {
        Check($"image {sha256}");
        lock (ImageLookups) ImageLookups.Add(sha256);
        return Task.FromResult(Images.TryGetValue(sha256, out var path) && File.Exists(path) ? new StagedImageFile(path, new FileInfo(path).Length) : null);
    }

    public Task<bool> ClearQuarantineAsync(string driveId, CancellationToken cancellationToken)
    {
        Check($"clearing drive {driveId}");
        if (driveId != "drive-1") return Task.FromResult(false);
        Cleared.Add(driveId);
        return Task.FromResult(true);
    }
}
