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
    /// <summary>
    /// Checks that <paramref name="location"/> parses, with the same parsers <see cref="OpenTransport"/>
    /// uses, without opening anything. Throws <see cref="ImapiException"/> (<see cref="ImapiError.InvalidInput"/>)
    /// naming the location and what is wrong. Returns the emulated drive's options for an emulated: URL, else null.
    /// </summary>
    public static EmulatedRecorderOptions? Validate(string location)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw new ImapiException(ImapiError.InvalidInput, "recorder location is empty (emulated:PROFILE, iscsi://host:port/iqn/lun, /dev/sgN or /dev/srN)");
        if (location.Contains('\0'))
            throw new ImapiException(ImapiError.InvalidInput, "recorder location holds a NUL character");
        if (EmulatedRecorderUrl.IsEmulated(location))
        {
            try
            {
                return EmulatedRecorderUrl.Parse(location);
            }
            catch (ArgumentException e) // a dir= that is no path (Path.GetFullPath)
            {
                throw new ImapiException(ImapiError.InvalidInput, $"recorder URL '{location}': {e.Message}", e);
            }
        }
        if (location.StartsWith("iscsi://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                Transport.Iscsi.IscsiTransport.Parse(location);
                return null;
            }
            catch (ArgumentException e)
            {
                throw new ImapiException(ImapiError.InvalidInput, e.Message, e);
            }
        }
        if (location.StartsWith("/dev/", StringComparison.Ordinal) && location.Length > "/dev/".Length)
            return null;
        throw new ImapiException(ImapiError.InvalidInput, $"{location}: not a recorder location (emulated:PROFILE, iscsi://host:port/iqn/lun, /dev/sgN or /dev/srN)");
    }

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
                throw new ImapiException(ImapiError.InvalidInput, e.Message, e);
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
