using Duplicator.Host.Configuration;

namespace Duplicator.Host.Tests.Configuration;

/// <summary>What the loader refuses before any drive opens: bad URLs, shared output folders, files that are no config.</summary>
public sealed class ConfigValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-configval-").FullName;
    private static readonly Dictionary<string, string?> NoEnvironment = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "duplicator.json");
        File.WriteAllText(path, json);
        return path;
    }

    private string Drives(params string[] urls) =>
        Write("{ \"drives\": [" + string.Join(",", urls.Select((u, i) => $$"""{ "id": "d{{i + 1}}", "url": "{{u}}" }""")) + "] }");

    [Fact]
    public void Drive_urls_are_parsed_with_the_drivers_parser_when_the_config_loads()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Drives(
            "emulated:floppy", "emulated:dvd+r?speed=fast&name=b", "iscsi://host:0/iqn.x:y/1", "iscsi://host/iqn.x:y/lun", "emulated:cd-r?name=ok"), NoEnvironment));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:0:url: recorder URL 'emulated:floppy': profile 'floppy'"));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:1:url: ") && p.Contains("speed"));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:2:url: iscsi://host:0/iqn.x:y/1: port '0' is not 1 to 65535"));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:3:url: iscsi://host/iqn.x:y/lun: expected iscsi://host:port/iqn/lun"));
        Assert.Equal(4, e.Problems.Count);
    }

    [Fact]
    public void Two_emulated_drives_writing_the_same_folder_are_refused_naming_both()
    {
        var real = Directory.CreateDirectory(Path.Combine(_dir, "discs")).FullName;
        var alias = Path.Combine(_dir, "alias");
        Directory.CreateSymbolicLink(alias, real);
        // Same folder spelt three ways: plain, with a dot-dot detour, through a symbolic link.
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Drives(
            $"emulated:dvd+r?dir={real}&name=bay",
            $"emulated:dvd+r?dir={real}/x/..&name=bay",
            $"emulated:cd-r?dir={alias}&name=bay",
            $"emulated:cd-r?dir={real}&name=other"), NoEnvironment));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:1:url: drive 'd2' writes its discs to") && p.Contains("as drive 'd1' does"));
        Assert.Contains(e.Problems, p => p.StartsWith("drives:2:url: drive 'd3' writes its discs to") && p.Contains("as drive 'd1' does"));
        Assert.Equal(2, e.Problems.Count);
    }

    [Fact]
    public void Two_emulated_drives_without_names_share_the_default_folder_and_are_refused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Drives("emulated:dvd+r", "emulated:dvd+r"), NoEnvironment));
        Assert.Contains("as drive 'd1' does", Assert.Single(e.Problems));
    }

    [Fact]
    public void Duplicate_ids_differing_in_case_are_refused()
    {
        var path = Write("""{ "drives": [ { "id": "Bay", "url": "emulated:dvd+r?name=a" }, { "id": "bay", "url": "emulated:dvd+r?name=b" } ] }""");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoEnvironment));
        Assert.Equal("drives:1:id: 'bay' is used by another drive", Assert.Single(e.Problems));
        Assert.Equal($"{path}: invalid configuration: drives:1:id: 'bay' is used by another drive", e.Message);
    }

    [Fact]
    public void A_config_larger_than_the_limit_is_refused_without_being_read_whole()
    {
        var path = Path.Combine(_dir, "huge.json");
        using (var f = File.Create(path)) f.SetLength(1L << 32); // 4 GiB, sparse
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, NoEnvironment));
        Assert.Contains($"larger than {ConfigLoader.MaxFileBytes} bytes", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4L * ConfigLoader.MaxFileBytes);
    }

    [Fact]
    public void A_flood_of_unknown_keys_lists_a_bounded_number_of_problems()
    {
        var keys = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"k{i}\": 1"));
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("{ \"drives\": [ { \"id\": \"a\", \"url\": \"emulated:dvd+r\" } ], " + keys + " }"), NoEnvironment));
        Assert.Equal(ConfigLoader.MaxProblems + 1, e.Problems.Count);
        Assert.Equal("... and 4950 more problems", e.Problems[^1]);
    }

    [Fact]
    public void A_ledger_path_that_is_a_folder_is_refused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write($$"""{ "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], "storage": { "path": "{{_dir}}" } }"""), NoEnvironment));
        Assert.Equal($"storage:path: '{_dir}' is a directory, not a ledger file", Assert.Single(e.Problems));
    }

    [Fact]
    public void Duplicate_json_keys_are_refused()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "drives": [ { "id": "a", "url": "emulated:dvd+r" } ], "name": "x", "name": "y" }"""), NoEnvironment));
        Assert.Contains("name", e.Message);
    }
}
