using System.Security.Cryptography;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Audio;

/// <summary>Per-track pregaps (with or without staged pregap audio) and index points through staging, BIN/CUE and back.</summary>
public sealed class PregapIndexTests : IDisposable
{
    private const int B = RedbookStaging.BlockSize;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-pregap-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static byte[] Pcm(int blocks, int seed)
    {
        var b = new byte[blocks * B];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static byte[] All(IDiscImage disc)
    {
        var all = new byte[disc.SectorCount * B];
        disc.Read(0, all);
        return all;
    }

    private RedbookStaging ThreeTracks(out byte[] hiddenPregap, out byte[] track3Pregap)
    {
        var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash"));
        hiddenPregap = Pcm(75, 9);
        track3Pregap = Pcm(40, 8);
        s.CreateAudioTrack(0, new AudioTrackInfo("One", "Band", "USABC2400001", Pregap: 225, Indexes: [100, 250]));
        s.AddPregapBlocks(hiddenPregap);
        s.AddAudioTrackBlocks(Pcm(400, 1));
        s.CloseAudioTrack();
        s.CreateAudioTrack(0, new AudioTrackInfo("Two", Pregap: 0));
        s.AddAudioTrackBlocks(Pcm(310, 2));
        s.CloseAudioTrack();
        s.CreateAudioTrack(0, new AudioTrackInfo("Three", Pregap: 100, Indexes: [5]));
        s.AddPregapBlocks(track3Pregap);
        s.AddAudioTrackBlocks(Pcm(333, 3));
        s.CloseAudioTrack();
        return s;
    }

    [Fact]
    public void Staged_pregaps_and_index_points_shape_the_disc_and_its_used_blocks()
    {
        using var s = ThreeTracks(out var hidden, out var gap3);
        Assert.Equal(225 + 400 + 0 + 310 + 100 + 333, s.UsedAudioBlocks);
        var disc = s.Build();
        Assert.Equal([225L, 625L, 1035L], disc.Tracks.Select(t => t.StartSector));
        Assert.Equal([225, 0, 100], disc.Tracks.Select(t => t.PregapSectors));
        Assert.Equal([100L, 250L], disc.Tracks[0].Indexes!);
        Assert.Null(disc.Tracks[1].Indexes);
        var all = All(disc);
        Assert.All(all.AsSpan(0, 150 * B).ToArray(), b => Assert.Equal(0, b)); // the 2 s before LBA 0: silence
        Assert.Equal(hidden, all.AsSpan(150 * B, 75 * B).ToArray());         // then the hidden pregap audio
        Assert.Equal(Pcm(400, 1), all.AsSpan(225 * B, 400 * B).ToArray());
        Assert.All(all.AsSpan(935 * B, 60 * B).ToArray(), b => Assert.Equal(0, b)); // track 3's pregap: 60 silent...
        Assert.Equal(gap3, all.AsSpan(995 * B, 40 * B).ToArray());                  // ...then its staged 40
    }

    [Fact]
    public void Bin_cue_keeps_pregaps_index_points_and_the_hidden_pregap_audio()
    {
        using var s = ThreeTracks(out _, out _);
        var disc = s.Build();
        var cue = Path.Combine(_dir, "out.cue");
        BinCueWriter.Write(disc, cue);
        var text = File.ReadAllText(cue);
        Assert.Contains("TRACK 01 AUDIO\n    TITLE \"One\"\n    PERFORMER \"Band\"\n    ISRC USABC2400001\n    INDEX 00 00:00:00\n    INDEX 01 00:01:00\n    INDEX 02 00:02:25\n    INDEX 03 00:04:25\n", text);
        Assert.Contains("TRACK 02 AUDIO\n    TITLE \"Two\"\n    INDEX 01 00:06:25\n", text); // no pregap: no INDEX 00
        var back = CueSheetImage.Open(cue);
        Assert.Equal(disc.Tracks, back.Tracks, (a, b) => a with { Indexes = null } == b with { Indexes = null } && (a.Indexes ?? []).SequenceEqual(b.Indexes ?? []));
        Assert.Equal(SHA256.HashData(All(disc)), SHA256.HashData(All(back)));
    }

    [Fact]
    public void A_cue_pregap_command_is_silence_not_in_the_bin()
    {
        File.WriteAllBytes(Path.Combine(_dir, "g.bin"), Pcm(700, 4));
        var cue = Path.Combine(_dir, "g.cue");
        File.WriteAllText(cue, "FILE \"g.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nPREGAP 00:01:00\nINDEX 01 00:05:00\nINDEX 02 00:06:00\n");
        var img = CueSheetImage.Open(cue);
        Assert.Equal(150 + 700 + 75, img.SectorCount);
        Assert.Equal(150L + 375 + 75, img.Tracks[1].StartSector);
        Assert.Equal(75, img.Tracks[1].PregapSectors);
        Assert.Equal([75L], img.Tracks[1].Indexes!);
        var all = All(img);
        Assert.All(all.AsSpan((150 + 375) * B, 75 * B).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(Pcm(700, 4).AsSpan(375 * B).ToArray(), all.AsSpan((150 + 375 + 75) * B).ToArray());
    }

    [Fact]
    public void Bad_pregaps_and_index_points_are_refused_naming_the_limit()
    {
        using var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "bad"));
        ImapiException Fails(Action a) => Assert.Throws<ImapiException>(a);
        Assert.Contains("pregap of 100 blocks is not 150..", Fails(() => s.CreateAudioTrack(0, new AudioTrackInfo(Pregap: 100))).Message);
        Assert.Contains("increasing", Fails(() => s.CreateAudioTrack(0, new AudioTrackInfo(Indexes: [10, 10]))).Message);
        s.CreateAudioTrack(0, new AudioTrackInfo(Pregap: 160, Indexes: [400]));
        Assert.Contains("do not fit the 10 left", Fails(() => s.AddPregapBlocks(new byte[11 * B])).Message);
        s.AddAudioTrackBlocks(new byte[300 * B]);
        Assert.Contains("before the track's own blocks", Fails(() => s.AddPregapBlocks(new byte[B])).Message);
        Assert.Contains("past the track's 300 blocks", Fails(s.CloseAudioTrack).Message);
        Assert.Equal(0, s.TotalAudioTracks);
    }
}
