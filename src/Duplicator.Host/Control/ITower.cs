using Duplicator.Host.Jobs;

namespace Duplicator.Host.Control;

/// <summary>A batch as the control API and `duplicator status` show it.</summary>
/// <param name="Id">Batch id.</param>
/// <param name="State">recovering (its ledger is being read after a restart), staging, running, paused, completed, failed or cancelled.</param>
/// <param name="Source">What is burned (folder, image or audio tracks).</param>
/// <param name="Copies">Good discs wanted.</param>
/// <param name="Good">Discs completed (verified when the batch verifies).</param>
/// <param name="Bad">Discs failed.</param>
/// <param name="Remaining">Good discs still to make.</param>
/// <param name="EtaSeconds">Estimated seconds to the end, or null when unknown.</param>
/// <param name="Reason">Why a finished batch ended (e.g. "3 discs failed, the threshold is 3"), or null while it runs.</param>
/// <param name="FileSystem">A folder batch's file systems (joliet, udf-bridge, udf, dvd-video); null for an image or audio batch.</param>
/// <param name="Priority">0 (lowest) to 9 (highest), 4 by default.</param>
public sealed record BatchView(string Id, string State, string Source, int Copies, int Good, int Bad, int Remaining, double? EtaSeconds, string? Reason = null,
    int Priority = 4, string? FileSystem = null)
{
    /// <summary>True once completed, failed or cancelled.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFinished => State is "completed" or "failed" or "cancelled";
}

/// <summary>One disc of a batch's ledger.</summary>
/// <param name="Number">Disc number within the batch, from 1.</param>
/// <param name="Drive">Drive it was burned on.</param>
/// <param name="State">started, completed, failed or interrupted (the host stopped while it was made; it is made again).</param>
/// <param name="Sha256">SHA-256 of what was verified on the disc, when completed.</param>
/// <param name="Reason">Why it failed.</param>
/// <param name="Code">The IMAPI error of a failed disc, e.g. IMAPI_E_CANNOTWRITETOMEDIA, when it had one.</param>
/// <param name="Sense">SCSI sense key/ASC/ASCQ of the failed drive command, e.g. 03/0C/00.</param>
/// <param name="Lba">The block the drive named in its sense data.</param>
/// <param name="Detail">The failure in one line: "03/0C/00 write error at LBA 123456 on drive-3".</param>
public sealed record DiscView(int Number, string Drive, string State, string? Sha256, string? Reason,
    string? Code = null, string? Sense = null, long? Lba = null, string? Detail = null)
{
    /// <summary>The verification the disc got under the batch's policy: none, quick or full (null: a ledger from before policies).</summary>
    public string? Verify { get; init; }

    /// <summary>It failed its verification (under a sampling policy its drive is then verified in full for a while).</summary>
    public bool VerifyFailed { get; init; }

    /// <summary>Its serial, in a per-disc batch (null otherwise: the key is then left out).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? Serial { get; init; }

    /// <summary>Its row of the batch's CSV, from 1 (the first row after the header).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? Row { get; init; }

    /// <summary>That row's values by column.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Values { get; init; }

    /// <summary>For a failed or interrupted disc of a per-disc batch: "void" (its serial is never used again) or "reissued" (its remake got it).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? SerialFate { get; init; }
}

/// <summary>A batch with its per-disc ledger.</summary>
public sealed record BatchDetail(BatchView Batch, IReadOnlyList<DiscView> Discs);

/// <summary>A drive of the tower.</summary>
/// <param name="Id">Drive id from the config.</param>
/// <param name="Url">Where it is.</param>
/// <param name="State">idle, checking, writing, closing, verifying, ejecting, faulted, quarantined or held.</param>
/// <param name="Percent">Progress of the current disc, 0-100.</param>
/// <param name="BytesPerSecond">Current write rate.</param>
/// <param name="Quarantined">Taken out of service after repeated failures until an operator clears it.</param>
/// <param name="BatchId">Batch of the disc being burned, or null.</param>
/// <param name="Disc">Disc number being burned, or null.</param>
/// <param name="EtaSeconds">Seconds left in the current phase, or null.</param>
/// <param name="Good">Good discs this drive made since the host started.</param>
/// <param name="Bad">Failed discs on this drive since the host started.</param>
/// <param name="Held">Taken out of service by the operator (no failure counted) until released.</param>
public sealed record DriveView(string Id, string Url, string State, double Percent, double BytesPerSecond, bool Quarantined,
    string? BatchId = null, int? Disc = null, double? EtaSeconds = null, int Good = 0, int Bad = 0, bool Held = false)
{
    /// <summary>The drive's lifetime counts from the drive history journal (null: it has burned nothing yet).</summary>
    public DriveHistoryView? History { get; init; }

    /// <summary>On a floor of towers, the tower (its <c>cluster.tower</c> id) whose recorder this drive is; null on a standalone tower.</summary>
    public string? Tower { get; init; }
}

