using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Supervision;

namespace Duplicator.Actors.Tests.Floor;

/// <summary>
/// Floors of two or three towers in this process: ActorSystems on 127.0.0.1 talking over real remoting (every
/// registration, burn, report and answer crosses a socket and the default serializer), one SQLite ledger file, fake
/// drives on each node, images fetched by hash with a test double that copies from the other node's folders.
/// </summary>
[Collection("floor")] // remoting nodes and one ledger file per test: never two floors at once on a loaded machine
public sealed class FloorTests : IDisposable
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    public void Dispose() => _fx.Dispose();

    private string Ledger => Path.Combine(_fx.Dir, "ledger.db");

    private FolderFetcher Fetcher(params FloorNode[] nodes) =>
        new(nodes.ToDictionary(n => n.ControlUrl, n => n == nodes[0] ? new[] { _fx.Dir } : [n.Stash])); // the router's node serves the batch's image

    private static string TowerOf(string drive) => drive[..2];

    [Fact]
    public async Task A_batch_submitted_to_the_router_is_burned_on_drives_of_two_towers_with_exactly_N_good_discs_and_the_floor_lists_every_drive()
    {
        var (image, sha) = _fx.Image(512);
        await using var a = FloorNode.Start("ta", _fx.Dir, Ledger, 2, TimeSpan.FromMilliseconds(20));
        await using var b = FloorNode.Start("tb", _fx.Dir, Ledger, 2, TimeSpan.FromMilliseconds(20));
        var router = a.StartRouter();
        await b.Follow(a);
        var fetcher = Fetcher(a, b);
        a.StartAgent(fetcher);
        b.StartAgent(fetcher);

        var drives = await FloorNode.UntilDrives(router, 4, Long);
        Assert.Equal(["ta", "ta", "tb", "tb"], drives.Select(d => d.Tower).Order());
        Assert.All(drives, d => Assert.Equal(TowerOf(d.Id), d.Tower));

        Assert.IsType<Tower.Submitted>(await router.Ask<object>(new Tower.Submit(FloorNode.Batch("f1", image, copies: 8)), Long));
        var done = await TowerFixture.UntilFinished(router, "f1", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(8, done.Good.Count);
        var towers = done.Good.Keys.Select(g => TowerOf(done.Discs[g].Drive)).Distinct().Order().ToArray();
        Assert.Equal(["ta", "tb"], towers); // the copies spread over both towers
        Assert.All(done.Good.Keys, g => Assert.Equal(sha, done.Discs[g].Sha256));
        // Tower b burned from its own copy, fetched by hash from tower a; tower a from the router's staging.
        Assert.Contains(fetcher.Fetches, f => f.From == a.ControlUrl && f.Sha256 == sha.ToLowerInvariant());
        Assert.True(File.Exists(Path.Combine(b.Stash, "floor-images", sha.ToLowerInvariant() + ".iso")));
        Assert.All(a.Drives.Concat(b.Drives).SelectMany(d => d.Burned), h => Assert.Equal(sha, h));
        Assert.Equal(8, a.Drives.Concat(b.Drives).Sum(d => d.Burned.Count));
        Assert.True(b.Drives.Sum(d => d.Burned.Count) > 0);
    }
}
