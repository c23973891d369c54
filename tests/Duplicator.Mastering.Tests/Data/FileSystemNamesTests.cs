using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>The spellings of the file systems, each medium's default, and what a medium cannot carry.</summary>
public sealed class FileSystemNamesTests
{
    [Fact]
    public void Every_file_system_has_one_spelling_that_reads_back_as_itself()
    {
        var all = Enum.GetValues<DataFileSystems>();
        Assert.Equal(all.Length, FileSystemNames.All.Count);
        foreach (var fs in all)
        {
            Assert.True(FileSystemNames.TryParse(FileSystemNames.Name(fs), out var back));
            Assert.Equal(fs, back);
        }
        Assert.Equal("joliet, udf-bridge, udf, dvd-video", FileSystemNames.Listed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("UDF")]
    [InlineData("udf-bridge ")]
    [InlineData("iso9660")]
    [InlineData("DvdVideo")]
    public void Anything_but_an_exact_spelling_is_not_a_file_system(string? text) =>
        Assert.False(FileSystemNames.TryParse(text, out _));

    [Theory]
    [InlineData(MediaKind.Cd74, DataFileSystems.Joliet)]
    [InlineData(MediaKind.Cd80, DataFileSystems.Joliet)]
    [InlineData(MediaKind.Dvd, DataFileSystems.UdfBridge)]
    [InlineData(MediaKind.DvdDl, DataFileSystems.UdfBridge)]
    [InlineData(MediaKind.Bd25, DataFileSystems.Udf)]
    [InlineData(MediaKind.Bd50, DataFileSystems.Udf)]
    public void Each_medium_defaults_to_its_file_system(MediaKind media, DataFileSystems expected) =>
        Assert.Equal(expected, FileSystemNames.DefaultFor(media));

    [Theory]
    [InlineData(MediaKind.Cd74)]
    [InlineData(MediaKind.Cd80)]
    [InlineData(MediaKind.Bd25)]
    [InlineData(MediaKind.Bd50)]
    public void DVD_Video_is_refused_on_anything_but_a_DVD_naming_the_medium(MediaKind media)
    {
        var why = FileSystemNames.Refusal(DataFileSystems.DvdVideo, media);
        Assert.NotNull(why);
        Assert.Contains(MediaCapacity.Name(media), why);
        var e = Assert.Throws<ImapiException>(() => FileSystemNames.CheckFits(DataFileSystems.DvdVideo, media, "job x"));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.StartsWith("job x: dvd-video goes on dvd or dvd-dl", e.Message);
    }

    [Fact]
    public void Joliet_the_bridge_and_UDF_go_on_every_medium_and_DVD_Video_on_both_DVDs()
    {
        foreach (var media in Enum.GetValues<MediaKind>())
            foreach (var fs in new[] { DataFileSystems.Joliet, DataFileSystems.UdfBridge, DataFileSystems.Udf })
                Assert.Null(FileSystemNames.Refusal(fs, media));
        Assert.Null(FileSystemNames.Refusal(DataFileSystems.DvdVideo, MediaKind.Dvd));
        Assert.Null(FileSystemNames.Refusal(DataFileSystems.DvdVideo, MediaKind.DvdDl));
    }
}
