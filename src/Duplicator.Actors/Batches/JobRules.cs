using System.Collections.Immutable;

namespace Duplicator.Actors.Batches;

/// <summary>
/// The ledger rules of the jobs that read discs, beside <see cref="BatchLogic"/>'s. A copy job (<see cref="SourceKind.Master"/>)
/// and a read job (<see cref="SourceKind.Archive"/>) follow the ordinary rules: N good discs (copies burned, or discs
/// archived), failures count towards the threshold. A verify-only job (<see cref="SourceKind.Verify"/>) checks each
/// disc once: each of its drives is handed one disc, a bad disc is recorded as failed and never made again, and the
/// batch ends when every disc was checked (completed when all were good, failed naming the bad count otherwise).
/// </summary>
public static class JobRules
{
    /// <summary>Why <paramref name="spec"/> cannot be a batch of its kind, or null.</summary>
    public static string? Refusal(BatchSpec spec)
    {
        if (spec.Source is not (SourceKind.Master or SourceKind.Verify or SourceKind.Archive)) return null;
        var what = spec.Source.ToString().ToLowerInvariant();
        if (spec.Paths.IsDefault || spec.Paths.Length != 1 || string.IsNullOrEmpty(spec.Paths[0]))
            return $"a {what} batch names exactly one {(spec.Source switch { SourceKind.Master => "master drive", SourceKind.Verify => "batch", _ => "folder" })}";
        if (spec.Source == SourceKind.Verify)
        {
            if (spec.Options.Drives.IsDefaultOrEmpty)
                return "a verify batch checks the discs loaded in the drives it names: give its drives";
            if (spec.Copies > spec.Options.Drives.Length)
                return $"copies {spec.Copies}: a verify batch checks one disc per drive, it names {spec.Options.Drives.Length} drive(s)";
        }
        return null;
    }

    /// <summary>True for a batch that checks each of its drives' discs once instead of making N good ones.</summary>
    public static bool ChecksOnce(BatchSpec? spec) => spec?.Source == SourceKind.Verify;

    /// <summary>Drives that checked their disc (good or bad); interrupted checks are done again.</summary>
    public static ImmutableHashSet<string> Checked(BatchState state) =>
        [.. state.Discs.Values.Where(d => d.State is DiscState.Completed or DiscState.Failed).Select(d => d.Drive)];

    /// <summary>Discs the ledger may still hand out, beside those in flight.</summary>
    public static int Open(BatchState state) => state.Spec is not { } spec ? 0
        : ChecksOnce(spec) ? spec.Copies - state.Good.Count - state.Failed - state.InFlight.Count
        : spec.Copies - state.Good.Count - state.InFlight.Count;

    /// <summary>The drives the batch may still use (empty: all).</summary>
    public static ImmutableArray<string> Drives(BatchState state) => state.Spec is not { } spec ? []
        : ChecksOnce(spec) ? [.. spec.Options.Drives.Except(Checked(state))]
        : spec.Options.Drives;

    /// <summary>Why a verify batch hands <paramref name="drive"/> no disc, or null (always null for other batches).</summary>
    public static string? RefuseStart(BatchState state, string drive)
    {
        if (!ChecksOnce(state.Spec)) return null;
        var id = state.Spec!.BatchId;
        if (!state.Spec.Options.Drives.Contains(drive)) return $"drive {drive} is not one of verify batch {id}'s drives";
        if (Checked(state).Contains(drive)) return $"drive {drive} already checked its disc for batch {id}";
        if (Open(state) <= 0) return $"batch {id} has every disc checked or in flight";
        return null;
    }

    /// <summary>The facts of a checked disc of a verify batch: the check, and the batch's end once every disc was checked.</summary>
    public static BatchDecision Checked(BatchState state, IBatchEvent check)
    {
        var after = BatchLogic.Apply(state, check);
        int good = after.Good.Count, bad = after.Failed;
        if (good + bad < after.Spec!.Copies) return BatchDecision.Accept(check);
        var end = new BatchFinished(after.Spec.BatchId, bad == 0, $"{good + bad} disc(s) checked against {after.Spec.Paths[0]}: {good} good, {bad} bad");
        return BatchDecision.Accept(check, end);
    }
}
