using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>The host-side command sequence against the strict emulated drive (written independently from the spec).</summary>
public sealed class DataDiscWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-burn-").FullName;
    private readonly DataImage _image;

    public DataDiscWriterTests()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        var bytes = new byte[700_001];
        new Random(9).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(src, "data.bin"), bytes);
        File.WriteAllText(Path.Combine(src, "readme.txt"), "burned by a test");
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(src, false);
        _image = s.Build();
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Events : IDiscMasterProgressEvents
    {
        public long Blocks;
        public bool Closing;
        public bool Cancel;
        public bool QueryCancel() => Cancel;
        public void NotifyBlockProgress(long completedBlocks, long totalBlocks) => Blocks = completedBlocks;
        public void NotifyClosingDisc(int estimatedSeconds) => Closing = true;
    }

    private EmulatedRecorder Drive(string profile, string extra = "") =>
        EmulatedRecorder.FromUrl($"emulated:{profile}?dir={Path.Combine(_dir, "discs")}&name={profile.Replace('+', 'p')}{extra}");

    [Theory]
    [InlineData("dvd+r")]
    [InlineData("bd-r")]
    [InlineData("cd-r")]
    [InlineData("dvd-r")]
    public void A_data_image_is_burned_closed_and_reads_back_identical(string profile)
    {
        using var emu = Drive(profile);
        using var drive = new MmcDevice(emu);
        var events = new Events();
        var sha = DataDiscWriter.Burn(drive, _image, new RecordOptions(Verify: true), events, CancellationToken.None);
        Assert.Equal(_image.ComputeSha256(), sha);
        Assert.Equal(_image.SectorCount, events.Blocks);
        Assert.True(events.Closing);
        Assert.NotEqual(DiscStatus.Blank, drive.ReadDiscInformation().Status);
        // the emulator's image of the burned disc equals the staged image, byte for byte
        var burned = File.ReadAllBytes(emu.CurrentImagePath!);
        var staged = new byte[_image.SectorCount * 2048];
        _image.Read(0, staged);
        Assert.True(burned.AsSpan(0, staged.Length).SequenceEqual(staged));
    }

    [Fact]
    public void A_used_DVD_RW_is_blanked_then_burned_closed_and_reads_back_identical()
    {
        using var emu = Drive("dvd-rw", "&state=closed");
        using var recorder = new MmcDiscRecorder(emu);
        var before = recorder.QueryMediaInfo();
        Assert.Equal("DVD-RW", before.ProfileName);
        Assert.False(before.Flags.HasFlag(MediaFlags.Blank));
        Assert.True(before.Flags.HasFlag(MediaFlags.Rewritable));
        Assert.Equal(ImapiError.WrongDisc, Assert.Throws<ImapiException>(() => recorder.Record(_image, new RecordOptions(), new Events(), CancellationToken.None)).Code);

        recorder.Erase(full: false);
        var blank = recorder.QueryMediaInfo();
        Assert.True(blank.Flags.HasFlag(MediaFlags.Blank | MediaFlags.Writable), blank.ToString());
        Assert.Equal(0, blank.NextWritable);

        var events = new Events();
        Assert.Equal(_image.ComputeSha256(), recorder.Record(_image, new RecordOptions(Verify: true), events, CancellationToken.None));
        Assert.Equal(DiscStatus.Complete, recorder.Device.ReadDiscInformation().Status); // closing the session finalizes, as on DVD-R
        var burned = File.ReadAllBytes(emu.CurrentImagePath!);
        var staged = new byte[_image.SectorCount * 2048];
        _image.Read(0, staged);
        Assert.True(burned.AsSpan(0, staged.Length).SequenceEqual(staged));
        Assert.Contains("\"profile\": \"dvd-rw\"", File.ReadAllText(emu.CurrentTocPath!));
    }

    [Fact]
    public void A_DVD_RW_takes_a_test_write_and_write_once_media_cannot_be_blanked()
    {
        using var rw = new MmcDiscRecorder(Drive("dvd-rw"));
        rw.Record(_image, new RecordOptions(Simulate: true), new Events(), CancellationToken.None);
        Assert.True(rw.QueryMediaInfo().Flags.HasFlag(MediaFlags.Blank));
        using var dashR = new MmcDiscRecorder(Drive("dvd-r", "&state=closed"));
        var e = Assert.Throws<ImapiException>(() => dashR.Erase(full: true));
        Assert.Equal(ImapiError.MediumInvalidType, e.Code);
        Assert.Contains("CD-RW and DVD-RW can", e.Message);
    }

    [Fact]
    public void A_disc_that_is_not_blank_is_WrongDisc()
    {
        using var emu = Drive("dvd+r", "&state=appendable");
        using var drive = new MmcDevice(emu);
        var e = Assert.Throws<ImapiException>(() => DataDiscWriter.Burn(drive, _image, new RecordOptions(), new Events(), CancellationToken.None));
        Assert.Equal(ImapiError.WrongDisc, e.Code);
        Assert.Contains("not blank", e.Message);
    }

    [Fact]
    public void A_medium_too_small_is_DiscFull_before_anything_is_written()
    {
        using var emu = Drive("dvd+r", "&capacity=100");
        using var drive = new MmcDevice(emu);
        var e = Assert.Throws<ImapiException>(() => DataDiscWriter.Burn(drive, _image, new RecordOptions(), new Events(), CancellationToken.None));
        Assert.Equal(ImapiError.DiscFull, e.Code);
        Assert.Equal(0, emu.BytesWritten);
    }

    [Fact]
    public void A_write_error_mid_disc_is_CannotWriteToMedia_with_the_sense_in_words()
    {
        using var emu = Drive("dvd+r");
        emu.Faults.FailWriteAt(100);
        using var drive = new MmcDevice(emu);
        var e = Assert.Throws<Duplicator.Drivers.Scsi.ScsiCommandException>(() => DataDiscWriter.Burn(drive, _image, new RecordOptions(), new Events(), CancellationToken.None));
        Assert.Equal(ImapiError.CannotWriteToMedia, e.Code);
        Assert.Contains("WRITE(10)", e.Message);
        Assert.Contains("03/0C/00 write error", e.Message);
    }

    [Fact]
    public void No_medium_and_cancellation_are_reported_in_IMAPI_terms()
    {
        using (var empty = Drive("none"))
        using (var drive = new MmcDevice(empty))
        {
            var e = Assert.ThrowsAny<ImapiException>(() => DataDiscWriter.Burn(drive, _image, new RecordOptions(), new Events(), CancellationToken.None));
            Assert.Equal(ImapiError.MediumNotPresent, e.Code);
        }
        using var emu = Drive("dvd+r");
        using var d2 = new MmcDevice(emu);
        var cancel = Assert.Throws<ImapiException>(() => DataDiscWriter.Burn(d2, _image, new RecordOptions(), new Events { Cancel = true }, CancellationToken.None));
        Assert.Equal(ImapiError.UserAbort, cancel.Code);
    }

    [Fact]
    public void A_simulated_cd_burn_leaves_the_disc_blank()
    {
        using var emu = Drive("cd-r");
        using var drive = new MmcDevice(emu);
        DataDiscWriter.Burn(drive, _image, new RecordOptions(Simulate: true), new Events(), CancellationToken.None);
        Assert.Equal(DiscStatus.Blank, drive.ReadDiscInformation().Status);
        Assert.Equal(ImapiError.MediumInvalidType, Assert.Throws<ImapiException>(() =>
            DataDiscWriter.Burn(new MmcDevice(Drive("dvd+r")), _image, new RecordOptions(Simulate: true), new Events(), CancellationToken.None)).Code);
    }

    [Fact]
    public void Inquiry_and_profile_identify_the_drive()
    {
        using var drive = new MmcDevice(Drive("bd-r"));
        var inq = drive.Inquiry();
        Assert.Equal(5, inq.DeviceType);
        Assert.True(inq.Removable);
        Assert.False(string.IsNullOrEmpty(inq.Vendor));
        Assert.Equal(MmcProfile.BdR, drive.CurrentProfile());
        var t = drive.ReadTrackInformation();
        Assert.True(t.NextWritableValid);
        Assert.Equal(0, t.NextWritable);
        Assert.Equal(MediaCapacity.Sectors(MediaKind.Bd25), t.FreeBlocks);
    }
}
