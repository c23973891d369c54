using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Reading;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>
/// Builds the image of one session for a disc, once its earlier session and next writable address are known: the
/// disc's sectors (READ(10)) and the start of its last recorded session (null on a blank disc), and the sector the
/// session will start at. Mastering's <c>JolietStaging.BuildSession</c> is one.
/// </summary>
public delegate ISectorSource SessionBuilder(ISectorSource? disc, long? previousSessionStart, long startLba);

/// <summary>
/// Appends a data session to a disc (growisofs -M, IMAPI2's multisession with ImportFileSystem): checks that the
/// medium can take one (CD-R, CD-RW, DVD-R, DVD-RW sequential, DVD+R, DVD+R DL, BD-R; blank, or appendable: disc
/// status "incomplete" in READ DISC INFORMATION), finds the last recorded session (<see cref="DiscIdentityReader"/>)
/// and the next writable address (READ TRACK INFORMATION, track FFh), has the session built for that address (the
/// earlier session's tree imported, every address of the new one offset), writes it as one track from there and
/// closes the session, leaving the disc appendable (page 05h Multi-session 11b on CD and DVD-R; CLOSE SESSION
/// 010b, not 110b, on DVD+R and BD-R) unless <c>finalize</c> is set. A closed disc, or a medium that cannot append
/// (DVD+RW, DVD-RW in restricted overwrite, BD-RE, a pressed disc), is refused naming why before anything is
/// written. Verification as <see cref="DataDiscWriter"/>: the new session's track read back.
/// </summary>
public static class DataSessionWriter
{
    /// <summary>The profiles a session can be appended to.</summary>
    public static bool CanAppend(MmcProfile p) =>
        p is MmcProfile.CdR or MmcProfile.CdRw or MmcProfile.DvdMinusR or MmcProfile.DvdMinusRwSequential or MmcProfile.DvdPlusR or MmcProfile.DvdPlusRDl or MmcProfile.BdR;

    /// <summary>
    /// Appends the session <paramref name="build"/> makes; returns where it starts and, when verifying in full, the
    /// SHA-256 it read back.
    /// </summary>
    /// <remarks>
    /// With <paramref name="expectVolumeId"/> and/or <paramref name="expectFile"/> the disc's last session is checked first
    /// (PTBurn's CheckVolumeIDOnDisc / CheckFileOnDisc, <see cref="DiscIdentityReader.Refusal"/>): a disc that does not
    /// match, or a blank one, is refused with WrongDisc naming what was expected and what the disc holds, before
    /// anything is written.
    /// </remarks>
    public static (long Start, byte[]? ReadBack) Append(MmcDevice drive, SessionBuilder build, RecordOptions options, bool finalize,
        Mastering.Imapi.IDiscMasterProgressEvents progress, CancellationToken cancellationToken, string? expectVolumeId = null, string? expectFile = null)
    {
        drive.WaitUntilReady(TimeSpan.FromSeconds(30), cancellationToken);
        var profile = drive.CurrentProfile();
        if (profile == MmcProfile.None)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Location}: no medium");
        if (!CanAppend(profile))
            throw new ImapiException(ImapiError.MediumInvalidType,
                $"{drive.Location}: a {MmcProfiles.Name(profile)} cannot take another session (sessions are appended to CD-R, CD-RW, DVD-R, DVD-RW, DVD+R, DVD+R DL and BD-R)");
        var disc = drive.ReadDiscInformation();
        if (disc.Status == DiscStatus.Complete)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} is closed (finalized, {disc.Sessions} session(s)): no session can be appended; load a blank or appendable one");
        if (disc.Status is not (DiscStatus.Blank or DiscStatus.Incomplete))
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} reports disc status {(int)disc.Status}, neither blank nor appendable");
        bool expects = expectVolumeId is not null || expectFile is not null;
        if (expects && disc.Status == DiscStatus.Blank)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} is blank, the job expects a disc with {Expected(expectVolumeId, expectFile)} to append to");
        if (expects && DiscIdentityReader.Refusal(drive, expectVolumeId, expectFile, drive.Location, cancellationToken) is { } refusal)
            throw new ImapiException(ImapiError.WrongDisc, $"{refusal}; nothing was written");
        ISectorSource? sectors = null;
        long? previous = null;
        if (disc.Status == DiscStatus.Incomplete)
        {
            var last = DiscIdentityReader.FindLastSession(drive, cancellationToken);
            previous = last.SessionStart;
            sectors = DiscIdentityReader.Sectors(drive, last.End);
        }
        var next = drive.ReadTrackInformation();
        if (!next.NextWritableValid)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} reports no next writable address: it cannot take another session");
        var image = build(sectors, previous, next.NextWritable);
        if (image.SectorCount > next.FreeBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"{drive.Location}: the session needs {image.SectorCount} blocks, the {MmcProfiles.Name(profile)} has {next.FreeBlocks} free after LBA {next.NextWritable}");
        var readBack = DataDiscWriter.Record(drive, profile, image, options, leaveAppendable: !finalize, progress, cancellationToken);
        return (next.NextWritable, readBack);
    }

    private static string Expected(string? volumeId, string? file) =>
        string.Join(" and ", new[] { volumeId is { } v ? $"volume ID '{v}'" : null, file is { } f ? $"file '{f}'" : null }.Where(x => x is not null));
}
