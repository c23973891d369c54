using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Transport;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>Speed selection from what the drive reports, through whole burns on the emulated recorder.</summary>
public sealed class WriteSpeedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-speed-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Quiet : IDiscMasterProgressEvents;

    /// <summary>400 sectors whose bytes depend on their LBA.</summary>
    private sealed class PatternImage : ISectorSource
    {
        public int SectorSize => 2048;
        public long SectorCount => 400;
        public void Read(long firstSector, Span<byte> destination)
        {
            for (int i = 0; i < destination.Length; i++)
                destination[i] = (byte)((firstSector + i / 2048) * 31 + i % 2048 * 7);
        }
    }

    /// <summary>Passes commands to the emulated drive, records their opcodes, and refuses chosen ones with 05/20/00.</summary>
    private sealed class Gatekeeper(EmulatedRecorder inner, params byte[] refused) : IScsiTransport
    {
        public List<byte> Opcodes { get; } = [];
        public string Location => inner.Location;
        public ScsiResult Execute(ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data, TimeSpan timeout)
        {
            Opcodes.Add(cdb[0]);
            if (Array.IndexOf(refused, cdb[0]) < 0) return inner.Execute(cdb, direction, data, timeout);
            var sense = new byte[18];
            sense[0] = 0x70; sense[2] = 0x05; sense[7] = 10; sense[12] = 0x20; // ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE
            return new ScsiResult(ScsiResult.CheckCondition, sense, 0);
        }
        public void Dispose() => inner.Dispose();
    }

    private EmulatedRecorder Drive(string profile, string name) =>
        EmulatedRecorder.FromUrl($"emulated:{profile}?dir={_dir}&name={name}");

    [Theory]
    [InlineData("dvd+r", 10, 8)]   // DVD rated 24, 16, 12, 8, 4: 10x gets 8x
    [InlineData("dvd+r", 0, 24)]   // 0 = fastest
    [InlineData("dvd-r", 2, 4)]    // below the slowest: the slowest
    [InlineData("bd-r", 5, 4)]     // BD rated 12, 10, 8, 6, 4, 2
    [InlineData("cd-r", 20, 16)]   // CD rated 52, 48, 40, 32, 24, 16, 10, 4
    [InlineData("cd-r", 40, 40)]
    public void A_data_burn_runs_at_the_closest_reported_speed_not_above_the_request(string profile, int requested, int expectedX)
    {
        using var emu = Drive(profile, $"{profile.Replace('+', 'p')}-{requested}");
        using var drive = new MmcDevice(emu);
        var image = new PatternImage();
        var sha = DataDiscWriter.Burn(drive, image, new RecordOptions(Speed: requested, Verify: true), new Quiet(), CancellationToken.None);

        Assert.Equal(image.ComputeSha256(), sha);
        Assert.Equal(expectedX, emu.WriteSpeed);
        // What the drive itself reports as its current write speed (page 2Ah bytes 28-29, GET PERFORMANCE
        // type 00h with Write set) is the chosen speed in kB/s of the medium's 1x.
        int oneX = profile.StartsWith("cd") ? 176 : profile.StartsWith("dvd") ? 1385 : 4495;
        Assert.Equal(expectedX * oneX, drive.ReadCapabilities().CurrentWriteKBps);
        Assert.Equal(expectedX * oneX, Assert.Single(drive.GetPerformance(write: true).Descriptors).StartKBps);
    }

    [Fact]
    public void Dvd_speed_goes_by_SET_STREAMING_and_cd_speed_by_SET_CD_SPEED()
    {
        var dvd = new Gatekeeper(Drive("dvd+r", "gate-dvd"));
        using (var drive = new MmcDevice(dvd))
            DataDiscWriter.Burn(drive, new PatternImage(), new RecordOptions(Speed: 12), new Quiet(), CancellationToken.None);
        Assert.Contains((byte)0xB6, dvd.Opcodes);
        Assert.DoesNotContain((byte)0xBB, dvd.Opcodes);

        var cd = new Gatekeeper(Drive("cd-r", "gate-cd"));
        using (var drive = new MmcDevice(cd))
            DataDiscWriter.Burn(drive, new PatternImage(), new RecordOptions(Speed: 12), new Quiet(), CancellationToken.None);
        Assert.Contains((byte)0xBB, cd.Opcodes);
        Assert.DoesNotContain((byte)0xB6, cd.Opcodes);
    }

    [Fact]
    public void A_drive_refusing_GET_PERFORMANCE_is_served_from_mode_page_2Ah()
    {
        var emu = Drive("dvd+r", "no-getperf");
        using var drive = new MmcDevice(new Gatekeeper(emu, 0xAC));
        var outcome = WriteSpeed.Apply(drive, MmcProfile.DvdPlusR, 10, 2_295_103);
        Assert.Equal(WriteSpeedSource.CapabilitiesPage, outcome.Source);
        Assert.Equal(8 * 1385, outcome.KBps);
        Assert.Equal("SET STREAMING", outcome.Command);
        Assert.Equal(["GET PERFORMANCE: 05/20/00"], outcome.Refusals);
        Assert.Equal(8, emu.WriteSpeed);
    }

    [Fact]
    public void A_drive_refusing_every_speed_command_still_burns_and_verifies()
    {
        var emu = Drive("dvd+r", "refuses-all");
        var gate = new Gatekeeper(emu, 0xAC, 0x5A, 0xB6, 0xBB);
        using var drive = new MmcDevice(gate);
        var image = new PatternImage();
        var sha = DataDiscWriter.Burn(drive, image, new RecordOptions(Speed: 4, Verify: true), new Quiet(), CancellationToken.None);
        Assert.Equal(image.ComputeSha256(), sha);
        Assert.Equal(24, emu.WriteSpeed); // untouched: the drive's default
        // every speed command was tried once, in the documented order, and none failed the burn
        Assert.Equal([0xAC, 0x5A, 0xB6, 0xBB], gate.Opcodes.Where(o => o is 0xAC or 0x5A or 0xB6 or 0xBB).ToArray());

        var outcome = WriteSpeed.Apply(drive, MmcProfile.DvdPlusR, 4, 2_295_103);
        Assert.Equal(WriteSpeedSource.Requested, outcome.Source);
        Assert.Equal(4 * 1385, outcome.KBps);
        Assert.Null(outcome.Command);
        Assert.Equal(4, outcome.Refusals.Count);
    }

    [Fact]
    public void A_dvd_drive_refusing_SET_STREAMING_falls_back_to_SET_CD_SPEED()
    {
        var emu = Drive("dvd+r", "no-streaming");
        using var drive = new MmcDevice(new Gatekeeper(emu, 0xB6));
        var outcome = WriteSpeed.Apply(drive, MmcProfile.DvdPlusR, 16, 2_295_103);
        Assert.Equal("SET CD SPEED", outcome.Command);
        Assert.Equal(16, emu.WriteSpeed);
    }

    [Fact]
    public void Maximum_with_no_reported_speeds_tells_a_cd_drive_FFFFh_and_leaves_a_dvd_drive_alone()
    {
        var cdEmu = Drive("cd-r", "max-cd");
        var cdGate = new Gatekeeper(cdEmu, 0xAC, 0x5A);
        using (var cd = new MmcDevice(cdGate))
        {
            cd.SetCdSpeed(4 * 176);
            Assert.Equal(4, cdEmu.WriteSpeed);
            var outcome = WriteSpeed.Apply(cd, MmcProfile.CdR, 0, 359_999);
            Assert.Equal(WriteSpeedSource.DriveDefault, outcome.Source);
            Assert.Equal("SET CD SPEED", outcome.Command);
            Assert.Equal(52, cdEmu.WriteSpeed);
        }

        var dvdGate = new Gatekeeper(Drive("dvd+r", "max-dvd"), 0xAC, 0x5A);
        using var dvd = new MmcDevice(dvdGate);
        var none = WriteSpeed.Apply(dvd, MmcProfile.DvdPlusR, 0, 2_295_103);
        Assert.Equal(WriteSpeedSource.DriveDefault, none.Source);
        Assert.Null(none.Command);
        Assert.DoesNotContain((byte)0xB6, dvdGate.Opcodes);
    }

    [Fact]
    public void An_audio_burn_runs_at_the_chosen_cd_speed()
    {
        using var staging = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash"));
        staging.CreateAudioTrack(300);
        var pcm = new byte[300 * 2352];
        new Random(3).NextBytes(pcm);
        staging.AddAudioTrackBlocks(pcm);
        staging.CloseAudioTrack();
        using var emu = Drive("cd-r", "audio");
        using var drive = new MmcDevice(emu);
        AudioDiscWriter.Burn(drive, staging.Build(), new RecordOptions(Speed: 30, Verify: true), new Quiet(), CancellationToken.None);
        Assert.Equal(24, emu.WriteSpeed);
        Assert.Equal(24 * 176, drive.ReadCapabilities().CurrentWriteKBps);
    }
}
