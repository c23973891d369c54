using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Imapi;

/// <summary>IMAPI's IDiscRecorder over an MMC drive reached through any <see cref="IScsiTransport"/>.</summary>
public sealed class MmcDiscRecorder(IScsiTransport transport, TimeSpan? commandTimeout = null) : IDiscRecorder, IDiscReader, IDiscIdentityReader, IUnderrunCounter, ISessionAppender
{
    /// <inheritdoc />
    public long? Underruns => (transport as IUnderrunCounter)?.Underruns;

    private readonly MmcDevice _drive = new(transport, commandTimeout);
    private InquiryData? _inquiry;

    /// <inheritdoc />
    public string Path => _drive.Location;

    /// <summary>The MMC device, for callers that need more than IMAPI offers.</summary>
    public MmcDevice Device => _drive;

    /// <inheritdoc />
    public (string Vendor, string Product, string Revision) DisplayNames
    {
        get
        {
            _inquiry ??= _drive.Inquiry();
            return (_inquiry.Vendor, _inquiry.Product, _inquiry.Revision);
        }
    }

    /// <inheritdoc />
    public MediaInfo QueryMediaInfo()
    {
        if (!_drive.TestUnitReady())
        {
            var profileWhenNotReady = SafeProfile();
            if (profileWhenNotReady == MmcProfile.None)
                return new MediaInfo(false, MediaFlags.None, MmcProfiles.Name(MmcProfile.None), 0, 0, -1, 0);
        }
        var profile = _drive.CurrentProfile();
        if (profile == MmcProfile.None)
            return new MediaInfo(false, MediaFlags.None, MmcProfiles.Name(profile), 0, 0, -1, 0);
        var disc = _drive.ReadDiscInformation();
        var flags = MediaFlags.None;
        if (disc.Status == DiscStatus.Blank) flags |= MediaFlags.Blank;
        if (MmcProfiles.IsRewritable(profile)) flags |= MediaFlags.Rewritable;
        long nwa = -1, free = 0;
        if (disc.Status is DiscStatus.Blank or DiscStatus.Incomplete && MmcProfiles.IsWritable(profile))
        {
            var t = _drive.ReadTrackInformation();
            if (t.NextWritableValid) { nwa = t.NextWritable; free = t.FreeBlocks; flags |= MediaFlags.Writable; }
        }
        return new MediaInfo(true, flags, MmcProfiles.Name(profile), disc.Sessions, disc.LastTrackOfLastSession, nwa, free);
    }

    private MmcProfile SafeProfile()
    {
        try
        {
            return _drive.CurrentProfile();
        }
        catch (ScsiCommandException)
        {
            return MmcProfile.None;
        }
    }

    /// <inheritdoc />
    public void Eject() => _drive.Eject();

    /// <inheritdoc />
    public void Erase(bool full, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default)
    {
        var profile = _drive.CurrentProfile();
        // BLANK erases CD-RW and DVD-RW (either recording mode); DVD+RW and BD-RE are overwritten, not blanked.
        if (profile is not (MmcProfile.CdRw or MmcProfile.DvdMinusRwSequential or MmcProfile.DvdMinusRwRestricted))
            throw new ImapiException(ImapiError.MediumInvalidType, $"{Path}: {MmcProfiles.Name(profile)} cannot be blanked here (CD-RW and DVD-RW can)");
        try
        {
            _drive.Blank(full);
            progress?.NotifyEraseComplete(null);
        }
        catch (ImapiException e)
        {
            progress?.NotifyEraseComplete(e.Code);
            throw;
        }
    }

    /// <inheritdoc />
    public byte[]? Record(IDiscImage image, RecordOptions options, IDiscMasterProgressEvents progress, CancellationToken cancellationToken)
    {
        try
        {
            if (image.Tracks.Any(t => t.Kind == TrackKind.Audio) && options.AudioMode == AudioWriteMode.DiscAtOnce)
                return AudioDiscAtOnceWriter.Burn(_drive, image, options, progress, cancellationToken);
            if (image.Tracks.Any(t => t.Kind == TrackKind.Audio))
                return AudioDiscWriter.Burn(_drive, image, options, progress, cancellationToken);
            return DataDiscWriter.Burn(_drive, image, options, progress, cancellationToken);
        }
        catch (TransportException e)
        {
            // Below SCSI: the drive vanished (not transient) or stopped answering in time (transient).
            throw new ImapiException(e.IsTransient ? ImapiError.DeviceNotAccessible : ImapiError.DeviceNotPresent, e.Message, e);
        }
    }

    /// <inheritdoc />
    public (long Start, byte[]? ReadBack) AppendSession(Burning.SessionBuilder build, RecordOptions options, bool finalize, IDiscMasterProgressEvents progress,
        CancellationToken cancellationToken, string? expectVolumeId = null, string? expectFile = null)
    {
        try
        {
            return Burning.DataSessionWriter.Append(_drive, build, options, finalize, progress, cancellationToken, expectVolumeId, expectFile);
        }
        catch (TransportException e)
        {
            throw new ImapiException(e.IsTransient ? ImapiError.DeviceNotAccessible : ImapiError.DeviceNotPresent, e.Message, e);
        }
    }

    /// <inheritdoc />
    public Reading.DiscReadResult ReadDisc(string folder, string baseName, Reading.DataDiscReadOptions? options, Action<long, long>? progress, CancellationToken cancellationToken) =>
        BelowScsi(() => Reading.DiscImageReader.ReadTo(_drive, folder, baseName, options, progress, cancellationToken));

    /// <inheritdoc />
    public byte[] ReadContentSha256(long dataSectors, Action<long, long>? progress, CancellationToken cancellationToken) =>
        BelowScsi(() => Reading.DiscImageReader.ContentSha256(_drive, dataSectors, progress, cancellationToken));

    /// <inheritdoc />
    public string? CheckIdentity(string? volumeId, string? file, string where, CancellationToken cancellationToken) =>
        BelowScsi(() => Reading.DiscIdentityReader.Refusal(_drive, volumeId, file, where, cancellationToken));

    // As Record: a drive that vanished or stopped answering is an IMAPI device error, not a transport detail.
    private static T BelowScsi<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (TransportException e)
        {
            throw new ImapiException(e.IsTransient ? ImapiError.DeviceNotAccessible : ImapiError.DeviceNotPresent, e.Message, e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _drive.Dispose();
}
