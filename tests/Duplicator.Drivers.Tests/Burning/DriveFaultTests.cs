using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>Faults injected into the emulated drive, seen through the IMAPI recorder the way a caller sees them.</summary>
public sealed class DriveFaultTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-faults-").FullName;
    private readonly DataImage _image;

    public DriveFaultTests()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        File.WriteAllBytes(Path.Combine(src, "x.bin"), new byte[400_000]);
        var s = new JolietStaging(MediaKind.Dvd);
        s.AddData(src, false);
        _image = s.Build();
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class NoEvents : IDiscMasterProgressEvents;

    private EmulatedRecorder Emu(string profile = "dvd+r") => EmulatedRecorder.FromUrl($"emulated:{profile}?dir={_dir}&name={Guid.NewGuid():N}");

    [Fact]
    public void A_drive_that_vanishes_mid_burn_is_DeviceNotPresent()
    {
        var emu = Emu();
        emu.Faults.DisconnectAfter(12);
        using var recorder = new MmcDiscRecorder(emu);
        var e = Assert.Throws<ImapiException>(() => recorder.Record(_image, new RecordOptions(), new NoEvents(), CancellationToken.None));
        Assert.Equal(ImapiError.DeviceNotPresent, e.Code);
    }

    [Fact]
    public void A_hung_command_fails_after_its_timeout_as_DeviceNotAccessible()
    {
        var emu = Emu();
        emu.Faults.Hang(0x2A); // the first WRITE(10) never answers
        using var recorder = new MmcDiscRecorder(emu, commandTimeout: TimeSpan.FromMilliseconds(200));
        var e = Assert.Throws<ImapiException>(() => recorder.Record(_image, new RecordOptions(), new NoEvents(), CancellationToken.None));
        Assert.Equal(ImapiError.DeviceNotAccessible, e.Code);
    }

    [Fact]
    public void A_drive_becoming_ready_is_waited_for_and_the_burn_completes()
    {
        var emu = Emu();
        emu.Faults.NotReadyFor(TimeSpan.FromMilliseconds(300));
        using var recorder = new MmcDiscRecorder(emu);
        recorder.Record(_image, new RecordOptions(Verify: true), new NoEvents(), CancellationToken.None);
        Assert.False(recorder.QueryMediaInfo().Flags.HasFlag(MediaFlags.Blank));
    }

    [Fact]
    public void A_used_cd_rw_is_blanked_and_then_takes_a_burn()
    {
        var emu = EmulatedRecorder.FromUrl($"emulated:cd-rw?dir={_dir}&name=rw&state=closed");
        using var recorder = new MmcDiscRecorder(emu);
        Assert.Equal(ImapiError.WrongDisc, Assert.Throws<ImapiException>(() => recorder.Record(_image, new RecordOptions(), new NoEvents(), CancellationToken.None)).Code);
        recorder.Erase(full: false);
        Assert.True(recorder.QueryMediaInfo().Flags.HasFlag(MediaFlags.Blank));
        recorder.Record(_image, new RecordOptions(Verify: true), new NoEvents(), CancellationToken.None);
        Assert.Equal(ImapiError.MediumInvalidType, Assert.Throws<ImapiException>(() => new MmcDiscRecorder(Emu("dvd+r")).Erase(false)).Code);
    }
}
