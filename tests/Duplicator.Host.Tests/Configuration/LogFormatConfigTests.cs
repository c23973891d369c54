using Duplicator.Host.Configuration;

namespace Duplicator.Host.Tests.Configuration;

/// <summary>logging.format: text (the default) or json, from the file or DUPLICATOR_LOGGING__FORMAT.</summary>
public sealed class LogFormatConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-logformat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "duplicator.json");
        File.WriteAllText(path, json.Replace("{ \"logging\"", "{ \"drives\": [ { \"id\": \"d1\", \"url\": \"emulated:cd-r?name=d1\" } ], \"logging\""));
        return path;
    }

    [Fact]
    public void Log_format_is_text_unless_the_file_or_the_environment_says_json()
    {
        var path = Write("""{ "logging": { "level": "Information" } }""");
        Assert.Equal("text", ConfigLoader.Load(path, new Dictionary<string, string?>()).LogFormat);
        Assert.Equal("json", ConfigLoader.Load(path, new Dictionary<string, string?> { ["DUPLICATOR_LOGGING__FORMAT"] = "json" }).LogFormat);
        Assert.Equal("json", ConfigLoader.Load(Write("""{ "logging": { "format": "json" } }"""), new Dictionary<string, string?>()).LogFormat);
    }

    [Fact]
    public void An_unknown_log_format_is_refused_naming_the_key_and_the_choices()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Write("""{ "logging": { "format": "xml" } }"""), new Dictionary<string, string?>()));
        Assert.Equal(["logging:format: 'xml' is not text or json"], e.Problems);
    }
}
