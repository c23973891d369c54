using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Scsi;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Batches;

/// <summary>An enum persisted (and shown) as its camelCase name, read case-insensitively (or as its number).</summary>
public sealed class CamelCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase) where T : struct, Enum;

/// <summary>
/// What a batch burns. Persisted as "folder", "image", "audio" (the names 026b234 wrote as strings), and "master",
/// "verify", "archive" for the jobs that read discs (see <see cref="JobRules"/>).
/// </summary>
[JsonConverter(typeof(CamelCaseEnumConverter<SourceKind>))]
public enum SourceKind
{
    /// <summary>A folder mastered into an ISO 9660 + Joliet image.</summary>
    Folder,
    /// <summary>A ready image file, burned as it is.</summary>
    Image,
    /// <summary>WAV files staged as a Red Book audio CD.</summary>
    Audio,
    /// <summary>A disc-to-disc copy: Paths holds the drive id of the master, whose disc is read once into the stash.</summary>
    Master,
    /// <summary>Verify-only: Paths holds a batch id; each disc loaded into the batch's drives is checked against that batch's content hash.</summary>
    Verify,
    /// <summary>A read (archive) job: Paths holds a folder; each disc loaded into the batch's drives is read to FOLDER/&lt;n&gt;.iso (or .bin/.cue).</summary>
    Archive,
}

/// <summary>Where one disc of a batch stands. Persisted as "started", "completed", "failed", "interrupted".</summary>
[JsonConverter(typeof(CamelCaseEnumConverter<DiscState>))]
public enum DiscState
{
    /// <summary>Handed to a drive, not finished.</summary>
    Started,
    /// <summary>Good (verified when the batch verifies).</summary>
    Completed,
    /// <summary>Failed; counts towards the failed-disc threshold.</summary>
    Failed,
    /// <summary>The host stopped while it was being made; it is made again and does not count as failed.</summary>
    Interrupted,
}

/// <summary>SCSI sense of a failed command: SPC-4 sense key, additional sense code and qualifier.</summary>
public sealed record SenseCode(byte Key, byte Asc, byte Ascq)
{
    /// <summary>key/ASC/ASCQ in hex, e.g. 03/0C/00.</summary>
    public override string ToString() => $"{Key:X2}/{Asc:X2}/{Ascq:X2}";

    /// <summary>The condition in words (SPC-4 Annex D, MMC-6), e.g. "write error".</summary>
    public string Describe() => new SenseData((SenseKey)Key, Asc, Ascq).Describe();
}

/// <summary>
/// Why a disc failed, as codes rather than prose: the IMAPI error, and for a failed SCSI command its sense and the
/// logical block it reported (the information field), so a console can show "03/0C/00 write error at LBA 123456 on drive-3".
/// </summary>
/// <param name="Code">The IMAPI-style error code.</param>
/// <param name="Sense">The sense of the failed drive command, when the failure came from one.</param>
/// <param name="Lba">The block the drive named in its sense data, when valid.</param>
public sealed record DiscError(
    [property: JsonConverter(typeof(JsonStringEnumConverter<ImapiError>))] ImapiError Code,
    SenseCode? Sense = null,
    long? Lba = null)
{
    /// <summary>The code in IMAPI's spelling, e.g. IMAPI_E_CANNOTWRITETOMEDIA.</summary>
    [JsonIgnore]
    public string ImapiName => "IMAPI_E_" + Code.ToString().ToUpperInvariant();

    /// <summary>The failure as one line: "03/0C/00 write error at LBA 123456 on drive-3", or the IMAPI name without sense.</summary>
    public string Describe(string drive) => Sense is { } s
        ? $"{s} {s.Describe()}{(Lba is { } lba ? $" at LBA {lba}" : "")} on {drive}"
        : $"{ImapiName} on {drive}";

    /// <summary>The error an exception carries: its IMAPI code, and the sense of a failed SCSI command; null for anything else.</summary>
    public static DiscError? From(Exception e) => e switch
    {
        ScsiCommandException { Sense: { } s } se => new DiscError(se.Code, new SenseCode((byte)s.Key, s.Asc, s.Ascq), s.Information),
        ImapiException ie => new DiscError(ie.Code),
        _ => null,
    };
}

/// <summary>Options a batch burns with.</summary>
/// <param name="Verify">Read every disc back and compare its SHA-256.</param>
/// <param name="Speed">Write speed multiple, 0 = maximum.</param>
/// <param name="FailedDiscThreshold">The batch stops failed after this many failed discs (0 = never); interrupted discs do not count.</param>
/// <param name="RejectIfNotBlank">Refuse media that is not blank.</param>
/// <param name="Drives">Drive ids to use; empty = all.</param>
/// <param name="DiscAtOnce">Audio CDs disc-at-once (cue sheet, gaps as staged) instead of track-at-once.</param>
public sealed record BatchOptions(bool Verify, int Speed, int FailedDiscThreshold, bool RejectIfNotBlank, ImmutableArray<string> Drives, bool DiscAtOnce = false)
{
    /// <summary>How an audio CD of this batch is written.</summary>
    [JsonIgnore]
    public AudioWriteMode AudioMode => DiscAtOnce ? AudioWriteMode.DiscAtOnce : AudioWriteMode.TrackAtOnce;

