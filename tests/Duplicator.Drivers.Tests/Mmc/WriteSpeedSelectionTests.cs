using Duplicator.Drivers.Mmc;

namespace Duplicator.Drivers.Tests.Mmc;

public sealed class WriteSpeedSelectionTests
{
    // A 48x CD writer as drives report it (1x = 176.4 kB/s, rounded): 48, 40, 32, 24, 16, 8x.
    private static readonly int[] CdWriter = [8467, 7056, 5645, 4234, 2822, 1411];

    [Theory]
    [InlineData(0, 8467)]     // 0 = fastest
    [InlineData(48, 8467)]
    [InlineData(52, 8467)]    // above the fastest: the fastest
    [InlineData(40, 7056)]    // 40 × 176.4 = 7056 exactly
    [InlineData(36, 5645)]    // between 32x and 40x: 32x, never above the request
    [InlineData(20, 2822)]
    [InlineData(8, 1411)]
    [InlineData(4, 1411)]     // all above: the slowest
    public void A_cd_request_gets_the_fastest_reported_speed_not_above_it(int requested, int expected) =>
        Assert.Equal(expected, WriteSpeedSelection.Choose(requested, CdWriter, WriteSpeedSelection.OneXKBps(MmcProfile.CdR)));

    [Fact]
    public void Speeds_rounded_down_or_counted_at_176_still_match_their_multiple()
    {
        double oneX = WriteSpeedSelection.OneXKBps(MmcProfile.CdR);
        // 48x reported as 8467 and as 8448 (48 × 176): a 48x request takes either, not the 40x below.
        Assert.Equal(8448, WriteSpeedSelection.Choose(48, [8448, 7040], oneX));
        // 8468 (rounded up) is still 48x.
        Assert.Equal(8468, WriteSpeedSelection.Choose(48, [8468, 7056], oneX));
    }

    [Fact]
    public void Dvd_and_bd_use_their_own_1x()
    {
        int[] dvd = [22160, 11080, 5540, 3324]; // 16x, 8x, 4x, 2.4x
        Assert.Equal(11080, WriteSpeedSelection.Choose(12, dvd, WriteSpeedSelection.OneXKBps(MmcProfile.DvdPlusR)));
        Assert.Equal(3324, WriteSpeedSelection.Choose(3, dvd, WriteSpeedSelection.OneXKBps(MmcProfile.DvdMinusR)));
        Assert.Equal(3324, WriteSpeedSelection.Choose(2, dvd, WriteSpeedSelection.OneXKBps(MmcProfile.DvdPlusRDl))); // 2.4x is above 2x but the slowest
        int[] bd = [26970, 17980, 8990]; // 6x, 4x, 2x
        Assert.Equal(17980, WriteSpeedSelection.Choose(5, bd, WriteSpeedSelection.OneXKBps(MmcProfile.BdR)));
        Assert.Equal(1385, WriteSpeedSelection.OneXKBps(MmcProfile.DvdPlusR));
        Assert.Equal(4495, WriteSpeedSelection.OneXKBps(MmcProfile.BdRe));
    }

    [Fact]
    public void Nothing_usable_reported_is_null()
    {
        Assert.Null(WriteSpeedSelection.Choose(0, [], 1385));
        Assert.Null(WriteSpeedSelection.Choose(8, [0, 0, -1], 1385));
        Assert.Equal(5540, WriteSpeedSelection.Choose(8, [0, 5540, 0], 1385)); // zero filler entries are skipped
    }

    [Fact]
    public void Property_the_choice_is_reported_not_above_the_request_when_possible_and_the_closest_such()
    {
        var random = new Random(20261124);
        for (int round = 0; round < 2000; round++)
        {
            double oneX = random.Next(3) switch { 0 => 176.4, 1 => 1385, _ => 4495 };
            var reported = Enumerable.Range(0, random.Next(1, 10)).Select(_ => random.Next(1, 60 * (int)oneX)).ToArray();
            int requested = random.Next(0, 60);
            int chosen = WriteSpeedSelection.Choose(requested, reported, oneX)
                ?? throw new Xunit.Sdk.XunitException("positive speeds were reported, yet nothing was chosen");

            Assert.Contains(chosen, reported);
            double limit = requested * oneX * (1 + WriteSpeedSelection.RoundingTolerance);
            var notAbove = reported.Where(s => s <= limit).ToArray();
            if (requested == 0)
                Assert.Equal(reported.Max(), chosen);
            else if (notAbove.Length > 0)
                Assert.Equal(notAbove.Max(), chosen);   // never above the request, and nothing closer below it
            else
                Assert.Equal(reported.Min(), chosen);   // all above: the slowest
            // Order and duplicates of the report do not matter.
            Assert.Equal(chosen, WriteSpeedSelection.Choose(requested, [.. reported.Reverse(), .. reported], oneX));
        }
    }
}
