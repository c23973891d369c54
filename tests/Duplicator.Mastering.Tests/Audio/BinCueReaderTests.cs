using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Audio;

/// <summary>BIN/CUE output read by parsers nobody here wrote: cdrdao (CUE, Red Book checks) and bchunk (splits the BIN into tracks).</summary>
public sealed class BinCueReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-cue-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string SaveWav(string name, byte[] pcm)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, Wav.Cd(pcm));
        return p;
    }

    private string Master(IReadOnlyList<string> wavs, bool allowShort = false, Action<RedbookStaging>? meta = null)
    {
        using var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash")) { AllowShortTracks = allowShort };
        meta?.Invoke(s);
        foreach (var w in wavs) AudioImport.AddWav(s, w, new AudioTrackInfo(Path.GetFileNameWithoutExtension(w), "Performer"));
        var cue = Path.Combine(_dir, "disc.cue");
        BinCueWriter.Write(s.Build(), cue);
        return cue;
    }

    /// <summary>cdrdao must accept the sheet, and bchunk must cut tracks equal to the source PCM plus zero padding.</summary>
    private void AssertReadersAgree(string cue, IReadOnlyList<byte[]> pcms, bool redBookCheck)
    {
        var toc = ExternalTool.Run("cdrdao", ["show-toc", cue], workingDirectory: _dir);
        Assert.True(toc.ExitCode == 0, "cdrdao show-toc: " + toc.StdErr + toc.StdOut);
        if (redBookCheck)
        {
            var info = ExternalTool.Run("cdrdao", ["toc-info", cue], workingDirectory: _dir);
            Assert.True(info.ExitCode == 0 && !(info.StdOut + info.StdErr).Contains("ERROR"), "cdrdao toc-info: " + info.StdErr + info.StdOut);
        }
        var split = Path.Combine(_dir, "split");
        Directory.CreateDirectory(split);
        var bc = ExternalTool.Run("bchunk", ["-w", Path.ChangeExtension(cue, ".bin"), cue, Path.Combine(split, "t")]);
        Assert.True(bc.ExitCode == 0, "bchunk: " + bc.StdErr + bc.StdOut);
        for (int i = 0; i < pcms.Count; i++)
        {
            var track = File.ReadAllBytes(Path.Combine(split, $"t{i + 1:00}.wav"));
            var data = track.AsSpan(44);
            Assert.True(data.Length >= pcms[i].Length && data.Length - pcms[i].Length < 2352, $"track {i + 1}: {data.Length} bytes for {pcms[i].Length} of PCM");
            Assert.True(data[..pcms[i].Length].SequenceEqual(pcms[i]), $"track {i + 1}: PCM differs");
            Assert.True(data[pcms[i].Length..].IndexOfAnyExcept((byte)0) < 0, $"track {i + 1}: padding is not silence");
        }
        Assert.Equal(pcms.Count, Directory.GetFiles(split).Length);
    }

    [Fact]
    public void Sine_noise_silence_and_odd_lengths_split_back_to_the_source_pcm()
    {
        var pcms = new List<byte[]> { Wav.Sine(44100 * 5 + 17), Wav.Pcm(44100 * 4 + 588 * 3 + 1, seed: 3), new byte[44100 * 4 * 4], Wav.Pcm(44100 * 6 - 5, seed: 4) };
        var wavs = pcms.Select((p, i) => SaveWav($"track {i + 1}.wav", p)).ToList();
        var cue = Master(wavs, meta: s => { s.Title = "Album \"Quoted\""; s.Performer = "Band"; s.Catalog = "1234567890123"; });
        AssertReadersAgree(cue, pcms, redBookCheck: true);
        var text = File.ReadAllText(cue);
        Assert.Contains("CATALOG 1234567890123", text);
        Assert.Contains("TITLE \"Album 'Quoted'\"", text);
        Assert.DoesNotContain("INDEX 00 00:00:00", text); // track 1's pregap is not in the BIN
        Assert.Equal(3, text.Split("INDEX 00").Length - 1);
    }

    [Fact]
    public void Ninety_nine_short_tracks_are_cut_back_exactly()
    {
        var pcms = Enumerable.Range(0, 99).Select(i => Wav.Pcm(1 + i * 37, seed: i)).ToList();
        var wavs = pcms.Select((p, i) => SaveWav($"{i:00}.wav", p)).ToList();
        var cue = Master(wavs, allowShort: true);
        AssertReadersAgree(cue, pcms, redBookCheck: false);
        Assert.Contains("TRACK 99 AUDIO", File.ReadAllText(cue));
    }

    [Fact]
    public void A_failed_write_leaves_neither_file()
    {
        var wav = SaveWav("a.wav", Wav.Pcm(44100 * 4));
        using var s = new RedbookStaging(MediaKind.Cd74, Path.Combine(_dir, "stash"));
        AudioImport.AddWav(s, wav);
        var disc = s.Build();
        s.Clear(); // the stash no longer holds what the disc needs
        var cue = Path.Combine(_dir, "x.cue");
        Assert.Throws<Duplicator.Mastering.Imapi.ImapiException>(() => BinCueWriter.Write(disc, cue));
        Assert.False(File.Exists(cue));
        Assert.False(File.Exists(Path.ChangeExtension(cue, ".bin")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Theory]
    [InlineData(0L, "00:00:00")]
    [InlineData(74L, "00:00:74")]
    [InlineData(75L, "00:01:00")]
    [InlineData(4500L * 79 + 75 * 59 + 74, "79:59:74")]
    public void Msf_uses_75_frames_a_second(long frames, string expected) => Assert.Equal(expected, BinCueWriter.Msf(frames));
}
