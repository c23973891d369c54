using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Transport;
using Duplicator.Drivers.Transport.SgIo;

namespace Duplicator.Drivers.Tests.SgIo; // not ".Transport": that would shadow Duplicator.Drivers.Transport in the emulator tests

public sealed class LinuxDriveDiscoveryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-sg-").FullName;
    private string Dev => Path.Combine(_root, "dev");
    private string Sys => Path.Combine(_root, "sys");
    private readonly List<string> _asked = [];

    public LinuxDriveDiscoveryTests()
    {
        Directory.CreateDirectory(Dev);
        Directory.CreateDirectory(Sys);
    }

    public void Dispose() => Directory.Delete(_root, true);

    private void Nodes(params string[] names)
    {
        foreach (var n in names) File.WriteAllText(Path.Combine(Dev, n), "");
    }

    private void SysfsBlock(string sg, string block, string? type = null)
    {
        var device = Path.Combine(Sys, sg, "device");
        Directory.CreateDirectory(Path.Combine(device, "block", block));
        if (type != null) File.WriteAllText(Path.Combine(device, "type"), type + "\n");
    }

    private InquiryData Answer(string path, Dictionary<string, object> answers)
    {
        _asked.Add(Path.GetFileName(path));
        return answers[Path.GetFileName(path)] switch
        {
            byte type => new InquiryData(type, type == 5, "VEND", $"PRODUCT-{Path.GetFileName(path)}", "1.0"),
            Exception e => throw e,
            var other => throw new InvalidOperationException($"bad fake answer {other}"),
        };
    }

    [Fact]
    public void Mmc_devices_are_kept_disks_dropped_and_an_unreadable_node_reported()
    {
        Nodes("sg0", "sg1", "sg2", "sg10", "sda", "sg", "srx", "sr1");
        var answers = new Dictionary<string, object>
        {
            ["sg0"] = (byte)0, // a disk
            ["sg1"] = (byte)5,
            ["sg2"] = new TransportException("/dev/sg2", "open: Permission denied", transient: false),
            ["sg10"] = (byte)5,
            ["sr1"] = (byte)5,
        };
        var found = LinuxDriveDiscovery.Scan(Dev, Sys, p => Answer(p, answers));

        Assert.Equal(["sg1", "sg2", "sg10", "sr1"], found.Select(d => Path.GetFileName(d.Path)));
        Assert.Equal("PRODUCT-sg1", found[0].Inquiry!.Product);
        Assert.Null(found[1].Inquiry);
        Assert.Contains("Permission denied", found[1].Error);
        Assert.All(found.Where(d => d.Path != found[1].Path), d => Assert.Null(d.Error));
        // Names that are not sgN/srN are never opened.
        Assert.Equal(["sg0", "sg1", "sg2", "sg10", "sr1"], _asked);
    }

    [Fact]
    public void The_sg_and_sr_nodes_of_one_drive_are_one_entry_and_sysfs_disks_are_not_opened()
    {
        Nodes("sg0", "sg1", "sr0");
        SysfsBlock("sg0", "sda", type: "0");   // a disk, named by sysfs: not opened at all
        SysfsBlock("sg1", "sr0", type: "5");
        var answers = new Dictionary<string, object> { ["sg1"] = (byte)5 };
        var found = LinuxDriveDiscovery.Scan(Dev, Sys, p => Answer(p, answers));

        var drive = Assert.Single(found);
        Assert.Equal(Path.Combine(Dev, "sg1"), drive.Path);
        Assert.Equal(Path.Combine(Dev, "sr0"), drive.Alias);
        Assert.Equal(["sg1"], _asked);
    }

    [Fact]
    public void A_missing_device_directory_finds_nothing()
    {
        Assert.Empty(LinuxDriveDiscovery.Scan(Path.Combine(_root, "nope"), Sys, p => Answer(p, [])));
        Assert.Empty(_asked);
    }
}
