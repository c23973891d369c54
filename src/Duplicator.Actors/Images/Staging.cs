using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Images;

/// <summary>
/// Protocol of a batch's staging actor: it stages the image once (or restores the stash an earlier run left),
/// tells its parent <see cref="Staged"/> or <see cref="StagingFailed"/>, then fans the image out in waves to
/// every recorder that sends <see cref="Join"/>. Within a wave each chunk is read once and shared read-only;
/// each recorder holds at most <see cref="Settings.Window"/> chunks it has not <see cref="Consumed"/>, and one
/// that consumes nothing for <see cref="Settings.StallTimeout"/> is <see cref="Detached"/> so the others go on.
/// </summary>
public static class Staging
{
    /// <summary>Fan-out tuning.</summary>
    /// <param name="ChunkBytes">Bytes per chunk (rounded down to whole sectors).</param>
    /// <param name="Window">Chunks a recorder may hold unconsumed (its credits).</param>
    /// <param name="StallTimeout">A recorder that consumes nothing this long while holding chunks is detached.</param>
    /// <param name="GatherWindow">How long a new wave waits for more recorders to join before it starts.</param>
    /// <param name="LinkRoots">Null: sources are staged wherever their links lead. Otherwise every source, and every symbolic
    /// link inside a source folder, must resolve under one of these folders or the staging fails (SourceNotAllowed):
    /// the host serving the control API and the hot folder stages with its allowed roots.</param>
    public sealed record Settings(int ChunkBytes, int Window, TimeSpan StallTimeout, TimeSpan GatherWindow, IReadOnlyList<string>? LinkRoots = null)
    {
        /// <summary>1 MiB chunks, 16 credits, 60 s stall deadline, 200 ms gathering.</summary>
        public static Settings Default { get; } = new(1 << 20, 16, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
    }

    /// <summary>The image is staged (or the stash was found intact).</summary>
    public sealed record Staged(StagedImage Image);

    /// <summary>The image could not be staged; the batch cannot go on.</summary>
    public sealed record StagingFailed(string BatchId, string Reason);

    /// <summary>A recorder with checked media asks to receive the image (sender = the recorder).</summary>
    public sealed record Join(string DriveId, int Disc);

    /// <summary>
    /// Sectors [<paramref name="FirstSector"/>, +<paramref name="Sectors"/>) of the image. <paramref name="Data"/> is
    /// shared with every recorder of the wave: read it, never write it, and not after reporting it
    /// <see cref="Consumed"/> or leaving the wave (the wave then reuses its memory for a later chunk).
    /// </summary>
    public sealed record Chunk(IActorRef Wave, long Index, long FirstSector, int Sectors, ReadOnlyMemory<byte> Data);

    /// <summary>The recorder's drive has taken chunk <paramref name="Index"/> (and every one before it): one more credit.</summary>
    public sealed record Consumed(long Index);

    /// <summary>The recorder leaves its wave (it finished, or its disc failed).</summary>
    public sealed record Leave(string Reason);

    /// <summary>The wave dropped the recorder (stalled past the deadline); its disc has failed.</summary>
    public sealed record Detached(string Reason);

    /// <summary>Published on the event stream when a wave ends: what it read from the stash for how many recorders.</summary>
    public sealed record WaveFinished(string BatchId, int Wave, long BytesRead, int Recorders, int Detached);

    /// <summary>Asks for <see cref="Stats"/>.</summary>
    public sealed record GetStats
    {
        /// <summary>The one instance.</summary>
        public static GetStats Instance { get; } = new();
    }

    /// <summary>Bytes read from the stash by every wave so far, and how many waves ran.</summary>
    public sealed record Stats(long BytesRead, int Waves, int Detached);

    /// <summary>Props of the staging actor of one batch; <paramref name="previous"/> is the stash a ledger recorded, if any.</summary>
    public static Props Props(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, (string Path, string Sha256)? previous, Settings settings) =>
        Akka.Actor.Props.Create(() => new StagingActor(spec, submittedAt, stashDirectory, previous, settings));
}
