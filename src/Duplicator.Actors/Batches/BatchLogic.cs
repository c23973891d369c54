using System.Collections.Immutable;
using Duplicator.Mastering.Data;

namespace Duplicator.Actors.Batches;

/// <summary>A request to the batch, decided against its state.</summary>
public abstract record BatchCommand;

/// <summary>Submit (idempotent: an existing batch yields no events when the spec is the same; a different spec under its id is refused).</summary>
public sealed record SubmitBatch(BatchSpec Spec, DateTimeOffset At) : BatchCommand;

/// <summary>Record the staged image.</summary>
public sealed record RecordStaged(string StashPath, string Sha256, long Sectors) : BatchCommand;

/// <summary>A drive asks for a disc to burn.</summary>
public sealed record StartDisc(string Drive) : BatchCommand;

/// <summary>A disc came out good.</summary>
public sealed record CompleteDisc(int Disc, string Drive, string Sha256) : BatchCommand
{
    /// <summary>
    /// Reported after the router that handed the disc out was gone (a floor's router moved, and the new one recovered
    /// the disc as interrupted): counted only when the ledger has it interrupted on that drive and the batch still needs
    /// a disc (good plus in flight under the copies), else refused as a surplus disc to set aside.
    /// </summary>
    public bool Late { get; init; }
}

/// <summary>A disc failed.</summary>
public sealed record FailDisc(int Disc, string Drive, string Reason, DiscError? Error = null) : BatchCommand
{
    /// <summary>It failed while being read back.</summary>
    public bool DuringVerify { get; init; }

    /// <summary>
    /// The disc was interrupted, not failed (on a floor, its tower left mid-disc): recorded as <see cref="DiscFailed.Interrupted"/>,
    /// made again, not counted against the failed-disc threshold, as <see cref="RecoverBatch"/> records it after a restart.
    /// </summary>
    public bool Interrupted { get; init; }
}

/// <summary>Cancel the batch.</summary>
public sealed record CancelBatch(string Reason) : BatchCommand;

/// <summary>End the batch as failed (its image could not be staged, its source changed, ...).</summary>
public sealed record FailBatch(string Reason) : BatchCommand;

/// <summary>After a restart: discs that were in flight are failed as interrupted, to be made again.</summary>
public sealed record RecoverBatch : BatchCommand;

/// <summary>The outcome of <see cref="BatchLogic.Decide"/>: the events to persist, or why the command was refused.</summary>
public sealed record BatchDecision(ImmutableArray<IBatchEvent> Events, string? Refused)
{
    /// <summary>Accepted with these events (possibly none: an idempotent repeat).</summary>
    public static BatchDecision Accept(params IBatchEvent[] events) => new([.. events], null);

    /// <summary>Refused, with the reason.</summary>
    public static BatchDecision Refuse(string why) => new([], why);
}

