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
}
