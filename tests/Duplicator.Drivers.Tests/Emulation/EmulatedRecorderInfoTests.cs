using System.Text;
using Duplicator.Drivers.Emulation;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Emulation;

public sealed class EmulatedRecorderInfoTests
{
    [Fact]
    public void Inquiry_reports_an_MMC_device_with_removable_medium_and_its_names()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        var inq = d.InGood(Cdb.Inquiry(), 96);
        Assert.Equal(36, inq.Length);
        Assert.Equal(0x05, inq[0]);
        Assert.Equal(0x80, inq[1]);
        Assert.Equal(31, inq[4]);
        Assert.Equal("DUPLICAT", Encoding.ASCII.GetString(inq, 8, 8));
        Assert.Equal("EMULATED RECORDR", Encoding.ASCII.GetString(inq, 16, 16));
        Assert.Equal("1.00", Encoding.ASCII.GetString(inq, 32, 4));
        Assert.Equal(5, d.InGood(Cdb.Inquiry(5), 96).Length); // allocation length honoured
    }

    private static Dictionary<int, (bool Current, byte[] Data)> Features(byte[] config)
    {
        var result = new Dictionary<int, (bool, byte[])>();
        var end = 4 + (int)Pattern.U32(config, 0);
        for (var o = 8; o < end;)
        {
            var code = Pattern.U16(config, o);
            var len = config[o + 3];
            result[code] = ((config[o + 2] & 1) != 0, config[(o + 4)..(o + 4 + len)]);
            o += 4 + len;
        }

        return result;
    }

    [Fact]
    public void Get_configuration_lists_profiles_and_the_write_features_current_for_the_medium()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        var f = Features(d.InGood(Cdb.GetConfiguration(), 4096));
        var profiles = f[0x0000].Data;
        var current = Enumerable.Range(0, profiles.Length / 4).Where(i => (profiles[i * 4 + 2] & 1) != 0).Select(i => Pattern.U16(profiles, i * 4)).ToList();
        Assert.Equal([0x0009], current);
        Assert.Contains(Enumerable.Range(0, profiles.Length / 4), i => Pattern.U16(profiles, i * 4) == 0x0041);
        Assert.True(f[0x002D].Current);          // CD TAO
        Assert.True(f[0x002E].Current);          // CD mastering
        Assert.Equal(0x20, f[0x002E].Data[0] & 0x20); // SAO bit
        Assert.True(f[0x0021].Current);          // incremental streaming
        Assert.False(f[0x002B].Current);         // DVD+R not current
        Assert.False(f[0x0041].Current);

        d.Recorder.LoadMedium(EmulatedProfile.BdR);
        var only = d.InGood(Cdb.GetConfiguration(rt: 2, start: 0x0041), 4096);
        Assert.Equal(0x0041, Pattern.U16(only, 6));
        Assert.Equal(0x0041, Pattern.U16(only, 8));
        Assert.Equal(1, only[10] & 1);
        Assert.Equal(8 + 4 + only[11], only.Length);

        d.Recorder.LoadMedium(EmulatedProfile.DvdPlusR);
        var currentOnly = Features(d.InGood(Cdb.GetConfiguration(rt: 1), 4096));
        Assert.True(currentOnly.ContainsKey(0x002B));
        Assert.False(currentOnly.ContainsKey(0x002D));
    }

    [Fact]
    public void Capabilities_page_and_GET_PERFORMANCE_report_the_allowed_write_speeds()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR, maxSpeed: 16);
        var page = d.InGood(Cdb.ModeSense(0x2A), 256);
        Assert.Equal(0x2A, page[8] & 0x3F);
        var p = page[8..];
        var count = Pattern.U16(p, 30);
        Assert.Equal(4, count);                  // 16, 12, 8, 4 (24 is above the cap)
        Assert.Equal(16 * 1385, Pattern.U16(p, 34));
        Assert.Equal(4 * 1385, Pattern.U16(p, 32 + 4 * 3 + 2));
        Assert.Equal(16 * 1385, Pattern.U16(p, 28)); // selected write speed
        Assert.Equal(2048, Pattern.U16(p, 12));  // buffer KiB

        var perf = d.InGood(Cdb.GetPerformanceWriteSpeeds(), 8 + 16 * 16);
        Assert.Equal(4 + 16 * 4, (int)Pattern.U32(perf, 0));
        Assert.Equal((uint)(16 * 1385), Pattern.U32(perf, 8 + 12));
        Assert.Equal((uint)(4 * 1385), Pattern.U32(perf, 8 + 48 + 12));

        Sense.Good(d.Run(Cdb.SetCdSpeed(10_000))); // 10000 kB/s → 4x is the largest not above it
        Assert.Equal(4, d.Recorder.WriteSpeed);
        Sense.Good(d.Run(Cdb.SetCdSpeed(0xFFFF)));
        Assert.Equal(16, d.Recorder.WriteSpeed);
    }

    [Fact]
    public void Sense_is_fixed_format_current_error_of_18_bytes()
    {
        var bytes = EmulatedSense.InvalidAddressForWrite.ToArray();
        Assert.Equal(18, bytes.Length);
        Assert.Equal(0x70, bytes[0]);
        Assert.Equal(0x05, bytes[2]);
        Assert.Equal(10, bytes[7]);
        Assert.Equal((0x21, 0x02), (bytes[12], bytes[13]));
        Assert.Equal(EmulatedSense.InvalidAddressForWrite, EmulatedSense.Read(bytes));
        Assert.Equal("05/21/02", EmulatedSense.InvalidAddressForWrite.ToString());
    }

    [Fact]
    public void Out_commands_report_the_parameter_bytes_they_consumed()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Assert.Equal(60, d.Out(Cdb.ModeSelect(60), Cdb.WriteParameters(2, 0, 0)).Transferred);
        var cue = EmulatedRecorderBurnTests.TwoTrackCue();
        Assert.Equal(cue.Length, d.Out(Cdb.SendCueSheet(cue.Length), cue).Transferred);
        Assert.Equal(3 * 2352, d.Out(Cdb.Write10(-150, 3), new byte[3 * 2352]).Transferred);
    }

    [Fact]
    public void Event_status_reports_new_media_once_after_a_load()
    {
        using var d = new EmuDrive(EmulatedProfile.None);
        var ev = d.InGood(Cdb.GetEventStatus(), 8);
        Assert.Equal(0x04, ev[2] & 0x07);
        Assert.Equal(0x10, ev[3]);
        Assert.Equal(0, ev[5] & 0x02);
        d.Recorder.LoadMedium(EmulatedProfile.CdR);
        ev = d.InGood(Cdb.GetEventStatus(), 8);
        Assert.Equal(2, ev[4] & 0x0F);
        Assert.Equal(0x02, ev[5]);
        Assert.Equal(0, d.InGood(Cdb.GetEventStatus(), 8)[4] & 0x0F);
    }

    [Fact]
    public void Blank_CD_disc_information_gives_the_last_possible_lead_out_in_MSF()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(32, Pattern.U16(di, 0));
        Assert.Equal((1, 1, 1, 1), (di[3], di[4], di[5], di[6]));
        Assert.Equal([0, 80, 2, 0], di[20..24]); // 360,000 + 150 blocks = 80:02:00
    }

    [Fact]
    public void Url_parses_profile_and_parameters()
    {
        var o = EmulatedRecorderUrl.Parse("emulated:cd-rw?speed=24&dir=/tmp/x&buffer=4m&state=closed&capacity=1000&name=bay3");
        Assert.Equal(EmulatedProfile.CdRw, o.Profile);
        Assert.Equal(24, o.MaxSpeed);
        Assert.Equal("/tmp/x", o.OutputDirectory);
        Assert.Equal(4L * 1024 * 1024, o.BufferBytes);
        Assert.Equal(MediumState.Closed, o.State);
        Assert.Equal(1000, o.CapacityBlocks);
        Assert.Equal("bay3", o.Name);
        Assert.Null(EmulatedRecorderUrl.Parse("emulated:bd-r?speed=max").MaxSpeed);
        Assert.Equal(0, EmulatedRecorderUrl.Parse("emulated:dvd+r").MaxSpeed);
        Assert.Equal(333_000, EmulatedRecorderUrl.Parse("emulated:cd-r?capacity=cd74").CapacityBlocks);
    }

    [Theory]
    [InlineData("emulated:hddvd")]
    [InlineData("emulated:dvd+r?speed=fast")]
    [InlineData("emulated:dvd+r?buffer=0")]
    [InlineData("emulated:dvd+r?colour=red")]
    [InlineData("iscsi://host/iqn/0")]
    public void Url_rejects_bad_input_naming_the_part(string url)
    {
        var e = Assert.Throws<ImapiException>(() => EmulatedRecorderUrl.Parse(url));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains(url, e.Message);
    }

    [Fact]
    public void FromUrl_builds_a_drive_whose_discs_go_under_dir_and_name()
    {
        var root = Path.Combine(Path.GetTempPath(), "dup-emu-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var r = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={Uri.EscapeDataString(root)}&name=bay7", new FakeClock());
            Assert.StartsWith("emulated:dvd+r", r.Location);
            Assert.Equal(Path.Combine(root, "bay7"), r.DriveDirectory);
            var data = new byte[2048];
            Assert.True(r.Execute(Cdb.Write10(0, 1), Transport.DataDirection.Out, data, TimeSpan.FromSeconds(5)).IsGood);
            Assert.Equal(Path.Combine(root, "bay7", "disc-1.iso"), r.CurrentImagePath);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, true);
            }
        }
    }
}
