using Duplicator.Drivers.Mmc;

namespace Duplicator.Drivers.Tests.Mmc;

/// <summary>READ TOC/PMA/ATIP answers laid out by hand from MMC-6 6.26 (format 0000b TOC, format 0100b ATIP).</summary>
public sealed class TableOfContentsTests
{
    [Fact]
    public void Format_0_lists_tracks_and_lead_out_with_adr_control_and_lba()
    {
        byte[] d =
        [
            0x00, 0x1A,                                     // TOC data length 26 = 2 + 3 × 8
            0x01, 0x02,                                     // first track 1, last track 2
            0x00, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, // ADR 1, CONTROL 0 (audio), track 1 at LBA 0
            0x00, 0x14, 0x02, 0x00, 0x00, 0x00, 0x2E, 0xE0, // ADR 1, CONTROL 4 (data), track 2 at 12,000
            0x00, 0x14, 0xAA, 0x00, 0x00, 0x01, 0x86, 0xA0, // lead-out at 100,000
        ];
        var toc = TableOfContents.Read(d);
        Assert.Equal(1, toc.FirstTrack);
        Assert.Equal(2, toc.LastTrack);
        Assert.Equal([new TocTrack(1, 0, 1, 0), new TocTrack(1, 4, 2, 12_000)], toc.Tracks);
        Assert.False(toc.Tracks.First().IsData);
        Assert.True(toc.Tracks.Last().IsData);
        Assert.Equal(100_000, toc.LeadOut?.Start);
    }

    [Fact]
    public void Msf_addresses_convert_to_lba_with_the_two_second_offset()
    {
        byte[] d =
        [
            0x00, 0x12, 0x01, 0x01,
            0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, // 00:02:00 = LBA 0
            0x00, 0x14, 0xAA, 0x00, 0x00, 0x4F, 0x3B, 0x4A, // 79:59:74 = LBA 359,849
        ];
        var toc = TableOfContents.Read(d, msf: true);
        Assert.Equal(0, toc.Tracks.Single().Start);
        Assert.Equal(359_849, toc.LeadOut?.Start);
    }

    [Theory]
    [InlineData(0, 2, 0, 0)]
    [InlineData(0, 0, 0, -150)]
    [InlineData(1, 0, 0, 4350)]
    [InlineData(89, 59, 74, 404_849)]
    [InlineData(97, 26, 66, -11_634)]   // a CD-R's lead-in start
    [InlineData(99, 59, 74, -151)]      // the last frame before 00:00:00
    public void Msf_to_lba_follows_the_mmc_translation(byte m, byte s, byte f, long lba) =>
        Assert.Equal(lba, Msf.ToLba(m, s, f));

    [Fact]
    public void A_toc_cut_short_by_the_transfer_keeps_the_whole_descriptors_it_has()
    {
        // Linux tgt answers format 0 two bytes short: the last descriptor cannot be complete.
        byte[] d = [0x00, 0x12, 0x01, 0x01, 0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0xAA, 0x00, 0x00, 0x00];
        var toc = TableOfContents.Read(d);
        Assert.Equal(1, toc.Tracks.Single().Track);
        Assert.Null(toc.LeadOut);
        Assert.Throws<InvalidDataException>(() => TableOfContents.Read([0x00, 0x02, 0x01]));
    }

    [Fact]
    public void Atip_of_a_cd_rw_gives_power_speed_type_and_both_times()
    {
        byte[] d =
        [
            0x00, 0x1A, 0x00, 0x00,                         // ATIP data length 26
            0xD2,                                           // bit 7 = 1, ITWP 101b, reference speed 010b
            0x40,                                           // URU
            0xD8,                                           // bit 7 = 1, disc type 1 (CD-RW), sub-type 011b
            0x00,
            0x61, 0x17, 0x32, 0x00,                         // lead-in start 97:23:50
            0x4F, 0x3B, 0x4A, 0x00,                         // last possible lead-out start 79:59:74
            .. new byte[12],
        ];
        var atip = Atip.Read(d);
        Assert.Equal(new Atip(5, 2, UnrestrictedUse: true, Rewritable: true, DiscSubType: 3,
            LeadInStart: (97 * 60 + 23) * 75 + 50 - 150 - 450_000, LastLeadOutStart: 359_849), atip);
    }

    [Fact]
    public void Atip_too_short_for_the_lead_out_time_is_refused()
    {
        byte[] d = [0x00, 0x08, 0x00, 0x00, 0xD2, 0x40, 0x98, 0x00, 0x61, 0x1A, 0x42];
        Assert.Throws<InvalidDataException>(() => Atip.Read(d));
    }
}
