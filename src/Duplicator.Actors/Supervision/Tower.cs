using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Supervision;

/// <summary>
/// Protocol of the tower's supervisor (<c>DuplicatorSupervisor</c>): it creates one recorder per drive under a
/// backoff supervisor, one persistent batch actor and one staging actor per batch, hands discs to ready drives
/// (as its <see cref="IDispatchStrategy"/> says), records every outcome in the batch's ledger, and quarantines a
/// drive that fails <see cref="Settings.QuarantineAfter"/> discs in a row. Its own journal (<see cref="TowerLogic"/>)
/// says which batches exist and which drives are quarantined; at start it resumes the unfinished batches and keeps
/// finished ones as summaries, their ledgers read on demand. Changes are published on the event stream as
/// <see cref="DriveChanged"/> and <see cref="BatchChanged"/>.
/// </summary>
public static class Tower
{
    /// <summary>A drive of the tower and how to open it.</summary>
    public sealed record DriveSpec(string Id, string Url, Func<IDiscRecorder> Open);

    /// <summary>How the tower runs.</summary>
    /// <param name="StashDirectory">Where staged images are kept.</param>
    /// <param name="QuarantineAfter">Consecutive failed discs that take a drive out of service (0 = never).</param>
    /// <param name="BackoffMin">First restart delay of a faulted recorder.</param>
    /// <param name="BackoffMax">Longest restart delay.</param>
    /// <param name="SnapshotEvery">Batch ledger snapshot interval in events.</param>
    /// <param name="AskTimeout">How long the tower waits for a batch ledger to answer.</param>
    /// <param name="Recorder">Recorder timing.</param>
    /// <param name="Staging">Fan-out tuning.</param>
    /// <param name="Dispatch">Which disc goes where (null: <see cref="PriorityWithAging.Default"/>).</param>
    /// <remarks><paramref name="SnapshotEvery"/> is also the tower registry's snapshot interval.</remarks>
    public sealed record Settings(string StashDirectory, int QuarantineAfter, TimeSpan BackoffMin, TimeSpan BackoffMax, int SnapshotEvery,
        TimeSpan AskTimeout, Recorder.Settings Recorder, Staging.Settings Staging, IDispatchStrategy? Dispatch = null)
    {
        /// <summary>The dispatch strategy in use.</summary>
        public IDispatchStrategy DispatchStrategy => Dispatch ?? PriorityWithAging.Default;

        /// <summary>Defaults with <paramref name="stashDirectory"/>.</summary>
        public static Settings Default(string stashDirectory) => new(stashDirectory, 3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 50,
            TimeSpan.FromSeconds(10), Recorders.Recorder.Settings.Default, Images.Staging.Settings.Default);
    }

    /// <summary>A drive as the tower sees it (<paramref name="Held"/>: the operator took it out of service, see <see cref="Hold"/>).</summary>
    public sealed record DriveStatus(string Id, string Url, DriveState State, double Percent, double BytesPerSecond, double? EtaSeconds,
        bool Quarantined, int ConsecutiveFailures, string? BatchId, int? Disc, string? Message, int Good, int Bad, bool Held = false)
    {
        /// <summary>On a floor of towers (<see cref="Floor.Floor"/>), the tower the drive is on; null on a standalone tower.</summary>
        public string? Tower { get; init; }
    }

    /// <summary>Submit a batch. Answer: a <see cref="SubmitReply"/>.</summary>
    public sealed record Submit(BatchSpec Spec);

    /// <summary>What a <see cref="Submit"/> is answered with: <see cref="Submitted"/> or <see cref="Rejected"/>.</summary>
    public abstract record SubmitReply;

    /// <summary>The batch exists (<paramref name="Created"/> false when it already did: nothing new was made).</summary>
    public sealed record Submitted(BatchState State, bool Created) : SubmitReply;

    /// <summary>The request was refused; nothing was created.</summary>
    public sealed record Rejected(string Reason) : SubmitReply;

    /// <summary>
    /// Submit a disc set job (<see cref="DiscSets"/>): its member batches, member k being <c>SET~k</c> with
    /// <see cref="BatchSpec.Set"/> naming the set. Every member is checked before anything is written, and all are
    /// registered in one write. Answer: <see cref="SetSubmitted"/> or <see cref="Rejected"/> (nothing created).
    /// </summary>
    public sealed record SubmitSet(ImmutableArray<BatchSpec> Members);

    /// <summary>The set exists (<paramref name="Created"/> false when it already did); <paramref name="Members"/> are its members' states as their ledgers answered.</summary>
    public sealed record SetSubmitted(string SetId, bool Created, ImmutableArray<BatchState> Members) : SubmitReply;

    /// <summary>Cancel a batch; a member of a disc set cancels its whole set. Answer: <see cref="Done"/>.</summary>
    public sealed record Cancel(string BatchId, string Reason);

