using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Drivers.Imapi;
using Duplicator.Mastering.Images;

namespace Duplicator.Actors.Tests.Recorders;

/// <summary>One recorder actor and its protocol, with probes standing for the tower and the wave.</summary>
public sealed class RecorderActorTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Recorder.Settings Fast = new(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(500), TimeSpan.Zero);

    private static (StagedImage Image, byte[][] Chunks) Image()
    {
        var bytes = new byte[8 * 2048];
        new Random(9).NextBytes(bytes);
        var image = new StagedImage("b", "/x.iso", 2048, 8, [new TrackInfo(1, TrackKind.Data, 0, 8, 0)], Convert.ToHexString(SHA256.HashData(bytes)));
        return (image, [bytes[..(4 * 2048)], bytes[(4 * 2048)..]]);
    }

    private IActorRef Ready(FakeDrive drive, Akka.TestKit.TestProbe tower)
    {
        var recorder = Sys.ActorOf(Recorder.Props("d1", () => drive, tower.Ref, Fast));
        tower.FishForMessage<Recorder.StatusChanged>(s => s.State == DriveState.Ready);
        return recorder;
    }

    [Fact]
    public void Recorder_checks_the_medium_joins_the_wave_credits_each_chunk_and_reports_the_verified_disc()
    {
        var tower = CreateTestProbe();
        var wave = CreateTestProbe();
        var drive = new FakeDrive("d1", new FakeScript());
        var recorder = Ready(drive, tower);
        var (image, chunks) = Image();
        var imapi = CreateTestProbe();
        Sys.EventStream.Subscribe(imapi.Ref, typeof(Recorder.ImapiEvent));

        recorder.Tell(new Recorder.Burn("b", 7, image, wave.Ref, new RecordOptions(Verify: true), RejectIfNotBlank: true));
        Assert.Equal(new Staging.Join("d1", 7), wave.ExpectMsg<Staging.Join>());
        recorder.Tell(new Staging.Chunk(wave.Ref, 0, 0, 4, chunks[0]));
        Assert.Equal(new Staging.Consumed(0), wave.ExpectMsg<Staging.Consumed>());
        recorder.Tell(new Staging.Chunk(wave.Ref, 1, 4, 4, chunks[1]));
        Assert.Equal(new Staging.Consumed(1), wave.ExpectMsg<Staging.Consumed>());

        var burned = tower.FishForMessage<Recorder.DiscBurned>(_ => true);
        Assert.Equal(new Recorder.DiscBurned("d1", "b", 7, image.ContentSha256!, Verified: true), burned);
        Assert.Equal([image.ContentSha256], drive.Burned);
        tower.FishForMessage<Recorder.StatusChanged>(s => s.State == DriveState.Ready); // next medium
        // IMAPI's events, as the drive reported them, for subscribers.
        Assert.Equal(new Recorder.ImapiEvent("d1", "b", 7, "BlockProgress", 8, 8), imapi.FishForMessage<Recorder.ImapiEvent>(e => e.Completed == 8));
        Assert.Equal("ClosingDisc", imapi.ExpectMsg<Recorder.ImapiEvent>().Event);
        Assert.Equal("BurnComplete", imapi.ExpectMsg<Recorder.ImapiEvent>().Event);
    }

    [Fact]
    public void Recorder_fails_a_disc_on_media_that_is_not_blank_without_blaming_the_drive_or_joining_a_wave()
    {
        var tower = CreateTestProbe();
        var wave = CreateTestProbe();
        var drive = new FakeDrive("d1", new FakeScript(NotBlank: true));
        var recorder = Ready(drive, tower);

        recorder.Tell(new Recorder.Burn("b", 1, Image().Image, wave.Ref, new RecordOptions(), RejectIfNotBlank: true));
        var failed = tower.FishForMessage<Recorder.DiscFailed>(_ => true);
        Assert.False(failed.DriveFault);
        Assert.Contains("IMAPI_E_WRONGDISC", failed.Reason);
        wave.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, drive.Started);
    }

    [Fact]
    public void Recorder_detached_from_its_wave_fails_the_disc_and_is_ready_again()
    {
        var tower = CreateTestProbe();
        var wave = CreateTestProbe();
        var drive = new FakeDrive("d1", new FakeScript());
        var recorder = Ready(drive, tower);
        var (image, chunks) = Image();

        recorder.Tell(new Recorder.Burn("b", 2, image, wave.Ref, new RecordOptions(), RejectIfNotBlank: true));
        wave.ExpectMsg<Staging.Join>();
        recorder.Tell(new Staging.Chunk(wave.Ref, 0, 0, 4, chunks[0]));
        wave.ExpectMsg<Staging.Consumed>();
        recorder.Tell(new Staging.Detached("the drive took no data for 60 s"));

        var failed = tower.FishForMessage<Recorder.DiscFailed>(_ => true);
        Assert.Equal(2, failed.Disc);
        Assert.Contains("detached from the wave", failed.Reason);
        Assert.Empty(drive.Burned);
        Assert.Equal(1, drive.Aborted);
        tower.FishForMessage<Recorder.StatusChanged>(s => s.State == DriveState.Ready);
    }
}
