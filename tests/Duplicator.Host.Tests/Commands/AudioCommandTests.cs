using System.Buffers.Binary;

namespace Duplicator.Host.Tests.Commands;

public sealed class AudioCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-audio-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Wav(string name, int frames, int rate = 44100, int channels = 2)
    {
        var pcm = new byte[frames * channels * 2];
        new Random(frames).NextBytes(pcm);
        var b = new byte[44 + pcm.Length];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(36 + pcm.Length));
        "WAVEfmt "u8.CopyTo(b.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(22), (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), (uint)rate);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), (uint)(rate * channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(32), (ushort)(channels * 2));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(34), 16);
        "data"u8.CopyTo(b.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(40), (uint)pcm.Length);
        pcm.CopyTo(b, 44);
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, b);
        return p;
    }

    private string Cue => Path.Combine(_dir, "out.cue");
    private string Stash => Path.Combine(_dir, "stash");

    private void AssertNoOutput()
    {
        Assert.False(File.Exists(Cue));
        Assert.False(File.Exists(Path.ChangeExtension(Cue, ".bin")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Per_track_titles_and_performers_go_into_the_cue_in_wav_order()
    {
        var a = Wav("first.wav", 44100 * 4);
        var b = Wav("second.wav", 44100 * 4);
        var r = CliRunner.Run("audio", a, b, "-o", Cue, "--title", "Album", "--track-title", "Intro", "--track-title", "Finale",
            "--track-performer", "Solo", "--track-performer", "Tutti", "--stash", Stash);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var text = File.ReadAllText(Cue);
        Assert.Contains("TRACK 01 AUDIO\n    TITLE \"Intro\"\n    PERFORMER \"Solo\"\n", text);
        Assert.Contains("TRACK 02 AUDIO\n    TITLE \"Finale\"\n    PERFORMER \"Tutti\"\n", text);
    }

    [Fact]
    public void Per_track_text_given_for_fewer_tracks_or_not_writable_as_cd_text_is_refused_writing_nothing()
    {
        var a = Wav("first.wav", 44100 * 4);
        var b = Wav("second.wav", 44100 * 4);
        var r = CliRunner.Run("audio", a, b, "-o", Cue, "--track-title", "Only one", "--stash", Stash);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--track-title given 1 times for 2 WAV files", r.StdErr);
        AssertNoOutput();
        r = CliRunner.Run("audio", a, b, "-o", Cue, "--title", "Caf\u00e9 \u2010 Bar", "--stash", Stash);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("U+2010", r.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void Audio_writes_cue_and_bin_and_reports_blocks()
    {
        var a = Wav("first.wav", 44100 * 4);
        var b = Wav("second.wav", 44100 * 5 + 3);
        var r = CliRunner.Run("audio", a, b, "-o", Cue, "--title", "Album", "--performer", "Band", "--media", "cd74", "--stash", Stash);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("2 tracks", r.StdOut);
        Assert.Contains("of 333000 blocks", r.StdOut);
        var text = File.ReadAllText(Cue);
        Assert.Contains("FILE \"out.bin\" BINARY", text);
        Assert.Contains("TITLE \"second\"", text);
        long expectedBin = (300 + 150 + 376) * 2352L; // track 1 without its pregap, gap, track 2 (375 blocks and 12 bytes) padded
        Assert.Equal(expectedBin, new FileInfo(Path.ChangeExtension(Cue, ".bin")).Length);
        Assert.Empty(Directory.GetFiles(Stash)); // the stash is deleted with the staging
    }

    [Fact]
    public void A_wrong_format_names_the_file_and_leaves_nothing()
    {
        var good = Wav("good.wav", 44100 * 4);
        var mono = Wav("mono.wav", 44100 * 4, channels: 1);
        var r = CliRunner.Run("audio", good, mono, "-o", Cue, "--stash", Stash);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("IMAPI_E_INVALIDINPUT", r.StdErr);
        Assert.Contains(mono, r.StdErr);
        Assert.Contains("1 channel(s)", r.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void Short_tracks_need_allow_short_and_missing_files_are_named()
    {
        var tiny = Wav("tiny.wav", 1);
        var r = CliRunner.Run("audio", tiny, "-o", Cue, "--stash", Stash);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("at least 4 s", r.StdErr);
        AssertNoOutput();
        Assert.Equal(0, CliRunner.Run("audio", tiny, "-o", Cue, "--allow-short", "--stash", Stash).ExitCode);
        File.Delete(Cue);
        File.Delete(Path.ChangeExtension(Cue, ".bin"));
        var missing = Path.Combine(_dir, "nope.wav");
        var m = CliRunner.Run("audio", missing, "-o", Cue, "--stash", Stash);
        Assert.Equal(1, m.ExitCode);
        Assert.Contains(missing, m.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void Audio_on_dvd_media_is_refused()
    {
        var r = CliRunner.Run("audio", Wav("a.wav", 44100 * 4), "-o", Cue, "--media", "dvd", "--stash", Stash);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("audio needs cd74 or cd80", r.StdErr);
        AssertNoOutput();
    }
}
