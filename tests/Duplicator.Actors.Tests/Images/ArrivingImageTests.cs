using Duplicator.Actors.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Images;

/// <summary>
/// <see cref="ArrivingImage"/>: an image being fetched is readable only as far as it was checked; a read past that
/// waits, and fails when the rest will not come; once the fetch renames the part into place reads go there.
/// Real files in a temporary folder.
/// </summary>
public sealed class ArrivingImageTests : IDisposable
{
    private const int Sectors = 64;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-arriving-").FullName;
    private readonly byte[] _bytes = new byte[Sectors * 2048];

    public ArrivingImageTests() => new Random(7).NextBytes(_bytes);

    public void Dispose() => Directory.Delete(_dir, true);

    private string Part => Path.Combine(_dir, "image.iso.part");
    private string Final => Path.Combine(_dir, "image.iso");

    [Fact]
    public async Task A_read_waits_until_the_fetch_checked_its_sectors_and_then_returns_them()
    {
        File.WriteAllBytes(Part, _bytes[..(32 * 2048)]); // half arrived, none of it checked yet
        var image = new ArrivingImage(Part, Final, _bytes.Length);

        var first = image.WhenReadableAsync(0, 16, CancellationToken.None);
        var blocking = Task.Run(() =>
        {
            var into = new byte[16 * 2048];
            image.Read(8, into); // a drive reading on alone, on its own thread
            return into;
        });
        await Task.Delay(200);
        Assert.False(first.IsCompleted, "a read of sectors nobody checked went on");
        Assert.False(blocking.IsCompleted, "a blocking read of sectors nobody checked went on");

        image.Verified(8 * 2048);
        await Task.Delay(100);
        Assert.False(first.IsCompleted, "sectors 8-15 are not checked yet");
        image.Verified(24 * 2048);
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(_bytes[(8 * 2048)..(24 * 2048)], await blocking.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(24 * 2048, image.VerifiedBytes);
        image.Verified(2048); // never moves back
        Assert.Equal(24 * 2048, image.VerifiedBytes);
    }

    [Fact]
    public async Task When_the_rest_will_not_come_a_waiting_read_fails_naming_why_and_what_was_checked_stays_readable()
    {
        File.WriteAllBytes(Part, _bytes[..(16 * 2048)]);
        var image = new ArrivingImage(Part, Final, _bytes.Length);
        image.Verified(16 * 2048);
        var waiting = image.WhenReadableAsync(16, 16, CancellationToken.None);

        image.Fail("from http://t1/: piece 2 hashes to 00, the ledger's piece list has 11");
        var e = await Assert.ThrowsAsync<ImapiException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("piece 2", e.Message);
        Assert.Contains($"after {16 * 2048} of {_bytes.Length} bytes", e.Message);
        Assert.Throws<ImapiException>(() => image.Read(20, new byte[2048]));

        var checkedBytes = new byte[16 * 2048];
        image.Read(0, checkedBytes);
        Assert.Equal(_bytes[..(16 * 2048)], checkedBytes);
    }

    [Fact]
    public void Once_the_part_is_renamed_into_place_reads_come_from_the_image_path()
    {
        File.WriteAllBytes(Part, _bytes);
        var image = new ArrivingImage(Part, Final, _bytes.Length);
        image.Verified(_bytes.Length);
        File.Move(Part, Final);

        var all = new byte[_bytes.Length];
        image.Read(0, all);
        Assert.Equal(_bytes, all);
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Read(Sectors, new byte[2048])); // past the end: never waits
    }

    [Fact]
    public void A_size_that_is_not_whole_sectors_is_refused()
    {
        var e = Assert.Throws<ImapiException>(() => new ArrivingImage(Part, Final, 2048 * 3 + 1));
        Assert.Equal(ImapiError.InvalidImage, e.Code);
    }
}
