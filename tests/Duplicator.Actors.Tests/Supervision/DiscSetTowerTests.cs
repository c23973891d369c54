using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>A disc set job on the tower with fake drives: sets complete after a failure, images burn side by side, refusals create nothing.</summary>
public sealed class DiscSetTowerTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private static ImmutableArray<BatchSpec> Set(string set, int copies, params string[] images) =>
        [.. images.Select((image, i) => TowerFixture.ImageBatch(DiscSets.MemberId(set, i + 1), image, copies, verify: false) with { Set = new SetMember(set, i + 1, images.Length) })];

    [Fact]
    public async Task A_3_disc_set_x4_on_4_drives_ends_with_4_complete_sets_after_a_failure_with_images_burning_side_by_side()
    {
        var images = new[] { _fx.Image(192, seed: 1), _fx.Image(192, seed: 2), _fx.Image(192, seed: 3) };
        var drives = new[]
        {
            new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(10))),
            new FakeDrive("d2", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(10), VanishAtBlock: 96)), // its first disc fails mid-burn
            new FakeDrive("d3", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(10))),
            new FakeDrive("d4", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(10))),
        };
        // Which batch each drive is on, from the tower's own published changes: the moments two members burn at once.
        var onDrive = new ConcurrentDictionary<string, string?>();
        int mostMembersAtOnce = 0;
        Action<Tower.DriveStatus> seen = d =>
        {
            onDrive[d.Id] = d.BatchId;
            int members = onDrive.Values.Where(b => b != null).Distinct().Count();
            if (members > mostMembersAtOnce) mostMembersAtOnce = members;
        };
        var probe = Sys.ActorOf(Props.Create(() => new DriveWatch(seen)));
        Sys.EventStream.Subscribe(probe, typeof(Tower.DriveChanged));
        var tower = Sys.ActorOf(Tower.Props(TowerFixture.Drives(drives), TowerFixture.Fast(_fx.Stash)), "tower");

        var submitted = Assert.IsType<Tower.SetSubmitted>(await tower.Ask<object>(new Tower.SubmitSet(Set("s", 4, [.. images.Select(i => i.Path)])), Long));
        Assert.Equal(("s", true, 3), (submitted.SetId, submitted.Created, submitted.Members.Length));

        var members = new List<BatchState>();
        for (int k = 1; k <= 3; k++) members.Add(await TowerFixture.UntilFinished(tower, DiscSets.MemberId("s", k), Long));
        var progress = DiscSets.Progress("s", 4, members);

        Assert.Equal((BatchStatus.Completed, 4), (progress.Status, progress.Complete));
        Assert.All(progress.Sets, s => Assert.Equal([1, 2, 3], s.Discs.Select(d => d.Member)));
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(4, members[k].Good.Count); // exactly N good discs of each image, never more
            Assert.All(members[k].Good.Values, sha => Assert.Equal(images[k].Sha256, sha));
            Assert.All(progress.Sets, s => Assert.Equal(images[k].Sha256, s.Discs[k].Sha256));
        }
        var failed = members.SelectMany(m => m.Discs.Values).Where(d => d.State != DiscState.Completed).ToArray();
        Assert.Equal("d2", Assert.Single(failed).Drive); // the one failure, on d2, and its disc was made again
        Assert.Equal(13, members.Sum(m => m.Discs.Count));
        Assert.True(mostMembersAtOnce >= 2, $"at most {mostMembersAtOnce} member(s) burned at once");

        // The same set again is the set (nothing new); a set job with another image under its id is refused.
        var again = Assert.IsType<Tower.SetSubmitted>(await tower.Ask<object>(new Tower.SubmitSet(Set("s", 4, [.. images.Select(i => i.Path)])), Long));
        Assert.False(again.Created);
        var other = Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.SubmitSet(Set("s", 4, images[0].Path, images[2].Path, images[1].Path)), Long));
        Assert.Contains("a different job", other.Reason);
    }

    [Fact]
    public async Task A_refused_set_creates_no_batch_and_a_cancel_of_one_member_cancels_the_set()
    {
        var (a, _) = _fx.Image(64, seed: 1);
        var (b, _) = _fx.Image(64, seed: 2);
        var drive = new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(200)));
        var tower = Sys.ActorOf(Tower.Props(TowerFixture.Drives(drive), TowerFixture.Fast(_fx.Stash)), "tower");

        var badDrive = Set("bad", 2, a, b).SetItem(1, Set("bad", 2, a, b)[1] with { Options = Set("bad", 2, a, b)[1].Options with { Drives = ["d9"] } });
        Assert.Contains("set member 2 ('bad~2'): drive(s) d9 are not in this tower", Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.SubmitSet(badDrive), Long)).Reason);
        Assert.Contains("a set has 2 to 16 images", Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.SubmitSet(Set("one", 2, a)), Long)).Reason);
        var longId = new string('x', 127);
        Assert.Contains("takes an id of at most 126", Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.SubmitSet(Set(longId, 2, a, b)), Long)).Reason);
        Assert.Contains("a set is submitted whole", Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.Submit(Set("x", 2, a, b)[0]), Long)).Reason);
        Assert.Empty((await tower.Ask<Tower.BatchList>(Tower.GetBatches.Instance, Long)).Batches);

        Assert.IsType<Tower.SetSubmitted>(await tower.Ask<object>(new Tower.SubmitSet(Set("c", 3, a, b)), Long));
        Assert.Equal(new Tower.Done(true), await tower.Ask<object>(new Tower.Cancel("c~2", "operator"), Long));
        var one = await TowerFixture.UntilFinished(tower, "c~1", Long);
        var two = await TowerFixture.UntilFinished(tower, "c~2", Long);
        Assert.Equal((BatchStatus.Cancelled, BatchStatus.Cancelled), (one.Status, two.Status));
        Assert.Equal(BatchStatus.Cancelled, DiscSets.Progress("c", 3, [one, two]).Status);
    }

    private sealed class DriveWatch : ReceiveActor
    {
        public DriveWatch(Action<Tower.DriveStatus> seen) => Receive<Tower.DriveChanged>(c => seen(c.Drive));
    }
}
