using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Duplicator.Host.Tests.Serving;

namespace Duplicator.Host.Tests.Floor;

/// <summary>
/// A tower of a floor that cannot start (real `duplicator serve` processes on a private PostgreSQL): it exits 1 with
/// one line naming what failed, never a failure of its own stop in place of it, never a stack trace.
/// </summary>
public sealed class FloorStartTests(FloorStartTests.Server pg) : IClassFixture<FloorStartTests.Server>
{
    /// <summary>One server for the class; each test has its own database.</summary>
    public sealed class Server : IDisposable
    {
        public PostgresServer Pg { get; } = new();
        public void Dispose() => Pg.Dispose();
    }

    [Fact]
    public async Task A_tower_whose_cluster_port_is_taken_exits_1_naming_the_address_and_not_a_failure_of_its_stop()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var storage = JsonSerializer.Serialize(new { provider = "postgres", connectionString = pg.Pg.NewDatabase("port_taken") });
        using var tower = new ServeProcess(drives: 1, storageJson: storage,
            clusterJson: $$"""{ "tower": "t1", "host": "127.0.0.1", "port": {{port}}, "seeds": ["akka.tcp://duplicator@127.0.0.1:{{port}}"] }""");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => tower.StartAsync(readyLine: "control API on "));
        Assert.Contains("serve exited with 1", e.Message);
        // The operator's line, once, naming the address; the host's own stop never speaks in its place (before: the
        // stop of the half-started host threw "unexpected ArgumentNullException ... (Parameter 'source')").
        var said = tower.Log.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("duplicator: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal([$"duplicator: cluster: this tower cannot listen on 127.0.0.1:{port} (cluster.host, cluster.port): Address already in use"], said);
        // Nothing of the floor was written: the ledger's journal was never created by this tower.
        Assert.Equal(0L, pg.Pg.Scalar("port_taken", "SELECT count(*) FROM information_schema.tables WHERE table_name = 'journal'"));
    }
}
