using Akka.Actor;
using Duplicator.Actors.Images;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Recorders;

/// <summary>What a recorder is doing.</summary>
public enum DriveState
{
    /// <summary>Opening the drive.</summary>
    Opening,
    /// <summary>No usable medium: waiting for one.</summary>
    Empty,
    /// <summary>A medium is in; ready for a disc.</summary>
    Ready,
    /// <summary>Checking the medium (blank? big enough?).</summary>
    Checking,
    /// <summary>Writing the image.</summary>
    Writing,
    /// <summary>Closing track and session.</summary>
    Closing,
    /// <summary>Reading the disc back.</summary>
    Verifying,
    /// <summary>Ejecting the disc.</summary>
    Ejecting,
    /// <summary>The drive failed; it is restarted with backoff.</summary>
    Faulted,
    /// <summary>Reading a disc: a copy job's master, or a read job's disc.</summary>
    Reading,
}

/// <summary>
/// Protocol of a RecorderActor: one per drive, owning the drive's MMC session on a dedicated thread. The tower
/// sends <see cref="Burn"/> to a <see cref="DriveState.Ready"/> recorder; the recorder checks the medium, joins the
/// batch's staging wave, writes, closes, verifies, ejects, and answers <see cref="DiscBurned"/> or
/// <see cref="DiscFailed"/>. It reports every change as <see cref="StatusChanged"/>.
/// </summary>
public static class Recorder
{
    /// <summary>Timing of a recorder.</summary>
    /// <param name="MediaPoll">How often an empty drive is asked for a medium.</param>
    /// <param name="CancelGrace">How long a cancelled or detached burn may take to stop before the drive is declared hung.</param>
    /// <param name="ProgressInterval">Least time between two progress reports.</param>
    public sealed record Settings(TimeSpan MediaPoll, TimeSpan CancelGrace, TimeSpan ProgressInterval)
    {
        /// <summary>Poll every second, 30 s grace, progress every 250 ms.</summary>
        public static Settings Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));
    }

    /// <summary>Burn disc <paramref name="Disc"/> of a batch from <paramref name="Image"/>, fed by <paramref name="Staging"/>.</summary>
    /// <param name="BatchId">The batch.</param>
    /// <param name="Disc">Disc number in the batch's ledger.</param>
    /// <param name="Image">The staged image.</param>
    /// <param name="Staging">The batch's staging actor (waves).</param>
    /// <param name="Options">Speed, verify, simulate (eject is always done by the recorder).</param>
    /// <param name="RejectIfNotBlank">Fail a medium that is not blank; otherwise a rewritable one is erased first.</param>
    /// <param name="Task">Burn it (the default), or, for the jobs that read discs, check or archive the disc the drive holds (see <see cref="DiscTask"/>).</param>
    /// <param name="PerDisc">This disc's own sectors in a per-disc batch (laid over the shared chunks as they are written); null: the image as it is.</param>
    public sealed record Burn(string BatchId, int Disc, StagedImage Image, IActorRef Staging, RecordOptions Options, bool RejectIfNotBlank, DiscTask Task = DiscTask.Burn,
        PerDiscBurn? PerDisc = null)
    {
        /// <summary>Which media the batch accepts beyond blank and big enough (null: any); a refused medium fails the disc, not the drive.</summary>
        public Batches.MediaRules? Media { get; init; }

        /// <summary>What the loaded disc must be (volume ID, a file) before a verify-only task reads it (null: no check); a disc that is not is the disc's fault.</summary>
        public Batches.DiscIdentity? Expect { get; init; }

        /// <summary>Append a session to the loaded disc instead of burning a blank one (null: burn, as before).</summary>
        public AppendBurn? Append { get; init; }
    }

    /// <summary>
    /// An appended session: the batch's folder <paramref name="Folder"/> laid over the disc's last session, with volume
    /// <paramref name="Volume"/>, for a medium of <paramref name="Media"/> (mastering's name: dvd, cd80, ...); the disc is
    /// closed afterwards when <paramref name="Finalize"/>.
    /// </summary>
    public sealed record AppendBurn(string Folder, string Volume, string? Media, bool Finalize)
    {
        /// <summary>The append part of a burn of <paramref name="spec"/>, or null when the batch does not append.</summary>
        public static AppendBurn? Of(Batches.BatchSpec spec) =>
            spec.Options.Append is { } a ? new(spec.Paths.Single(), spec.Volume ?? "DUPLICATOR", spec.Media, a.Finalize) : null;
    }

    /// <summary>
    /// Read the master disc the drive holds into <paramref name="Folder"/> (the batch's stash folder) as image.iso or
    /// image.bin + image.cue, then eject it. Answer (to the sender): <see cref="MasterRead"/> or <see cref="MasterNotRead"/>.
    /// </summary>
    public sealed record ReadMaster(string BatchId, string Folder);

    /// <summary>The master was read; the drive ejected it.</summary>
    public sealed record MasterRead(string DriveId, string BatchId, Duplicator.Drivers.Reading.DiscReadResult Result);

    /// <summary>
    /// The master was not read: <paramref name="Retry"/> when the drive could not start (no medium yet, busy, opening):
    /// ask again later; otherwise the read itself failed (unreadable blocks named in <paramref name="Reason"/>).
    /// </summary>
    public sealed record MasterNotRead(string DriveId, string BatchId, string Reason, bool Retry, Batches.DiscError? Error = null);

    /// <summary>A per-disc burn: the disc's serial and the sectors it gets of its own (ascending, from <see cref="Mastering.Data.PerDisc.PerDiscPlan.Patches"/>).</summary>
    public sealed record PerDiscBurn(long Serial, IReadOnlyList<Mastering.Data.PerDisc.SectorPatch> Patches);

    /// <summary>Stop the burn of a batch (the disc fails as cancelled).</summary>
    public sealed record CancelBurn(string BatchId, string Reason);

    /// <summary>A recorder's state, progress, rate and ETA.</summary>
    public sealed record StatusChanged(string DriveId, DriveState State, double Percent, double BytesPerSecond, double? EtaSeconds, string? BatchId, int? Disc, string? Message);

    /// <summary>
    /// Published on the event stream: one of IMAPI's IDiscMasterProgressEvents as the drive reported it
    /// (PreparingBurn, BlockProgress (throttled), TrackProgress, ClosingDisc, BurnComplete[:error]).
    /// </summary>
    public sealed record ImapiEvent(string DriveId, string BatchId, int Disc, string Event, long Completed, long Total);

    /// <summary>The disc came out good; <paramref name="Sha256"/> is what it read back as (the content hash when not verifying).</summary>
    public sealed record DiscBurned(string DriveId, string BatchId, int Disc, string Sha256, bool Verified);

    /// <summary>
    /// The disc failed. <paramref name="DriveFault"/> is false for media the operator must change (not blank, too small,
    /// wrong kind) and cancellations; <paramref name="Error"/> is the IMAPI code (and SCSI sense and LBA) when the
    /// failure was a drive or media error, null for a cancellation, a detach or a hang.
    /// </summary>
    public sealed record DiscFailed(string DriveId, string BatchId, int Disc, string Reason, bool DriveFault, Batches.DiscError? Error = null)
    {
        /// <summary>It failed while being read back (<see cref="Duplicator.Drivers.Burning.VerificationException"/>).</summary>
        public bool DuringVerify { get; init; }
    }

    /// <summary>
    /// Props of the recorder for <paramref name="driveId"/>; <paramref name="open"/> opens the drive (called again after a
    /// restart); reports go to <paramref name="tower"/>.
    /// </summary>
    public static Props Props(string driveId, Func<IDiscRecorder> open, IActorRef tower, Settings settings) =>
        Akka.Actor.Props.Create(() => new RecorderActor(driveId, open, tower, settings));
}

/// <summary>What a recorder does with a disc of a batch.</summary>
public enum DiscTask
{
    /// <summary>Burn the staged image on a blank medium.</summary>
    Burn,
    /// <summary>Verify-only: read the loaded disc and compare its content hash with the image's (<see cref="StagedImage.ContentSha256"/>); eject it.</summary>
    Check,
    /// <summary>Read job: read the loaded disc to the folder <see cref="StagedImage.StashPath"/> as &lt;disc&gt;.iso (or .bin/.cue), add it to the SHA-256 manifest; eject it.</summary>
    Archive,
}

/// <summary>Thrown inside a recorder to have its supervisor restart it (with backoff): the drive stopped answering.</summary>
public sealed class DriveFaultException(string message, Exception? inner = null) : Exception(message, inner);
