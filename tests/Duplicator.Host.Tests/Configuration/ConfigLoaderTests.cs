using Duplicator.Host.Configuration;

namespace Duplicator.Host.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-config-").FullName;
    private static readonly Dictionary<string, string?> NoEnvironment = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "duplicator.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string RepoConfig()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "config", "duplicator.json");
            if (File.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "Duplicator.sln")))
                return candidate;
        }
        throw new FileNotFoundException("config/duplicator.json not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Shipped_default_config_is_an_emulated_four_drive_dvd_tower_under_var()
    {
        var config = ConfigLoader.Load(RepoConfig(), NoEnvironment);
        Assert.Equal(4, config.Drives.Count);
        Assert.All(config.Drives, d => Assert.StartsWith("emulated:dvd+r", d.Url));
        Assert.Equal("sqlite", config.Storage.Provider);
        Assert.StartsWith("var/", config.Storage.Path);
        Assert.StartsWith("var/", config.StashDirectory);
        Assert.Equal("http://127.0.0.1:8750", config.Control.Listen);
    }

    [Fact]
    public void Environment_variables_override_keys()
    {
        var path = Write("""{ "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], "defaults": { "speed": 8 } }""");
        var config = ConfigLoader.Load(path, new Dictionary<string, string?>
        {
            ["DUPLICATOR_defaults__speed"] = "16",
            ["DUPLICATOR_drives__0__url"] = "emulated:bd-r",
            ["UNRELATED"] = "x",
        });
        Assert.Equal(16, config.Defaults.Speed);
        Assert.Equal("emulated:bd-r", config.Drives[0].Url);
    }

    [Fact]
    public void The_trace_and_timing_switches_are_not_config_keys_but_another_unknown_variable_still_is()
    {
        var path = Write("""{ "drives": [ { "id": "a", "url": "emulated:dvd+r" } ] }""");
        var config = ConfigLoader.Load(path, new Dictionary<string, string?> { ["DUPLICATOR_TRACE"] = "1", ["duplicator_timing"] = "1" });
        Assert.Equal("a", config.Drives[0].Id);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, new Dictionary<string, string?> { ["DUPLICATOR_TRACES"] = "1" }));
        Assert.Contains(e.Problems, p => p.StartsWith("TRACES: unknown key"));
    }

    [Fact]
    public void Unknown_key_is_refused_naming_the_key()
    {
        var path = Write("""{ "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], "defaults": { "verfy": true } }""");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoEnvironment));
        Assert.Contains(e.Problems, p => p.StartsWith("defaults:verfy: unknown key"));
    }

    [Fact]
    public void Every_problem_is_listed_with_its_key()
    {
        var path = Write("""
            { "drives": [ { "id": "a", "url": "ftp://x" }, { "id": "a", "url": "emulated:cd-r" }, { "id": "bad id!", "url": "" } ],
              "defaults": { "speed": "fast", "verify": "maybe" },
              "control": { "listen": "http://0.0.0.0:8750" },
              "logging": { "level": "Loud" } }
            """);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoEnvironment));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:0:url: 'ftp://x'"));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:1:id: 'a' is used by another drive"));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:2:id: 'bad id!'"));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:2:url: missing"));
        Assert.Contains(e.Problems, p => p.StartsWith("defaults:speed: 'fast' is not a whole number from 0 to 64"));
        Assert.Contains(e.Problems, p => p.StartsWith("defaults:verify: 'maybe' is not true or false"));
        Assert.Contains(e.Problems, p => p.StartsWith("control:token: required because control:listen 'http://0.0.0.0:8750'"));
        Assert.Contains(e.Problems, p => p.StartsWith("logging:level: 'Loud'"));
        Assert.Equal(8, e.Problems.Count);
    }

    [Fact]
    public void Non_loopback_listen_is_accepted_with_a_token()
    {
        var path = Write("""{ "drives": [ { "id": "a", "url": "/dev/sg1" } ], "control": { "listen": "http://0.0.0.0:9000", "token": "s3cret" } }""");
        var config = ConfigLoader.Load(path, NoEnvironment);
        Assert.Equal("s3cret", config.Control.Token);
    }

    [Fact]
    public void A_tower_without_drives_is_refused()
    {
        var path = Write("""{ "name": "empty" }""");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoEnvironment));
        Assert.Contains("drives: at least one drive is required", e.Problems);
    }

    [Fact]
    public void Malformed_json_and_missing_file_are_refused_clearly()
    {
        var path = Write("""{ "drives": [ """);
        Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoEnvironment));
        var missing = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.Combine(_dir, "nope.json"), NoEnvironment));
        Assert.Contains("nope.json", missing.Message);
    }

    [Fact]
    public void Allowed_host_names_are_read_and_missing_roots_stay_empty_meaning_no_file_access()
    {
        var config = ConfigLoader.Load(Write("""
            { "drives": [ { "id": "d1", "url": "emulated:dvd+r" } ],
              "control": { "listen": "http://127.0.0.1:8750", "allowedHosts": [ "tower.shop.lan" ] } }
            """), NoEnvironment);
        Assert.Equal(["tower.shop.lan"], config.Control.AllowedHosts);
        Assert.Empty(config.Control.AllowedRoots);
    }
}
