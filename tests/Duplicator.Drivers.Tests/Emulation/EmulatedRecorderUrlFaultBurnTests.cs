using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Emulation;

/// <summary>URL faults met by the host's own burning path (DataDiscWriter over MmcDevice), as a tower meets them.</summary>
public sealed class EmulatedRecorderUrlFaultBurnTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-urlfault-").FullName;
    private readonly DataImage _image;
    private readonly FakeClock _clock = new();

    public EmulatedRecorderUrlFaultBurnTests()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        var bytes = new byte[6_000_000];
        new Random(10).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), bytes);
        var s = new JolietStaging(MediaKind.Dvd);
        s.AddData(src, false);
        _image = s.Build();
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class NoEvents : IDiscMasterProgressEvents;

    private EmulatedRecorder Emu(string query) =>
        EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={Uri.EscapeDataString(Path.Combine(_dir, "discs"))}&name={Guid.NewGuid():N}&{query}", _clock);

    private double ImageBytes => _image.SectorCount * 2048.0;

    [Fact]
    public void A_burn_meeting_fail_write_at_fails_with_the_write_error_and_the_LBA_the_drive_named()
    {
        var lba = _image.SectorCount / 2;
        using var emu = Emu($"fail-write-at={lba}");
        using var drive = new MmcDevice(emu);
        var e = Assert.Throws<ScsiCommandException>(() => DataDiscWriter.Burn(drive, _image, new RecordOptions(), new NoEvents(), CancellationToken.None));
        Assert.Equal("WRITE(10)", e.Command);
        Assert.Equal("03/0C/00", e.Sense?.Code);
        Assert.Equal((uint)lba, e.Sense?.Information);
        Assert.Equal(ImapiError.CannotWriteToMedia, e.Code);
        // every WRITE before the failing one was taken (the writer sends 32-block WRITEs from LBA 0)
        Assert.Equal(lba / DataDiscWriter.ChunkSectors * DataDiscWriter.ChunkSectors * 2048, emu.BytesWritten);
    }

    [Fact]
    public void A_burn_meeting_hang_write_at_waits_the_command_timeout_and_fails_as_a_transient_drive_fault()
    {
        using var emu = Emu($"hang-write-at={_image.SectorCount / 2}");
        using var recorder = new MmcDiscRecorder(emu, commandTimeout: TimeSpan.FromSeconds(7));
        var before = _clock.Elapsed;
        var e = Assert.Throws<ImapiException>(() => recorder.Record(_image, new RecordOptions(), new NoEvents(), CancellationToken.None));
        Assert.Equal(ImapiError.DeviceNotAccessible, e.Code);
        Assert.True(Assert.IsType<TransportException>(e.InnerException).IsTransient);
        Assert.Equal(TimeSpan.FromSeconds(7), _clock.Elapsed - before); // unthrottled writes take no time; the hang takes the timeout
    }

    [Fact]
    public void A_burn_meeting_vanish_after_fails_as_a_drive_that_is_not_present()
    {
        using var emu = Emu("vanish-after=40");
        using var recorder = new MmcDiscRecorder(emu);
        var e = Assert.Throws<ImapiException>(() => recorder.Record(_image, new RecordOptions(), new NoEvents(), CancellationToken.None));
        Assert.Equal(ImapiError.DeviceNotPresent, e.Code);
        Assert.EndsWith("the device is gone", e.Message);
        Assert.True(emu.BytesWritten > 0, "the drive vanished mid-burn, after some WRITEs");
    }

    [Fact]
    public void A_verified_burn_takes_the_write_time_at_the_slow_at_speed_plus_the_read_time_at_the_read_speed()
    {
        using var slow = Emu("speed=24&slow-at=0:4");
        using var plain = Emu("speed=24");
        foreach (var (emu, writeX) in new[] { (slow, 4), (plain, 24) })
        {
            using var drive = new MmcDevice(emu);
            var before = _clock.Elapsed;
            var sha = DataDiscWriter.Burn(drive, _image, new RecordOptions(Verify: true), new NoEvents(), CancellationToken.None);
            var took = (_clock.Elapsed - before).TotalSeconds;
            Assert.Equal(_image.ComputeSha256(), sha);
            // Host and fake clock cost nothing: the laser writes the image at writeX, then READ(10) reads it back at DVD 16x.
            var expected = (ImageBytes / (writeX * EmulatedProfiles.Dvd1x)) + (ImageBytes / (16 * EmulatedProfiles.Dvd1x));
            Assert.InRange(took, expected * 0.999, expected * 1.001);
            Assert.Equal(0, emu.Underruns);
        }
    }
}
