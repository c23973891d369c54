using CsCheck;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Audio;

public sealed class RedbookStagingTests : IDisposable
{
    private const int B = RedbookStaging.BlockSize;
    private readonly string _stash = Directory.CreateTempSubdirectory("dup-stash-").FullName;

    public void Dispose() => Directory.Delete(_stash, true);

    private static ImapiError Code(Action a) => Assert.Throws<ImapiException>(a).Code;

    [Fact]
    public void Track_calls_follow_IMAPI_order_rules()
    {
        using var s = new RedbookStaging(MediaKind.Cd74, _stash) { AllowShortTracks = true };
        Assert.Equal(ImapiError.TrackNotOpen, Code(() => s.AddAudioTrackBlocks(new byte[B])));
        Assert.Equal(ImapiError.TrackNotOpen, Code(s.CloseAudioTrack));
        s.CreateAudioTrack(10);
        Assert.Equal(ImapiError.TrackOpen, Code(() => s.CreateAudioTrack(10)));
        Assert.Equal(ImapiError.TrackOpen, Code(() => s.Build()));
        Assert.Equal(ImapiError.InvalidInput, Code(() => s.AddAudioTrackBlocks(new byte[B + 1])));
        Assert.Equal(ImapiError.InvalidInput, Code(s.CloseAudioTrack)); // empty track
        s.AddAudioTrackBlocks(new byte[3 * B]);
        s.CloseAudioTrack();
        Assert.Equal(1, s.TotalAudioTracks);
        Assert.Equal(2352, s.AudioBlockSize);
    }

    [Fact]
    public void Used_blocks_count_a_150_block_gap_before_every_track()
    {
        using var s = new RedbookStaging(MediaKind.Cd74, _stash) { AllowShortTracks = true };
        Assert.Equal(333_000, s.TotalAudioBlocks);
        Assert.Equal(333_000 - 150, s.AvailableAudioTrackBlocks);
        s.CreateAudioTrack(0);
        Assert.Equal(150, s.UsedAudioBlocks);
        s.AddAudioTrackBlocks(new byte[10 * B]);
        s.CloseAudioTrack();
        s.CreateAudioTrack(0);
        s.AddAudioTrackBlocks(new byte[5 * B]);
        Assert.Equal(150 + 10 + 150 + 5, s.UsedAudioBlocks);
        Assert.Equal(333_000 - 315, s.AvailableAudioTrackBlocks);
        s.CloseAudioTrack();
        var disc = s.Build();
        Assert.Equal(315, disc.SectorCount);
        Assert.Equal([150L, 310L], disc.Tracks.Select(t => t.StartSector));
    }

    [Fact]
    public void Short_tracks_are_refused_unless_allowed_and_99_tracks_is_the_limit()
    {
        using (var strict = new RedbookStaging(MediaKind.Cd74, _stash))
        {
            strict.CreateAudioTrack(0);
            strict.AddAudioTrackBlocks(new byte[299 * B]);
            var e = Assert.Throws<ImapiException>(strict.CloseAudioTrack);
            Assert.Contains("at least 300 (4 s)", e.Message);
        }
        using var s = new RedbookStaging(MediaKind.Cd74, _stash) { AllowShortTracks = true };
        for (int i = 0; i < 99; i++)
        {
            s.CreateAudioTrack(1);
            s.AddAudioTrackBlocks(new byte[B]);
            s.CloseAudioTrack();
        }
        Assert.Equal(ImapiError.DiscFull, Code(() => s.CreateAudioTrack(1)));
        Assert.Equal(99, s.Build().Tracks.Count);
    }

    [Fact]
    public void A_full_74_minute_disc_takes_its_last_block_and_refuses_one_more()
    {
        using var s = new RedbookStaging(MediaKind.Cd74, _stash);
        s.CreateAudioTrack(0);
        var chunk = new byte[4096 * B];
        long left = s.AvailableAudioTrackBlocks;
        while (left > 0)
        {
            int n = (int)Math.Min(4096, left);
            s.AddAudioTrackBlocks(chunk.AsSpan(0, n * B));
            left -= n;
        }
        Assert.Equal(333_000, s.UsedAudioBlocks);
        Assert.Equal(0, s.AvailableAudioTrackBlocks);
        Assert.Equal(ImapiError.DiscFull, Code(() => s.AddAudioTrackBlocks(new byte[B])));
        s.CloseAudioTrack();
        Assert.Equal(333_000, s.Build().SectorCount);
        Assert.Equal(ImapiError.DiscFull, Code(() => s.CreateAudioTrack(1)));
    }

