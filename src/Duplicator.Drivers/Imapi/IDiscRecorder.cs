using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Imapi;

/// <summary>IMAPI's media type flags (IDiscRecorder::QueryMediaType).</summary>
[Flags]
public enum MediaFlags
{
    /// <summary>No medium or nothing known.</summary>
    None = 0,
    /// <summary>Nothing is recorded on the medium.</summary>
    Blank = 1,
    /// <summary>The medium is rewritable (CD-RW, DVD+RW, BD-RE).</summary>
    Rewritable = 2,
    /// <summary>The medium can take more data (blank or appendable).</summary>
    Writable = 4,
    /// <summary>The medium needs formatting before use.</summary>
    FormatUnusable = 8,
}

/// <summary>What IDiscRecorder::QueryMediaInfo reports, plus the MMC profile.</summary>
/// <param name="Present">A medium is loaded.</param>
/// <param name="Flags">Blank / rewritable / writable.</param>
/// <param name="ProfileName">MMC current profile in words (e.g. "DVD+R").</param>
/// <param name="Sessions">Complete sessions on the medium.</param>
/// <param name="LastTrack">Number of the last track.</param>
/// <param name="NextWritable">Next writable address, or -1 when none.</param>
/// <param name="FreeBlocks">Blocks that can still be written.</param>
public sealed record MediaInfo(bool Present, MediaFlags Flags, string ProfileName, int Sessions, int LastTrack, long NextWritable, long FreeBlocks);

/// <summary>How an audio CD is written.</summary>
public enum AudioWriteMode
{
    /// <summary>Track-at-once: one track per write, the drive puts a 2 s gap before every track (IMAPI v1's way).</summary>
    TrackAtOnce,
    /// <summary>Disc-at-once (session-at-once): a cue sheet lays out the session, which is written in one pass from LBA -150, pregaps as staged.</summary>
    DiscAtOnce,
}

/// <summary>Options of one recording.</summary>
/// <param name="Simulate">Test write: the laser stays off and the medium stays blank (IMAPI's simulate).</param>
/// <param name="EjectAfterBurn">Open the tray when done.</param>
/// <param name="Speed">Write speed as a multiple of 1x; 0 = the drive's maximum.</param>
/// <param name="Verify">Read the disc back and compare its SHA-256 with the image's.</param>
/// <param name="AudioMode">How an audio CD is written; data discs are always written as one incremental track.</param>
public sealed record RecordOptions(bool Simulate = false, bool EjectAfterBurn = false, int Speed = 0, bool Verify = false, AudioWriteMode AudioMode = AudioWriteMode.TrackAtOnce)
{
    /// <summary>
    /// How a disc is read back when <see cref="Verify"/> is set: <see cref="Burning.VerificationLevel.Full"/> (the default,
    /// every sector against the hash) or <see cref="Burning.VerificationLevel.Quick"/> (data discs: disc and track
    /// information and a sample of sectors against the image; on an audio CD the TOC, each track's information and a
    /// sample of blocks per track).
    /// </summary>
    public Burning.VerificationLevel VerifyLevel { get; init; } = Burning.VerificationLevel.Full;

    /// <summary>These options with verification at <paramref name="level"/> (<see cref="Burning.VerificationLevel.None"/>: off).</summary>
    public RecordOptions WithVerification(Burning.VerificationLevel level) =>
        this with { Verify = level != Burning.VerificationLevel.None, VerifyLevel = level == Burning.VerificationLevel.None ? Burning.VerificationLevel.Full : level };
}

/// <summary>
/// One recorder as IMAPI's IDiscRecorder sees it: identity, media queries, eject, erase and the burn of a
/// staged image. Implementations own the drive's session exclusively and run on the caller's thread.
/// </summary>
public interface IDiscRecorder : IDisposable
{
    /// <summary>Device path or URL (GetPath).</summary>
    string Path { get; }

    /// <summary>Vendor, product, revision (GetDisplayNames).</summary>
    (string Vendor, string Product, string Revision) DisplayNames { get; }

    /// <summary>Media present and its state (QueryMediaType / QueryMediaInfo).</summary>
    MediaInfo QueryMediaInfo();

    /// <summary>Opens the tray.</summary>
    void Eject();

    /// <summary>Blanks a rewritable medium (full or quick).</summary>
    void Erase(bool full, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Burns <paramref name="image"/>; throws <see cref="ImapiException"/> on failure (a <see cref="Burning.VerificationException"/>
    /// when the read-back failed). Returns the SHA-256 the disc read back as when <see cref="RecordOptions.Verify"/> is set at full level (equal to the image's content hash, or
    /// the call fails with CannotWriteToMedia), else null. The image is read once, in ascending sector order.
    /// </summary>
    byte[]? Record(IDiscImage image, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken);
}
