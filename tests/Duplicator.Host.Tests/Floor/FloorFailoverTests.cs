using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
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
        // One view: the router lists every tower's drives, each with its tower.
        await floor.UntilAsync(() => Drives(floor, router).Select(d => d.Tower).Distinct().Count() == 3, Long, "the router did not list the drives of all three towers");
        var before = Drives(floor, router);
        Assert.All(before, d => Assert.Equal(Floor.Id(Floor.TowerOfDrive(d.Id)), d.Tower));
        var survivors = Enumerable.Range(0, 3).Where(i => i != router).ToArray();
        // Every tower's metrics follow the whole floor (the router sends its view to the others' agents), not the router's tower only.
        string[] all = [.. before.Select(d => d.Id).Order()];
        foreach (var t in Enumerable.Range(0, 3))
            await floor.UntilAsync(() => MetricDrives(floor, t).SequenceEqual(all), Long, $"{Floor.Id(t)}'s /metrics did not list every drive of the floor");

        var killedAt = DateTime.UtcNow;
        floor.Towers[router].Kill();
        // A query sent now goes to the dead router and is lost: it is asked again of the next one rather than wait out its 30 s.
        using var early = floor.Towers[survivors[0]].Client();
        var query = early.DrivesAsync(CancellationToken.None);
        var (after, host, at) = await floor.FirstAnswerAsync(survivors, Long);
        var failover = at - killedAt;
        output.WriteLine($"floor: kill -9 of {Floor.Id(router)} (the router's tower) -> the router answered on {Floor.Id(host)} {failover.TotalSeconds:F1} s later");

        // The first answer may come from either survivor's API (both ask the router); the router runs on the one that says so.
        Assert.Contains(host, survivors);
        var moved = RouterOf(floor, survivors);
        output.WriteLine($"killed at {killedAt:HH:mm:ss.fff}; {Floor.Id(moved)}, where the router moved, saw:");
        foreach (var l in floor.Towers[moved].Log.Split('\n').Where(l => l.Contains("floor:") || l.Contains("Singleton") || l.Contains("Leader is") || l.Contains("SBR")))
            output.WriteLine(l.Length > 260 ? l[..260] : l);
        // The new router lists the survivors' drives as their agents register again, never the dead tower's.
        await floor.UntilAsync(() => Drives(floor, host).Select(d => d.Tower).Distinct().Count() == 2, Long, "the new router did not list both survivors' drives");
        after = Drives(floor, host);
        Assert.All(after, d => Assert.NotEqual(Floor.Id(router), d.Tower));
        // The survivors downed the dead tower.
        foreach (var i in survivors)
            Assert.Contains(floor.Towers[i].Log.Split('\n'), l => l.Contains($"floor: tower {Floor.Id(router)} (") && l.Contains(" was downed"));
        var answered = await query; // not a 503 after the 30 s timeout
        output.WriteLine($"floor: a query sent to {Floor.Id(survivors[0])} at the kill was answered {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after it at the latest ({answered.Count} drives)");
        Assert.NotEmpty(answered);
        // The dead router never said its tower's drives left; the new router lists the floor's drives to every agent, so the survivors' metrics drop them.
        string[] left = [.. after.Select(d => d.Id).Order()];
        foreach (var i in survivors)
            await floor.UntilAsync(() => MetricDrives(floor, i).SequenceEqual(left), Long, $"{Floor.Id(i)}'s /metrics still lists the dead tower's drives");
    }

    /// <summary>The one of <paramref name="towers"/> whose log says the router runs there (none of them ran it before).</summary>
    private static int RouterOf(Floor floor, IReadOnlyList<int> towers) =>
        Assert.Single(towers, i => floor.Towers[i].Log.Contains("floor: the router runs on this tower"));

    /// <summary>The drives <paramref name="tower"/>'s <c>GET /metrics</c> exports a state for, in order (empty when it does not answer).</summary>
    private static string[] MetricDrives(Floor floor, int tower)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            var text = http.GetStringAsync(floor.Towers[tower].BaseAddress + "/metrics").GetAwaiter().GetResult();
            return [.. Regex.Matches(text, @"^duplicator_drive_state\{[^}]*drive=""([^""]+)""", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Distinct().Order()];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return [];
        }
    }

    [Fact]
    public async Task A_frozen_router_tower_is_downed_fenced_and_replaced_and_after_SIGCONT_it_exits_1_by_itself_without_writing_to_the_ledger()
    {
        using var floor = new Floor(pg.Pg, "sigstop");
        await floor.StartAsync();
        await floor.UntilAsync(() => floor.RouterTower() >= 0, Long, "no tower started the router");
        var frozen = floor.RouterTower();
        var tower = floor.Towers[frozen];
        await floor.FirstAnswerAsync([frozen], Long);
        var incarnation = Regex.Match(tower.Log, @"floor: the router runs on this tower \(\w+, incarnation ([\w-]+)\)").Groups[1].Value;
        Assert.NotEmpty(incarnation);
        var src = Directory.CreateDirectory(Path.Combine(floor.Shared, "src")).FullName;
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), new byte[100_000]);
        var survivors = Enumerable.Range(0, 3).Where(i => i != frozen).ToArray();

        Signal("STOP", tower.Pid!.Value);
        var frozenAt = DateTime.UtcNow;
        // A job for the frozen tower waits in its socket: when it wakes, it still believes it runs the router and tries to write it.
        using var client = tower.Client();
        var late = client.SubmitAsync(JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "zombie", folder = src, copies = 1 }), CancellationToken.None);
        var (_, host, at) = await floor.FirstAnswerAsync(survivors, Long);
        output.WriteLine($"floor: SIGSTOP of {Floor.Id(frozen)} (the router's tower) -> the router answered on {Floor.Id(host)} {(at - frozenAt).TotalSeconds:F1} s later");
        foreach (var i in survivors)
            await floor.UntilAsync(() => floor.Towers[i].Log.Split('\n').Any(l => l.Contains($"floor: tower {Floor.Id(frozen)} (") && l.Contains(" was downed")), Long,
                $"{Floor.Id(i)} did not down the frozen tower");
        Assert.Contains($"floor: fenced {incarnation} off the ledger", floor.Towers[RouterOf(floor, survivors)].Log);
        Assert.Equal(Floor.Id(frozen), pg.Pg.Scalar("sigstop", $"SELECT tower FROM duplicator_fenced WHERE incarnation = '{incarnation}'"));
        await Task.Delay(2000); // the new router has recovered and is idle: from now on the journal does not move
        var rows = pg.Pg.Scalar("sigstop", "SELECT count(*) FROM journal");
        var last = pg.Pg.Scalar("sigstop", "SELECT max(ordering) FROM journal");
        var sequences = pg.Pg.Scalar("sigstop", "SELECT string_agg(persistence_id || ':' || sequence_number, ',' ORDER BY ordering) FROM journal");

        Signal("CONT", tower.Pid!.Value);
        var woke = Stopwatch.StartNew();
        var code = tower.WaitForExit(Long);

        Assert.True(code != null, $"the woken tower still runs after {Long}:\n{tower.Log}");
        output.WriteLine($"floor: SIGCONT of {Floor.Id(frozen)} -> it exited {code} {woke.Elapsed.TotalSeconds:F1} s later");
        Assert.Equal(1, code);
        var why = tower.Log.Split('\n').Where(l => l.StartsWith("duplicator: ", StringComparison.Ordinal)).ToArray();
        Assert.True(why.Length == 1, $"not one line of why:\n{tower.Log}");
        output.WriteLine(why[0]);
        Assert.Matches("downed|fenced|floor's writer lock", why[0]);
        await Assert.ThrowsAnyAsync<Exception>(() => late); // the job was not taken
        Assert.Equal(rows, pg.Pg.Scalar("sigstop", "SELECT count(*) FROM journal"));
        Assert.Equal(last, pg.Pg.Scalar("sigstop", "SELECT max(ordering) FROM journal"));
        Assert.Equal(sequences, pg.Pg.Scalar("sigstop", "SELECT string_agg(persistence_id || ':' || sequence_number, ',' ORDER BY ordering) FROM journal"));
        Assert.Equal(0L, pg.Pg.Scalar("sigstop", "SELECT count(*) FROM journal WHERE persistence_id = 'batch-zombie'"));
    }

    [Fact]
    public async Task A_frozen_tower_without_the_router_is_downed_and_after_SIGCONT_it_exits_1_with_one_line_saying_so()
    {
        using var floor = new Floor(pg.Pg, "sigstop_other");
        await floor.StartAsync();
        await floor.UntilAsync(() => floor.RouterTower() >= 0, Long, "no tower started the router");
        var router = floor.RouterTower();
        var frozen = Enumerable.Range(0, 3).First(i => i != router);
        var tower = floor.Towers[frozen];

        Signal("STOP", tower.Pid!.Value);
        foreach (var i in Enumerable.Range(0, 3).Where(i => i != frozen))
            await floor.UntilAsync(() => floor.Towers[i].Log.Split('\n').Any(l => l.Contains($"floor: tower {Floor.Id(frozen)} (") && l.Contains(" was removed")), Long,
                $"{Floor.Id(i)} did not remove the frozen tower");
        var rows = pg.Pg.Scalar("sigstop_other", "SELECT count(*) FROM journal");
        Signal("CONT", tower.Pid!.Value);
        var code = tower.WaitForExit(Long);

        Assert.True(code != null, $"the woken tower still runs after {Long}:\n{tower.Log}");
        Assert.Equal(1, code);
        var why = tower.Log.Split('\n').Where(l => l.StartsWith("duplicator: ", StringComparison.Ordinal)).ToArray();
        Assert.True(why.Length == 1, $"not one line of why:\n{tower.Log}");
        output.WriteLine(why[0]);
        Assert.StartsWith($"duplicator: this tower ({Floor.Id(frozen)}, akka.tcp://duplicator@127.0.0.1:{floor.ClusterPorts[frozen]}) ", why[0]);
        Assert.Matches("was downed and removed from the floor|left the floor|was frozen for .* s, past the failure detector's pause plus stable-after", why[0]);
        // The router did not move, and the woken tower wrote nothing.
        Assert.Equal(router, floor.RouterTower());
        Assert.Equal(rows, pg.Pg.Scalar("sigstop_other", "SELECT count(*) FROM journal"));
        Assert.Equal(0L, pg.Pg.Scalar("sigstop_other", "SELECT count(*) FROM duplicator_fenced"));
    }

    private static IReadOnlyList<Duplicator.Host.Control.DriveView> Drives(Floor floor, int tower)
    {
        using var client = floor.Towers[tower].Client();
        try
        {
            return client.DrivesAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is Duplicator.Host.Control.ControlException or HttpRequestException or TaskCanceledException)
        {
            return [];
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var p = Process.Start("kill", ["-" + signal, pid.ToString()])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }
}
