using Duplicator.Host.Control;
using Duplicator.Host.Jobs;

namespace Duplicator.Host.Tests.Control;

/// <summary>A scripted tower behind the control API: batches kept in a dictionary, one drive.</summary>
public sealed class FakeTower : ITower
{
    public Dictionary<string, (BatchView View, JobRequest Request)> Store { get; } = [];
    public List<string> Cleared { get; } = [];

    public BatchView Submit(string batchId, JobRequest request, out bool created)
    {
        created = !Store.ContainsKey(batchId);
        if (created) Store[batchId] = (new BatchView(batchId, "submitted", request.Paths[0], request.Copies, 0, 0, request.Copies, null), request);
        return Store[batchId].View;
    }

    public IReadOnlyList<BatchView> Batches() => Store.Values.Select(v => v.View).ToList();

    public BatchDetail? Batch(string id) =>
        Store.TryGetValue(id, out var b) ? new BatchDetail(b.View, [new DiscView(1, "drive-1", "completed", "ab12", null)]) : null;

    public IReadOnlyList<DriveView> Drives() => [new DriveView("drive-1", "emulated:dvd+r", "idle", 0, 0, Cleared.Count == 0)];

    public bool Cancel(string id)
    {
        if (!Store.TryGetValue(id, out var b)) return false;
        Store[id] = (b.View with { State = "cancelled" }, b.Request);
        return true;
    }

    public bool ClearQuarantine(string driveId)
    {
        if (driveId != "drive-1") return false;
        Cleared.Add(driveId);
        return true;
    }
}