    /// <summary>Which discs are verified and how (null: <see cref="Verify"/> alone says, every disc in full or none; ledgers before policies).</summary>
    public VerifyPolicy? VerifyPolicy { get; init; }

    /// <summary>Which loaded media the batch accepts beyond blank and big enough (null: any).</summary>
    public MediaRules? MediaRules { get; init; }

    /// <summary>
    /// What the loaded disc of a verify-only (or append) batch must be, checked before it is read or written (null: no
    /// check). Not written when null, so a spec without it persists exactly as before.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DiscIdentity? Expect { get; init; }

    /// <summary>Append a session to each loaded disc instead of burning a blank one (null: burn blank media, as before). Not written when null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AppendSpec? Append { get; init; }

    /// <summary>The verify policy in force: <see cref="VerifyPolicy"/>, else the one <see cref="Verify"/> implies.</summary>
    [JsonIgnore]
    public VerifyPolicy EffectiveVerify => VerifyPolicy ?? Batches.VerifyPolicy.FromFlag(Verify);
}

/// <summary>What a batch is: an image source, how many good discs, and how.</summary>
/// <param name="BatchId">Unique id; submitting it again returns the existing batch.</param>
/// <param name="Source">Folder, image or audio.</param>
/// <param name="Paths">The folder, the image, or the WAV files.</param>
/// <param name="Copies">Good discs wanted.</param>
/// <param name="Options">How to burn.</param>
/// <param name="Volume">Volume name of a folder image (null: DUPLICATOR).</param>
/// <param name="Media">Capacity a folder or audio image is staged for (cd74, cd80, dvd, ...; null: dvd for data, cd80 for audio).</param>
/// <param name="FileSystem">File systems of a folder image: joliet, udf-bridge, udf or dvd-video (<see cref="BatchFileSystem"/>). Null
/// means joliet, what every batch staged before the field existed (so an old ledger restages the same bytes); new folder batches
/// always record it. Not written when null, so such a spec persists exactly as before.</param>
/// <param name="Priority">0 (lowest) to 9 (highest), <see cref="DefaultPriority"/> when not given (and in ledgers written before it).</param>
/// <param name="PerDisc">Serial-numbered discs: per-disc files and values (a folder source only); null: every disc is the image.</param>
/// <param name="AudioInfo">An audio batch's CD-TEXT, catalog number and ISRCs (absent: none, as before it existed).</param>
public sealed record BatchSpec(string BatchId, SourceKind Source, ImmutableArray<string> Paths, int Copies, BatchOptions Options, string? Volume = null, string? Media = null,
    int Priority = BatchSpec.DefaultPriority, PerDiscSpec? PerDisc = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FileSystem = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AudioInfoSpec? AudioInfo = null)
{
    /// <summary>The priority of a batch that names none.</summary>
    public const int DefaultPriority = 4;

    /// <summary>The highest priority (0 is the lowest).</summary>
    public const int MaxPriority = 9;

    /// <summary>The disc set this batch is one image of (<see cref="DiscSets"/>); null for an ordinary batch, and then not written, so such a spec persists as before.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public SetMember? Set { get; init; }

    /// <summary>
    /// On a floor of towers: the image the submitting tower staged from <see cref="Paths"/> (which other towers may not
    /// see), fetched by every tower by its hash; the router stages nothing from the paths. Null elsewhere, and then not
    /// written, so such a spec persists as before.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public FloorImage? FloorImage { get; init; }
}

/// <summary>
/// An image a floor tower staged for a batch submitted to it: its content SHA-256 (64 upper-case hex digits, as the
/// ledger keeps it), its 2048-byte sectors, and the control API base URL of that tower (where it is fetched first).
/// With <paramref name="PiecesSha256"/>, the SHA-256 of its piece list (the 32-byte SHA-256 of each
/// <paramref name="PieceBytes"/> of the image in order, the last piece shorter): a tower fetching it checks each piece
/// against that list, and the list against this hash, so it can burn the pieces that arrived while the rest arrive
/// (see <c>Floor.FloorPieces</c>). Null and 0 for an image staged before pieces were kept: fetched whole first.
/// </summary>
public sealed record FloorImage(string Sha256, long Sectors, string? Origin, string? PiecesSha256 = null, int PieceBytes = 0)
{
    /// <summary>True when <paramref name="value"/> is a SHA-256 as hex: exactly 64 hex digits, either case.</summary>
    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);
}

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

