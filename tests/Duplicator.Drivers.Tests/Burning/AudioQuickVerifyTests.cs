using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Drivers.Scsi;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>Quick verification of audio CDs on the emulated recorder: the TOC, the tracks and a sample of READ CD blocks per track.</summary>
public sealed class AudioQuickVerifyTests : IDisposable
{
    private const int B = 2352;
    private static readonly int[] Lengths = [600, 9000, 4500];
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-audio-quick-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Quiet : IDiscMasterProgressEvents;

    private RedbookStaging Stage()
    {
        var s = new RedbookStaging(MediaKind.Cd80, Path.Combine(_dir, "stash-" + Guid.NewGuid().ToString("N")));
        for (int i = 0; i < Lengths.Length; i++)
        {
            var pcm = new byte[Lengths[i] * B];
            new Random(i + 3).NextBytes(pcm);
            s.CreateAudioTrack(Lengths[i]);
            s.AddAudioTrackBlocks(pcm);
            s.CloseAudioTrack();
        }
        return s;
    }

    private static RecordOptions Quick(AudioWriteMode mode) => new RecordOptions(AudioMode: mode).WithVerification(VerificationLevel.Quick);

    // Where each track starts on a CD written from LBA 0: TAO puts a 150-block gap before every track after the first,
    // DAO where the cue sheet says.
    private static long[] Starts(AudioWriteMode mode, RedbookStaging staging)
    {
        if (mode == AudioWriteMode.DiscAtOnce)
            return [.. MmcCueSheet.ForAudio(staging.Build()).Tracks.Select(t => t.Start)];
        var starts = new long[Lengths.Length];
        for (int i = 1; i < Lengths.Length; i++)
            starts[i] = starts[i - 1] + Lengths[i - 1] + (mode == AudioWriteMode.TrackAtOnce ? 150 : 0);
        return starts;
    }

    private static long SampledBlocks() => Lengths.Sum(l => QuickVerify.AudioSamples(l).Sum(s => (long)s.Count));

    [Theory]
    [InlineData(AudioWriteMode.TrackAtOnce)]
    [InlineData(AudioWriteMode.DiscAtOnce)]
    public void A_quick_verified_audio_burn_reads_back_only_each_tracks_samples_and_returns_no_hash(AudioWriteMode mode)
    {
        using var staging = Stage();
        using var emu = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=q{mode}");
        using var recorder = new MmcDiscRecorder(emu);
        Assert.Null(recorder.Record(staging.Build(), Quick(mode), new Quiet(), CancellationToken.None));
        Assert.Equal(SampledBlocks() * B, emu.BytesRead); // the first run, 16 runs and the last block of each track: 1,380 of 14,100 blocks
        Assert.Equal(1380, SampledBlocks());

        using var full = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=f{mode}");
        using var fr = new MmcDiscRecorder(full);
        Assert.NotNull(fr.Record(staging.Build(), new RecordOptions(AudioMode: mode).WithVerification(VerificationLevel.Full), new Quiet(), CancellationToken.None));
        Assert.Equal(Lengths.Sum() * (long)B, full.BytesRead); // full: every block of every track
    }

    [Theory]
    [InlineData(AudioWriteMode.TrackAtOnce)]
    [InlineData(AudioWriteMode.DiscAtOnce)]
    public void A_sampled_block_that_reads_back_wrong_fails_the_disc_naming_track_block_and_LBA(AudioWriteMode mode)
    {
        using var staging = Stage();
        using var emu = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=c{mode}");
        long lastOfTrack2 = Starts(mode, staging)[1] + Lengths[1] - 1; // a track's last block is always sampled
        emu.Faults.CorruptReadAt(lastOfTrack2);
        using var recorder = new MmcDiscRecorder(emu);
        var e = Assert.Throws<VerificationException>(() => recorder.Record(staging.Build(), Quick(mode), new Quiet(), CancellationToken.None));
        Assert.Equal(ImapiError.CannotWriteToMedia, e.Code);
        Assert.EndsWith($": quick verification: track 2 block {Lengths[1] - 1} (LBA {lastOfTrack2}) differs from the staged audio at byte 0", e.Message);
    }

    [Fact]
    public void A_sampled_block_that_does_not_read_fails_with_the_drives_sense_and_one_between_samples_is_not_seen()
    {
        using var staging = Stage();
        var samples = QuickVerify.AudioSamples(Lengths[1]);
        long track2 = Starts(AudioWriteMode.TrackAtOnce, staging)[1];
        long between = track2 + samples[1].First + samples[1].Count + 3; // after a sampled run, before the next
        Assert.True(between < track2 + samples[2].First);

        using (var emu = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=u"))
        {
            emu.Faults.UnreadableRange(track2 + samples[3].First + 1, track2 + samples[3].First + 1);
            using var recorder = new MmcDiscRecorder(emu);
            var e = Assert.Throws<VerificationException>(() => recorder.Record(staging.Build(), Quick(AudioWriteMode.TrackAtOnce), new Quiet(), CancellationToken.None));
            var sense = Assert.IsType<ScsiCommandException>(e.InnerException);
            Assert.Equal(0x11, sense.Sense!.Value.Asc); // UNRECOVERED READ ERROR
        }
        using (var emu = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=b"))
        {
            emu.Faults.CorruptReadAt(between);
            using var recorder = new MmcDiscRecorder(emu);
            Assert.Null(recorder.Record(staging.Build(), Quick(AudioWriteMode.TrackAtOnce), new Quiet(), CancellationToken.None)); // quick's limit
        }
    }

    [Fact]
    public void A_disc_whose_toc_or_tracks_differ_from_the_burn_fails_the_check()
    {
        using var staging = Stage();
        var disc = staging.Build();
        using var emu = EmulatedRecorder.FromUrl($"emulated:cd-r?dir={_dir}&name=t");
        using var drive = new MmcDevice(emu);
        Assert.Null(AudioDiscWriter.Burn(drive, disc, Quick(AudioWriteMode.TrackAtOnce), new Quiet(), CancellationToken.None));
        var starts = Starts(AudioWriteMode.TrackAtOnce, staging);
        var burned = disc.Tracks.Select((t, i) => (t.Number, starts[i], t.StartSector, t.Length)).ToList();
        Assert.Equal(SampledBlocks(), QuickVerify.CheckAudio(drive, burned, disc, CancellationToken.None));

        var missing = burned.Take(2).ToList(); // the disc has a track the burn did not write
        Assert.Contains("the TOC lists 3 track(s)", Assert.Throws<VerificationException>(() => QuickVerify.CheckAudio(drive, missing, disc, CancellationToken.None)).Message);
        var moved = burned.Select((t, i) => i == 2 ? (t.Number, t.Item2 + 1, t.StartSector, t.Length) : t).ToList();
        Assert.Contains("the TOC reads", Assert.Throws<VerificationException>(() => QuickVerify.CheckAudio(drive, moved, disc, CancellationToken.None)).Message);
        var longer = burned.Select((t, i) => i == 2 ? (t.Number, t.Item2, t.StartSector, t.Length + 1) : t).ToList();
        Assert.Throws<VerificationException>(() => QuickVerify.CheckAudio(drive, longer, disc, CancellationToken.None));
    }
}
