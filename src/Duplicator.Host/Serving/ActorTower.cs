using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Serving;

/// <summary>
/// <see cref="ITower"/> over the orchestrator's supervisor actor: the control API, the hot folder and the CLI ask
/// it, and it turns the actor protocol's records into the views they show. Job options left unset take the
/// tower's configured defaults. With a <see cref="TowerHealth"/>, asks fail at once (<see cref="TowerFailedException"/>)
/// once the tower has failed.
/// </summary>
public sealed class ActorTower(IActorRef tower, BatchDefaults defaults, TimeSpan? timeout = null, TowerHealth? health = null) : ITower, IJobSink
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(30);

    /// <summary>The supervisor actor.</summary>
    public IActorRef Ref => tower;

    /// <inheritdoc />
    public BatchView Submit(string batchId, JobRequest request, out bool created)
    {
        var spec = ToSpec(batchId, request, defaults);
        switch (Ask(new Tower.Submit(spec)))
        {
            case Tower.Submitted s:
                created = s.Created;
                return View(s.State);
            case Tower.Rejected r:
                throw new JobRejectedException("request", [r.Reason]);
            default:
                throw new InvalidOperationException("the tower gave no answer to the submission");
        }
    }

    void IJobSink.Submit(string batchId, JobRequest request) => Submit(batchId, request, out _);

    /// <summary>The batch a job request describes, with the tower's defaults filled in.</summary>
    public static BatchSpec ToSpec(string batchId, JobRequest request, BatchDefaults defaults) => new(
        batchId,
        request.Source.ToString().ToLowerInvariant(),
        [.. request.Paths],
        request.Copies,
        new BatchOptions(request.Verify ?? defaults.Verify, request.Speed ?? defaults.Speed,
            request.FailedDiscThreshold ?? defaults.FailedDiscThreshold, request.RejectIfNotBlank ?? defaults.RejectIfNotBlank,
            [.. request.Drives], DiscAtOnce: request.AudioMode == "dao"),
        request.Volume,
        request.Media is { } m ? MediaCapacity.Name(m) : null);

    /// <inheritdoc />
    public IReadOnlyList<BatchView> Batches()
    {
        var drives = DriveStatuses();
        return ((BatchState[])Ask(Tower.GetBatches.Instance)).Select(b => View(b, drives)).ToArray();
    }

    /// <inheritdoc />
    public BatchDetail? Batch(string id)
    {
        if (Ask(new Tower.GetBatch(id)) is not BatchState state) return null;
        return new BatchDetail(View(state, DriveStatuses()),
            state.Discs.Values.Select(d => new DiscView(d.Disc, d.Drive, d.State, d.Sha256, d.Reason)).ToArray());
    }

    /// <summary>The ledger state of a batch, or null.</summary>
    public BatchState? State(string id) => Ask(new Tower.GetBatch(id)) as BatchState;

    /// <inheritdoc />
    public IReadOnlyList<DriveView> Drives() => DriveStatuses().Select(View).ToArray();

    /// <inheritdoc />
    public bool Cancel(string id) => ((Tower.Done)Ask(new Tower.Cancel(id, "cancelled by the operator"))).Found;

    /// <inheritdoc />
    public bool ClearQuarantine(string driveId) => ((Tower.Done)Ask(new Tower.ClearQuarantine(driveId))).Found;

    private Tower.DriveStatus[] DriveStatuses() => (Tower.DriveStatus[])Ask(Tower.GetDrives.Instance);

    // A failed tower (see TowerHealth) answers nothing: fail at once with the reason rather than wait for the timeout.
    private object Ask(object message)
    {
        if (health?.Failure is { } failed) throw new TowerFailedException(failed);
        try
        {
            return tower.Ask<object>(message, _timeout, health?.Failed ?? default).GetAwaiter().GetResult();
        }
        catch (Exception e) when (health?.Failure is { } why && e is OperationCanceledException or AskTimeoutException)
        {
            throw new TowerFailedException(why);
        }
    }

    /// <summary>A drive as the front ends show it.</summary>
    public static DriveView View(Tower.DriveStatus d) => new(d.Id, d.Url,
        d.Quarantined ? "quarantined" : d.State.ToString().ToLowerInvariant(), Math.Round(d.Percent, 1), Math.Round(d.BytesPerSecond), d.Quarantined,
        d.BatchId, d.Disc, d.EtaSeconds is { } e ? Math.Round(e, 1) : null, d.Good, d.Bad);

    private static BatchView View(BatchState b) => View(b, []);

    /// <summary>
    /// A batch as the front ends show it. The ETA is rough: the longest ETA among the drives burning it, times the
    /// rounds of discs still to start across those drives; null when nothing is burning.
    /// </summary>
    public static BatchView View(BatchState b, IReadOnlyList<Tower.DriveStatus> drives)
    {
        var spec = b.Spec;
        string state = b.Status switch
        {
            BatchStatus.Running when b.ImageSha256 is null => "staging",
            BatchStatus.Running => "running",
            var s => s.ToString().ToLowerInvariant(),
        };
        double? eta = null;
        var burning = drives.Where(d => d.BatchId == spec?.BatchId && d.EtaSeconds is not null).ToArray();
        if (b.Status == BatchStatus.Running && burning.Length > 0)
        {
            int toStart = Math.Max(0, b.Remaining - b.InFlight.Count);
            double perDisc = burning.Max(d => d.EtaSeconds!.Value);
            eta = Math.Round(perDisc * (1 + Math.Ceiling(toStart / (double)burning.Length)), 1);
        }
        return new BatchView(spec?.BatchId ?? "", state, spec is null ? "" : $"{spec.Source} {string.Join(" ", spec.Paths)}",
            spec?.Copies ?? 0, b.Good.Count, b.Failed + b.Interrupted, b.Remaining, eta);
    }
}
