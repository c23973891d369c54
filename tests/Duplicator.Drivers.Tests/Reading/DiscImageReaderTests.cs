using System.Diagnostics;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Reading;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Reading;

/// <summary>Whole discs read to files, data or audio, whichever the disc holds; the BIN/CUE of an audio CD checked by bchunk.</summary>
public sealed class DiscImageReaderTests : IDisposable
{
    private const int B = 2352;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-read-disc-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class NoEvents : IDiscMasterProgressEvents;

    private string Url(string profile, string name, string? load = null) =>
        $"emulated:{profile}?dir={Uri.EscapeDataString(Path.Combine(_dir, "discs"))}&name={name}{(load is null ? "" : "&load=" + Uri.EscapeDataString(load))}";

    [Fact]
    public void A_data_disc_reads_to_its_number_as_an_iso_and_a_second_read_never_replaces_it()
    {
        var iso = Path.Combine(_dir, "m.iso");
        var bytes = new byte[90 * 2048];
        new Random(4).NextBytes(bytes);
        File.WriteAllBytes(iso, bytes);
        using var drive = new MmcDevice(EmulatedRecorder.FromUrl(Url("dvd+r", "m", iso)));
        var output = Path.Combine(_dir, "out");

        var read = DiscImageReader.ReadTo(drive, output, "1");

        Assert.Equal((DiscContent.Data, Path.Combine(output, "1.iso"), 90L), (read.Content, read.ImagePath, read.Sectors));
        Assert.Equal(bytes, File.ReadAllBytes(read.ImagePath));
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)), read.Files.Single().Sha256);
        var again = Assert.Throws<ImapiException>(() => DiscImageReader.ReadTo(drive, output, "1"));
        Assert.Equal(ImapiError.FileExists, again.Code);
        Assert.Equal(["1.iso"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName)); // no part file left
        Assert.Equal(Convert.FromHexString(read.Files.Single().Sha256), DiscImageReader.ContentSha256(drive, 90));
        Assert.Equal(ImapiError.WrongDisc, Assert.Throws<ImapiException>(() => DiscImageReader.ContentSha256(drive, 91)).Code);
    }

    [Theory]
    [InlineData("../1")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_name_that_is_no_plain_file_name_is_refused_before_the_drive_is_asked(string name)
    {
        using var drive = new MmcDevice(EmulatedRecorder.FromUrl(Url("none", "n")));
        var e = Assert.Throws<ImapiException>(() => DiscImageReader.ReadTo(drive, _dir, name));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
    }

    [Fact]
    public void An_audio_cd_reads_to_a_bin_and_cue_that_bchunk_splits_into_the_original_tracks()
    {
        var pcm = new[] { 300, 420 }.Select((blocks, i) =>
        {
            var data = new byte[blocks * B];
            new Random(i + 7).NextBytes(data);
            return data;
        }).ToArray();
        string burned;
        using (var staging = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stage")))
        {
            foreach (var track in pcm)
            {
                staging.CreateAudioTrack(track.Length / B);
                staging.AddAudioTrackBlocks(track);
                staging.CloseAudioTrack();
            }
            using var emu = EmulatedRecorder.FromUrl(Url("cd-r", "burner"));
            using var burner = new MmcDevice(emu);
            AudioDiscWriter.Burn(burner, staging.Build(), new RecordOptions(), new NoEvents(), CancellationToken.None);
            burned = emu.CurrentImagePath!;
        }
        using var drive = new MmcDevice(EmulatedRecorder.FromUrl(Url("cd-r", "master", burned)));
        var output = Path.Combine(_dir, "archive");

        var read = DiscImageReader.ReadTo(drive, output, "7");

        Assert.Equal(DiscContent.Audio, read.Content);
        Assert.Equal([Path.Combine(output, "7.bin"), Path.Combine(output, "7.cue")], read.Files.Select(f => f.Path));
        Assert.Equal(["7.bin", "7.cue"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Order());
        var psi = new ProcessStartInfo("bchunk", ["-w", "7.bin", "7.cue", "track"]) { WorkingDirectory = output, RedirectStandardOutput = true, RedirectStandardError = true };
        using (var p = Process.Start(psi) ?? throw new InvalidOperationException("bchunk did not start (scripts/install-deps.sh installs it)"))
        {
            var err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"bchunk: {err}");
        }
        // bchunk writes track01.wav, track02.wav: 44-byte headers, then the track's PCM (track 2's 2 s gap comes before its INDEX 01).
        for (int t = 0; t < pcm.Length; t++)
        {
            var wav = File.ReadAllBytes(Path.Combine(output, $"track{t + 1:00}.wav"));
            Assert.True(wav.AsSpan(44).SequenceEqual(pcm[t]), $"track {t + 1}: {wav.Length - 44} bytes of PCM, want {pcm[t].Length} equal to the original");
        }
    }
}
