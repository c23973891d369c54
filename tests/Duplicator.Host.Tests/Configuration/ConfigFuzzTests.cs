using System.Diagnostics;
using System.Text;
using Duplicator.Host.Configuration;

namespace Duplicator.Host.Tests.Configuration;

/// <summary>
/// Configs from a seeded generator (the repository's config with its values, keys and bytes mutated,
/// deep nesting, noise): <see cref="ConfigLoader.Load"/> either returns a config whose every drive URL
/// parses, or throws <see cref="ConfigException"/>; never another exception, bounded memory and time.
/// </summary>
public sealed class ConfigFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-configfuzz-").FullName;
    private static readonly Dictionary<string, string?> NoEnvironment = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Seed = """
        { "name": "t", "drives": [ { "id": "d1", "url": "emulated:dvd+r?speed=24&dir=var/discs&name=d1" },
                                   { "id": "d2", "url": "iscsi://127.0.0.1:3260/iqn.2026-11.x:y/1" },
                                   { "id": "d3", "url": "/dev/sg3" } ],
          "storage": { "provider": "sqlite", "path": "var/ledger.db" }, "stash": "var/stash",
          "defaults": { "verify": true, "speed": 0, "failedDiscThreshold": 3, "quarantineAfter": 3, "rejectIfNotBlank": true },
          "control": { "listen": "http://127.0.0.1:8750", "allowedRoots": [ "samples" ] },
          "hotFolder": { "enabled": true, "path": "var/hotfolder" }, "logging": { "level": "Information" } }
        """;

    private static readonly string[] Values =
    [
        "\"\"", "null", "true", "-1", "0", "99999999999999999999", "1e308", "[]", "{}", "[[[[]]]]", "\"emulated:\"",
        "\"emulated:dvd+r?dir=%00\"", "\"emulated:dvd+r?dir=\\u0000x\"", "\"iscsi://[::1]:3260/iqn.x:y/0\"", "\"iscsi://h:3260//0\"",
        "\"/dev/\"", "\"emulated:cd-r?name=..\"", "\"emulated:dvd+r?buffer=99999999999999m\"", "\"http://[::1]:0\"", "\"\\ud800\"",
        "\"emulated:dvd+r?capacity=-5\"", "\"iscsi://h:1/iqn/99999999999\"", "\"emulated:dvd+r?name=d1\"",
    ];

    private static string Mutant(Random r)
    {
        var s = Seed;
        int mutations = r.Next(1, 6);
        for (int m = 0; m < mutations; m++)
        {
            switch (r.Next(7))
            {
                case 0: // replace a JSON string or number value with a hostile one
                {
                    int colon = s.IndexOf(": ", r.Next(s.Length), StringComparison.Ordinal);
                    if (colon < 0) break;
                    int end = s.IndexOfAny([',', '}', ']'], colon + 2);
                    if (end < 0) break;
                    s = s[..(colon + 2)] + Values[r.Next(Values.Length)] + s[end..];
                    break;
                }
                case 1: // a URL's text mutated character by character
                {
                    int at = s.IndexOf("\"url\": \"", r.Next(s.Length / 2), StringComparison.Ordinal);
                    if (at < 0) break;
                    var sb = new StringBuilder(s);
                    int p = at + 8 + r.Next(0, 20);
                    if (p < sb.Length && sb[p] != '"') sb[p] = "?&=:/%.x0[]@"[r.Next(12)];
                    s = sb.ToString();
                    break;
                }
                case 2: s = s.Insert(r.Next(s.Length), $", \"k{r.Next(100)}\": {Values[r.Next(Values.Length)]}"); break; // probably breaks syntax too
                case 3: s = s[..r.Next(s.Length)]; break;
                case 4: { var b = Encoding.UTF8.GetBytes(s); b[r.Next(b.Length)] = (byte)r.Next(256); s = Encoding.Latin1.GetString(b); break; }
                case 5: s = s.Replace("\"d2\"", "\"d1\""); break;
                case 6: s = new string('[', r.Next(1, 5000)) + s; break;
            }
        }
        return s;
    }

    [Fact]
    public void Mutated_configs_load_with_valid_drives_or_are_refused_with_a_config_error()
    {
        var r = new Random(8750);
        var path = Path.Combine(_dir, "c.json");
        int loaded = 0, refused = 0;
        for (int i = 0; i < 1500; i++)
        {
            var text = Mutant(r);
            File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text));
            long before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try
            {
                var config = ConfigLoader.Load(path, NoEnvironment);
                Assert.NotEmpty(config.Drives);
                foreach (var d in config.Drives)
                    Duplicator.Drivers.Imapi.RecorderLocator.Validate(d.Url); // the same parser agrees
                Assert.Equal(config.Drives.Count, config.Drives.Select(d => d.Id.ToLowerInvariant()).Distinct().Count());
                loaded++;
            }
            catch (ConfigException e)
            {
                Assert.NotEmpty(e.Problems);
                Assert.True(e.Problems.Count <= ConfigLoader.MaxProblems + 1);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i}: {e.GetType().Name}: {e.Message}\n{text}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 64L * text.Length + (4 << 20), $"input {i}: {allocated} bytes for a {text.Length}-character config");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"input {i}: {watch.Elapsed}");
        }
        Assert.True(loaded > 20 && refused > 500, $"the generator must reach both outcomes: {loaded} loaded, {refused} refused");
    }
}
