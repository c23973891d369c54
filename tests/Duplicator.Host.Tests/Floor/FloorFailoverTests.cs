using Duplicator.Host.Tests.Serving;
using Xunit.Abstractions;

namespace Duplicator.Host.Tests.Floor;

/// <summary>
/// Three `duplicator serve` processes forming one floor on one private PostgreSQL: formation, kill -9 of the tower
/// that runs the router (the router answers again on a survivor), SIGSTOP of a tower (downed by the others; after
/// SIGCONT it stops by itself, exit 1, and never writes to the ledger again). The seconds are printed (the figures of
/// docs/benchmarks.md come from these runs); they are not asserted, the events are.
/// </summary>
public sealed class FloorFailoverTests(FloorFailoverTests.Server pg, ITestOutputHelper output) : IClassFixture<FloorFailoverTests.Server>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    /// <summary>One server for the class; each test has its own database.</summary>
    public sealed class Server : IDisposable
    {
        public PostgresServer Pg { get; } = new();
        public void Dispose() => Pg.Dispose();
    }

    [Fact]
    public async Task Three_towers_form_one_floor_and_after_kill_9_of_the_routers_tower_the_router_answers_again_on_a_survivor()
    {
        using var floor = new Floor(pg.Pg, "killrouter");
        var formed = await floor.StartAsync();
        output.WriteLine($"floor: 3 towers formed one cluster {formed.TotalSeconds:F1} s after launch");

        await floor.UntilAsync(() => floor.RouterTower() >= 0, Long, "no tower started the router");
        var router = floor.RouterTower();
        var (before, answeredBy, _) = await floor.FirstAnswerAsync([router], Long);
        Assert.All(before, d => Assert.Contains(floor.Towers[router].Discs, d.Url));
        var survivors = Enumerable.Range(0, 3).Where(i => i != router).ToArray();

        var killedAt = DateTime.UtcNow;
        floor.Towers[router].Kill();
        var (after, host, at) = await floor.FirstAnswerAsync(survivors, Long);
        var failover = at - killedAt;
        output.WriteLine($"floor: kill -9 of {Floor.Id(router)} (the router's tower) -> the router answered on {Floor.Id(host)} {failover.TotalSeconds:F1} s later");

        // The answer came from a router on a survivor: its drives are that survivor's, not the dead tower's.
        Assert.Contains(host, survivors);
        Assert.NotEmpty(after);
        Assert.All(after, d => Assert.Contains(floor.Towers[host].Discs, d.Url));
        Assert.Contains("floor: the router runs on this tower", floor.Towers[host].Log);
        // The survivors downed the dead tower.
        foreach (var i in survivors)
            Assert.Contains(floor.Towers[i].Log.Split('\n'), l => l.Contains($"floor: tower {Floor.Id(router)} (") && l.Contains(" was downed"));
    }
}
