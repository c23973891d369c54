using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Images;

/// <summary>
/// Protocol of a batch's staging actor: it stages the image once (or restores the stash an earlier run left),
/// tells its parent <see cref="Staged"/> as soon as the image can be read (without its content hash: that is
/// computed while the first wave streams, then <see cref="Staged"/> comes again with it, and every recorder that
/// joined is told <see cref="Hashed"/>), or <see cref="StagingFailed"/>; it fans the image out in waves to every
/// recorder that sends <see cref="Join"/>. Within a wave the recorders that keep up share each chunk, read once;
/// one that falls too far behind is sent <see cref="ReadOn"/> and reads the rest from the stash at its own pace
/// (and shares the wave's chunks again if it catches up); one that takes no data for
/// <see cref="Settings.StallTimeout"/> is <see cref="Detached"/> and its disc fails. Nobody waits for anybody.
/// </summary>
public static class Staging
{
    /// <summary>Fan-out tuning.</summary>
    /// <param name="ChunkBytes">Bytes per chunk (rounded down to whole sectors).</param>
    /// <param name="Window">Chunks the shared window holds: a recorder that falls half of it behind the fastest is left to read on its own.</param>
    /// <param name="StallTimeout">A recorder that consumes nothing this long (with chunks in hand, or reading on its own) is detached.</param>
    /// <param name="GatherWindow">How long a new wave waits for more recorders to join before it starts.</param>
    /// <param name="LinkRoots">Null: sources are staged wherever their links lead. Otherwise every source, and every symbolic
    /// link inside a source folder, must resolve under one of these folders or the staging fails (SourceNotAllowed):
    /// the host serving the control API and the hot folder stages with its allowed roots.</param>
    public sealed record Settings(int ChunkBytes, int Window, TimeSpan StallTimeout, TimeSpan GatherWindow, IReadOnlyList<string>? LinkRoots = null)
    {
        /// <summary>
        /// How long recorders that fell behind may hold the shared window back (the fastest with under a quarter of
        /// it in hand) before they are left to read on alone: drives in step whose threads the host schedules
        /// unevenly stay together. 100 ms by default; the fastest then still has 4 chunks in hand and its own buffer.
        /// </summary>
        public TimeSpan LagGrace { get; init; } = TimeSpan.FromMilliseconds(100);

        /// <summary>
        /// How long a recorder that has not taken its first chunk yet (its drive is still preparing: mode pages, speed)
        /// is waited for before it counts as fallen behind; 1 s by default. A drive hung before its first chunk fails
        /// after the stall deadline like any other.
        /// </summary>
        public TimeSpan StartGrace { get; init; } = TimeSpan.FromSeconds(1);

        /// <summary>1 MiB chunks, 16 credits, 60 s stall deadline, 200 ms gathering.</summary>
        public static Settings Default { get; } = new(1 << 20, 16, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
    }

    /// <summary>
    /// The image is staged (or the stash was found intact) and can be read. Sent once with
    /// <see cref="StagedImage.ContentSha256"/> null as soon as the stash is readable, and again with the hash once
    /// it is computed (a restored stash, checked against the ledger's hash, comes once, hashed).
    /// </summary>
    public sealed record Staged(StagedImage Image);

    /// <summary>Told to every recorder that joined the batch's waves: the image's content hash, now known (verification and the ledger need it).</summary>
    public sealed record Hashed(string BatchId, string ContentSha256);

    /// <summary>The image could not be staged; the batch cannot go on.</summary>
    public sealed record StagingFailed(string BatchId, string Reason);

    /// <summary>A recorder with checked media asks to receive the image (sender = the recorder).</summary>
    public sealed record Join(string DriveId, int Disc);

    /// <summary>
    /// Sectors [<paramref name="FirstSector"/>, +<paramref name="Sectors"/>) of the image. <paramref name="Data"/> is
    /// shared with every recorder of the wave: read it, never write it, and not after reporting it
    /// <see cref="Consumed"/> (the wave then reuses its memory for a later chunk; the memory of chunks a recorder
    /// held when it left is never reused).
    /// </summary>
    public sealed record Chunk(IActorRef Wave, long Index, long FirstSector, int Sectors, ReadOnlyMemory<byte> Data);

    /// <summary>The recorder's drive has taken chunk <paramref name="Index"/> (and every one before it), from the wave or read on its own.</summary>
    public sealed record Consumed(long Index);

    /// <summary>
    /// The recorder fell behind the wave's shared window: no more chunks come (unless it catches up), it keeps those it
    /// holds and reads the rest from <paramref name="Stash"/> itself, chunk by chunk (<paramref name="ChunkSectors"/>
    /// sectors each, chunk k from sector k * ChunkSectors), reporting each <see cref="Consumed"/> to
    /// <paramref name="Wave"/> as before. <paramref name="Stash"/> is thread-safe and counts what it reads.
    /// </summary>
    public sealed record ReadOn(IActorRef Wave, Mastering.Images.ISectorSource Stash, int ChunkSectors, string Reason);

    /// <summary>The recorder leaves its wave (it finished, or its disc failed).</summary>
    public sealed record Leave(string Reason);

    /// <summary>The wave dropped the recorder (stalled past the deadline); its disc has failed.</summary>
    public sealed record Detached(string Reason);

    /// <summary>
    /// Published on the event stream when a wave ends: what it read from the stash (<paramref name="BytesRead"/>: the
    /// shared window's reads and those of members that read on their own) for how many recorders, how many were
    /// detached (failed) and how many fell behind and read on their own at least once (<paramref name="FellBehind"/>).
    /// Each of those reads the image at most once more: <paramref name="BytesRead"/> is at most (1 + FellBehind) images.
    /// </summary>
    public sealed record WaveFinished(string BatchId, int Wave, long BytesRead, int Recorders, int Detached, int FellBehind = 0);

    /// <summary>Asks for <see cref="Stats"/>.</summary>
    public sealed record GetStats
    {
        /// <summary>The one instance.</summary>
        public static GetStats Instance { get; } = new();
    }

    /// <summary>Bytes read from the stash by every finished wave so far, how many waves ran, recorders detached, and bytes read to hash the content.</summary>
    public sealed record Stats(long BytesRead, int Waves, int Detached, long BytesHashed = 0);

    /// <summary>
    /// Props of the staging actor of one batch; <paramref name="previous"/> is the stash a ledger recorded, if any;
    /// <paramref name="master"/> the recorder of a copy job's master drive (it reads the master into the stash).
    /// </summary>
    public static Props Props(BatchSpec spec, DateTimeOffset submittedAt, string stashDirectory, (string Path, string Sha256)? previous, Settings settings,
        IActorRef? master = null) =>
        Akka.Actor.Props.Create(() => new StagingActor(spec, submittedAt, stashDirectory, previous, settings, master, null));

    /// <summary>
    /// Props of a staging actor over an image still arriving (<paramref name="image"/>, to be at <paramref name="path"/>,
    /// content SHA-256 <paramref name="sha256"/> as the ledger has it): staged at once, its waves' reads waiting for
    /// each chunk's sectors to be checked.
    /// </summary>
    public static Props ArrivingProps(BatchSpec spec, ArrivingImage image, string path, string sha256, Settings settings)
    {
        (ArrivingImage, string, string)? arriving = (image, path, sha256);
        return Akka.Actor.Props.Create(() => new StagingActor(spec, DateTimeOffset.UtcNow, "", null, settings, null, arriving));
    }
}