    /// <summary>Put a quarantined drive back in service. Answer: <see cref="Done"/>.</summary>
    public sealed record ClearQuarantine(string DriveId);

    /// <summary>Whether the named batch or drive existed.</summary>
    public sealed record Done(bool Found);

    /// <summary>
    /// Pause batch <paramref name="BatchId"/>, or the whole tower when it is null: no new disc starts, discs burning
    /// finish; persisted, so it holds after a restart. Answer: <see cref="Done"/>, or <see cref="Rejected"/> for a
    /// finished batch.
    /// </summary>
    public sealed record Pause(string? BatchId, string Reason = "paused by the operator");

    /// <summary>Resume batch <paramref name="BatchId"/>, or the whole tower when it is null. Answer: <see cref="Done"/>.</summary>
    public sealed record Resume(string? BatchId);

    /// <summary>
    /// Take a drive out of service without counting a failure (unlike a quarantine): it finishes its disc, then takes
    /// none until <see cref="Release"/>; persisted. Answer: <see cref="Done"/>.
    /// </summary>
    public sealed record Hold(string DriveId, string Reason = "held by the operator");

    /// <summary>Put a held drive back in service. Answer: <see cref="Done"/>.</summary>
    public sealed record Release(string DriveId);

    /// <summary>Answer: the <see cref="TowerHolds"/> (paused tower and batches, held drives).</summary>
    public sealed record GetHolds
    {
        /// <summary>The one instance.</summary>
        public static GetHolds Instance { get; } = new();
    }

    /// <summary>Published: the operator paused or resumed the tower or a batch, or held or released a drive.</summary>
    public sealed record HoldsChanged(TowerHolds Holds);

    /// <summary>Answer: <see cref="DriveStatus"/>[] in configuration order.</summary>
    public sealed record GetDrives
    {
        /// <summary>The one instance.</summary>
        public static GetDrives Instance { get; } = new();
    }

    /// <summary>Answer: <see cref="BatchList"/>.</summary>
    public sealed record GetBatches
    {
        /// <summary>The one instance.</summary>
        public static GetBatches Instance { get; } = new();
    }

    /// <summary>Every batch the tower knows, newest first.</summary>
    public sealed record BatchList(ImmutableArray<BatchInfo> Batches);

    /// <summary>
    /// A batch as lists show it: from its live ledger, or from the summary the registry keeps of a finished one.
    /// <paramref name="Spec"/> is null only while its ledger could not be read yet (it is being recovered).
    /// </summary>
    public sealed record BatchInfo(string Id, BatchSpec? Spec, DateTimeOffset SubmittedAt, BatchStatus Status, bool Staged, int Good, int Failed,
        int Interrupted, int InFlight, string? Reason, bool Paused = false)
    {
        /// <summary>Good discs still to make.</summary>
        public int Remaining => Spec is null ? 0 : Math.Max(0, Spec.Copies - Good);

        /// <summary>The view of a ledger state.</summary>
        public static BatchInfo Of(string id, BatchState s, DateTimeOffset at) =>
            new(id, s.Spec, at, s.Status, s.ImageSha256 != null, s.Good.Count, s.Failed, s.Interrupted, s.InFlight.Count, s.Reason);

        /// <summary>The view of a finished batch's summary.</summary>
        public static BatchInfo Of(string id, BatchSummary s, DateTimeOffset at) =>
            new(id, s.Spec, at, s.Status, s.Staged, s.Good, s.Failed, s.Interrupted, 0, s.Reason);
    }

    /// <summary>Answer: <see cref="BatchAnswer"/>.</summary>
    public sealed record GetBatch(string BatchId);

    /// <summary>The batch's ledger state (read from its journal when it is finished), or null when there is no such batch.</summary>
    public sealed record BatchAnswer(BatchState? State, DateTimeOffset SubmittedAt = default, bool Paused = false);

    /// <summary>Answer: the batch's <see cref="Staging.Stats"/>, or <see cref="Done"/>(false).</summary>
    public sealed record GetStagingStats(string BatchId);

    /// <summary>Published: a drive changed.</summary>
    public sealed record DriveChanged(DriveStatus Drive);

    /// <summary>Published: a drive left the floor (its tower left, or registered again without it); a view forgets it.</summary>
    public sealed record DriveRemoved(string DriveId, string Reason);

    /// <summary>Published: a batch changed (a disc started, completed or failed; the batch ended).</summary>
    public sealed record BatchChanged(BatchState Batch, DateTimeOffset SubmittedAt);

    /// <summary>Persistence id of the tower's registry of batches.</summary>
    public const string PersistenceId = "duplicator-tower";

    /// <summary>Props of the supervisor.</summary>
    public static Props Props(IReadOnlyList<DriveSpec> drives, Settings settings) =>
        Akka.Actor.Props.Create(() => new DuplicatorSupervisor(drives.ToImmutableArray(), settings));
}