    [Fact]
    public void Only_cd_media_can_stage_audio()
    {
        Assert.Equal(ImapiError.MediumInvalidType, Code(() => new RedbookStaging(MediaKind.Dvd, _stash).Dispose()));
    }

    [Fact]
    public void Clear_starts_again_and_the_disc_reads_gaps_as_silence_and_tracks_as_added()
    {
        using var s = new RedbookStaging(MediaKind.Cd80, _stash) { AllowShortTracks = true, Catalog = "0123456789012" };
        s.CreateAudioTrack(0);
        s.AddAudioTrackBlocks(Enumerable.Repeat((byte)9, 4 * B).ToArray());
        s.CloseAudioTrack();
        s.Clear();
        Assert.Equal(0, s.TotalAudioTracks);
        Assert.Equal(0, s.UsedAudioBlocks);
        var a = Wav.Pcm(588 * 3, 1);
        var b = Wav.Pcm(588 * 2, 2);
        s.CreateAudioTrack(0, new AudioTrackInfo("One", "Me", "USABC2400001"));
        s.AddAudioTrackBlocks(a);
        s.CloseAudioTrack();
        s.CreateAudioTrack(0);
        s.AddAudioTrackBlocks(b);
        s.CloseAudioTrack();
        var disc = s.Build();
        var all = new byte[disc.SectorCount * B];
        disc.Read(0, all);
        Assert.Equal(new byte[150 * B], all[..(150 * B)]);
        Assert.Equal(a, all[(150 * B)..(153 * B)]);
        Assert.Equal(new byte[150 * B], all[(153 * B)..(303 * B)]);
        Assert.Equal(b, all[(303 * B)..]);
        Assert.Equal("USABC2400001", disc.Tracks[0].Isrc);
        Assert.Equal("0123456789012", disc.Catalog);
        Assert.Equal(ImapiError.InvalidInput, Code(() => s.Catalog = "12"));
        Assert.Equal(ImapiError.InvalidInput, Code(() => s.CreateAudioTrack(0, new AudioTrackInfo(Isrc: "bad"))));
    }

    /// <summary>Random create/add/close/clear sequences on a small disc: counters agree, capacity holds, refused calls change nothing.</summary>
    [Fact]
    public void Block_accounting_holds_for_random_call_sequences()
    {
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 120]).Array[1, 40].Sample(ops =>
        {
            using var s = new RedbookStaging(2000, _stash) { AllowShortTracks = true };
            long openBlocks = 0;
            var closed = new List<long>();
            bool open = false;
            foreach (var (op, n) in ops)
            {
                long usedBefore = s.UsedAudioBlocks;
                int tracksBefore = s.TotalAudioTracks;
                try
                {
                    switch (op)
                    {
                        case 0: s.CreateAudioTrack(n); open = true; openBlocks = 0; break;
                        case 1: s.AddAudioTrackBlocks(new byte[n * B]); openBlocks += n; break;
                        case 2: s.CloseAudioTrack(); closed.Add(openBlocks); open = false; break;
                        default: s.Clear(); closed.Clear(); open = false; openBlocks = 0; break;
                    }
                }
                catch (ImapiException)
                {
                    Assert.Equal(usedBefore, s.UsedAudioBlocks);
                    Assert.Equal(tracksBefore, s.TotalAudioTracks);
                }
                long expected = closed.Sum(b => 150 + b) + (open ? 150 + openBlocks : 0);
                Assert.Equal(expected, s.UsedAudioBlocks);
                Assert.Equal(open, s.IsTrackOpen);
                Assert.InRange(s.UsedAudioBlocks, 0, s.TotalAudioBlocks);
                Assert.Equal(closed.Count, s.TotalAudioTracks);
            }
        }, iter: 60);
    }
}
