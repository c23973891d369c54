using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Drives;

/// <summary>
/// Protocol of the tower's drive history: lifetime counts per drive (discs good and bad, bytes written, buffer
/// underruns, hours writing, the last failures with their sense and LBA), kept in its own journal by one persistent
/// actor, so they survive restarts and a drive that fails more often than its neighbours shows before it is
/// quarantined (PTBurn's per-drive recording errors). Recorders publish one <see cref="DiscRecorded"/> per disc that
/// ended (a fact, never a progress tick); <see cref="Get"/> answers <see cref="Histories"/>.
/// </summary>
public static class DriveHistory
{
    /// <summary>Persistence id of the history journal.</summary>
    public const string PersistenceId = "duplicator-drive-history";

    /// <summary>Failures kept per drive, newest first.</summary>
    public const int LastFailuresKept = 10;

    /// <summary>A disc ended on a drive: good or not, what it wrote, how long it wrote, underruns meanwhile, and why it failed.</summary>
    /// <param name="DriveId">The drive.</param>
    /// <param name="BatchId">The batch the disc belonged to.</param>
    /// <param name="Disc">Its number in the batch.</param>
    /// <param name="Good">It came out good.</param>
    /// <param name="BytesWritten">Bytes the drive accepted for it (all of the image for a good disc).</param>
    /// <param name="WritingSeconds">Seconds from the first write to the end of writing (closing and verifying excluded).</param>
    /// <param name="Underruns">Buffer underruns during the burn, when the drive counts them (null: it does not).</param>
    /// <param name="Reason">Why it failed, in words.</param>
    /// <param name="Error">The failure's codes (IMAPI code, sense, LBA), when it had any.</param>
    /// <param name="DriveFault">The failure was the drive's (not media the operator must change, not a cancellation).</param>
    /// <param name="At">When it ended.</param>
    public sealed record DiscRecorded(string DriveId, string BatchId, int Disc, bool Good, long BytesWritten, double WritingSeconds,
        long? Underruns, string? Reason, DiscError? Error, bool DriveFault, DateTimeOffset At) : IBatchPersisted;

    /// <summary>One failure as the history keeps it.</summary>
    public sealed record Failure(DateTimeOffset At, string BatchId, int Disc, string Reason, DiscError? Error);

    /// <summary>A drive's lifetime counts.</summary>
    /// <param name="DriveId">The drive.</param>
    /// <param name="Good">Good discs.</param>
    /// <param name="Bad">Failed discs that were the drive's fault (write or read errors, stalls, vanishing).</param>
    /// <param name="Refused">Discs failed for the media (not blank, too small, wrong profile) or cancelled: not held against the drive.</param>
    /// <param name="BytesWritten">Bytes written over its life.</param>
    /// <param name="WritingSeconds">Seconds spent writing.</param>
    /// <param name="Underruns">Buffer underruns counted.</param>
    /// <param name="LastFailures">The last <see cref="LastFailuresKept"/> failures, newest first.</param>
    /// <param name="FirstSeen">When its first disc ended.</param>
    /// <param name="LastSeen">When its latest disc ended.</param>
    public sealed record Record(string DriveId, long Good, long Bad, long Refused, long BytesWritten, double WritingSeconds, long Underruns,
        ImmutableArray<Failure> LastFailures, DateTimeOffset FirstSeen, DateTimeOffset LastSeen)
    {
        /// <summary>Hours spent writing.</summary>
        public double HoursWriting => WritingSeconds / 3600;
    }

    /// <summary>Every drive's history (snapshotted as is).</summary>
    public sealed record State(ImmutableSortedDictionary<string, Record> Drives, long Version) : IBatchPersisted
    {
        /// <summary>Nothing recorded yet.</summary>
        public static State Empty { get; } = new(ImmutableSortedDictionary<string, Record>.Empty, 0);
    }

    /// <summary>Answer: <see cref="Histories"/>.</summary>
    public sealed record Get
    {
        /// <summary>The one instance.</summary>
        public static Get Instance { get; } = new();
    }

    /// <summary>Every drive with a history, by id.</summary>
    public sealed record Histories(ImmutableSortedDictionary<string, Record> Drives);

    /// <summary>Folds a fact into the history: the pure twin of the actor's recovery.</summary>
    public static State Apply(State state, DiscRecorded e)
    {
        var r = state.Drives.TryGetValue(e.DriveId, out var known) ? known
            : new Record(e.DriveId, 0, 0, 0, 0, 0, 0, [], e.At, e.At);
        r = r with
        {
            Good = r.Good + (e.Good ? 1 : 0),
            Bad = r.Bad + (!e.Good && e.DriveFault ? 1 : 0),
            Refused = r.Refused + (!e.Good && !e.DriveFault ? 1 : 0),
            BytesWritten = r.BytesWritten + Math.Max(0, e.BytesWritten),
            WritingSeconds = r.WritingSeconds + Math.Max(0, e.WritingSeconds),
            Underruns = r.Underruns + Math.Max(0, e.Underruns ?? 0),
            LastSeen = e.At > r.LastSeen ? e.At : r.LastSeen,
            LastFailures = e.Good ? r.LastFailures
                : [.. r.LastFailures.Insert(0, new Failure(e.At, e.BatchId, e.Disc, e.Reason ?? "failed", e.Error)).Take(LastFailuresKept)],
        };
        return new State(state.Drives.SetItem(e.DriveId, r), state.Version + 1);
    }

    /// <summary>Props of the history actor; snapshots every <paramref name="snapshotEvery"/> facts.</summary>
    public static Props Props(int snapshotEvery) => Props(snapshotEvery, PersistenceId);

    /// <summary>Props of the history actor journaling under <paramref name="persistenceId"/> (a floor's towers each have their own).</summary>
    public static Props Props(int snapshotEvery, string persistenceId) => Akka.Actor.Props.Create(() => new DriveHistoryActor(snapshotEvery, persistenceId));

    /// <summary>
    /// Starts the history under <paramref name="context"/> and subscribes it to <see cref="DiscRecorded"/> at once (before
    /// it has even started), so no recorder's fact published after this call is missed.
    /// </summary>
    public static IActorRef Start(IActorContext context, int snapshotEvery, string persistenceId = PersistenceId)
    {
        var history = context.ActorOf(Props(snapshotEvery, persistenceId), "drive-history");
        context.System.EventStream.Subscribe(history, typeof(DiscRecorded));
        return history;
    }
}
