using Duplicator.Host.Jobs;

namespace Duplicator.Host.Control;

/// <summary>A batch as the control API and `duplicator status` show it.</summary>
/// <param name="Id">Batch id.</param>
/// <param name="State">submitted, staging, running, completed, failed or cancelled.</param>
/// <param name="Source">What is burned (folder, image or audio tracks).</param>
/// <param name="Copies">Good discs wanted.</param>
/// <param name="Good">Discs completed (verified when the batch verifies).</param>
/// <param name="Bad">Discs failed.</param>
/// <param name="Remaining">Good discs still to make.</param>
/// <param name="EtaSeconds">Estimated seconds to the end, or null when unknown.</param>
public sealed record BatchView(string Id, string State, string Source, int Copies, int Good, int Bad, int Remaining, double? EtaSeconds);

/// <summary>One disc of a batch's ledger.</summary>
/// <param name="Number">Disc number within the batch, from 1.</param>
/// <param name="Drive">Drive it was burned on.</param>
/// <param name="State">started, completed or failed.</param>
/// <param name="Sha256">SHA-256 of what was verified on the disc, when completed.</param>
/// <param name="Reason">Why it failed.</param>
public sealed record DiscView(int Number, string Drive, string State, string? Sha256, string? Reason);

/// <summary>A batch with its per-disc ledger.</summary>
public sealed record BatchDetail(BatchView Batch, IReadOnlyList<DiscView> Discs);

/// <summary>A drive of the tower.</summary>
/// <param name="Id">Drive id from the config.</param>
/// <param name="Url">Where it is.</param>
/// <param name="State">idle, checking, writing, closing, verifying, ejecting, faulted or quarantined.</param>
/// <param name="Percent">Progress of the current disc, 0-100.</param>
/// <param name="BytesPerSecond">Current write rate.</param>
/// <param name="Quarantined">Taken out of service after repeated failures until an operator clears it.</param>
/// <param name="BatchId">Batch of the disc being burned, or null.</param>
/// <param name="Disc">Disc number being burned, or null.</param>
/// <param name="EtaSeconds">Seconds left in the current phase, or null.</param>
/// <param name="Good">Good discs this drive made since the host started.</param>
/// <param name="Bad">Failed discs on this drive since the host started.</param>
public sealed record DriveView(string Id, string Url, string State, double Percent, double BytesPerSecond, bool Quarantined,
    string? BatchId = null, int? Disc = null, double? EtaSeconds = null, int Good = 0, int Bad = 0);

/// <summary>
/// What the host's front ends (control API, hot folder, CLI) ask of the tower. The orchestrator in
/// Duplicator.Actors stands behind it; tests put a fake there.
/// </summary>
public interface ITower
{
    /// <summary>Submits a batch; an existing id returns that batch and creates nothing (<paramref name="created"/> false).</summary>
    BatchView Submit(string batchId, JobRequest request, out bool created);

    /// <summary>Every batch, newest first.</summary>
    IReadOnlyList<BatchView> Batches();

    /// <summary>A batch with its ledger, or null.</summary>
    BatchDetail? Batch(string id);

    /// <summary>The drives and what they are doing.</summary>
    IReadOnlyList<DriveView> Drives();

    /// <summary>Cancels a batch; false when there is no such batch.</summary>
    bool Cancel(string id);

    /// <summary>Puts a quarantined drive back in service; false when there is no such drive.</summary>
    bool ClearQuarantine(string driveId);
}