/// <summary>A drive's lifetime counts, kept across restarts (the drive history journal).</summary>
/// <param name="Good">Good discs over its life.</param>
/// <param name="Bad">Failed discs that were the drive's fault (write or read errors, stalls).</param>
/// <param name="Refused">Discs failed for the media (not blank, too small, wrong profile) or cancelled.</param>
/// <param name="BytesWritten">Bytes written over its life.</param>
/// <param name="HoursWriting">Hours spent writing.</param>
/// <param name="Underruns">Buffer underruns, on drives that count them.</param>
/// <param name="LastFailures">The latest failures, newest first.</param>
/// <param name="FirstSeen">When its first recorded disc ended.</param>
/// <param name="LastSeen">When its latest disc ended.</param>
public sealed record DriveHistoryView(long Good, long Bad, long Refused, long BytesWritten, double HoursWriting, long Underruns,
    IReadOnlyList<DriveFailureView> LastFailures, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>One failure in a drive's history.</summary>
/// <param name="At">When.</param>
/// <param name="BatchId">The batch.</param>
/// <param name="Disc">The disc number in the batch.</param>
/// <param name="Reason">Why, in words.</param>
/// <param name="Code">The IMAPI error, e.g. IMAPI_E_CANNOTWRITETOMEDIA.</param>
/// <param name="Sense">SCSI key/ASC/ASCQ, e.g. 03/0C/00.</param>
/// <param name="Lba">The block the drive named.</param>
public sealed record DriveFailureView(DateTimeOffset At, string BatchId, int Disc, string Reason, string? Code, string? Sense, long? Lba);

/// <summary>What the operator holds back: the whole tower (with why), paused batches, held drives.</summary>
public sealed record TowerView(bool Paused, string? Reason, IReadOnlyList<string> PausedBatches, IReadOnlyList<string> HeldDrives);

/// <summary>A staged image this tower holds: the stash file its ledger recorded and its size (see <see cref="ITower.StagedImageAsync"/>).</summary>
/// <param name="Path">The file, as the batch's ledger recorded it (never built from a request).</param>
/// <param name="Bytes">Its size.</param>
public sealed record StagedImageFile(string Path, long Bytes);

/// <summary>The answer to a submission: the batch, and whether it was created (false: the id existed, nothing new was made).</summary>
public sealed record SubmitResult(BatchView Batch, bool Created);

/// <summary>
/// What the host's front ends (control API, hot folder, CLI) ask of the tower. The orchestrator in
/// Duplicator.Actors stands behind it; tests put a fake there. Every call may throw
/// <see cref="TowerUnavailableException"/> when the tower does not answer in time (the API answers 503).
/// </summary>
public interface ITower
{
    /// <summary>Submits a batch; an existing id returns that batch and creates nothing.</summary>
    Task<SubmitResult> SubmitAsync(string batchId, JobRequest request, CancellationToken cancellationToken);

    /// <summary>Every batch, newest first.</summary>
    Task<IReadOnlyList<BatchView>> BatchesAsync(CancellationToken cancellationToken);

    /// <summary>A batch with its ledger, or null.</summary>
    Task<BatchDetail?> BatchAsync(string id, CancellationToken cancellationToken);

    /// <summary>The drives and what they are doing.</summary>
    Task<IReadOnlyList<DriveView>> DrivesAsync(CancellationToken cancellationToken);

    /// <summary>Cancels a batch; false when there is no such batch.</summary>
    Task<bool> CancelAsync(string id, CancellationToken cancellationToken);

    /// <summary>Puts a quarantined drive back in service; false when there is no such drive.</summary>
    Task<bool> ClearQuarantineAsync(string driveId, CancellationToken cancellationToken);

    /// <summary>What is paused and held.</summary>
    Task<TowerView> TowerAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Pauses batch <paramref name="batchId"/>, or the whole tower when null: no new disc starts, discs burning finish;
    /// it holds across restarts. False when there is no such batch; <see cref="TowerRefusedException"/> for a finished one.
    /// </summary>
    Task<bool> PauseAsync(string? batchId, CancellationToken cancellationToken);

    /// <summary>Resumes batch <paramref name="batchId"/>, or the whole tower when null; false when there is no such batch.</summary>
    Task<bool> ResumeAsync(string? batchId, CancellationToken cancellationToken);

    /// <summary>Takes a drive out of service without counting a failure (it finishes its disc first); false when there is no such drive.</summary>
    Task<bool> HoldAsync(string driveId, CancellationToken cancellationToken);

    /// <summary>Puts a held drive back in service; false when there is no such drive.</summary>
    Task<bool> ReleaseAsync(string driveId, CancellationToken cancellationToken);

    /// <summary>Submits a disc set job (<see cref="JobRequest.Set"/>) as set <paramref name="setId"/>; the same set again creates nothing. A tower without sets refuses.</summary>
    Task<(SetView Set, bool Created)> SubmitSetAsync(string setId, JobRequest request, CancellationToken cancellationToken) =>
        throw new JobRejectedException("request", ["set: this tower burns no disc sets"]);

    /// <summary>A disc set job with its set ledger, or null.</summary>
    Task<SetView?> SetAsync(string setId, CancellationToken cancellationToken) => Task.FromResult<SetView?>(null);

    /// <summary>Every disc set job, newest first.</summary>
    Task<IReadOnlyList<SetSummaryView>> SetsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<SetSummaryView>>([]);

    /// <summary>
    /// The stash file of a batch of this tower whose ledger recorded <paramref name="sha256"/> (64 hex digits, either
    /// case) as its image's content SHA-256, when that file still exists and its bytes are that content (a data image),
    /// or on a floor the copy of that image this tower holds (staged here for a batch submitted here, or fetched and
    /// checked here); null otherwise. Other towers fetch it through <c>GET /api/images/{sha256}</c> (docs/control-api.md).
    /// </summary>
    Task<StagedImageFile?> StagedImageAsync(string sha256, CancellationToken cancellationToken);
}

/// <summary>The tower refused an operator's request that cannot apply (pausing a finished batch); the API answers 409.</summary>
public sealed class TowerRefusedException(string reason) : Exception(reason);

/// <summary>The tower did not answer <paramref name="what"/> within <paramref name="timeout"/> (busy, or still starting).</summary>
public sealed class TowerUnavailableException(string what, TimeSpan timeout, Exception? inner = null)
    : Exception($"the tower did not answer {what} within {timeout.TotalSeconds:0.#} s; try again", inner);
