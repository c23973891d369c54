using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Media;

public class MediaCapacityTests
{
    [Theory]
    [InlineData("cd74", MediaKind.Cd74, 333_000L)]
    [InlineData("cd80", MediaKind.Cd80, 360_000L)]
    [InlineData("dvd", MediaKind.Dvd, 2_295_104L)]
    [InlineData("DVD-DL", MediaKind.DvdDl, 4_173_824L)]
    [InlineData("bd25", MediaKind.Bd25, 12_219_392L)]
    [InlineData("bd50", MediaKind.Bd50, 24_438_784L)]
    public void Media_names_parse_to_the_kind_and_its_sector_count(string name, MediaKind kind, long sectors)
    {
        Assert.True(MediaCapacity.TryParse(name, out var parsed));
        Assert.Equal(kind, parsed);
        Assert.Equal(sectors, MediaCapacity.Sectors(parsed));
        Assert.True(MediaCapacity.TryParse(MediaCapacity.Name(parsed), out var roundTrip));
        Assert.Equal(kind, roundTrip);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("floppy")]
    public void Unknown_media_names_are_refused(string? name)
    {
        Assert.False(MediaCapacity.TryParse(name, out _));
    }

    [Fact]
    public void Only_cd_kinds_can_hold_audio()
    {
        Assert.True(MediaCapacity.IsCd(MediaKind.Cd74));
        Assert.True(MediaCapacity.IsCd(MediaKind.Cd80));
        Assert.False(MediaCapacity.IsCd(MediaKind.Dvd));
        Assert.False(MediaCapacity.IsCd(MediaKind.Bd50));
    }
}
