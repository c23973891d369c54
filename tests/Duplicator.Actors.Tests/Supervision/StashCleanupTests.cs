using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>Batch ids that look like paths, and the stash clean-up after completed and cancelled batches.</summary>
public sealed class StashCleanupTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    private IActorRef Start(params FakeDrive[] drives) => Sys.ActorOf(Tower.Props(TowerFixture.Drives(drives), TowerFixture.Fast(_fx.Stash)), "tower");

    private string Source(string name, int bytes)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_fx.Dir, name)).FullName;
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        File.WriteAllBytes(Path.Combine(dir, "data.bin"), data);
        return dir;
    }

    private static BatchSpec FolderBatch(string id, string folder, int copies) =>
        new(id, SourceKind.Folder, [folder], copies, new BatchOptions(true, 0, 0, true, []));

    /// <summary>Every file under the tower's folder but the stash, with its SHA-256.</summary>
    private Dictionary<string, string> Files(params string[] except) =>
        Directory.GetFiles(_fx.Dir, "*", SearchOption.AllDirectories)
            .Where(f => !except.Any(e => f.StartsWith(e, StringComparison.Ordinal)))
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    public async Task Ids_that_are_only_dots_or_empty_are_refused_and_nothing_is_staged_or_removed(string id)
    {
        var src = Source("src", 10_000);
        var other = StashFolders.Create(_fx.Stash, "other");
        File.WriteAllText(Path.Combine(other, "image.iso"), "another batch's stash");
        var before = Files();
        var tower = Start(new FakeDrive("d1", new FakeScript()));

        var rejected = Assert.IsType<Tower.Rejected>(await tower.Ask<object>(new Tower.Submit(FolderBatch(id, src, 1)), Long));

        Assert.StartsWith("IMAPI_E_INVALIDINPUT: batch id '", rejected.Reason);
        Assert.Contains(BatchIds.Rule, rejected.Reason);
        Assert.Empty(Assert.IsType<Tower.BatchList>(await tower.Ask<object>(Tower.GetBatches.Instance, Long)).Batches);
        Assert.Equal(before, Files());
    }

    [Theory]
    [InlineData("a/../..")]
    [InlineData("../../victim")]
    [InlineData("..x")]
    public async Task A_path_like_id_stages_inside_the_stash_and_its_clean_up_removes_only_its_own_folder(string id)
    {
        var src = Source("src", 200_000);
        var other = StashFolders.Create(_fx.Stash, "other");
        File.WriteAllText(Path.Combine(other, "image.iso"), "another batch's stash");
        var before = Files();
        var drive = new FakeDrive("d1", new FakeScript());
        var tower = Start(drive);

        Assert.True(Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(FolderBatch(id, src, 2)), Long)).Created);
        var done = await TowerFixture.UntilFinished(tower, id, Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(2, done.Good.Count);
        Assert.Equal(Path.Combine(StashFolders.Folder(_fx.Stash, id), "image.iso"), done.StashPath);
        await AwaitAssertAsync(() => Assert.False(Directory.Exists(StashFolders.Folder(_fx.Stash, id))), Long);
        Assert.Equal(before, Files()); // the source, the other batch's stash and everything else as they were
    }

    [Fact]
    public async Task A_cancelled_batchs_stash_is_removed()
    {
        var src = Source("src", 2_000_000);
        var drive = new FakeDrive("d1", new FakeScript(DelayPerChunk: TimeSpan.FromMilliseconds(50)));
        var tower = Start(drive);
        await tower.Ask<object>(new Tower.Submit(FolderBatch("c1", src, 3)), Long);
        var folder = StashFolders.Folder(_fx.Stash, "c1");
        await AwaitAssertAsync(async () =>
        {
            var s = Assert.IsType<Tower.BatchAnswer>(await tower.Ask<object>(new Tower.GetBatch("c1"), Long)).State!;
            Assert.NotEmpty(s.InFlight); // staged and burning
        }, Long, TimeSpan.FromMilliseconds(50));
        Assert.True(File.Exists(Path.Combine(folder, "image.iso")));

        Assert.True(Assert.IsType<Tower.Done>(await tower.Ask<object>(new Tower.Cancel("c1", "test"), Long)).Found);
        var done = await TowerFixture.UntilFinished(tower, "c1", Long);

        Assert.Equal(BatchStatus.Cancelled, done.Status);
        await AwaitAssertAsync(() => Assert.False(Directory.Exists(folder)), Long);
        Assert.True(File.Exists(Path.Combine(src, "data.bin")));
    }

    [Fact]
    public async Task A_stash_left_by_a_finished_batch_is_removed_when_the_tower_starts_again()
    {
        var src = Source("src", 100_000);
        var tower = Start(new FakeDrive("d1", new FakeScript()));
        await tower.Ask<object>(new Tower.Submit(FolderBatch("f1", src, 1)), Long);
        Assert.Equal(BatchStatus.Completed, (await TowerFixture.UntilFinished(tower, "f1", Long)).Status);
        Watch(tower);
        Sys.Stop(tower);
        ExpectTerminated(tower, Long);
        // As if the host had stopped between the batch's end and its clean-up.
        var left = StashFolders.Create(_fx.Stash, "f1");
        File.WriteAllText(Path.Combine(left, "image.iso"), "left over");
        var foreign = Directory.CreateDirectory(Path.Combine(_fx.Stash, "not-ours")).FullName;
        File.WriteAllText(Path.Combine(foreign, "keep.txt"), "keep");

        Start(new FakeDrive("d1", new FakeScript()));

        await AwaitAssertAsync(() => Assert.False(Directory.Exists(left)), Long);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(foreign, "keep.txt")));
    }
}
