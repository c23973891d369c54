using Duplicator.Host.Configuration;

namespace Duplicator.Host.Tests.Configuration;

/// <summary>The <c>cluster</c> section: a floor of towers, refused one line per problem naming the key.</summary>
public sealed class ClusterConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-cluster-config-").FullName;
    private static readonly Dictionary<string, string?> NoEnvironment = new();
    private const string Postgres = """ "storage": { "provider": "postgres", "connectionString": "Host=127.0.0.1;Database=floor;Username=d" } """;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "duplicator.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Without_a_cluster_section_the_tower_runs_alone()
    {
        var config = ConfigLoader.Load(Write("""{ "drives": [ { "id": "a", "url": "emulated:dvd+r" } ] }"""), NoEnvironment);
        Assert.Null(config.Cluster);
    }

    [Fact]
    public void A_cluster_section_is_read_with_defaults_that_fail_over_in_seconds()
    {
        var config = ConfigLoader.Load(Write($$"""
            { "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], {{Postgres}},
              "cluster": { "tower": "tower-2", "host": "10.0.0.2", "port": 4053, "roles": [ "dvd" ],
                           "seeds": [ "akka.tcp://duplicator@10.0.0.1:4053", "akka.tcp://duplicator@[::1]:4054" ] } }
            """), NoEnvironment);
        var c = Assert.IsType<ClusterConfig>(config.Cluster);
        Assert.Equal(("tower-2", "10.0.0.2", 4053), (c.Tower, c.Host, c.Port));
        Assert.Equal(["akka.tcp://duplicator@10.0.0.1:4053", "akka.tcp://duplicator@[::1]:4054"], c.SeedAddresses);
        Assert.Equal(["dvd"], c.Roles);
        Assert.Equal(TimeSpan.FromSeconds(2), c.FailureDetectorPause);
        Assert.Equal(TimeSpan.FromSeconds(2), c.StableAfter);
        Assert.Equal(TimeSpan.FromSeconds(1), c.DownRemovalMargin);
    }

    [Fact]
    public void Every_bad_cluster_key_is_refused_on_its_own_line()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write($$"""
            { "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], {{Postgres}},
              "cluster": { "tower": "bad id!", "host": "not a host", "port": 70000, "roles": [ "a:b" ], "stableAfterMs": 10, "colour": "blue",
                           "seeds": [ "akka.tcp://other@h:1", "http://h:1", "akka.tcp://duplicator@h:0" ] } }
            """), NoEnvironment));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:tower: 'bad id!' must be 1-32 letters"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:host: 'not a host' is not a host name"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:port: '70000' is not a whole number from 1 to 65535"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:roles:0: 'a:b'"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:stableAfterMs: '10' is not a whole number of milliseconds from 500"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:colour: unknown key"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:seeds:0: 'akka.tcp://other@h:1' names the actor system 'other', not 'duplicator'"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:seeds:1: 'http://h:1' is not akka.tcp://duplicator@HOST:PORT"));
        Assert.Contains(e.Problems, p => p.StartsWith("cluster:seeds:2: 'akka.tcp://duplicator@h:0': port '0' is not from 1 to 65535"));
        Assert.Equal(9, e.Problems.Count);
    }

    [Fact]
    public void A_cluster_without_tower_host_port_or_seeds_or_with_too_many_seeds_is_refused_naming_each()
    {
        var missing = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write($$"""
            { "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], {{Postgres}}, "cluster": { "roles": [ "x" ] } }
            """), NoEnvironment));
        Assert.Equal(4, missing.Problems.Count);
        Assert.StartsWith("cluster:tower: missing", missing.Problems[0]);
        Assert.StartsWith("cluster:host: missing", missing.Problems[1]);
        Assert.StartsWith("cluster:port: missing", missing.Problems[2]);
        Assert.StartsWith("cluster:seeds: at least one seed node is required", missing.Problems[3]);
        var seeds = string.Join(", ", Enumerable.Range(1, 17).Select(i => $"\"akka.tcp://duplicator@h{i}:4053\""));
        var many = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write($$"""
            { "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], {{Postgres}}, "cluster": { "tower": "t", "host": "h", "port": 1, "seeds": [ {{seeds}} ] } }
            """), NoEnvironment));
        Assert.Equal("cluster:seeds: 17 seed nodes, at most 16", Assert.Single(many.Problems));
    }

    [Fact]
    public void A_cluster_on_a_sqlite_ledger_is_refused_one_file_cannot_be_shared_by_hosts()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""
            { "drives": [ { "id": "a", "url": "emulated:dvd+r" } ],
              "cluster": { "tower": "t1", "host": "127.0.0.1", "port": 4053, "seeds": [ "akka.tcp://duplicator@127.0.0.1:4053" ] } }
            """), NoEnvironment));
        Assert.Equal("cluster: requires storage:provider 'postgres' (is 'sqlite'): the towers of a floor share one PostgreSQL ledger, and one SQLite file cannot be shared by hosts",
            Assert.Single(e.Problems));
    }
}