/// <summary>
/// The batch ledger's rules as pure functions: <see cref="Decide"/> turns a command into facts, <see cref="Apply"/>
/// folds a fact into the state. The persistent actor persists what Decide returns and applies it; recovery
/// replays Apply. Guarantees: exactly <c>Copies</c> good discs (a disc is handed out only while good plus
/// in-flight discs are fewer than wanted), a disc completes or fails once (repeats yield no events),
/// interrupted discs are made again and do not count towards the failed-disc threshold.
/// </summary>
public static class BatchLogic
{
    /// <summary>Decides <paramref name="command"/> against <paramref name="state"/>.</summary>
    public static BatchDecision Decide(BatchState state, BatchCommand command)
    {
        var id = state.Spec?.BatchId ?? "";
        switch (command)
        {
            case SubmitBatch s:
                if (state.Spec != null) // idempotent for the same job; another job under a used id is refused, never merged
                    return Difference(state.Spec, s.Spec) is { } differs
                        ? BatchDecision.Refuse($"id: batch {state.Spec.BatchId} exists ({state.Status.ToString().ToLowerInvariant()}) with a different job ({differs}); a new job needs a new id")
                        : BatchDecision.Accept();
                if (BatchIds.Refusal(s.Spec.BatchId) is { } badId) return BatchDecision.Refuse(badId);
                if (s.Spec.Copies < 1) return BatchDecision.Refuse($"copies {s.Spec.Copies}: at least 1");
                if (BatchFileSystem.Refusal(s.Spec) is { } badFileSystem) return BatchDecision.Refuse(badFileSystem);
                if (AudioInfoSpec.Refusal(s.Spec) is { } badAudioInfo) return BatchDecision.Refuse(badAudioInfo);
                if (JobRules.Refusal(s.Spec) is { } badJob) return BatchDecision.Refuse(badJob);
                if (s.Spec.Options.Append is not null && AppendSpec.Refusal(s.Spec) is { } badAppend) return BatchDecision.Refuse(badAppend);
                if (s.Spec.Priority is < 0 or > BatchSpec.MaxPriority)
                    return BatchDecision.Refuse($"priority {s.Spec.Priority}: 0 (lowest) to {BatchSpec.MaxPriority} (highest)");
                if (s.Spec.FloorImage is { } floorImage && FloorImageRefusal(floorImage) is { } badImage) return BatchDecision.Refuse(badImage);
                if (s.Spec.PerDisc is { } perDisc)
                {
                    if (s.Spec.Source != SourceKind.Folder) return BatchDecision.Refuse($"perDisc: per-disc files are mastered into a folder's image, not a {s.Spec.Source.ToString().ToLowerInvariant()} source");
                    if (PerDiscLogic.Refusal(perDisc, s.Spec.Copies, s.Spec.BatchId) is { } bad) return BatchDecision.Refuse(bad);
                    // Per-disc sectors are laid out for ISO 9660 + Joliet and the udf-bridge (its UDF file entries and
                    // volume descriptors patched too); UDF 2.50's metadata partition and mirror are not.
                    if (s.Spec.FileSystem is { } fs && fs is not ("joliet" or "udf-bridge"))
                        return BatchDecision.Refuse($"perDisc: per-disc files are written on joliet and udf-bridge discs only, not filesystem '{fs}'");
                }
                return BatchDecision.Accept(new BatchSubmitted(s.Spec, s.At));
            case var _ when state.Spec is null:
                return BatchDecision.Refuse("no batch has been submitted");
            case CancelBatch c:
                return state.IsFinished ? BatchDecision.Accept() : BatchDecision.Accept(new BatchCancelled(id, c.Reason));
            case RecoverBatch:
                return RunOut(state, [.. state.InFlight.Select(kv => (IBatchEvent)new DiscFailed(id, kv.Key, kv.Value, "interrupted", Interrupted: true, SerialFate: Fate(state)))]);
            case var _ when state.IsFinished:
                return BatchDecision.Refuse($"batch {id} is {state.Status.ToString().ToLowerInvariant()}");
            case FailBatch f:
                return BatchDecision.Accept(new BatchFinished(id, false, f.Reason));
            case RecordStaged r:
                return BatchDecision.Accept(new ImageStaged(id, r.StashPath, r.Sha256, r.Sectors));
            case StartDisc s:
                if (JobRules.RefuseStart(state, s.Drive) is { } notThis) return BatchDecision.Refuse(notThis);
                if (state.Good.Count + state.InFlight.Count >= state.Spec.Copies)
                    return BatchDecision.Refuse($"batch {id} needs no more discs ({state.Good.Count} good, {state.InFlight.Count} in flight, {state.Spec.Copies} wanted)");
                if (state.InFlight.ContainsValue(s.Drive))
                    return BatchDecision.Refuse($"drive {s.Drive} is already burning a disc of batch {id}");
                var verify = VerifyPlan.Choose(state.Spec.Options.EffectiveVerify, state.Discs.Values, s.Drive);
                if (state.Spec.PerDisc is not { } pd) return BatchDecision.Accept(new DiscStarted(id, state.NextDisc, s.Drive) { Verify = verify });
                if (PerDiscLogic.NextIndex(pd, state) is not { } index)
                    return BatchDecision.Refuse($"batch {id}: the {pd.Rows.Length} rows of {pd.ValuesName ?? "the values"} are used up ({state.InFlight.Count} disc(s) in flight)");
                try
                {
                    PerDiscLogic.Render(pd, PerDiscLogic.Values(pd, id, state.NextDisc, index), index); // a later serial may render longer
                }
                catch (Mastering.Imapi.ImapiException e)
                {
                    return state.InFlight.IsEmpty ? BatchDecision.Accept(new BatchFinished(id, false, e.Message)) : BatchDecision.Refuse(e.Message);
                }
                return BatchDecision.Accept(new DiscStarted(id, state.NextDisc, s.Drive, pd.SerialStart + index,
                    pd.Columns.Length > 0 ? index : null, pd.Columns.Length > 0 ? PerDiscLogic.RowValues(pd, index) : null) { Verify = verify });
            case CompleteDisc c:
                if (!state.InFlight.ContainsKey(c.Disc))
                {
                    if (!c.Late || state.Discs.GetValueOrDefault(c.Disc) is { State: DiscState.Completed }) return BatchDecision.Accept(); // already counted
                    if (state.Discs.GetValueOrDefault(c.Disc) is not { State: DiscState.Interrupted } entry || entry.Drive != c.Drive)
                        return BatchDecision.Refuse($"disc {c.Disc} came out good on {c.Drive} after its router was gone, but the ledger does not have it interrupted on that drive: not counted, set it aside");
                    if (state.Good.Count + state.InFlight.Count >= state.Spec.Copies || JobRules.ChecksOnce(state.Spec))
                        return BatchDecision.Refuse($"disc {c.Disc} came out good on {c.Drive} after its router was gone; the batch has its {state.Spec.Copies} discs made or in flight: not counted (a surplus disc), set it aside");
                }
                if (JobRules.ChecksOnce(state.Spec)) return JobRules.Checked(state, new DiscCompleted(id, c.Disc, c.Drive, c.Sha256));
                return state.Good.Count + 1 >= state.Spec.Copies
                    ? BatchDecision.Accept(new DiscCompleted(id, c.Disc, c.Drive, c.Sha256), new BatchFinished(id, true, $"{state.Spec.Copies} good discs"))
                    : RunOut(state, [new DiscCompleted(id, c.Disc, c.Drive, c.Sha256)]);
            case FailDisc f:
            {
                if (!state.InFlight.ContainsKey(f.Disc)) return BatchDecision.Accept();
                if (f.Interrupted) return RunOut(state, [new DiscFailed(id, f.Disc, f.Drive, f.Reason, Interrupted: true, SerialFate: Fate(state))]);
                var failed = new DiscFailed(id, f.Disc, f.Drive, f.Reason, f.Error, SerialFate: Fate(state)) { DuringVerify = f.DuringVerify };
                if (JobRules.ChecksOnce(state.Spec)) return JobRules.Checked(state, failed);
                int threshold = state.Spec.Options.FailedDiscThreshold;
                return threshold > 0 && state.Failed + 1 >= threshold
                    ? BatchDecision.Accept(failed, new BatchFinished(id, false, $"{state.Failed + 1} discs failed, the threshold is {threshold}"))
                    : RunOut(state, [failed]);
            }
            default:
                return BatchDecision.Refuse($"unknown command {command.GetType().Name}");
        }
    }

