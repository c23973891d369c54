using System.Diagnostics;

namespace Duplicator.Host.Tests.Commands;

public sealed class DriveCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-rec-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Drive(string profile, string extra = "") => $"emulated:{profile}?dir={Path.Combine(_dir, "discs")}&name=d{extra}";

    private string Source()
    {
        var src = Path.Combine(_dir, "src");
        Directory.CreateDirectory(Path.Combine(src, "sub"));
        File.WriteAllText(Path.Combine(src, "a.txt"), "alpha");
        File.WriteAllBytes(Path.Combine(src, "sub", "b.bin"), Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray());
        return src;
    }

    [Fact]
    public void Record_burns_a_folder_that_an_independent_reader_extracts_identically()
    {
        var src = Source();
        var r = CliRunner.Run("record", "--drive", Drive("dvd+r"), "--folder", src, "--verify");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("recorded, verified", r.StdOut);
        var disc = Path.Combine(_dir, "discs", "d", "disc-1.iso");
        var x = Directory.CreateDirectory(Path.Combine(_dir, "x")).FullName;
        using var p = Process.Start("bsdtar", ["--options", "iso9660:!rockridge", "-xf", disc, "-C", x])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal("alpha", File.ReadAllText(Path.Combine(x, "a.txt")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(src, "sub", "b.bin")), File.ReadAllBytes(Path.Combine(x, "sub", "b.bin")));
    }

    [Fact]
    public void Record_burns_an_iso_file_byte_for_byte()
    {
        var iso = Path.Combine(_dir, "in.iso");
        Assert.Equal(0, CliRunner.Run("master", Source(), "-o", iso).ExitCode);
        var r = CliRunner.Run("record", "--drive", Drive("bd-r"), "--image", iso, "--verify");
        Assert.True(r.ExitCode == 0, r.StdErr);
        var burned = File.ReadAllBytes(Path.Combine(_dir, "discs", "d", "disc-1.iso"));
        var image = File.ReadAllBytes(iso);
        Assert.True(burned.AsSpan(0, image.Length).SequenceEqual(image));
    }

    [Fact]
    public void Record_refuses_non_blank_media_bad_input_and_audio_with_the_reason()
    {
        var src = Source();
        var closed = CliRunner.Run("record", "--drive", Drive("dvd+r", "&state=closed"), "--folder", src);
        Assert.Equal(1, closed.ExitCode);
        Assert.Contains("IMAPI_E_WRONGDISC", closed.StdErr);
        var two = CliRunner.Run("record", "--drive", Drive("dvd+r"), "--folder", src, "--image", "x.iso");
        Assert.Equal(2, two.ExitCode);
        Assert.Contains("exactly one of --image, --folder or --cue", two.StdErr);
        var audio = CliRunner.Run("record", "--drive", Drive("cd-r"), "--cue", Path.Combine(_dir, "missing.cue"));
        Assert.Equal(1, audio.ExitCode);
        Assert.Contains("missing.cue: no such CUE sheet", audio.StdErr);
        var odd = Path.Combine(_dir, "odd.iso");
        File.WriteAllBytes(odd, new byte[3000]);
        var bad = CliRunner.Run("record", "--drive", Drive("dvd+r"), "--image", odd);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("not a whole number of 2048-byte sectors", bad.StdErr);
    }

    [Fact]
    public void Record_burns_a_bin_cue_made_by_the_audio_command_track_at_once()
    {
        var wavs = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            var pcm = new byte[44100 * 4 * 4 + 4 * i];
            new Random(i).NextBytes(pcm);
            var wav = new byte[44 + pcm.Length];
            "RIFF"u8.CopyTo(wav);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(4), (uint)(36 + pcm.Length));
            "WAVEfmt "u8.CopyTo(wav.AsSpan(8));
            byte[] fmt = [16, 0, 0, 0, 1, 0, 2, 0, 0x44, 0xAC, 0, 0, 0x10, 0xB1, 2, 0, 4, 0, 16, 0];
            fmt.CopyTo(wav, 16);
            "data"u8.CopyTo(wav.AsSpan(36));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(wav.AsSpan(40), (uint)pcm.Length);
            pcm.CopyTo(wav, 44);
            var path = Path.Combine(_dir, $"t{i}.wav");
            File.WriteAllBytes(path, wav);
            wavs.Add(path);
        }
        var cue = Path.Combine(_dir, "album.cue");
        Assert.Equal(0, CliRunner.Run(["audio", .. wavs, "-o", cue, "--stash", Path.Combine(_dir, "stash")]).ExitCode);
        var r = CliRunner.Run("record", "--drive", Drive("cd-r"), "--cue", cue, "--verify");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("recorded, verified", r.StdOut);
        var burned = File.ReadAllBytes(Path.Combine(_dir, "discs", "d", "disc-1.bin"));
        var bin = File.ReadAllBytes(Path.ChangeExtension(cue, ".bin"));
        // TAO puts the same 2 s gap between the tracks that the BIN holds, so the two agree byte for byte
        Assert.True(burned.AsSpan(0, bin.Length).SequenceEqual(bin));
    }

    [Fact]
    public void Record_dao_burns_a_bin_cue_as_its_cue_sheet_lays_it_out()
    {
        // Two tracks without a pregap between them: track-at-once would put 2 s between, disc-at-once does not.
        var bin = new byte[(300 + 320) * 2352];
        new Random(5).NextBytes(bin);
        File.WriteAllBytes(Path.Combine(_dir, "gapless.bin"), bin);
        var cue = Path.Combine(_dir, "gapless.cue");
        File.WriteAllText(cue, "FILE \"gapless.bin\" BINARY\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n  TRACK 02 AUDIO\n    INDEX 01 00:04:00\n");
        var r = CliRunner.Run("record", "--drive", Drive("cd-r"), "--cue", cue, "--verify", "--dao");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("recorded, verified", r.StdOut);
        var burned = File.ReadAllBytes(Path.Combine(_dir, "discs", "d", "disc-1.bin"));
        Assert.True(burned.AsSpan().SequenceEqual(bin));
        var toc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "discs", "d", "disc-1.json"))).RootElement;
        Assert.Equal([0L, 300L], toc.GetProperty("tracks").EnumerateArray().Select(t => t.GetProperty("start").GetInt64()));

        var wrong = CliRunner.Run("record", "--drive", Drive("dvd+r"), "--folder", Source(), "--dao");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("--dao records audio disc-at-once", wrong.StdErr);
    }

    [Fact]
    public void Drives_without_drive_lists_the_config_drives_and_names_scanned_nodes_that_do_not_answer()
    {
        // A device folder whose sg0 is a plain file: the SG_IO INQUIRY fails, which is reported, not fatal.
        var dev = Directory.CreateDirectory(Path.Combine(_dir, "dev")).FullName;
        File.WriteAllText(Path.Combine(dev, "sg0"), "");
        File.WriteAllText(Path.Combine(dev, "sda"), "");
        var config = Path.Combine(_dir, "tower.json");
        File.WriteAllText(config, $$"""{ "drives": [ { "id": "bay-1", "url": "{{Drive("cd-rw")}}" } ] }""");
        var r = CliRunner.Run("drives", "--config", config, "--scan-dir", dev);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("CD-RW     blank", r.StdOut);
        Assert.Contains($"{Path.Combine(dev, "sg0")}: skipped, it did not answer INQUIRY", r.StdErr);
        Assert.DoesNotContain("sda", r.StdErr + r.StdOut);
    }

    [Fact]
    public void Drives_lists_media_state_and_names_locations_it_cannot_open()
    {
        var r = CliRunner.Run("drives", "--drive", Drive("bd-r"), "--drive", Drive("none"), "--drive", Drive("cd-r", "&state=closed"));
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("BD-R      blank, 12219392 free blocks", r.StdOut);
        Assert.Contains("no medium", r.StdOut);
        Assert.Contains("closed", r.StdOut);
        var bad = CliRunner.Run("drives", "--drive", "ftp://nowhere");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("ftp://nowhere: not a recorder location", bad.StdErr);
    }
}
