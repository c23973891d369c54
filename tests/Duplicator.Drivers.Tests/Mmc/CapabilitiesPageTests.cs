using Duplicator.Drivers.Mmc;

namespace Duplicator.Drivers.Tests.Mmc;

/// <summary>Mode page 2Ah laid out by hand (MMC-3 "CD/DVD Capabilities and Mechanical Status Page", byte by byte).</summary>
public sealed class CapabilitiesPageTests
{
    // A DVD writer's MODE SENSE(10) answer: 8-byte header, then page 2Ah with three write speed descriptors.
    private static byte[] DvdWriterAnswer()
    {
        byte[] page =
        [
            0x2A, 0x2A,             // page code, page length 42 = 28 + 4 × 3 + 2
            0x3B,                   // reads: DVD-RAM, DVD-R, DVD-ROM, CD-RW, CD-R (not Method 2)
            0x37,                   // writes: DVD-RAM, DVD-R, test write, CD-RW, CD-R
            0xC1,                   // BUF, multi-session, audio play
            0x03,                   // CD-DA commands, stream accurate
            0x2B,                   // tray (001b), eject, lock state, lock
            0x00,
            0x1B, 0x90,             // 8-9 max read speed 7056
            0x01, 0x00,             // 10-11 volume levels
            0x08, 0x00,             // 12-13 buffer 2048 KiB
            0x10, 0x8A,             // 14-15 current read speed 4234
            0x00, 0x00,
            0x56, 0x90,             // 18-19 max write speed 22160
            0x2B, 0x48,             // 20-21 obsolete current write speed 11080
            0x00, 0x00,             // 22-23 copy management revision
            0x00, 0x00, 0x00, 0x00, // 24-26 reserved, 27 rotation control selected
            0x15, 0xA4,             // 28-29 current write speed selected 5540
            0x00, 0x03,             // 30-31 three descriptors
            0x00, 0x00, 0x56, 0x90, // 22160
            0x00, 0x01, 0x2B, 0x48, // CAV, 11080
            0x00, 0x00, 0x15, 0xA4, // 5540
        ];
        byte[] header = [0x00, (byte)(6 + page.Length), 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        return [.. header, .. page];
    }

    [Fact]
    public void A_full_page_gives_capabilities_buffer_and_speeds()
    {
        var p = CapabilitiesPage.ReadModeSense(DvdWriterAnswer());
        Assert.Equal(MediaReadCapabilities.CdR | MediaReadCapabilities.CdRw | MediaReadCapabilities.DvdRom | MediaReadCapabilities.DvdR | MediaReadCapabilities.DvdRam, p.Reads);
        Assert.Equal(MediaWriteCapabilities.CdR | MediaWriteCapabilities.CdRw | MediaWriteCapabilities.TestWrite | MediaWriteCapabilities.DvdR | MediaWriteCapabilities.DvdRam, p.Writes);
        Assert.True(p.BufferUnderrunFree);
        Assert.True(p.MultiSession);
        Assert.True(p.Eject);
        Assert.True(p.Locked);
        Assert.Equal(7056, p.MaxReadKBps);
        Assert.Equal(2048, p.BufferSizeKiB);
        Assert.Equal(4234, p.CurrentReadKBps);
        Assert.Equal(22160, p.MaxWriteKBps);
        Assert.Equal(5540, p.CurrentWriteKBps); // bytes 28-29, not the obsolete 20-21
        Assert.Equal([22160, 11080, 5540], p.WriteSpeedsKBps);
    }

    [Fact]
    public void Block_descriptors_between_header_and_page_are_skipped()
    {
        var answer = DvdWriterAnswer();
        byte[] withBlockDescriptor = [.. answer[..6], 0x00, 0x08, .. new byte[8], .. answer[8..]];
        withBlockDescriptor[1] += 8;
        Assert.Equal(CapabilitiesPage.ReadModeSense(answer) with { WriteSpeedsKBps = [] },
            CapabilitiesPage.ReadModeSense(withBlockDescriptor) with { WriteSpeedsKBps = [] });
        Assert.Equal([22160, 11080, 5540], CapabilitiesPage.ReadModeSense(withBlockDescriptor).WriteSpeedsKBps);
    }

    [Fact]
    public void An_old_short_page_falls_back_to_the_obsolete_current_write_speed_and_has_no_table()
    {
        // MMC-2 era page: length 18h (26 bytes), ends after the copy management revision.
        var full = DvdWriterAnswer()[8..];
        byte[] page = [.. full[..26]];
        page[1] = 0x18;
        var p = CapabilitiesPage.Read(page);
        Assert.Equal(11080, p.CurrentWriteKBps);
        Assert.Empty(p.WriteSpeedsKBps);
    }

    [Fact]
    public void A_descriptor_count_larger_than_the_page_reads_only_what_the_page_holds()
    {
        var page = DvdWriterAnswer()[8..];
        page[31] = 50; // the count claims 50, the page length holds 3
        Assert.Equal([22160, 11080, 5540], CapabilitiesPage.Read(page).WriteSpeedsKBps);
    }

    [Fact]
    public void Another_page_or_a_truncated_one_is_refused()
    {
        byte[] writeParameters = [0x00, 0x3A, 0, 0, 0, 0, 0, 0, 0x05, 0x32, .. new byte[50]];
        Assert.Throws<InvalidDataException>(() => CapabilitiesPage.ReadModeSense(writeParameters));
        Assert.Throws<InvalidDataException>(() => CapabilitiesPage.Read([0x2A, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Throws<InvalidDataException>(() => CapabilitiesPage.ReadModeSense([0x00, 0x06, 0, 0, 0, 0, 0, 0]));
    }
}
