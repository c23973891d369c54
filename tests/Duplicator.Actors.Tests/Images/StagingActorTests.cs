using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.TestKit;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Tests.Recorders;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Tests.Images;

/// <summary>A batch's staging actor with real recorder actors on scripted fake drives: mixed speeds, a hung drive, late joiners, the hash.</summary>
public sealed class StagingActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Recorder.Settings RecorderSettings = new(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(50));
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-staging-").FullName;
    private const int Sectors = 2048; // 4 MiB: 64 chunks of 64 KiB

    public StagingActorTests() : base("akka.loglevel = WARNING")
    {
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Directory.Delete(_dir, true);
    }

    private static Staging.Settings Settings(TimeSpan stall) => new(64 * 1024, 8, stall, TimeSpan.FromMilliseconds(100));

    private (BatchSpec Spec, string Sha) Batch(int copies)
    {
        var bytes = new byte[Sectors * 2048];
        new Random(5).NextBytes(bytes);
        var path = Path.Combine(_dir, "image.iso");
        File.WriteAllBytes(path, bytes);
        return (new BatchSpec("b", SourceKind.Image, [path], copies, new BatchOptions(false, 0, 0, true, [])), Convert.ToHexString(SHA256.HashData(bytes)));
    }

    /// <summary>The staging actor, a child of the test actor (which gets its Staged reports); the image as first staged.</summary>
    private (IActorRef Staging, StagedImage Image) Stage(BatchSpec spec, Staging.Settings settings)
    {
        var staging = ChildActorOf(Staging.Props(spec, DateTimeOffset.UtcNow, Path.Combine(_dir, "stash"), null, settings));
        return (staging, ExpectMsg<Staging.Staged>(TimeSpan.FromSeconds(10)).Image);
    }

    private (IActorRef Recorder, TestProbe Tower) StartRecorder(FakeDrive drive)
    {
        var tower = CreateTestProbe();
        var recorder = Sys.ActorOf(Duplicator.Actors.Recorders.Recorder.Props(drive.Path, () => drive, tower.Ref, RecorderSettings), drive.Path);
        tower.FishForMessage<Recorder.StatusChanged>(s => s.State == DriveState.Ready, TimeSpan.FromSeconds(10));
        return (recorder, tower);
    }

    private static void Burn(IActorRef recorder, StagedImage image, IActorRef staging, int disc) =>
        recorder.Tell(new Recorder.Burn("b", disc, image, staging, new RecordOptions(Verify: false), RejectIfNotBlank: true));

    private static object Outcome(TestProbe tower, TimeSpan within) =>
        tower.FishForMessage(m => m is Recorder.DiscBurned or Recorder.DiscFailed, within);

    [Fact]
    public void The_image_is_offered_before_it_is_hashed_and_a_disc_started_meanwhile_reports_the_hash()
    {
        var (spec, sha) = Batch(1);
        var (staging, image) = Stage(spec, Settings(TimeSpan.FromSeconds(5)));
        Assert.Null(image.ContentSha256); // discs may start: the hash is computed while they write
        var drive = new FakeDrive("d1", new FakeScript());
        var (recorder, tower) = StartRecorder(drive);
        Burn(recorder, image, staging, 1);

        var hashed = ExpectMsg<Staging.Staged>(TimeSpan.FromSeconds(10)).Image;
        Assert.Equal(image with { ContentSha256 = sha }, hashed); // staged again, with the hash, for the ledger
        var burned = Assert.IsType<Recorder.DiscBurned>(Outcome(tower, TimeSpan.FromSeconds(10)));
        Assert.Equal(sha, burned.Sha256); // the unverified disc waited for the hash the staging told it
        Assert.Equal([sha], drive.Burned);
    }

    [Fact]
    public void Fast_drives_are_not_gated_by_a_slow_one_which_reads_on_from_the_stash_and_still_writes_the_image()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(Staging.WaveFinished));
        var (spec, sha) = Batch(3);
        var (staging, image) = Stage(spec, Settings(TimeSpan.FromSeconds(10)));
        var fast = new[] { new FakeDrive("f1", new FakeScript()), new FakeDrive("f2", new FakeScript()) };
        var slow = new FakeDrive("slow", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(40))); // 64 chunks: 2.6 s
        var recorders = fast.Concat([slow]).Select(StartRecorder).ToArray();
        for (int i = 0; i < 3; i++) Burn(recorders[i].Recorder, image, staging, i + 1);

        foreach (var (_, tower) in recorders.Take(2)) Assert.IsType<Recorder.DiscBurned>(Outcome(tower, TimeSpan.FromSeconds(20)));
        long slowAt = Interlocked.Read(ref slow.Written);
        Assert.True(slowAt < Sectors / 2, $"the fast drives finished when the slow one had written {slowAt} of {Sectors} blocks");
        Assert.IsType<Recorder.DiscBurned>(Outcome(recorders[2].Tower, TimeSpan.FromSeconds(30)));

        Assert.All(fast.Concat([slow]), d => Assert.Equal([sha], d.Burned));
        var wave = FishForMessage<Staging.WaveFinished>(_ => true, TimeSpan.FromSeconds(10));
        Assert.Equal((3, 0), (wave.Recorders, wave.Detached));
        Assert.InRange(wave.FellBehind, 1, 3); // the slow one for sure (a fast one too if the host stalled it for a while)
        long imageBytes = Sectors * 2048L;
        Assert.InRange(wave.BytesRead, imageBytes, (1 + wave.FellBehind) * imageBytes); // once in step, at most once more per drive that fell behind
    }

    [Fact]
    public void A_hung_drive_holds_nobody_and_fails_its_disc_only_after_the_stall_deadline()
    {
        var (spec, sha) = Batch(3);
        var stall = TimeSpan.FromSeconds(1.5);
        var (staging, image) = Stage(spec, Settings(stall));
        var hung = new FakeDrive("hung", new FakeScript(HangAtBlock: 300));
        try
        {
            var fast = new[] { new FakeDrive("f1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(1))), new FakeDrive("f2", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(1))) };
            var recorders = fast.Concat([hung]).Select(StartRecorder).ToArray();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++) Burn(recorders[i].Recorder, image, staging, i + 1);

            foreach (var (_, tower) in recorders.Take(2)) Assert.IsType<Recorder.DiscBurned>(Outcome(tower, TimeSpan.FromSeconds(20)));
            var fastDone = clock.Elapsed;
            var failed = Assert.IsType<Recorder.DiscFailed>(Outcome(recorders[2].Tower, TimeSpan.FromSeconds(20)));
            Assert.Contains("took no data", failed.Reason);
            Assert.True(failed.DriveFault);
            Assert.True(clock.Elapsed >= stall, $"the hung drive failed after {clock.Elapsed}, before the {stall} deadline");
            Assert.True(fastDone < clock.Elapsed, "the others finished without waiting for the hung drive's deadline");
            Assert.All(fast, d => Assert.Equal([sha], d.Burned));
            Assert.Empty(hung.Burned);
        }
        finally
        {
            hung.Release();
        }
    }

    [Fact]
    public void A_drive_ready_after_the_wave_passed_chunk_0_gets_a_wave_of_its_own_and_the_whole_image()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(Staging.WaveFinished));
        var (spec, sha) = Batch(2);
        var (staging, image) = Stage(spec, Settings(TimeSpan.FromSeconds(10)));
        var first = new FakeDrive("first", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(10)));
        var late = new FakeDrive("late", new FakeScript());
        var (r1, t1) = StartRecorder(first);
        var (r2, t2) = StartRecorder(late);
        Burn(r1, image, staging, 1);
        AwaitCondition(() => Interlocked.Read(ref first.Written) > 64, TimeSpan.FromSeconds(10)); // chunk 0 is behind everybody
        Burn(r2, image, staging, 2);

        Assert.IsType<Recorder.DiscBurned>(Outcome(t2, TimeSpan.FromSeconds(20)));
        Assert.IsType<Recorder.DiscBurned>(Outcome(t1, TimeSpan.FromSeconds(20)));
        Assert.Equal([sha], first.Burned);
        Assert.Equal([sha], late.Burned);
        var waves = new[] { FishForMessage<Staging.WaveFinished>(_ => true, TimeSpan.FromSeconds(10)), FishForMessage<Staging.WaveFinished>(_ => true, TimeSpan.FromSeconds(10)) };
        Assert.Equal([1, 2], waves.Select(w => w.Wave).Order());
        Assert.All(waves, w => Assert.Equal((1, Sectors * 2048L), (w.Recorders, w.BytesRead))); // one more read, for the late drive alone
    }
}
