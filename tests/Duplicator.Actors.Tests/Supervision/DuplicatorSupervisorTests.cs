using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>The tower with scripted fake drives on the in-memory journal.</summary>
public sealed class DuplicatorSupervisorTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private IActorRef Start(Tower.Settings settings, params FakeDrive[] drives) =>
        Sys.ActorOf(Tower.Props(TowerFixture.Drives(drives), settings), "tower");

    private async Task<Tower.Submitted> Submit(IActorRef tower, BatchSpec spec) =>
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));

    [Fact]
    public async Task Tower_burns_exactly_the_copies_asked_reading_the_image_once_per_wave()
    {
        var (image, sha) = _fx.Image(1024);
        var drives = Enumerable.Range(1, 6).Select(i => new FakeDrive($"d{i}", new FakeScript())).ToArray();
        var tower = Start(TowerFixture.Fast(_fx.Stash), drives);

        var submitted = await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 12));
        Assert.True(submitted.Created);
        var stats = Assert.IsType<Staging.Stats>(await tower.Ask<object>(new Tower.GetStagingStats("b1"), Long)); // before the batch ends and its staging stops
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(12, done.Good.Count);
        Assert.All(done.Good.Values, h => Assert.Equal(sha, h));
        Assert.Empty(done.InFlight);
        var burned = drives.SelectMany(d => d.Burned).ToArray();
        Assert.Equal(12, burned.Length); // every disc made was needed: none extra
        Assert.All(burned, h => Assert.Equal(sha, h));
        Assert.True(drives.Count(d => !d.Burned.IsEmpty) >= 2, "more than one drive took part");
        Assert.Equal(0, stats.Detached);
    }

    [Fact]
    public async Task Staging_reads_each_chunk_once_for_all_recorders_of_a_wave()
    {
        var (image, _) = _fx.Image(2048);
        var drives = Enumerable.Range(1, 4).Select(i => new FakeDrive($"d{i}", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(2)))).ToArray();
        var tower = Start(TowerFixture.Fast(_fx.Stash), drives);
        Sys.EventStream.Subscribe(TestActor, typeof(Staging.WaveFinished));
        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 4));

        // Four drives ready at once join one wave: the stash is read once, not four times.
        var wave = await ExpectMsgAsync<Staging.WaveFinished>(Long); // not a pool thread blocked: CI once saw no wave in 60 s with the pool busy
        Assert.Equal(new Staging.WaveFinished("b1", 1, 2048L * 2048, 4, 0), wave);
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);
        Assert.Equal(4, done.Good.Count);
        Assert.All(drives, d => Assert.Single(d.Burned));
    }

    [Fact]
    public async Task Recorder_failing_at_block_k_fails_that_disc_only_and_the_disc_is_made_again()
    {
        var (image, sha) = _fx.Image(512);
        var bad = new FakeDrive("bad", new FakeScript(FailAtBlock: 200));
        var good = new[] { new FakeDrive("g1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(1))), new FakeDrive("g2", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(1))) };
        var tower = Start(TowerFixture.Fast(_fx.Stash, quarantineAfter: 0), [bad, .. good]);

        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 6));
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(6, done.Good.Count);
        Assert.True(done.Failed >= 1);
        Assert.All(done.Discs.Values.Where(d => d.State == DiscState.Failed), d =>
        {
            Assert.Equal("bad", d.Drive);
            Assert.Contains("IMAPI_E_CANNOTWRITETOMEDIA", d.Reason);
        });
        Assert.Empty(bad.Burned);
        Assert.Equal(6, good.Sum(g => g.Burned.Count));
        Assert.All(good.SelectMany(g => g.Burned), h => Assert.Equal(sha, h));
    }

    [Fact]
    public async Task Hung_recorder_is_detached_from_its_wave_without_stalling_the_others()
    {
        var (image, sha) = _fx.Image(1024);
        var hung = new FakeDrive("hung", new FakeScript(HangAtBlock: 64));
        var good = Enumerable.Range(1, 3).Select(i => new FakeDrive($"g{i}", new FakeScript())).ToArray();
        var tower = Start(TowerFixture.Fast(_fx.Stash, quarantineAfter: 1), [hung, .. good]);

        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 6));
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);
        hung.Release();

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(6, done.Good.Count);
        var failed = Assert.Single(done.Discs.Values, d => d.State == DiscState.Failed);
        Assert.Equal("hung", failed.Drive);
        Assert.Contains("detached", failed.Reason);
        Assert.Equal(6, good.Sum(g => g.Burned.Count));
        Assert.All(good.SelectMany(g => g.Burned), h => Assert.Equal(sha, h));
        Assert.True((await TowerFixture.Drive(tower, "hung")).Quarantined);
    }

    [Fact]
    public async Task Drive_failing_K_discs_in_a_row_is_quarantined_until_cleared()
    {
        var (image, _) = _fx.Image(256);
        var bad = new FakeDrive("bad", new FakeScript(FailAtBlock: 10));
        var slow = new FakeDrive("slow", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(40)));
        var tower = Start(TowerFixture.Fast(_fx.Stash, quarantineAfter: 2), bad, slow);

        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 2));
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);

        Assert.Equal(2, done.Good.Count);
        Assert.Equal(2, done.Discs.Values.Count(d => d.State == DiscState.Failed && d.Drive == "bad")); // exactly K, then no more discs for it
        var status = await TowerFixture.Drive(tower, "bad");
        Assert.True(status.Quarantined);
        Assert.Equal(2, status.ConsecutiveFailures);
        Assert.False((await TowerFixture.Drive(tower, "slow")).Quarantined);

        Assert.Equal(new Tower.Done(true), await tower.Ask<Tower.Done>(new Tower.ClearQuarantine("bad"), Long));
        Assert.False((await TowerFixture.Drive(tower, "bad")).Quarantined);
        Assert.Equal(new Tower.Done(false), await tower.Ask<Tower.Done>(new Tower.ClearQuarantine("nope"), Long));
    }

    [Fact]
    public async Task Media_that_is_not_blank_fails_the_disc_without_blaming_the_drive()
    {
        var (image, _) = _fx.Image(128);
        var used = new FakeDrive("used", new FakeScript(NotBlank: true));
        var tower = Start(TowerFixture.Fast(_fx.Stash, quarantineAfter: 1), used);

        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 1, threshold: 2));
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);

        Assert.Equal(BatchStatus.Failed, done.Status); // threshold of 2 failed discs reached
        Assert.All(done.Discs.Values, d => Assert.Contains("IMAPI_E_WRONGDISC", d.Reason));
        Assert.Equal(0, used.Started); // never written
        Assert.False((await TowerFixture.Drive(tower, "used")).Quarantined);
    }

    [Fact]
    public async Task Rewritable_media_is_erased_when_the_batch_accepts_media_that_is_not_blank()
    {
        var (image, sha) = _fx.Image(128);
        var rw = new FakeDrive("rw", new FakeScript(NotBlank: true, Rewritable: true));
        var tower = Start(TowerFixture.Fast(_fx.Stash), rw);

        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 2, rejectIfNotBlank: false));
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);

        Assert.Equal(2, done.Good.Count);
        Assert.Equal(2, rw.Erased);
        Assert.All(rw.Burned, h => Assert.Equal(sha, h));
    }

    [Fact]
    public async Task Vanished_drive_is_restarted_with_backoff_and_burns_again()
    {
        var (image, sha) = _fx.Image(256);
        var flaky = new FakeDrive("flaky", new FakeScript(VanishAtBlock: 64));
        var tower = Start(TowerFixture.Fast(_fx.Stash), flaky);
        Sys.EventStream.Subscribe(TestActor, typeof(Tower.DriveChanged));

        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 2));
        FishForMessage<Tower.DriveChanged>(c => c.Drive.State == DriveState.Faulted, Long);
        FishForMessage<Tower.DriveChanged>(c => c.Drive.State == DriveState.Opening, Long);
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);

        Assert.Equal(2, done.Good.Count);
        Assert.Contains(done.Discs.Values, d => d.State == DiscState.Failed && d.Reason!.Contains("IMAPI_E_DEVICENOTPRESENT"));
        Assert.Equal([sha, sha], flaky.Burned);
    }

    [Fact]
    public async Task Resubmitting_a_batch_id_returns_the_existing_batch_for_the_same_job_and_refuses_another_job()
    {
        var (image, _) = _fx.Image(64);
        var d = new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(20)));
        var tower = Start(TowerFixture.Fast(_fx.Stash), d);

        var first = await Submit(tower, TowerFixture.ImageBatch("same", image, copies: 2));
        var again = await Submit(tower, TowerFixture.ImageBatch("same", image, copies: 2));
        Assert.True(first.Created);
        Assert.False(again.Created);
        var other = Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.Submit(TowerFixture.ImageBatch("same", image, copies: 5)), Long));
        Assert.Contains("with a different job (copies 5, not 2)", other.Reason);
        Assert.Equal(2, again.State.Spec!.Copies);
        var batches = (await tower.Ask<Tower.BatchList>(Tower.GetBatches.Instance, Long)).Batches;
        Assert.Single(batches);
        Assert.Equal(2, (await TowerFixture.UntilFinished(tower, "same", Long)).Good.Count);
        Assert.Equal(2, d.Burned.Count);
    }

    [Fact]
    public async Task Bad_submissions_are_rejected_and_create_nothing()
    {
        var tower = Start(TowerFixture.Fast(_fx.Stash), new FakeDrive("d1", new FakeScript()));
        var zero = Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.Submit(TowerFixture.ImageBatch("z", "/x.iso", copies: 0)), Long));
        Assert.Contains("copies 0", zero.Reason);
        var drive = Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.Submit(TowerFixture.ImageBatch("y", "/x.iso", 1, true, 0, true, "d9")), Long));
        Assert.Contains("d9", drive.Reason);
        Assert.Empty((await tower.Ask<Tower.BatchList>(Tower.GetBatches.Instance, Long)).Batches);
    }

    [Fact]
    public async Task Cancelled_batch_stops_cleanly_and_its_drives_go_back_to_waiting()
    {
        var (image, _) = _fx.Image(2048);
        var d = new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(20)));
        var tower = Start(TowerFixture.Fast(_fx.Stash), d);
        await Submit(tower, TowerFixture.ImageBatch("b1", image, copies: 3));
        await AwaitAssertAsync(async () => Assert.Equal(DriveState.Writing, (await TowerFixture.Drive(tower, "d1")).State), Long);

        Assert.Equal(new Tower.Done(true), await tower.Ask<Tower.Done>(new Tower.Cancel("b1", "operator"), Long));
        var done = await TowerFixture.UntilFinished(tower, "b1", Long);
        Assert.Equal(BatchStatus.Cancelled, done.Status);
        await AwaitAssertAsync(async () => Assert.Equal(1, Volatile.Read(ref d.Aborted)), Long);
        await AwaitAssertAsync(async () => Assert.Contains((await TowerFixture.Drive(tower, "d1")).State, new[] { DriveState.Empty, DriveState.Ready }), Long);
        Assert.Empty(d.Burned);
    }
}
