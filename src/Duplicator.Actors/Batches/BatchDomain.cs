using System.Collections.Immutable;

namespace Duplicator.Actors.Batches;

/// <summary>Options a batch burns with.</summary>
/// <param name="Verify">Read every disc back and compare its SHA-256.</param>
/// <param name="Speed">Write speed multiple, 0 = maximum.</param>
/// <param name="FailedDiscThreshold">The batch stops failed after this many failed discs (0 = never); interrupted discs do not count.</param>
/// <param name="RejectIfNotBlank">Refuse media that is not blank.</param>
/// <param name="Drives">Drive ids to use; empty = all.</param>
/// <param name="DiscAtOnce">Audio CDs disc-at-once (cue sheet, gaps as staged) instead of track-at-once.</param>
public sealed record BatchOptions(bool Verify, int Speed, int FailedDiscThreshold, bool RejectIfNotBlank, ImmutableArray<string> Drives, bool DiscAtOnce = false);

/// <summary>What a batch is: an image source, how many good discs, and how.</summary>
/// <param name="BatchId">Unique id; submitting it again returns the existing batch.</param>
/// <param name="Source">folder, image or audio.</param>
/// <param name="Paths">The folder, the image, or the WAV files.</param>
/// <param name="Copies">Good discs wanted.</param>
/// <param name="Options">How to burn.</param>
/// <param name="Volume">Volume name of a folder image (null: DUPLICATOR).</param>
/// <param name="Media">Capacity a folder or audio image is staged for (cd74, cd80, dvd, ...; null: dvd for data, cd80 for audio).</param>
public sealed record BatchSpec(string BatchId, string Source, ImmutableArray<string> Paths, int Copies, BatchOptions Options, string? Volume = null, string? Media = null);

/// <summary>Marker of everything the batch ledger persists (bound to <see cref="BatchSerializer"/>).</summary>
public interface IBatchPersisted;

/// <summary>A fact in a batch's ledger.</summary>
public interface IBatchEvent : IBatchPersisted
{
    /// <summary>The batch.</summary>
    string BatchId { get; }
}

/// <summary>The batch was accepted.</summary>
public sealed record BatchSubmitted(BatchSpec Spec, DateTimeOffset At) : IBatchEvent
{
    /// <inheritdoc />
    public string BatchId => Spec.BatchId;
}

/// <summary>The image was staged into the stash; its hash lets a restart check the stash.</summary>
public sealed record ImageStaged(string BatchId, string StashPath, string Sha256, long Sectors) : IBatchEvent;

/// <summary>Disc <paramref name="Disc"/> started on <paramref name="Drive"/>.</summary>
public sealed record DiscStarted(string BatchId, int Disc, string Drive) : IBatchEvent;

/// <summary>Disc <paramref name="Disc"/> is good (verified when the batch verifies).</summary>
public sealed record DiscCompleted(string BatchId, int Disc, string Drive, string Sha256) : IBatchEvent;

/// <summary>Disc <paramref name="Disc"/> failed; "interrupted" when the host stopped mid-disc.</summary>
public sealed record DiscFailed(string BatchId, int Disc, string Drive, string Reason) : IBatchEvent;

/// <summary>An operator cancelled the batch.</summary>
public sealed record BatchCancelled(string BatchId, string Reason) : IBatchEvent;

/// <summary>The batch ended: with all its good discs, or failed (threshold reached, source changed, ...).</summary>
public sealed record BatchFinished(string BatchId, bool Success, string Reason) : IBatchEvent;

/// <summary>The tower registered a batch id (the tower's own journal: which batches exist, to resume them on start).</summary>
public sealed record BatchRegistered(string BatchId, DateTimeOffset At) : IBatchPersisted;

/// <summary>The tower took a drive out of service after repeated failures (the tower's journal: it stays out after a restart).</summary>
public sealed record DriveQuarantined(string DriveId, string Reason, DateTimeOffset At) : IBatchPersisted;

/// <summary>An operator put a quarantined drive back in service.</summary>
public sealed record QuarantineCleared(string DriveId, DateTimeOffset At) : IBatchPersisted;

/// <summary>One disc in a batch's ledger.</summary>
/// <param name="Disc">Disc number within the batch, from 1.</param>
/// <param name="Drive">Drive it was (or is being) burned on.</param>
/// <param name="State">started, completed, failed or interrupted.</param>
/// <param name="Sha256">What the disc verified as, when completed.</param>
/// <param name="Reason">Why it failed.</param>
public sealed record DiscEntry(int Disc, string Drive, string State, string? Sha256, string? Reason);

/// <summary>Where a batch stands.</summary>
public enum BatchStatus
{
    /// <summary>Nothing submitted yet.</summary>
    New,
    /// <summary>Accepted, discs to make.</summary>
    Running,
    /// <summary>All good discs made.</summary>
    Completed,
    /// <summary>Stopped by a failure.</summary>
    Failed,
    /// <summary>Stopped by an operator.</summary>
    Cancelled,
}

/// <summary>
/// A batch's state, rebuilt from its events (and snapshotted as is). Immutable: <see cref="BatchLogic.Apply"/>
/// returns a new one.
/// </summary>
public sealed record BatchState(
    BatchSpec? Spec,
    BatchStatus Status,
    ImmutableSortedDictionary<int, string> Good,
    int Failed,
    int Interrupted,
    ImmutableSortedDictionary<int, string> InFlight,
    int NextDisc,
    string? ImageSha256,
    string? StashPath,
    string? Reason,
    ImmutableSortedDictionary<int, DiscEntry>? Ledger = null,
    long Version = 0) : IBatchPersisted
{
    /// <summary>The state before anything happened.</summary>
    public static BatchState Empty { get; } = new(null, BatchStatus.New, ImmutableSortedDictionary<int, string>.Empty, 0, 0,
        ImmutableSortedDictionary<int, string>.Empty, 1, null, null, null, ImmutableSortedDictionary<int, DiscEntry>.Empty);

    // Version: events applied so far; lets a reader that gets answers out of order keep the newest state.

    /// <summary>Every disc handed out, by number, with its latest state.</summary>
    public ImmutableSortedDictionary<int, DiscEntry> Discs => Ledger ?? ImmutableSortedDictionary<int, DiscEntry>.Empty;

    /// <summary>Good discs still to make.</summary>
    public int Remaining => Spec is null ? 0 : Math.Max(0, Spec.Copies - Good.Count);

    /// <summary>True once completed, failed or cancelled.</summary>
    public bool IsFinished => Status is BatchStatus.Completed or BatchStatus.Failed or BatchStatus.Cancelled;
}
