using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Reading;

/// <summary>
/// Where the file system that counts lies on a recorded data disc: the last session holding recorded data tracks
/// (an appendable disc's empty, invisible track is skipped), from its first track's start to the end of its last
/// recorded block.
/// </summary>
/// <param name="SessionStart">First sector of the last recorded session (its volume descriptors are 16 sectors on).</param>
/// <param name="End">One past the last recorded sector of that session.</param>
/// <param name="Sessions">Recorded sessions on the disc.</param>
public sealed record LastSession(long SessionStart, long End, int Sessions);

/// <summary>
/// PTBurn's CheckVolumeIDOnDisc / CheckFileOnDisc on the disc a drive holds: READ DISC INFORMATION and READ TRACK
/// INFORMATION find the last recorded session (<see cref="FindLastSession"/>), then
/// <see cref="DiscIdentityCheck"/> reads its volume descriptors and directories with READ(10), nothing else.
/// </summary>
public static class DiscIdentityReader
{
    /// <summary>Most tracks looked at (CD allows 99; a DVD or BD with more is not one a tower appends to).</summary>
    public const int MaxTracks = 999;

    /// <summary>Finds the last session with recorded data tracks; throws WrongDisc for a blank disc, audio, or no data.</summary>
    public static LastSession FindLastSession(MmcDevice drive, CancellationToken cancellationToken = default)
    {
        drive.WaitUntilReady(TimeSpan.FromSeconds(30), cancellationToken);
        var profile = drive.CurrentProfile();
        if (profile == MmcProfile.None)
            throw new ImapiException(ImapiError.MediumNotPresent, $"{drive.Location}: no medium to check");
        var disc = drive.ReadDiscInformation();
        if (disc.Status == DiscStatus.Blank)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} is blank: it holds no volume to check");
        int last = disc.LastTrackOfLastSession;
        if (last is < 1 or > MaxTracks)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: READ DISC INFORMATION reports last track {last}, not 1..{MaxTracks}");
        RecordedTrack? first = null, end = null;
        var sessions = new HashSet<int>();
        for (int n = 1; n <= last; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var t = drive.ReadRecordedTrack(n);
            long size = t.LastRecorded is { } lra && lra >= t.Start ? lra - t.Start + 1 : t.Blank ? 0 : t.Size;
            if (t.Blank || size <= 0) continue;
            if (t.Audio)
                throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: track {n} is CD-DA audio: the disc holds no ISO 9660 volume in that session");
            sessions.Add(t.Session);
            if (first is null || t.Session != first.Session) first = t;
            end = t with { Size = size };
        }
        if (first is null || end is null)
            throw new ImapiException(ImapiError.WrongDisc, $"{drive.Location}: the {MmcProfiles.Name(profile)} has no recorded data track");
        return new LastSession(first.Start, end.Start + end.Size, sessions.Count);
    }

    /// <summary>
    /// Null when the disc in <paramref name="drive"/> has <paramref name="volumeId"/> (if given) and <paramref name="file"/>
    /// (if given) in its last session, else why not in the operator's words, prefixed with <paramref name="where"/>
    /// (<see cref="DiscIdentityCheck.Refusal"/>). A read error of the drive is thrown, not returned.
    /// </summary>
    public static string? Refusal(MmcDevice drive, string? volumeId, string? file, string where, CancellationToken cancellationToken = default)
    {
        var session = FindLastSession(drive, cancellationToken);
        return DiscIdentityCheck.Refusal(new DriveSectors(drive, session.End), volumeId, file, where, session.SessionStart);
    }

    /// <summary>The disc's 2048-byte sectors below <paramref name="end"/>, read with READ(10) on demand (random access).</summary>
    public static ISectorSource Sectors(MmcDevice drive, long end) => new DriveSectors(drive, end);

    /// <summary>The drive's 2048-byte sectors up to <c>end</c>, read with READ(10) in runs of at most 32.</summary>
    private sealed class DriveSectors(MmcDevice drive, long end) : ISectorSource
    {
        public int SectorSize => 2048;
        public long SectorCount => end;

        public void Read(long firstSector, Span<byte> destination)
        {
            SectorIo.CheckRange(this, firstSector, destination.Length);
            const int run = 32 * 2048;
            for (int at = 0; at < destination.Length; at += run)
                drive.Read10(firstSector + at / 2048, 2048, destination.Slice(at, Math.Min(run, destination.Length - at)));
        }
    }
}