    /// <summary>What a failed disc's serial becomes in this batch ("void" or "reissued"); null when it has no serials.</summary>
    private static string? Fate(BatchState state) => state.Spec?.PerDisc switch
    {
        null => null,
        { OnFailure: FailedSerial.Reissue } => "reissued",
        _ => "void",
    };

    /// <summary>
    /// Accepts <paramref name="events"/>, and ends the batch (failed) when after them a per-disc batch's rows are used up
    /// with no disc in flight and good discs still missing: it stops clearly at the good discs it has, never repeats a row.
    /// </summary>
    private static BatchDecision RunOut(BatchState state, IBatchEvent[] events)
    {
        if (state.Spec?.PerDisc is not { } pd || pd.Columns.Length == 0) return BatchDecision.Accept(events);
        var after = events.Aggregate(state, Apply);
        if (!after.InFlight.IsEmpty || after.Good.Count >= state.Spec.Copies || PerDiscLogic.NextIndex(pd, after) is not null)
            return BatchDecision.Accept(events);
        return BatchDecision.Accept([.. events, new BatchFinished(state.Spec.BatchId, false,
            $"the {pd.Rows.Length} rows of {pd.ValuesName ?? "the values"} are used up: {after.Good.Count} good discs of {state.Spec.Copies} ({after.Failed + after.Interrupted} failed or interrupted discs voided their rows)")]);
    }

