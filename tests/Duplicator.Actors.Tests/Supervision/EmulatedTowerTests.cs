using System.Buffers.Binary;
using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The tower driving emulated MMC recorders (real command blocks) through whole batches.</summary>
public sealed class EmulatedTowerTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private IActorRef StartTower(string profile, int drives)
    {
        var discs = Path.Combine(_fx.Dir, "discs");
        var specs = Enumerable.Range(1, drives).Select(i =>
        {
            var url = $"emulated:{profile}?dir={discs}&name=e{i}&autoreload=true";
            return new Tower.DriveSpec($"e{i}", url, () => RecorderLocator.Open(url));
        }).ToArray();
        return Sys.ActorOf(Duplicator.Actors.Supervision.Tower.Props(specs, TowerFixture.Fast(_fx.Stash)), "tower");
    }

    [Fact]
    public async Task Folder_batch_on_three_emulated_DVD_recorders_gives_discs_identical_to_the_staged_image()
    {
        var src = Directory.CreateDirectory(Path.Combine(_fx.Dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, "readme.txt"), "hello tower");
        Directory.CreateDirectory(Path.Combine(src, "sub", "deeper"));
        var big = new byte[3_000_000];
        new Random(5).NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "sub", "deeper", "data.bin"), big);
        var tower = StartTower("dvd+r", 3);

        var spec = new BatchSpec("f1", SourceKind.Folder, [src], 4, new BatchOptions(true, 0, 0, true, []), Volume: "TOWER");
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(tower, "f1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(4, done.Good.Count);
        Assert.All(done.Good.Values, h => Assert.Equal(done.ImageSha256, h)); // verified read-back == staged content
        // The bytes on each burned disc (the emulator's image files) equal the staged image.
        var sectors = new FileInfo(done.StashPath!).Exists ? 0 : -1; // the stash is cleared after a completed batch (IMAPI)
        Assert.Equal(-1, sectors);
        var discFiles = Directory.GetFiles(Path.Combine(_fx.Dir, "discs"), "disc-*.iso", SearchOption.AllDirectories)
            .Where(f => new FileInfo(f).Length > 0).ToArray();
        Assert.Equal(4, discFiles.Length);
        foreach (var file in discFiles)
        {
            var bytes = File.ReadAllBytes(file);
            var image = bytes.AsSpan(0, bytes.Length - bytes.Length % 2048);
            Assert.Equal(done.ImageSha256, Convert.ToHexString(SHA256.HashData(image)));
            Assert.Contains("TOWER", System.Text.Encoding.ASCII.GetString(bytes, 16 * 2048 + 40, 32)); // primary volume descriptor's volume id
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Audio_batch_on_emulated_CD_recorders_reads_back_equal_to_the_staged_tracks(bool discAtOnce)
    {
        var wavs = new[] { Wav(Path.Combine(_fx.Dir, "a.wav"), 44100 * 5, 1), Wav(Path.Combine(_fx.Dir, "b.wav"), 44100 * 4 + 77, 2) };
        var tower = StartTower("cd-r", 2);

        var spec = new BatchSpec("a1", SourceKind.Audio, [.. wavs], 2, new BatchOptions(true, 0, 0, true, [], discAtOnce), Media: "cd80");
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(tower, "a1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(2, done.Good.Count);
        Assert.All(done.Good.Values, h => Assert.Equal(done.ImageSha256, h)); // READ CD of every track == staged PCM
        // Independently of our hashing: the PCM of the first WAV sits at the start of each burned disc's first track.
        var pcm = File.ReadAllBytes(wavs[0]).AsSpan(44).ToArray();
        foreach (var bin in Directory.GetFiles(Path.Combine(_fx.Dir, "discs"), "disc-*.bin", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0))
        {
            var disc = File.ReadAllBytes(bin);
            Assert.True(disc.AsSpan(0, pcm.Length).SequenceEqual(pcm), $"{bin}: track 1 differs from a.wav");
        }
    }

    internal static string Wav(string path, int frames, int seed)
    {
        var pcm = new byte[frames * 4];
        new Random(seed).NextBytes(pcm);
        var wav = new byte[44 + pcm.Length];
        "RIFF"u8.CopyTo(wav);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(4), 36 + pcm.Length);
        "WAVEfmt "u8.CopyTo(wav.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(22), 2);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(24), 44100);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(28), 44100 * 4);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(32), 4);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(34), 16);
        "data"u8.CopyTo(wav.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(40), pcm.Length);
        pcm.CopyTo(wav.AsSpan(44));
        File.WriteAllBytes(path, wav);
        return path;
    }
}
