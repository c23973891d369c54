using System.Collections.Concurrent;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Drives;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>
/// Verify policies, media rules and the drive history on a tower of emulated MMC recorders: what each disc got is in
/// the ledger, and what the drives really read back is counted by the emulator (<see cref="EmulatedRecorder.BytesRead"/>).
/// </summary>
public sealed class VerifyPolicyTowerTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private const int Sectors = 8000;

    /// <summary>Every emulated drive made for a drive id (a restarted recorder opens a new one).</summary>
    private readonly ConcurrentDictionary<string, ConcurrentBag<EmulatedRecorder>> _made = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private IActorRef StartTower(params (string Id, string Query)[] drives) => StartTower(null, drives);

    /// <summary>The tower on emulated drives; <paramref name="arm"/> arms each drive's faults as it is made.</summary>
    private IActorRef StartTower(Action<string, EmulatedRecorder>? arm, params (string Id, string Query)[] drives)
    {
        var discs = Path.Combine(_fx.Dir, "discs");
        var specs = drives.Select(d =>
        {
            var url = $"emulated:{d.Query}&dir={discs}&name={d.Id}&autoreload=true";
            return new Duplicator.Actors.Supervision.Tower.DriveSpec(d.Id, url, () =>
            {
                var emu = EmulatedRecorder.FromUrl(url);
                arm?.Invoke(d.Id, emu);
                _made.GetOrAdd(d.Id, _ => []).Add(emu);
                return new MmcDiscRecorder(emu);
            });
        }).ToArray();
        return Sys.ActorOf(Duplicator.Actors.Supervision.Tower.Props(specs, TowerFixture.Fast(_fx.Stash)), "tower");
    }

    private long BytesRead(string drive) => _made.TryGetValue(drive, out var all) ? all.Sum(e => e.BytesRead) : 0;

    private static BatchSpec Batch(string id, string image, int copies, VerifyPolicy? policy, MediaRules? media = null) =>
        new(id, SourceKind.Image, [image], copies, new BatchOptions(policy?.Mode is not (null or VerifyMode.None), 0, 0, true, []) { VerifyPolicy = policy, MediaRules = media });

    [Fact]
    public async Task Sampling_quick_verify_reads_only_every_second_disc_per_drive_and_only_its_samples()
    {
        var (image, sha) = _fx.Image(Sectors);
        var tower = StartTower(("e1", "dvd+r?speed=0"), ("e2", "dvd+r?speed=0"));
        Assert.IsType<Duplicator.Actors.Supervision.Tower.Submitted>(await tower.Ask<object>(new Duplicator.Actors.Supervision.Tower.Submit(Batch("s1", image, 6, new VerifyPolicy(VerifyMode.Quick, Every: 2))), Long));
        var done = await TowerFixture.UntilFinished(tower, "s1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.All(done.Good.Values, h => Assert.Equal(sha, h));
        long sampled = QuickVerify.Samples(Sectors).Sum(s => (long)s.Count);
        Assert.Equal(32 + 64 * 32 + 1, sampled); // first run, 64 runs, last sector: 26% of this image
        foreach (var drive in new[] { "e1", "e2" })
        {
            var mine = done.Discs.Values.Where(d => d.Drive == drive).OrderBy(d => d.Disc).ToArray();
            // Per drive: its 2nd, 4th, ... disc is sampled, quick; the others are not read back at all.
            Assert.Equal(mine.Select((_, i) => (i + 1) % 2 == 0 ? VerifyMode.Quick : VerifyMode.None), mine.Select(d => d.Verify!.Value));
            int quick = mine.Count(d => d.Verify == VerifyMode.Quick);
            Assert.Equal(quick * sampled * 2048, BytesRead(drive)); // what the drive really read: the samples of its quick discs
        }
        // 6 discs on 2 drives: floor(n1/2) + floor(n2/2) sampled, 2 (3 + 3) or 3 (4 + 2, ...) however they shared them.
        Assert.InRange(done.Discs.Values.Count(d => d.Verify == VerifyMode.Quick), 2, 3);
    }

    [Fact]
    public async Task A_failed_sample_verify_turns_full_verify_on_for_that_drive()
    {
        var (image, _) = _fx.Image(Sectors, seed: 2);
        // e1 cannot read back LBA 4000 (inside a sampled run); e2 is sound. e1 gets every disc it can take; e2 joins
        // only once e1 is quarantined, so the order on e1 is fixed.
        long bad = QuickVerify.Samples(Sectors)[32].First + 3;
        var tower = StartTower(("e1", $"dvd+r?speed=0&unreadable={bad}"));
        var policy = new VerifyPolicy(VerifyMode.Quick, Every: 3, EscalateUntilGood: 2);
        Assert.IsType<Duplicator.Actors.Supervision.Tower.Submitted>(await tower.Ask<object>(new Duplicator.Actors.Supervision.Tower.Submit(Batch("s2", image, 4, policy)), Long));
        await AwaitAssertAsync(async () => Assert.True((await TowerFixture.Drive(tower, "e1")).Quarantined), Long, TimeSpan.FromMilliseconds(100));
        var state = (await tower.Ask<Duplicator.Actors.Supervision.Tower.BatchAnswer>(new Duplicator.Actors.Supervision.Tower.GetBatch("s2"), Long)).State!;
        var e1 = state.Discs.Values.Where(d => d.Drive == "e1").OrderBy(d => d.Disc).ToArray();

        // Discs 1 and 2 unverified and good, disc 3 sampled (quick) fails its read-back, then every disc is verified
        // in full (and fails too: the drive cannot read that block) until the drive is quarantined after 3 in a row.
        Assert.Equal([VerifyMode.None, VerifyMode.None, VerifyMode.Quick, VerifyMode.Full, VerifyMode.Full], e1.Select(d => d.Verify!.Value));
        Assert.Equal([DiscState.Completed, DiscState.Completed, DiscState.Failed, DiscState.Failed, DiscState.Failed], e1.Select(d => d.State));
        Assert.Equal([false, false, true, true, true], e1.Select(d => d.VerifyFailed));
        var failure = e1[2].Error!;
        Assert.Equal(("03/11/00", bad), (failure.Sense!.ToString(), failure.Lba)); // the READ's own sense and LBA are kept
        Assert.Contains("verification failed", e1[2].Reason);
        // What e1 really read: disc 3 its first 32 sampled runs (the 33rd holds the bad block), discs 4 and 5 every
        // 32-sector READ before the one holding it; discs 1 and 2 nothing.
        Assert.Equal((32 * 32 + 2 * (bad / 32 * 32)) * 2048L, BytesRead("e1"));

        var history = await tower.Ask<DriveHistory.Histories>(DriveHistory.Get.Instance, Long);
        var h = history.Drives["e1"];
        Assert.Equal((2L, 3L), (h.Good, h.Bad));
        Assert.Equal(5L * Sectors * 2048, h.BytesWritten); // failed discs were written whole, then failed reading back
        Assert.Equal("03/11/00", h.LastFailures[0].Error!.Sense!.ToString());
        Assert.Equal(0, h.Underruns); // an unthrottled emulated drive never runs dry
    }

    [Fact]
    public async Task A_medium_of_a_profile_the_batch_does_not_accept_is_refused_with_the_operators_message()
    {
        var (image, _) = _fx.Image(512, seed: 3);
        var tower = StartTower(("e1", "dvd-r?speed=0"), ("e2", "dvd+r?speed=0"));
        var rules = new MediaRules(["DVD+R", "BD-R"]);
        Assert.IsType<Duplicator.Actors.Supervision.Tower.Submitted>(await tower.Ask<object>(new Duplicator.Actors.Supervision.Tower.Submit(Batch("m1", image, 2, new VerifyPolicy(VerifyMode.Full), rules)), Long));
        var done = await TowerFixture.UntilFinished(tower, "m1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.All(done.Discs.Values.Where(d => d.State == DiscState.Completed), d => Assert.Equal("e2", d.Drive));
        Assert.DoesNotContain(done.Discs.Values, d => d.Drive == "e1" && d.State == DiscState.Completed);
        var refused = done.Discs.Values.Where(d => d.Drive == "e1" && d.State == DiscState.Failed).ToArray();
        Assert.NotEmpty(refused);
        Assert.All(refused, d =>
        {
            Assert.Equal(DiscState.Failed, d.State);
            Assert.Equal("IMAPI_E_MEDIUMINVALIDTYPE: e1: the loaded DVD-R is refused: this batch accepts only DVD+R, BD-R; load one of those", d.Reason);
        });
        var e1 = await TowerFixture.Drive(tower, "e1");
        Assert.False(e1.Quarantined); // the operator's media, not the drive's fault
        Assert.Equal(0, _made["e1"].Sum(e => e.BytesWritten)); // refused before anything was written
        var history = (await tower.Ask<DriveHistory.Histories>(DriveHistory.Get.Instance, Long)).Drives;
        Assert.Equal((0L, 0L), (history["e1"].Good, history["e1"].Bad));
        // Each refusal is in the history too; one more when e1 held a disc as the batch ended (cancelled, which the
        // finished ledger no longer records): neither counts against the drive.
        Assert.InRange(history["e1"].Refused, refused.Length, refused.Length + 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Quick_verify_of_an_audio_batch_reads_only_each_tracks_samples_and_catches_a_block_that_reads_back_wrong(bool discAtOnce)
    {
        // 60 s and 40 s of audio: 4,500 and 3,000 blocks, of which quick reads 460 each.
        var wavs = new[] { EmulatedTowerTests.Wav(Path.Combine(_fx.Dir, "a.wav"), 44100 * 60, 1), EmulatedTowerTests.Wav(Path.Combine(_fx.Dir, "b.wav"), 44100 * 40, 2) };
        // e2 returns LBA 0 (track 1's first block, always sampled) with a byte changed and no error.
        var tower = StartTower((id, emu) => { if (id == "e2") emu.Faults.CorruptReadAt(0); }, ("e1", "cd-r?speed=0"), ("e2", "cd-r?speed=0"));
        var spec = new BatchSpec("q1", SourceKind.Audio, [.. wavs], 3,
            new BatchOptions(true, 0, 0, true, [], discAtOnce) { VerifyPolicy = new VerifyPolicy(VerifyMode.Quick, EscalateUntilGood: 0) }, Media: "cd80");
        Assert.IsType<Duplicator.Actors.Supervision.Tower.Submitted>(await tower.Ask<object>(new Duplicator.Actors.Supervision.Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(tower, "q1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        var good = done.Discs.Values.Where(d => d.State == DiscState.Completed).ToArray();
        Assert.Equal(3, good.Length);
        Assert.All(good, d => Assert.Equal(("e1", VerifyMode.Quick), (d.Drive, d.Verify!.Value)));
        long sampled = QuickVerify.AudioSamples(4500).Sum(x => (long)x.Count) + QuickVerify.AudioSamples(3000).Sum(x => (long)x.Count);
        Assert.Equal(920, sampled);
        Assert.Equal(3 * sampled * 2352, BytesRead("e1")); // the samples of its three discs, nothing more
        var bad = done.Discs.Values.Where(d => d.Drive == "e2").ToArray();
        Assert.NotEmpty(bad);
        Assert.All(bad, d =>
        {
            Assert.Equal((DiscState.Failed, VerifyMode.Quick, true), (d.State, d.Verify!.Value, d.VerifyFailed));
            Assert.Contains("name=e2&autoreload=true: quick verification: track 1 block 0 (LBA 0) differs from the staged audio at byte 0", d.Reason);
        });
    }
}
