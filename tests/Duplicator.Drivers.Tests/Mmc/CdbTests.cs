using Duplicator.Drivers.Mmc;

namespace Duplicator.Drivers.Tests.Mmc;

/// <summary>CDB bytes against the layouts in SPC-4 and MMC-6, written out by hand.</summary>
public class CdbTests
{
    private static byte[] Build(Func<byte[], int> write)
    {
        var c = Enumerable.Repeat((byte)0xEE, 16).ToArray(); // garbage must be cleared
        int n = write(c);
        return c[..n];
    }

    [Fact]
    public void Write10_and_Read10_carry_big_endian_lba_and_length()
    {
        Assert.Equal(new byte[] { 0x2A, 0, 0x00, 0x01, 0x02, 0x03, 0, 0x00, 0x20, 0 }, Build(c => Cdb.Write10(c, 0x010203, 32)));
        Assert.Equal(new byte[] { 0x28, 0, 0xFF, 0xFF, 0xFF, 0x6A, 0, 0x00, 0x01, 0 }, Build(c => Cdb.Read10(c, -150, 1)));
    }

    [Fact]
    public void Information_commands_put_allocation_lengths_where_the_spec_says()
    {
        Assert.Equal(new byte[] { 0x12, 0, 0, 0x00, 0x60, 0 }, Build(c => Cdb.Inquiry(c, 96)));
        Assert.Equal(new byte[] { 0x46, 0x01, 0x00, 0x00, 0, 0, 0, 0x00, 0x08, 0 }, Build(c => Cdb.GetConfiguration(c, 1, 0, 8)));
        Assert.Equal(new byte[] { 0x51, 0, 0, 0, 0, 0, 0, 0x00, 0x22, 0 }, Build(c => Cdb.ReadDiscInformation(c, 34)));
        Assert.Equal(new byte[] { 0x52, 0x01, 0, 0, 0, 0xFF, 0, 0x00, 0x30, 0 }, Build(c => Cdb.ReadTrackInformation(c, 0xFF, 48)));
        Assert.Equal(new byte[] { 0x5A, 0, 0x05, 0, 0, 0, 0, 0x00, 0x3C, 0 }, Build(c => Cdb.ModeSense10(c, 0x05, 60)));
        Assert.Equal(new byte[] { 0x55, 0x10, 0, 0, 0, 0, 0, 0x00, 0x3C, 0 }, Build(c => Cdb.ModeSelect10(c, 60)));
        Assert.Equal(new byte[] { 0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, Build(c => Cdb.ReadCapacity(c)));
    }

    [Fact]
    public void Control_commands_encode_their_function_bits()
    {
        Assert.Equal(new byte[] { 0x00, 0, 0, 0, 0, 0 }, Build(c => Cdb.TestUnitReady(c)));
        Assert.Equal(new byte[] { 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, Build(c => Cdb.SynchronizeCache(c)));
        Assert.Equal(new byte[] { 0x5B, 0x01, 0x01, 0, 0x00, 0x02, 0, 0, 0, 0 }, Build(c => Cdb.CloseTrackSession(c, 1, 2, immediate: true)));
        Assert.Equal(new byte[] { 0x5B, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0 }, Build(c => Cdb.CloseTrackSession(c, 6, 0)));
        Assert.Equal(new byte[] { 0x1B, 0, 0, 0, 0x02, 0 }, Build(c => Cdb.StartStopUnit(c, loadEject: true, start: false)));
        Assert.Equal(new byte[] { 0x1B, 0, 0, 0, 0x03, 0 }, Build(c => Cdb.StartStopUnit(c, loadEject: true, start: true)));
        Assert.Equal(new byte[] { 0xBB, 0, 0xFF, 0xFF, 0x1B, 0x90, 0, 0, 0, 0, 0, 0 }, Build(c => Cdb.SetCdSpeed(c, 0xFFFF, 7056)));
        Assert.Equal(new byte[] { 0xA1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, Build(c => Cdb.Blank(c, full: false)));
    }

    [Fact]
    public void Remaining_mmc_commands_follow_their_tables()
    {
        Assert.Equal(new byte[] { 0x03, 0, 0, 0, 0x12, 0 }, Build(c => Cdb.RequestSense(c, 18)));
        Assert.Equal(new byte[] { 0x43, 0x02, 0x02, 0, 0, 0, 0x01, 0x03, 0x24, 0 }, Build(c => Cdb.ReadToc(c, 2, 1, 804, msf: true)));
        Assert.Equal(new byte[] { 0x4A, 0x01, 0, 0, 0x10, 0, 0, 0x00, 0x08, 0 }, Build(c => Cdb.GetEventStatusNotification(c, 0x10, 8)));
        Assert.Equal(new byte[] { 0xAC, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x10, 0x03, 0 }, Build(c => Cdb.GetPerformance(c, 0, 0, 16, 3)));
        Assert.Equal(new byte[] { 0xB6, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x1C, 0 }, Build(c => Cdb.SetStreaming(c, 28)));
        Assert.Equal(new byte[] { 0x5C, 0x01, 0, 0, 0, 0, 0, 0x00, 0x0C, 0 }, Build(c => Cdb.ReadBufferCapacity(c, 12, blocks: true)));
        Assert.Equal(new byte[] { 0x53, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00, 0 }, Build(c => Cdb.ReserveTrack(c, 65536)));
        Assert.Equal(new byte[] { 0x5D, 0, 0, 0, 0, 0, 0x00, 0x00, 0x28, 0 }, Build(c => Cdb.SendCueSheet(c, 40)));
        Assert.Equal(new byte[] { 0xAA, 0, 0, 0, 0x10, 0, 0, 0, 0, 0x20, 0x80, 0 }, Build(c => Cdb.Write12(c, 4096, 32, streaming: true)));
        Assert.Equal(new byte[] { 0xA8, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0, 0 }, Build(c => Cdb.Read12(c, 1, 1)));
        Assert.Equal(new byte[] { 0x04, 0x11, 0, 0, 0, 0 }, Build(c => Cdb.FormatUnit(c)));
        Assert.Equal(new byte[] { 0x1E, 0, 0, 0, 0x01, 0 }, Build(c => Cdb.PreventAllowMediumRemoval(c, prevent: true)));
    }

    /// <summary>The emulated drive, decoding CDBs on its own, accepts what these builders make.</summary>
    [Fact]
    public void The_emulated_drive_accepts_the_information_commands_these_builders_make()
    {
        using var emu = Duplicator.Drivers.Emulation.EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={Path.GetTempPath()}dup-cdb-{Guid.NewGuid():N}");
        var data = new byte[64];
        foreach (var (name, build, len) in new (string, Func<byte[], int>, int)[]
        {
            ("GET EVENT STATUS", c => Cdb.GetEventStatusNotification(c, 0x10, 8), 8),
            ("READ BUFFER CAPACITY", c => Cdb.ReadBufferCapacity(c, 12), 12),
            ("PREVENT", c => Cdb.PreventAllowMediumRemoval(c, true), 0),
            ("ALLOW", c => Cdb.PreventAllowMediumRemoval(c, false), 0),
        })
        {
            var cdb = new byte[16];
            int n = build(cdb);
            Assert.NotEqual(0, cdb[0]);
            var r = emu.Execute(cdb.AsSpan(0, n), len == 0 ? Duplicator.Drivers.Transport.DataDirection.None : Duplicator.Drivers.Transport.DataDirection.In, data.AsSpan(0, len), TimeSpan.FromSeconds(5));
            Assert.True(r.IsGood, $"{name}: status {r.Status}, sense {Convert.ToHexString(r.Sense.Span)}");
        }
    }
}
