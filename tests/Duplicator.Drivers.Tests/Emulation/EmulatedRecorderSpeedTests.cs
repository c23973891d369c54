using Duplicator.Drivers.Emulation;

namespace Duplicator.Drivers.Tests.Emulation;

/// <summary>The emulated drive's ATIP, SET STREAMING and speed reports, driven with hand-written CDBs.</summary>
public sealed class EmulatedRecorderSpeedTests
{
    private static byte[] Atip() => [0x43, 0x02, 0x04, 0, 0, 0, 0, 0x00, 0x1C, 0];

    private static byte[] SetStreaming(int length = 28) => [0xB6, 0, 0, 0, 0, 0, 0, 0, 0x00, (byte)(length >> 8), (byte)length, 0];

    // MMC-6 SET STREAMING performance descriptor: flags, start LBA 4-7, end LBA 8-11, read size/time 12-19, write size/time 20-27.
    private static byte[] Descriptor(uint start, uint end, uint writeKb, uint writeMs, byte flags = 0)
    {
        var d = new byte[28];
        d[0] = flags;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), start);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(8), end);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(12), writeKb);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(16), writeMs);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(20), writeKb);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(24), writeMs);
        return d;
    }

    [Theory]
    [InlineData(EmulatedProfile.CdR, 0x00)]
    [InlineData(EmulatedProfile.CdRw, 0x40)]
    public void A_blank_cd_answers_ATIP_with_its_disc_type_lead_in_and_capacity(EmulatedProfile profile, byte discType)
    {
        using var d = new EmuDrive(profile, capacity: 333_000);
        var atip = d.InGood(Atip(), 28);
        Assert.Equal(28, atip.Length);
        Assert.Equal(26, Pattern.U16(atip, 0));
        Assert.Equal(0x80, atip[4] & 0x80);           // byte 4 bit 7 is always 1
        Assert.Equal(discType, atip[6] & 0x40);
        Assert.Equal([97, 26, 66], atip[8..11]);       // the lead-in READ DISC INFORMATION reports
        // last possible lead-out start = LBA 333,000 = 74:02:00 (333,150 frames)
        Assert.Equal([74, 2, 0], atip[12..15]);
    }

    [Fact]
    public void ATIP_of_a_dvd_is_an_invalid_field()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Is(d.In(Atip(), 28).Result, 0x05, 0x24, 0x00);
    }

    [Fact]
    public void SET_STREAMING_selects_the_fastest_rated_speed_not_above_write_size_over_time()
    {
        using var d = new EmuDrive(EmulatedProfile.BdR);
        // 35,960 kB per 2000 ms = 17,980 kB/s = 4x BD
        Sense.Good(d.Out(SetStreaming(), Descriptor(0, 12_219_391, 35_960, 2000)));
        Assert.Equal(4, d.Recorder.WriteSpeed);
        var page = d.InGood(Cdb.ModeSense(0x2A), 256)[8..];
        Assert.Equal(4 * 4495, Pattern.U16(page, 28));
        // 9,000 kB/s lies between 2x (8,990) and 4x: 2x
        Sense.Good(d.Out(SetStreaming(), Descriptor(0, 12_219_391, 9_000, 1000)));
        Assert.Equal(2, d.Recorder.WriteSpeed);
    }

    [Fact]
    public void SET_STREAMING_with_RDD_restores_the_fastest_and_a_reversed_range_is_refused()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        Sense.Good(d.Out(SetStreaming(), Descriptor(0, 100, 4 * 1385, 1000)));
        Assert.Equal(4, d.Recorder.WriteSpeed);
        Sense.Good(d.Out(SetStreaming(), Descriptor(0, 0, 0, 0, flags: 0x04)));
        Assert.Equal(24, d.Recorder.WriteSpeed);

        Sense.Is(d.Out(SetStreaming(), Descriptor(500, 100, 4 * 1385, 1000)), 0x05, 0x26, 0x00);
        Sense.Is(d.Out(SetStreaming(), Descriptor(0, 100, 4 * 1385, 0)), 0x05, 0x26, 0x00);
        Sense.Is(d.Out(SetStreaming(20), Descriptor(0, 100, 4 * 1385, 1000)[..20]), 0x05, 0x1A, 0x00);
        Assert.Equal(24, d.Recorder.WriteSpeed); // none of the refused ones changed it
    }

    [Fact]
    public void GET_PERFORMANCE_write_reports_the_selected_speed_and_type_03h_every_rated_one()
    {
        using var d = new EmuDrive(EmulatedProfile.CdR);
        Sense.Good(d.Run(Cdb.SetCdSpeed(24 * 176)));
        // type 00h, data type: Write bit 2; one descriptor
        var perf = d.InGood([0xAC, 0x04, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0], 24);
        Assert.Equal(0x02, perf[4] & 0x02);
        Assert.Equal((uint)(24 * 176), Pattern.U32(perf, 8 + 4));
        var speeds = d.InGood(Cdb.GetPerformanceWriteSpeeds(), 8 + 16 * 16);
        Assert.Equal(8, (speeds.Length - 8) / 16);     // 52, 48, 40, 32, 24, 16, 10, 4
        Assert.Equal((uint)(4 * 176), Pattern.U32(speeds, 8 + 16 * 7 + 12));
    }
}
