using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Burning;

public sealed class AudioDiscWriterTests : IDisposable
{
    private const int B = 2352;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-audio-burn-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Events : IDiscMasterProgressEvents
    {
        public int Tracks;
        public void NotifyTrackProgress(int completedTracks, int totalTracks) => Tracks = completedTracks;
    }

    private (RedbookStaging Staging, byte[][] Pcm) Stage(params int[] blocks)
    {
        var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash"));
        var pcm = new byte[blocks.Length][];
        for (int i = 0; i < blocks.Length; i++)
        {
            pcm[i] = new byte[blocks[i] * B];
            new Random(i + 1).NextBytes(pcm[i]);
            s.CreateAudioTrack(blocks[i]);
            s.AddAudioTrackBlocks(pcm[i]);
            s.CloseAudioTrack();
        }
        return (s, pcm);
    }

    [Fact]
    public void Tracks_are_burned_track_at_once_with_2_s_gaps_and_read_back_with_READ_CD()
    {
        var (staging, pcm) = Stage(300, 420);
        using (staging)
        {
            var disc = staging.Build();
            using var emu = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=cd");
            using var drive = new MmcDevice(emu);
            var events = new Events();
            var sha = AudioDiscWriter.Burn(drive, disc, new RecordOptions(Verify: true), events, CancellationToken.None);
            Assert.NotNull(sha);
            Assert.Equal(2, events.Tracks);
            Assert.Equal(DiscStatus.Complete, drive.ReadDiscInformation().Status);
            // the drive's image: sector L at L x 2352; track 2 starts after track 1 and a 150-block gap
            var bin = File.ReadAllBytes(emu.CurrentImagePath!);
            Assert.True(bin.AsSpan(0, pcm[0].Length).SequenceEqual(pcm[0]));
            Assert.True(bin.AsSpan((300 + 150) * B, pcm[1].Length).SequenceEqual(pcm[1]));
        }
    }

    [Fact]
    public void Audio_needs_a_blank_cd()
    {
        var (staging, _) = Stage(300);
        using (staging)
        {
            var disc = staging.Build();
            using var dvd = new MmcDevice(EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={_dir}&name=dvd"));
            Assert.Equal(ImapiError.MediumInvalidType, Assert.Throws<ImapiException>(() => AudioDiscWriter.Burn(dvd, disc, new RecordOptions(), new Events(), CancellationToken.None)).Code);
            using var used = new MmcDevice(EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=used&state=closed"));
            Assert.Equal(ImapiError.WrongDisc, Assert.Throws<ImapiException>(() => AudioDiscWriter.Burn(used, disc, new RecordOptions(), new Events(), CancellationToken.None)).Code);
        }
    }

    [Fact]
    public void The_disc_master_records_audio_through_the_mmc_recorder()
    {
        using var dm = new DiscMaster(() => [RecorderLocator.Open($"emulated:cd-rw?dir={_dir}&name=rw")], MediaKind.Cd80, Path.Combine(_dir, "stash"));
        dm.Open();
        dm.SetActiveDiscMasterFormat(DiscMasterFormat.Redbook);
        dm.SetActiveDiscRecorder(dm.EnumDiscRecorders()[0]);
        dm.Redbook.CreateAudioTrack(300);
        dm.Redbook.AddAudioTrackBlocks(new byte[300 * B]);
        dm.Redbook.CloseAudioTrack();
        dm.RecordDisc(new RecordOptions(Verify: true));
        Assert.Equal(0, dm.Redbook.TotalAudioTracks);
        Assert.False(dm.EnumDiscRecorders()[0].QueryMediaInfo().Flags.HasFlag(MediaFlags.Blank));
    }
}
