using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Reading;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Reading;

/// <summary>Reading an audio CD master (tracks and PCM) into an audio staging, from a disc the emulator burned and loaded.</summary>
public sealed class AudioDiscReaderTests : IDisposable
{
    private const int B = 2352;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-read-audio-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class NoEvents : IDiscMasterProgressEvents;

    private RedbookStaging Stage(string stash, params int[] blocks)
    {
        var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, stash));
        for (int i = 0; i < blocks.Length; i++)
        {
            var pcm = new byte[blocks[i] * B];
            new Random(i + 1).NextBytes(pcm);
            s.CreateAudioTrack(blocks[i]);
            s.AddAudioTrackBlocks(pcm);
            s.CloseAudioTrack();
        }
        return s;
    }

    /// <summary>Burns three tracks track-at-once on one emulated CD-R; returns the emulator's disc-1.bin.</summary>
    private string BurnedAudioDisc(RedbookStaging staging)
    {
        using var emu = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={Uri.EscapeDataString(Path.Combine(_dir, "discs"))}&name=burner");
        using var drive = new MmcDevice(emu);
        AudioDiscWriter.Burn(drive, staging.Build(), new RecordOptions(), new NoEvents(), CancellationToken.None);
        return emu.CurrentImagePath!;
    }

    [Fact]
    public void An_audio_cd_burned_and_loaded_into_another_drive_reads_into_a_staging_equal_to_the_original()
    {
        using var original = Stage("s1", 300, 420, 333);
        var bin = BurnedAudioDisc(original);
        Assert.EndsWith(".bin", bin);

        using var master = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={Uri.EscapeDataString(Path.Combine(_dir, "discs"))}&name=master&load={Uri.EscapeDataString(bin)}");
        using var drive = new MmcDevice(master);
        using var copy = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "s2"));
        var tracks = AudioDiscReader.ReadInto(drive, copy);

        Assert.Equal([300L, 420L, 333L], tracks.Select(t => t.Blocks));
        Assert.Equal([0L, 450L, 1020L], tracks.Select(t => t.Start)); // TAO: the drive's 150-block gaps between tracks
        Assert.Equal(3, copy.TotalAudioTracks);
        Assert.Equal(original.Build().ComputeSha256(), copy.Build().ComputeSha256()); // gaps and PCM, sector for sector
    }

    [Fact]
    public void Unreadable_audio_blocks_fail_the_read_naming_them_and_the_staging_is_left_empty()
    {
        using var original = Stage("s1", 300, 300);
        var bin = BurnedAudioDisc(original);
        using var master = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={Uri.EscapeDataString(Path.Combine(_dir, "discs"))}&name=master&load={Uri.EscapeDataString(bin)}&unreadable=500-501");
        using var drive = new MmcDevice(master);
        using var copy = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "s2"));

        var e = Assert.Throws<ImapiException>(() => AudioDiscReader.ReadInto(drive, copy, new DataDiscReadOptions(Attempts: 2)));

        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("2 unreadable CD-DA block(s) after 2 attempt(s) each: LBA 500-501;", e.Message);
        Assert.Equal(0, copy.TotalAudioTracks);
        Assert.False(copy.IsTrackOpen);
    }

    [Fact]
    public void A_data_disc_is_not_an_audio_master()
    {
        var iso = Path.Combine(_dir, "d.iso");
        File.WriteAllBytes(iso, new byte[2048 * 50]);
        using var master = new MmcDevice(EmulatedRecorder.FromUrl($"emulated:cd-r?dir={Uri.EscapeDataString(Path.Combine(_dir, "discs"))}&name=m&load={Uri.EscapeDataString(iso)}"));
        using var copy = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "s2"));
        var e = Assert.Throws<ImapiException>(() => AudioDiscReader.ReadInto(master, copy));
        Assert.Equal(ImapiError.MediumInvalidType, e.Code);
        Assert.Contains("track 1 is a data track", e.Message);
    }
}
