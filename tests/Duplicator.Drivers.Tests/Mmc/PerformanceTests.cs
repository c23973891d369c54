using Duplicator.Drivers.Mmc;

namespace Duplicator.Drivers.Tests.Mmc;

/// <summary>GET PERFORMANCE answers laid out by hand from MMC-6 6.8 (performance header, performance and write speed descriptors).</summary>
public sealed class PerformanceTests
{
    [Fact]
    public void Type_00h_write_performance_reads_the_write_bit_and_every_nominal_descriptor()
    {
        byte[] d =
        [
            0x00, 0x00, 0x00, 0x24,       // performance data length: 36 = 4 + 2 × 16
            0x02, 0x00, 0x00, 0x00,       // Write = 1, Except = 0
            // descriptor 1: LBA 0 at 8x DVD (11080 kB/s) to LBA 1,147,551 at 16x (22160)
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2B, 0x48, 0x00, 0x11, 0x82, 0x9F, 0x00, 0x00, 0x56, 0x90,
            // descriptor 2: 1,147,552 to 2,295,103 flat at 16x
            0x00, 0x11, 0x82, 0xA0, 0x00, 0x00, 0x56, 0x90, 0x00, 0x23, 0x05, 0x3F, 0x00, 0x00, 0x56, 0x90,
        ];
        var p = PerformanceData.Read(d);
        Assert.True(p.Write);
        Assert.Equal(
            [new PerformanceDescriptor(0, 11080, 1_147_551, 22160), new PerformanceDescriptor(1_147_552, 22160, 2_295_103, 22160)],
            p.Descriptors);
    }

    [Fact]
    public void Type_00h_read_performance_has_the_write_bit_clear()
    {
        byte[] d = [0x00, 0x00, 0x00, 0x14, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1B, 0x90, 0, 0x05, 0x7E, 0x3F, 0, 0, 0x1B, 0x90];
        var p = PerformanceData.Read(d);
        Assert.False(p.Write);
        Assert.Equal(new PerformanceDescriptor(0, 7056, 359_999, 7056), Assert.Single(p.Descriptors));
    }

    [Fact]
    public void Descriptors_stop_where_the_transfer_ends_even_if_the_length_field_promises_more()
    {
        // The length says two descriptors; the host's allocation only took one and a half.
        byte[] d = [0x00, 0x00, 0x00, 0x24, 0x02, 0, 0, 0, .. new byte[16], .. new byte[8]];
        d[8 + 7] = 0x01; // start performance of descriptor 1 = 1
        var p = PerformanceData.Read(d);
        Assert.Equal(1, Assert.Single(p.Descriptors).StartKBps);
    }

    [Fact]
    public void Bytes_past_the_length_field_are_not_descriptors()
    {
        // Length covers the header only; the buffer behind it is stale.
        byte[] d = [0x00, 0x00, 0x00, 0x04, 0x02, 0, 0, 0, .. Enumerable.Repeat((byte)0xEE, 32)];
        Assert.Empty(PerformanceData.Read(d).Descriptors);
    }

    [Fact]
    public void An_exception_list_or_a_short_header_is_refused_not_misread()
    {
        byte[] exceptions = [0x00, 0x00, 0x00, 0x0A, 0x01, 0, 0, 0, 0x00, 0x00, 0x10, 0x00, 0x00, 0x64];
        Assert.Contains("Except", Assert.Throws<InvalidDataException>(() => PerformanceData.Read(exceptions)).Message);
        Assert.Throws<InvalidDataException>(() => PerformanceData.Read([0x00, 0x00, 0x00]));
    }

    [Fact]
    public void Type_03h_write_speed_descriptors_decode_flags_end_lba_and_both_speeds()
    {
        byte[] d =
        [
            0x00, 0x00, 0x00, 0x24,       // length 36: two descriptors
            0x00, 0x00, 0x00, 0x00,
            // WRC 01b (CAV), Exact, MRW; end LBA 359,999; read 7056 (40x CD); write 8467 (48x)
            0x0B, 0x00, 0x00, 0x00, 0x00, 0x05, 0x7E, 0x3F, 0x00, 0x00, 0x1B, 0x90, 0x00, 0x00, 0x21, 0x13,
            // RDD only; same end LBA; read 7056; write 4234 (24x)
            0x04, 0x00, 0x00, 0x00, 0x00, 0x05, 0x7E, 0x3F, 0x00, 0x00, 0x1B, 0x90, 0x00, 0x00, 0x10, 0x8A,
        ];
        var list = WriteSpeedDescriptor.ReadList(d);
        Assert.Equal(
            [
                new WriteSpeedDescriptor(RotationControl: 1, RestoreDefaults: false, Exact: true, MixedReadWrite: true, 359_999, 7056, 8467),
                new WriteSpeedDescriptor(RotationControl: 0, RestoreDefaults: true, Exact: false, MixedReadWrite: false, 359_999, 7056, 4234),
            ],
            list);
    }

    [Fact]
    public void Type_03h_with_no_descriptors_is_an_empty_list()
    {
        Assert.Empty(WriteSpeedDescriptor.ReadList([0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0]));
        // A transport that moved nothing leaves zeros: still a valid, empty answer.
        Assert.Empty(WriteSpeedDescriptor.ReadList(new byte[8 + 16 * 4]));
    }
}