    /// <summary>The most sectors a floor image may have (an 8 TiB image: beyond any medium a floor burns).</summary>
    public const long MaxFloorImageSectors = 1L << 32;

    // A floor image comes from another tower's host: its hash names a file and its origin a URL, so both are checked.
    private static string? FloorImageRefusal(FloorImage image)
    {
        if (!FloorImage.IsSha256(image.Sha256))
            return $"floorImage: sha256 {BatchIds.Show(image.Sha256 ?? "")} is not 64 hex digits";
        if (image.Sectors is < 1 or > MaxFloorImageSectors) return $"floorImage: {image.Sectors} sectors; 1 to {MaxFloorImageSectors}";
        if (image.Origin is { } origin && !(Uri.TryCreate(origin, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
            return $"floorImage: origin '{BatchIds.Show(origin)}' is not an http(s) URL";
        if (image.PiecesSha256 is null) return image.PieceBytes == 0 ? null : $"floorImage: pieceBytes {image.PieceBytes} without piecesSha256";
        if (!FloorImage.IsSha256(image.PiecesSha256))
            return $"floorImage: piecesSha256 {BatchIds.Show(image.PiecesSha256)} is not 64 hex digits";
        if (!Floor.FloorPieces.IsPieceSize(image.PieceBytes))
            return $"floorImage: pieceBytes {image.PieceBytes}; a power of two from {Floor.FloorPieces.MinPieceBytes} to {Floor.FloorPieces.MaxPieceBytes}";
        return null;
    }

    /// <summary>
    /// How <paramref name="submitted"/> differs from the batch's <paramref name="existing"/> spec (the first difference),
    /// or null when it is the same job: same source and paths in order, copies, options, volume, media and file system.
    /// </summary>
    public static string? Difference(BatchSpec existing, BatchSpec submitted)
    {
        if (existing.Source != submitted.Source) return $"source {submitted.Source}, not {existing.Source}";
        if (!existing.Paths.SequenceEqual(submitted.Paths)) return $"paths {string.Join(" ", submitted.Paths)}, not {string.Join(" ", existing.Paths)}";
        if (existing.Copies != submitted.Copies) return $"copies {submitted.Copies}, not {existing.Copies}";
        if (existing.Volume != submitted.Volume) return $"volume '{submitted.Volume}', not '{existing.Volume}'";
        if (existing.Media != submitted.Media) return $"media {submitted.Media ?? "(default)"}, not {existing.Media ?? "(default)"}";
        if ((existing.AudioInfo is null) != (submitted.AudioInfo is null) || existing.AudioInfo is { } ai && !ai.SameAs(submitted.AudioInfo))
            return "another audioInfo section";
        if (FileSystemOrName(existing) != FileSystemOrName(submitted)) return $"filesystem {BatchIds.Show(FileSystemOrName(submitted))}, not {BatchIds.Show(FileSystemOrName(existing))}";
        if (existing.Priority != submitted.Priority) return $"priority {submitted.Priority}, not {existing.Priority}";
        if ((existing.PerDisc is null) != (submitted.PerDisc is null) || existing.PerDisc is { } pa && !pa.SameAs(submitted.PerDisc!))
            return "another perDisc section";
        if (existing.Set != submitted.Set) return $"set {submitted.Set?.ToString() ?? "(none)"}, not {existing.Set?.ToString() ?? "(none)"}";
        var (a, b) = (existing.Options, submitted.Options);
        if (a.Verify != b.Verify || a.Speed != b.Speed || a.FailedDiscThreshold != b.FailedDiscThreshold || a.RejectIfNotBlank != b.RejectIfNotBlank
            || a.DiscAtOnce != b.DiscAtOnce || !a.Drives.SequenceEqual(b.Drives))
            return "other options (verify, speed, failedDiscThreshold, rejectIfNotBlank, drives or audioMode)";
        if (a.EffectiveVerify != b.EffectiveVerify) return $"verify {b.EffectiveVerify}, not {a.EffectiveVerify}";
        if (!(a.MediaRules?.SameAs(b.MediaRules) ?? b.MediaRules is null)) return $"media rules '{b.MediaRules}', not '{a.MediaRules}'";
        if (!(a.Expect?.SameAs(b.Expect) ?? b.Expect is null)) return $"expect {b.Expect?.ToString() ?? "nothing"}, not {a.Expect?.ToString() ?? "nothing"}";
        if (a.Append != b.Append) return $"append {b.Append?.ToString() ?? "(none)"}, not {a.Append?.ToString() ?? "(none)"}";
        return null;
    }

    // A folder spec without the field was staged as joliet (BatchFileSystem.Legacy): the same job as one that says so.
    private static string? FileSystemOrName(BatchSpec spec) =>
        spec.Source == SourceKind.Folder ? spec.FileSystem ?? FileSystemNames.Name(BatchFileSystem.Legacy) : spec.FileSystem;

    /// <summary>Folds <paramref name="e"/> into <paramref name="state"/>.</summary>
    public static BatchState Apply(BatchState state, IBatchEvent e) => Fold(state, e) with { Version = state.Version + 1 };

    private static BatchState Fold(BatchState state, IBatchEvent e) => e switch
    {
        BatchSubmitted s => state with { Spec = s.Spec, Status = BatchStatus.Running },
        ImageStaged i => state with { ImageSha256 = i.Sha256, StashPath = i.StashPath, ImageSectors = i.Sectors },
        DiscStarted d => state with
        {
            InFlight = state.InFlight.SetItem(d.Disc, d.Drive), NextDisc = Math.Max(state.NextDisc, d.Disc + 1),
            Ledger = state.Discs.SetItem(d.Disc, new DiscEntry(d.Disc, d.Drive, DiscState.Started, null, null, Serial: d.Serial, Row: d.Row, Values: d.Values) { Verify = d.Verify }),
        },
        DiscCompleted d => state with
        {
            // A late completion (CompleteDisc.Late) turns an interrupted disc good.
            Interrupted = state.Discs.GetValueOrDefault(d.Disc) is { State: DiscState.Interrupted } ? state.Interrupted - 1 : state.Interrupted,
            InFlight = state.InFlight.Remove(d.Disc), Good = state.Good.SetItem(d.Disc, d.Sha256),
            Ledger = state.Discs.SetItem(d.Disc, Entry(state, d.Disc) with { Drive = d.Drive, State = DiscState.Completed, Sha256 = d.Sha256, Completed = state.Version + 1 }),
        },
        DiscFailed { Interrupted: true } d => state with
        {
            InFlight = state.InFlight.Remove(d.Disc), Interrupted = state.Interrupted + 1,
            Ledger = state.Discs.SetItem(d.Disc, Entry(state, d.Disc) with { Drive = d.Drive, State = DiscState.Interrupted, Reason = d.Reason, SerialFate = d.SerialFate }),
        },
        DiscFailed d => state with
        {
            InFlight = state.InFlight.Remove(d.Disc), Failed = state.Failed + 1,
            Ledger = state.Discs.SetItem(d.Disc, Entry(state, d.Disc) with { Drive = d.Drive, State = DiscState.Failed, Reason = d.Reason, Error = d.Error, SerialFate = d.SerialFate, VerifyFailed = d.DuringVerify }),
        },
        BatchCancelled c => state with { Status = BatchStatus.Cancelled, Reason = c.Reason },
        BatchFinished f => state with { Status = f.Success ? BatchStatus.Completed : BatchStatus.Failed, Reason = f.Reason },
        _ => state,
    };

    // A disc's entry as started (its serial and values stay with it), or a bare one for a ledger that lacks the start.
    private static DiscEntry Entry(BatchState state, int disc) =>
        state.Discs.TryGetValue(disc, out var e) ? e with { Sha256 = null, Reason = null, Error = null } : new DiscEntry(disc, "", DiscState.Started, null, null);

    /// <summary>Applies every event in order.</summary>
    public static BatchState Replay(IEnumerable<IBatchEvent> events) => events.Aggregate(BatchState.Empty, Apply);
}
