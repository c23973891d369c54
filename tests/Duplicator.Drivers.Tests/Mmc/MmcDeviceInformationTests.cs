using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Mmc;

/// <summary>MmcDevice's information commands against the emulated recorder: the parsed records agree with the drive's own model.</summary>
public sealed class MmcDeviceInformationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-mmcinfo-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private EmulatedRecorder Drive(string url) => EmulatedRecorder.FromUrl($"emulated:{url}{(url.Contains('?') ? '&' : '?')}dir={_dir}");

    private sealed class Blocks(long count) : ISectorSource
    {
        public int SectorSize => 2048;
        public long SectorCount => count;
        public void Read(long firstSector, Span<byte> destination) => destination.Fill((byte)firstSector);
    }

    [Fact]
    public void Write_speeds_and_capabilities_list_the_drives_speeds_for_the_medium()
    {
        using var emu = Drive("dvd+r?speed=16&name=caps");
        using var drive = new MmcDevice(emu);
        var speeds = drive.GetWriteSpeeds();
        Assert.Equal([16 * 1385, 12 * 1385, 8 * 1385, 4 * 1385], speeds.Select(s => s.WriteKBps));
        Assert.All(speeds, s => Assert.Equal(MediaCapacity.Sectors(MediaKind.Dvd) - 1, s.EndLba));

        var caps = drive.ReadCapabilities();
        Assert.Equal(speeds.Select(s => s.WriteKBps), caps.WriteSpeedsKBps);
        Assert.Equal(emu.BufferCapacityBytes / 1024, caps.BufferSizeKiB);
        Assert.Equal(16 * 1385, caps.CurrentWriteKBps);
        Assert.True(caps.Writes.HasFlag(MediaWriteCapabilities.TestWrite));

        drive.SetStreaming(0, MediaCapacity.Sectors(MediaKind.Dvd) - 1, 16 * 1385, 12 * 1385);
        Assert.Equal(12, emu.WriteSpeed);
        Assert.Equal(12 * 1385, drive.ReadCapabilities().CurrentWriteKBps);
    }

    [Fact]
    public void Buffer_capacity_reports_the_drive_buffer_and_what_is_free_in_it()
    {
        using var emu = Drive("cd-r?buffer=4m&name=buf");
        using var drive = new MmcDevice(emu);
        var b = drive.ReadBufferCapacity();
        Assert.Equal(new BufferCapacity(false, 4 * 1024 * 1024, 4 * 1024 * 1024), b);
        var blocks = drive.ReadBufferCapacity(blocks: true);
        Assert.True(blocks.InBlocks);
        Assert.Equal(4 * 1024 * 1024 / 2048, blocks.BlankLength);
    }

    [Fact]
    public void The_toc_of_a_burned_disc_has_the_track_at_its_start_and_the_lead_out_at_its_end()
    {
        using var emu = Drive("cd-r?name=toc");
        using var drive = new MmcDevice(emu);
        DataDiscWriter.Burn(drive, new Blocks(600), new RecordOptions(), new NoEvents(), CancellationToken.None);
        var toc = drive.ReadToc();
        Assert.Equal((1, 1), (toc.FirstTrack, toc.LastTrack));
        var track = Assert.Single(toc.Tracks);
        Assert.True(track.IsData);
        Assert.Equal(0, track.Start);
        Assert.Equal(600, toc.LeadOut?.Start);
        // MSF form converts back to the same LBAs
        var msf = drive.ReadToc(msf: true);
        Assert.Equal(toc.Entries.Select(e => e.Start), msf.Entries.Select(e => e.Start));
    }

    [Fact]
    public void Atip_of_a_blank_cd_r_gives_its_capacity()
    {
        using var emu = Drive("cd-r?capacity=cd74&name=atip");
        using var drive = new MmcDevice(emu);
        var atip = drive.ReadAtip();
        Assert.False(atip.Rewritable);
        Assert.Equal(MediaCapacity.Sectors(MediaKind.Cd74), atip.LastLeadOutStart);
        Assert.Equal(-11_634, atip.LeadInStart);
        Assert.Equal("05/24/00", Assert.Throws<Duplicator.Drivers.Scsi.ScsiCommandException>(() => drive.ReadToc()).Sense?.Code); // blank: no TOC yet
    }

    private sealed class NoEvents : IDiscMasterProgressEvents;
}
