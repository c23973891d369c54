using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Audio;

public sealed class CueSheetImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-cuein-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_sheet_written_by_BinCueWriter_reads_back_as_the_same_disc()
    {
        using var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash"));
        s.Title = "Album";
        foreach (var (blocks, isrc) in new[] { (300, "GBAYE0000001"), (333, (string?)null) })
        {
            s.CreateAudioTrack(blocks, new AudioTrackInfo("t", null, isrc));
            var pcm = new byte[blocks * 2352];
            new Random(blocks).NextBytes(pcm);
            s.AddAudioTrackBlocks(pcm);
            s.CloseAudioTrack();
        }
        var staged = s.Build();
        var cue = Path.Combine(_dir, "a.cue");
        BinCueWriter.Write(staged, cue);
        var read = CueSheetImage.Open(cue);
        Assert.Equal(staged.SectorCount, read.SectorCount);
        Assert.Equal(staged.Tracks, read.Tracks);
        Assert.Equal("Album", read.Title);
        var a = new byte[staged.SectorCount * 2352];
        var b = new byte[read.SectorCount * 2352];
        staged.Read(0, a);
        read.Read(0, b);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("FILE \"x.bin\" BINARY\n  TRACK 01 MODE1/2352\n    INDEX 01 00:00:00\n", "only AUDIO tracks")]
    [InlineData("FILE \"x.bin\" WAVE\n", "only FILE ... BINARY")]
    [InlineData("FILE \"x.bin\" BINARY\n  TRACK 02 AUDIO\n", "expected TRACK 01 AUDIO")]
    [InlineData("FILE \"x.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:61:00\n", "bad INDEX")]
    [InlineData("FILE \"x.bin\" BINARY\n  TRACK 01 AUDIO\n    WHATEVER\n", "unknown command WHATEVER")]
    [InlineData("FILE \"x.bin\" BINARY\n  TRACK 01 AUDIO\n", "has no INDEX 01")]
    public void Sheets_it_cannot_follow_are_refused_naming_the_problem(string text, string expected)
    {
        File.WriteAllBytes(Path.Combine(_dir, "x.bin"), new byte[2352 * 10]);
        var cue = Path.Combine(_dir, "x.cue");
        File.WriteAllText(cue, text);
        var e = Assert.Throws<ImapiException>(() => CueSheetImage.Open(cue));
        Assert.Contains(expected, e.Message);
    }
}
