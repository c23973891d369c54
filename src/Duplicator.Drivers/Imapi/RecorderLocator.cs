using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Imapi;

/// <summary>
/// Opens a recorder from its location: <c>emulated:PROFILE[?...]</c> (see Emulation/README.md) or
/// <c>iscsi://host:port/iqn/lun</c> (libiscsi) or <c>/dev/sg*</c>, <c>/dev/sr*</c> (SG_IO).
/// </summary>
public static class RecorderLocator
{
    /// <summary>Opens the transport for <paramref name="location"/>.</summary>
    public static IScsiTransport OpenTransport(string location)
    {
        if (location.StartsWith("emulated:", StringComparison.OrdinalIgnoreCase))
            return EmulatedRecorder.FromUrl(location);
        if (location.StartsWith("iscsi://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Transport.Iscsi.IscsiTransport.Connect(location);
            }
            catch (TransportException e)
            {
                throw new ImapiException(ImapiError.DeviceNotAccessible, e.Message, e);
            }
            catch (ArgumentException e)
            {
                throw new ImapiException(ImapiError.DeviceNotPresent, e.Message, e);
            }
        }
        if (location.StartsWith("/dev/", StringComparison.Ordinal))
        {
            try
            {
                return Transport.SgIo.SgIoTransport.Open(location);
            }
            catch (TransportException e)
            {
                throw new ImapiException(e.IsTransient ? ImapiError.DeviceStillInUse : ImapiError.DeviceNotPresent, e.Message, e);
            }
        }
        throw new ImapiException(ImapiError.DeviceNotPresent, $"{location}: not a recorder location (emulated:PROFILE, iscsi://host:port/iqn/lun, /dev/sgN or /dev/srN)");
    }

    /// <summary>Opens an IMAPI recorder for <paramref name="location"/>.</summary>
    public static MmcDiscRecorder Open(string location) => new(OpenTransport(location));
}
