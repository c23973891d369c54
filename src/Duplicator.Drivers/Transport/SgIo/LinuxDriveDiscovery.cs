using System.Globalization;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Transport.SgIo;

/// <summary>A recorder found on this Linux host, or a device node that could not be asked.</summary>
/// <param name="Path">Device node to open, e.g. <c>/dev/sg1</c> (the SCSI generic node when there is one).</param>
/// <param name="Inquiry">Its INQUIRY answer; null when <paramref name="Error"/> is set.</param>
/// <param name="Alias">The other node of the same device (<c>/dev/sr0</c> for <c>/dev/sg1</c>), or null.</param>
/// <param name="Error">Why the device could not be asked (permission, busy, no answer), or null.</param>
public sealed record DiscoveredDrive(string Path, InquiryData? Inquiry, string? Alias = null, string? Error = null);

/// <summary>
/// Finds the MMC recorders of a Linux host: every <c>sgN</c> and <c>srN</c> node in the device directory, the
/// two nodes of one device folded into one entry through sysfs (<c>/sys/class/scsi_generic/sgN/device/block/srM</c>),
/// devices sysfs already names as not MMC (<c>device/type</c> other than 5) skipped without opening them, and
/// the rest asked INQUIRY: peripheral device type 5 is kept, anything else dropped, a node that cannot be asked
/// is reported with the reason. The directories and the INQUIRY are injectable so the scan is testable without
/// devices.
/// </summary>
public static class LinuxDriveDiscovery
{
    /// <summary>SPC-4 peripheral device type of CD/DVD/BD devices (MMC).</summary>
    public const byte MmcDeviceType = 5;

    /// <summary>Scans <paramref name="devDirectory"/>; <paramref name="inquiry"/> defaults to an SG_IO INQUIRY of the node.</summary>
    public static IReadOnlyList<DiscoveredDrive> Scan(string devDirectory = "/dev", string sysScsiGeneric = "/sys/class/scsi_generic", Func<string, InquiryData>? inquiry = null)
    {
        inquiry ??= SgInquiry;
        if (!Directory.Exists(devDirectory)) return [];
        var nodes = Directory.EnumerateFileSystemEntries(devDirectory)
            .Select(System.IO.Path.GetFileName)
            .OfType<string>()
            .Select(n => (Name: n, Kind: Kind(n), Number: Number(n)))
            .Where(n => n.Kind != null && n.Number >= 0)
            .OrderBy(n => n.Kind == "sg" ? 0 : 1).ThenBy(n => n.Number)
            .ToList();
        var present = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var aliasOf = new Dictionary<string, string>(StringComparer.Ordinal); // sgN -> srM
        var notMmc = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, kind, _) in nodes.Where(n => n.Kind == "sg"))
        {
            var device = System.IO.Path.Combine(sysScsiGeneric, name, "device");
            if (SysfsType(device) is { } type && type != MmcDeviceType) notMmc.Add(name);
            var block = System.IO.Path.Combine(device, "block");
            if (Directory.Exists(block)
                && Directory.EnumerateFileSystemEntries(block).Select(System.IO.Path.GetFileName).FirstOrDefault(b => b is not null && b.StartsWith("sr", StringComparison.Ordinal) && present.Contains(b)) is { } sr)
                aliasOf[name] = sr;
        }
        var folded = aliasOf.Values.ToHashSet(StringComparer.Ordinal);
        var found = new List<DiscoveredDrive>();
        foreach (var (name, _, _) in nodes)
        {
            if (folded.Contains(name) || notMmc.Contains(name)) continue;
            var path = System.IO.Path.Combine(devDirectory, name);
            string? alias = aliasOf.TryGetValue(name, out var a) ? System.IO.Path.Combine(devDirectory, a) : null;
            InquiryData answer;
            try
            {
                answer = inquiry(path);
            }
            catch (Exception e) when (e is ImapiException or TransportException or IOException or UnauthorizedAccessException)
            {
                found.Add(new DiscoveredDrive(path, null, alias, e.Message));
                continue;
            }
            if (answer.DeviceType == MmcDeviceType) found.Add(new DiscoveredDrive(path, answer, alias));
        }
        return found;
    }

    private static string? Kind(string name) =>
        name.StartsWith("sg", StringComparison.Ordinal) ? "sg" : name.StartsWith("sr", StringComparison.Ordinal) ? "sr" : null;

    private static int Number(string name) =>
        name.Length > 2 && int.TryParse(name.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1;

    // sysfs device/type holds the peripheral device type in decimal; absent or unreadable means "ask the device".
    private static int? SysfsType(string device)
    {
        try
        {
            var file = System.IO.Path.Combine(device, "type");
            return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int t) ? t : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static InquiryData SgInquiry(string path)
    {
        using var device = new MmcDevice(SgIoTransport.Open(path), TimeSpan.FromSeconds(5));
        return device.Inquiry();
    }
}