/// <summary>
/// Disc <paramref name="Disc"/> started on <paramref name="Drive"/>; in a per-disc batch with its <paramref name="Serial"/>,
/// its CSV <paramref name="Row"/> (0-based, null without a CSV) and that row's <paramref name="Values"/>.
/// </summary>
public sealed record DiscStarted(string BatchId, int Disc, string Drive, long? Serial = null, int? Row = null,
    ImmutableSortedDictionary<string, string>? Values = null) : IBatchEvent
{
    /// <summary>The verification this disc gets (<see cref="VerifyPlan"/>); null in ledgers before verify policies.</summary>
    public VerifyMode? Verify { get; init; }
}

/// <summary>Disc <paramref name="Disc"/> is good (verified when the batch verifies).</summary>
public sealed record DiscCompleted(string BatchId, int Disc, string Drive, string Sha256) : IBatchEvent;

/// <summary>
/// Disc <paramref name="Disc"/> failed: <paramref name="Error"/> holds its codes (null when the failure was no drive
/// error, or the event predates them); <paramref name="Interrupted"/> when the host stopped mid-disc (026b234 wrote that
/// as Reason "interrupted" only: <see cref="BatchSerializer"/> upcasts those).
/// </summary>
/// <remarks><paramref name="SerialFate"/>: in a per-disc batch, what its serial became: "void" (never used again) or "reissued" (the remake gets it).</remarks>
public sealed record DiscFailed(string BatchId, int Disc, string Drive, string Reason, DiscError? Error = null, bool Interrupted = false, string? SerialFate = null) : IBatchEvent
{
    /// <summary>It failed while being read back (a mismatch or a read error): under a sampling policy the drive is then verified in full.</summary>
    public bool DuringVerify { get; init; }
}

/// <summary>An operator cancelled the batch.</summary>
public sealed record BatchCancelled(string BatchId, string Reason) : IBatchEvent;

/// <summary>The batch ended: with all its good discs, or failed (threshold reached, source changed, ...).</summary>
public sealed record BatchFinished(string BatchId, bool Success, string Reason) : IBatchEvent;

/// <summary>One disc in a batch's ledger.</summary>
/// <param name="Disc">Disc number within the batch, from 1.</param>
/// <param name="Drive">Drive it was (or is being) burned on.</param>
/// <param name="State">Started, completed, failed or interrupted.</param>
/// <param name="Sha256">What the disc verified as, when completed.</param>
/// <param name="Reason">Why it failed.</param>
/// <param name="Error">The failure's codes, when it had any.</param>
/// <param name="Serial">Its serial, in a per-disc batch.</param>
/// <param name="Row">Its CSV row (0-based), when the batch has values.</param>
/// <param name="Values">That row's values by column.</param>
/// <param name="SerialFate">For a failed or interrupted per-disc disc: "void" or "reissued".</param>
public sealed record DiscEntry(int Disc, string Drive, DiscState State, string? Sha256, string? Reason, DiscError? Error = null,
    long? Serial = null, int? Row = null, ImmutableSortedDictionary<string, string>? Values = null, string? SerialFate = null)
{
    /// <summary>The verification the disc got (null: not recorded, a ledger before verify policies).</summary>
    public VerifyMode? Verify { get; init; }

    /// <summary>It failed its verification.</summary>
    public bool VerifyFailed { get; init; }

    /// <summary>For a good disc: the ledger's version when it completed (its place in completion order, what a disc set
    /// counts by); null while not good and in ledgers before it was kept, and then not written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Completed { get; init; }
}

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
    long Version = 0,
    long ImageSectors = 0) : IBatchPersisted
{
    /// <summary>The state before anything happened.</summary>
    public static BatchState Empty { get; } = new(null, BatchStatus.New, ImmutableSortedDictionary<int, string>.Empty, 0, 0,
        ImmutableSortedDictionary<int, string>.Empty, 1, null, null, null, ImmutableSortedDictionary<int, DiscEntry>.Empty);

    // Version: events applied so far; lets a reader that gets answers out of order keep the newest state.
    // ImageSectors: the staged image's sectors (0 before staging, and in snapshots written before it was kept).

    /// <summary>Every disc handed out, by number, with its latest state.</summary>
    public ImmutableSortedDictionary<int, DiscEntry> Discs => Ledger ?? ImmutableSortedDictionary<int, DiscEntry>.Empty;

    /// <summary>Good discs still to make.</summary>
    public int Remaining => Spec is null ? 0 : Math.Max(0, Spec.Copies - Good.Count);

    /// <summary>True once completed, failed or cancelled.</summary>
    public bool IsFinished => Status is BatchStatus.Completed or BatchStatus.Failed or BatchStatus.Cancelled;
}
