using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Drivers.Transport.Iscsi;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Iscsi; // not ".Transport": that would shadow Duplicator.Drivers.Transport in the emulator tests

/// <summary>The driver against Linux tgt's MMC emulation over iSCSI (libiscsi): an implementation nobody here wrote.</summary>
public sealed class IscsiTransportTests : IDisposable
{
    private readonly TgtTarget _tgt = new(drives: 2);
    private readonly string _src = Directory.CreateTempSubdirectory("dup-tgt-src-").FullName;

    public void Dispose()
    {
        _tgt.Dispose();
        Directory.Delete(_src, true);
    }

    [Theory]
    [InlineData("iscsi://127.0.0.1:3261/iqn.x:y/2", "127.0.0.1:3261", "iqn.x:y", 2)]
    [InlineData("iscsi://host/iqn.2026-11.a:b/0", "host:3260", "iqn.2026-11.a:b", 0)]
    public void Urls_split_into_portal_target_and_lun(string url, string portal, string target, int lun)
    {
        Assert.Equal((portal, target, lun), IscsiTransport.ParseUrl(url));
    }

    [Fact]
    public void A_tgt_dvd_plus_r_identifies_itself_and_takes_a_verified_data_burn()
    {
        File.WriteAllBytes(Path.Combine(_src, "payload.bin"), Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7)).ToArray());
        var staging = new JolietStaging(MediaKind.Dvd);
        staging.AddData(_src, false);
        var image = staging.Build();

        using var drive = new MmcDevice(IscsiTransport.Connect(_tgt.Url(1)));
        var inq = drive.Inquiry();
        Assert.Equal(5, inq.DeviceType);
        Assert.Equal("TGT", inq.Vendor);
        Assert.Equal("DVDRW-1", inq.Product);
        Assert.Equal(MmcProfile.DvdPlusR, drive.CurrentProfile());

        // tgt refuses reads until the disc is closed: 05/21/00, decoded from what libiscsi reports
        var early = Assert.Throws<ScsiCommandException>(() => drive.Read10(0, 2048, new byte[2048]));
        Assert.Equal("05/21/00", early.Sense!.Value.Code);

        var sha = DataDiscWriter.Burn(drive, image, new RecordOptions(Verify: true), new NoEvents(), CancellationToken.None);
        Assert.Equal(image.ComputeSha256(), sha);
        Assert.Equal(MmcProfile.DvdRom, drive.CurrentProfile()); // tgt turns a closed DVD+R into DVD-ROM

        var backing = File.ReadAllBytes(_tgt.BackingFile(1));
        var staged = new byte[image.SectorCount * 2048];
        image.Read(0, staged);
        Assert.Equal(staged.Length, backing.Length);
        Assert.True(backing.AsSpan().SequenceEqual(staged));
    }

    [Fact]
    public void Tgts_information_answers_parse_and_a_burn_at_a_requested_speed_goes_through_SET_STREAMING()
    {
        // Parsers meeting answers written by someone else (tgt 1.0.85 usr/mmc.c, values measured here).
        using var drive = new MmcDevice(IscsiTransport.Connect(_tgt.Url(1)));
        Assert.Equal(new BufferCapacity(false, 8 * 1024 * 1024, 4 * 1024 * 1024), drive.ReadBufferCapacity());
        var caps = drive.ReadCapabilities();
        Assert.True(caps.Writes.HasFlag(MediaWriteCapabilities.DvdR));
        Assert.Equal(2048, caps.BufferSizeKiB);
        Assert.NotEmpty(caps.WriteSpeedsKBps);
        Assert.Contains(caps.CurrentWriteKBps, caps.WriteSpeedsKBps);
        var speed = Assert.Single(drive.GetWriteSpeeds());
        Assert.Equal(0x230540 - 1, speed.EndLba); // tgt's last possible lead-out, minus 1
        Assert.Equal(3324, speed.WriteKBps);      // 2.4x DVD

        var outcome = WriteSpeed.Apply(drive, MmcProfile.DvdPlusR, 8, 0x230540 - 1);
        Assert.Equal((3324, WriteSpeedSource.WriteSpeedDescriptors, "SET STREAMING"), (outcome.KBps, outcome.Source, outcome.Command));
        Assert.Empty(outcome.Refusals);

        File.WriteAllBytes(Path.Combine(_src, "small.bin"), Enumerable.Range(0, 100_000).Select(i => (byte)(i * 3)).ToArray());
        var staging = new JolietStaging(MediaKind.Dvd);
        staging.AddData(_src, false);
        var image = staging.Build();
        Assert.Equal(image.ComputeSha256(), DataDiscWriter.Burn(drive, image, new RecordOptions(Speed: 8, Verify: true), new NoEvents(), CancellationToken.None));

        // tgt's TOC answer is two bytes short (mmc-targets.md): the track survives, the cut lead-out is dropped, not misread.
        var toc = drive.ReadToc();
        Assert.Equal(0, Assert.Single(toc.Tracks).Start);
        Assert.True(toc.Tracks.Single().IsData);
    }

    [Fact]
    public void The_recorder_locator_opens_iscsi_drives_and_reports_their_media()
    {
        using var recorder = RecorderLocator.Open(_tgt.Url(2));
        Assert.Equal(("TGT", "DVDRW-2", "1.00"), recorder.DisplayNames);
        var media = recorder.QueryMediaInfo();
        Assert.True(media.Present);
        Assert.Equal("DVD+R", media.ProfileName);
        Assert.True(media.Flags.HasFlag(MediaFlags.Blank));
    }

    [Fact]
    public void An_unreachable_target_is_DeviceNotAccessible()
    {
        var e = Assert.Throws<ImapiException>(() => RecorderLocator.Open($"iscsi://127.0.0.1:1/{TgtTarget.Iqn}/1"));
        Assert.Equal(ImapiError.DeviceNotAccessible, e.Code);
    }

    private sealed class NoEvents : IDiscMasterProgressEvents;
}
