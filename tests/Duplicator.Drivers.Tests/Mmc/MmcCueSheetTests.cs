using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Mmc;

public sealed class MmcCueSheetTests
{
    private sealed class Layout(long sectors, string? catalog, params TrackInfo[] tracks) : IDiscImage
    {
        public int SectorSize => 2352;
        public long SectorCount => sectors;
        public IReadOnlyList<TrackInfo> Tracks => tracks;
        public string? Catalog => catalog;
        public void Read(long firstSector, Span<byte> destination) => destination.Clear();
    }

    private static TrackInfo Audio(int n, long start, long length, int pregap = 150, string? isrc = null) => new(n, TrackKind.Audio, start, length, pregap, isrc);

    [Fact]
    public void Entries_are_catalog_lead_in_isrc_index_00_and_01_and_lead_out_in_binary_absolute_time()
    {
        var image = new Layout(1000, "0724384260925", Audio(1, 150, 300), Audio(2, 600, 400, isrc: "GBAYE0601498"));
        var sheet = MmcCueSheet.ForAudio(image);
        byte[] expected =
        [
            0x02, (byte)'0', (byte)'7', (byte)'2', (byte)'4', (byte)'3', (byte)'8', (byte)'4', // MCN N1-N7
            0x02, (byte)'2', (byte)'6', (byte)'0', (byte)'9', (byte)'2', (byte)'5', 0x00,      // MCN N8-N13
            0x01, 0x00, 0x00, 0x01, 0x00, 0, 0, 0,        // lead-in, drive-generated audio
            0x01, 0x01, 0x00, 0x00, 0x00, 0, 0, 0,        // track 1 INDEX 00 at LBA -150 = 00:00:00
            0x01, 0x01, 0x01, 0x00, 0x00, 0, 2, 0,        // track 1 INDEX 01 at LBA 0 = 00:02:00
            0x03, 0x02, (byte)'G', (byte)'B', (byte)'A', (byte)'Y', (byte)'E', (byte)'0',      // ISRC I1-I6
            0x03, 0x02, (byte)'6', (byte)'0', (byte)'1', (byte)'4', (byte)'9', (byte)'8',      // ISRC I7-I12
            0x01, 0x02, 0x00, 0x00, 0x00, 0, 6, 0,        // track 2 INDEX 00 at LBA 300 = 00:06:00
            0x01, 0x02, 0x01, 0x00, 0x00, 0, 8, 0,        // track 2 INDEX 01 at LBA 450 = 00:08:00
            0x01, 0xAA, 0x01, 0x01, 0x00, 0, 13, 25,      // lead-out at LBA 850 = 00:13:25
        ];
        Assert.Equal(expected, sheet.ToArray());
        Assert.Equal(-150, sheet.ProgramStart);
        Assert.Equal(850, sheet.LeadOut);
        Assert.Equal([(300L, 450L, 400L)], sheet.Tracks.Skip(1).Select(t => (t.PregapStart, t.Start, t.Length)));
    }

    [Fact]
    public void Index_points_follow_index_01_and_cd_text_sets_the_lead_in_form_41h()
    {
        var tracks = new TrackInfo(1, TrackKind.Audio, 150, 600, 150, Indexes: [75, 300]);
        var sheet = MmcCueSheet.ForAudio(new Layout(750, null, tracks), cdTextInLeadIn: true);
        byte[] expected =
        [
            0x01, 0x00, 0x00, 0x41, 0x00, 0, 0, 0,        // lead-in: drive-generated audio, R-W sub-channel from the host
            0x01, 0x01, 0x00, 0x00, 0x00, 0, 0, 0,        // INDEX 00 at LBA -150
            0x01, 0x01, 0x01, 0x00, 0x00, 0, 2, 0,        // INDEX 01 at LBA 0
            0x01, 0x01, 0x02, 0x00, 0x00, 0, 3, 0,        // INDEX 02 at LBA 75 = 00:03:00
            0x01, 0x01, 0x03, 0x00, 0x00, 0, 6, 0,        // INDEX 03 at LBA 300 = 00:06:00
            0x01, 0xAA, 0x01, 0x01, 0x00, 0, 10, 0,       // lead-out at LBA 600
        ];
        Assert.Equal(expected, sheet.ToArray());
        Assert.Equal([75L, 300L], sheet.Tracks[0].Indexes!);
        var bad = new TrackInfo(1, TrackKind.Audio, 150, 600, 150, Indexes: [300, 75]);
        Assert.Contains("index points [300, 75]", Assert.Throws<ImapiException>(() => MmcCueSheet.ForAudio(new Layout(750, null, bad))).Message);
    }

    [Fact]
    public void A_gapless_track_has_no_index_00_and_minutes_carry_past_sixty_seconds()
    {
        var sheet = MmcCueSheet.ForAudio(new Layout(150 + 4500 + 4500, null, Audio(1, 150, 4500), Audio(2, 4650, 4500, pregap: 0)));
        var bytes = sheet.ToArray();
        Assert.Equal(5 * 8, bytes.Length); // lead-in, track 1 INDEX 00 and 01, track 2 INDEX 01, lead-out
        Assert.Equal(new byte[] { 0x01, 0x02, 0x01, 0x00, 0x00, 1, 2, 0 }, bytes[24..32]); // LBA 4500 = 01:02:00
        Assert.Equal(new byte[] { 0x01, 0xAA, 0x01, 0x01, 0x00, 2, 2, 0 }, bytes[32..40]); // LBA 9000 = 02:02:00
    }

    [Theory]
    [InlineData(899, 299, "track 2 is 299 blocks")]    // shorter than 4 s to the lead-out
    [InlineData(999, 400, "ends at image sector 1000")] // the track table runs past the image
    public void Layouts_a_drive_would_refuse_are_errors_naming_the_track(long sectors, long secondLength, string why)
    {
        var image = new Layout(sectors, null, Audio(1, 150, 300), Audio(2, 600, secondLength));
        var e = Assert.Throws<ImapiException>(() => MmcCueSheet.ForAudio(image));
        Assert.Equal(ImapiError.InvalidImage, e.Code);
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void Bad_isrc_and_catalog_are_invalid_input()
    {
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => MmcCueSheet.ForAudio(new Layout(450, null, Audio(1, 150, 300, isrc: "gbaye0601498")))).Code);
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => MmcCueSheet.ForAudio(new Layout(450, "12345", Audio(1, 150, 300)))).Code);
    }
}
