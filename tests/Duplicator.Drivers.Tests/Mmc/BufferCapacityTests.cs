using Duplicator.Drivers.Mmc;

namespace Duplicator.Drivers.Tests.Mmc;

/// <summary>READ BUFFER CAPACITY answers laid out by hand from MMC-6 6.25.</summary>
public sealed class BufferCapacityTests
{
    [Fact]
    public void Byte_form_gives_buffer_length_and_blank_length()
    {
        // data length 10; BLOCK = 0; buffer 8 MiB; 3 MiB free
        byte[] d = [0x00, 0x0A, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x30, 0x00, 0x00];
        var b = BufferCapacity.Read(d);
        Assert.Equal(new BufferCapacity(false, 8 * 1024 * 1024, 3 * 1024 * 1024), b);
        Assert.Equal(5 * 1024 * 1024, b.FilledBytes);
    }

    [Fact]
    public void Block_form_counts_free_blocks_and_has_no_length()
    {
        // BLOCK = 1 in byte 3; bytes 4-7 reserved (garbage here); 1024 blocks free
        byte[] d = [0x00, 0x0A, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x04, 0x00];
        Assert.Equal(new BufferCapacity(true, 0, 1024), BufferCapacity.Read(d));
    }

    [Fact]
    public void A_short_answer_is_refused() =>
        Assert.Throws<InvalidDataException>(() => BufferCapacity.Read([0x00, 0x0A, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00]));
}
