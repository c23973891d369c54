using Duplicator.Mastering.Media;

namespace Duplicator.Host.Jobs;

/// <summary>What a batch burns: exactly one of a folder tree, an ISO image file, or audio tracks.</summary>
public enum JobSourceKind
{
    /// <summary>A folder whose contents become the root of an ISO 9660 + Joliet image.</summary>
    Folder,
    /// <summary>A ready ISO image file, burned as is.</summary>
    Image,
    /// <summary>WAV files, one Red Book audio track each, in order.</summary>
    Audio,
    /// <summary>A disc-to-disc copy: Paths holds the drive id whose disc is the master (<c>"master"</c>).</summary>
    Master,
    /// <summary>Verify-only: Paths holds the batch id whose recorded hash the loaded discs are checked against (<c>"verifyAgainst"</c>).</summary>
    Verify,
    /// <summary>A read job: Paths holds the output folder each loaded disc is archived into (<c>"archive"</c>).</summary>
    Archive,
    /// <summary>A foreign BIN/CUE audio image (<c>"cue"</c>): Paths holds the CUE sheet, its BIN beside it; burned as is.</summary>
    Cue,
}

/// <summary>
/// A request to burn <see cref="Copies"/> good discs of one image: what arrives as a hot-folder job file
/// or in the control API's submit body (schema <c>duplicator.job/1</c>, see docs/jobs.md). Options left
/// null take the tower's defaults.
/// </summary>
/// <param name="Id">Batch id chosen by the submitter (idempotent: the same id returns the same batch), or null for a new one.</param>
/// <param name="Source">Folder, image or audio.</param>
/// <param name="Paths">The folder, the image file, or the WAV files; absolute after parsing.</param>
/// <param name="Copies">Good discs wanted, 1..10000.</param>
/// <param name="Volume">Volume name of a folder image.</param>
/// <param name="Media">Capacity a folder or audio image is staged for.</param>
/// <param name="Verify">Read back and compare each disc.</param>
/// <param name="Speed">Write speed multiple, 0 = drive maximum.</param>
/// <param name="Drives">Drive ids to use; empty = every drive of the tower.</param>
/// <param name="RejectIfNotBlank">Refuse non-blank media.</param>
/// <param name="FailedDiscThreshold">Stop the batch after this many failed discs (0 = never).</param>
/// <param name="AudioMode">Audio only: track-at-once (job file "tao", the default) or disc-at-once ("dao").</param>
/// <param name="Priority">0 (lowest) to 9 (highest); null: 4. Only in <c>duplicator.job/2</c> documents.</param>
/// <param name="FileSystem">Folder only: joliet, udf-bridge, udf or dvd-video (job file "filesystem"); null: the medium's default
/// (joliet for CD, udf-bridge for DVD, udf for BD).</param>
public sealed record JobRequest(
    string? Id,
    JobSourceKind Source,
    IReadOnlyList<string> Paths,
    int Copies,
    string? Volume,
    MediaKind? Media,
    bool? Verify,
    int? Speed,
    IReadOnlyList<string> Drives,
    bool? RejectIfNotBlank,
    int? FailedDiscThreshold,
    Duplicator.Drivers.Imapi.AudioWriteMode? AudioMode = null,
    int? Priority = null,
    Duplicator.Mastering.Data.DataFileSystems? FileSystem = null)
{
    /// <summary>duplicator.job/2: which discs are verified and how (null: <see cref="Verify"/> alone, every disc in full or none).</summary>
    public Duplicator.Actors.Batches.VerifyPolicy? VerifyPolicy { get; init; }

    /// <summary>duplicator.job/2: which loaded media the batch accepts (null: any blank medium big enough).</summary>
    public Duplicator.Actors.Batches.MediaRules? MediaRules { get; init; }

    /// <summary>duplicator.job/2: what the disc loaded for a verify-only job must be (<c>expect</c>: volume ID, a file); null: no check.</summary>
    public Duplicator.Actors.Batches.DiscIdentity? Expect { get; init; }

    /// <summary>duplicator.job/2: append a session to each loaded disc instead of burning blank media (<c>append</c>); null: burn blank media.</summary>
    public Duplicator.Actors.Batches.AppendSpec? Append { get; init; }

    /// <summary>Serial-numbered discs (the job's <c>perDisc</c> section, its CSV embedded); null: every disc is the image.</summary>
    public Duplicator.Actors.Batches.PerDiscSpec? PerDisc { get; init; }

    /// <summary>An audio job's CD-TEXT, catalog number and ISRCs (the <c>audioInfo</c> key); null: none.</summary>
    public Duplicator.Actors.Batches.AudioInfoSpec? AudioInfo { get; init; }

    /// <summary>A disc set job (the <c>set</c> key, <c>duplicator.job/2</c>): its images as member jobs; null for a job of one image.</summary>
    public JobSet? Set { get; init; }
}
