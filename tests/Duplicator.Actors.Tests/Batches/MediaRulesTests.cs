using Duplicator.Actors.Batches;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Tests.Batches;

public sealed class MediaRulesTests
{
    private static MediaInfo Blank(string profile, long blocks) => new(true, MediaFlags.Blank | MediaFlags.Writable, profile, 0, 1, 0, blocks);

    [Fact]
    public void A_profile_not_listed_is_refused_naming_drive_profile_and_rule()
    {
        var rules = new MediaRules(["DVD+R", "bd-r"]);
        Assert.Equal("drive-2: the loaded DVD-R is refused: this batch accepts only DVD+R, bd-r; load one of those",
            rules.Refuse("drive-2", Blank("DVD-R", 2_298_496)));
        Assert.Null(rules.Refuse("drive-2", Blank("DVD+R", 2_295_104)));
        Assert.Null(rules.Refuse("drive-2", Blank("BD-R", 12_219_392))); // names compare ignoring case
    }

    [Fact]
    public void Media_below_the_minimum_capacity_is_refused_counting_what_is_recorded()
    {
        var rules = new MediaRules([], MinBlocks: 2_295_104);
        Assert.Equal("drive-1: the loaded CD-R holds 359849 blocks, this batch accepts only media of at least 2295104 blocks; load a bigger one",
            rules.Refuse("drive-1", Blank("CD-R", 359_849)));
        Assert.Null(rules.Refuse("drive-1", Blank("DVD+R", 2_295_104)));
        var appendable = new MediaInfo(true, MediaFlags.Writable, "DVD+R", 1, 1, 1_000_000, 1_295_104);
        Assert.Null(rules.Refuse("drive-1", appendable)); // capacity = recorded + free
    }

    [Fact]
    public void Unknown_profiles_too_many_profiles_and_negative_capacity_are_refused()
    {
        Assert.Contains("'DVD-RAM' is not one of", new MediaRules(["DVD-RAM"]).Refusal());
        Assert.Contains("17 listed, at most 16", new MediaRules([.. Enumerable.Repeat("CD-R", 17)]).Refusal());
        Assert.Contains("minBlocks -1", new MediaRules([], -1).Refusal());
        Assert.Null(new MediaRules(["DVD+R DL", "cd-rw"], 100).Refusal());
    }
}
