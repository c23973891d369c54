using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Imapi;

/// <summary>
/// Opens a recorder from its location: <c>emulated:PROFILE[?...]</c> (see Emulation/README.md) today;
/// <c>iscsi://host:port/iqn/lun</c> and <c>/dev/sg*</c>, <c>/dev/sr*</c> are recognised and refused
/// clearly until their transports land.
/// </summary>
public static class RecorderLocator
{
    /// <summary>Opens the transport for <paramref name="location"/>.</summary>
    public static IScsiTransport OpenTransport(string location)
    {
        if (location.StartsWith("emulated:", StringComparison.OrdinalIgnoreCase))
            return EmulatedRecorder.FromUrl(location);
        if (location.StartsWith("iscsi://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("/dev/", StringComparison.Ordinal))
            throw new ImapiException(ImapiError.DeviceNotAccessible, $"{location}: this build cannot open iSCSI or SG_IO drives yet; use an emulated: URL");
        throw new ImapiException(ImapiError.DeviceNotPresent, $"{location}: not a recorder location (emulated:PROFILE, iscsi://host:port/iqn/lun, /dev/sgN or /dev/srN)");
    }

    /// <summary>Opens an IMAPI recorder for <paramref name="location"/>.</summary>
    public static MmcDiscRecorder Open(string location) => new(OpenTransport(location));
}
