using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Packaging;

/// <summary>packaging/duplicator.service checked by systemd's own tool, and the host's JSON log format it asks for.</summary>
public sealed class SystemdUnitTests
{
    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Duplicator.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no Duplicator.sln above {AppContext.BaseDirectory}");
    }

    private static string Unit => File.ReadAllText(Path.Combine(RepoRoot(), "packaging", "duplicator.service"));

    /// <summary>systemd-analyze verify on <paramref name="unit"/> written to a temp folder: exit code and everything it printed.</summary>
    private static (int Code, string Output) Verify(string unit)
    {
        var dir = Directory.CreateTempSubdirectory("dup-unit-").FullName;
        try
        {
            var path = Path.Combine(dir, "duplicator.service");
            File.WriteAllText(path, unit);
            var psi = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("verify");
            psi.ArgumentList.Add(path);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(120_000), "systemd-analyze verify did not finish in 120 s");
            return (p.ExitCode, (stdout.Result + stderr.Result).Trim());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    // verify refuses an ExecStart that is not an executable file, and a test must not install into /opt: the unit is
    // checked with its ExecStart pointed at the apphost this build made (the same binary `dotnet publish` puts in /opt/duplicator).
    private static string WithBuiltBinary(string unit)
    {
        var binary = Path.Combine(AppContext.BaseDirectory, "duplicator");
        Assert.True(File.Exists(binary), $"{binary}: the host's apphost is missing from the test output");
        Assert.Contains("ExecStart=/opt/duplicator/duplicator serve", unit);
        return unit.Replace("ExecStart=/opt/duplicator/duplicator", "ExecStart=" + binary);
    }

    [Fact]
    public void The_unit_file_passes_systemd_analyze_verify_without_a_word()
    {
        var (code, output) = Verify(WithBuiltBinary(Unit));
        Assert.True(code == 0 && output.Length == 0, $"systemd-analyze verify exited {code}: {output}");
    }

    [Fact]
    public void Systemd_analyze_verify_does_find_a_mistake_in_the_unit()
    {
        // verify exits 0 on unknown keys and bad values and only says so: the test above fails on any output.
        var (_, output) = Verify(WithBuiltBinary(Unit).Replace("Type=notify", "Type=notifyy").Replace("Restart=on-failure", "Restart=on-failure\nRestartSecs=5s"));
        Assert.Contains("notifyy", output);
        Assert.Contains("RestartSecs", output);
    }

    [Fact]
    public void The_unit_runs_the_host_as_a_notify_service_of_a_dedicated_user_restarted_on_failure_in_var_lib_duplicator()
    {
        var keys = Unit.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#' && l.Contains('='))
            .Select(l => l.Split('=', 2)).ToLookup(kv => kv[0], kv => kv[1]);
        Assert.Equal("notify", keys["Type"].Single());
        Assert.Equal("on-failure", keys["Restart"].Single());
        Assert.Equal("duplicator", keys["User"].Single());
        Assert.Equal("duplicator", keys["StateDirectory"].Single());
        Assert.Equal("/var/lib/duplicator", keys["WorkingDirectory"].Single());
        Assert.Contains("DUPLICATOR_LOGGING__FORMAT=json", keys["Environment"]);
        var sysusers = File.ReadAllText(Path.Combine(RepoRoot(), "packaging", "duplicator.sysusers"));
        Assert.Contains("u duplicator - \"Duplicator tower\" /var/lib/duplicator", sysusers);
        // The config the unit names is a valid config of this host.
        var config = Duplicator.Host.Configuration.ConfigLoader.Load(Path.Combine(RepoRoot(), "packaging", "duplicator.json"), new Dictionary<string, string?>());
        Assert.Equal("json", config.LogFormat);
        Assert.StartsWith("/var/lib/duplicator/", config.Storage.Path);
    }

    [Fact]
    public async Task With_the_json_log_format_every_line_the_host_logs_is_one_JSON_object()
    {
        var dir = Directory.CreateTempSubdirectory("dup-jsonlog-").FullName;
        var port = Duplicator.Tests.FreePorts.Next();
        File.WriteAllText(Path.Combine(dir, "duplicator.json"), $$"""
            {
              "name": "jsonlog",
              "drives": [ { "id": "drive-1", "url": "emulated:dvd+r?speed=2&dir={{dir}}/discs&name=drive-1" } ],
              "storage": { "provider": "sqlite", "path": "{{dir}}/ledger.db" },
              "stash": "{{dir}}/stash",
              "control": { "listen": "http://127.0.0.1:{{port}}" },
              "hotFolder": { "enabled": false, "path": "{{dir}}/hot" }
            }
            """);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        psi.ArgumentList.Add(CliRunner.DllPath);
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(Path.Combine(dir, "duplicator.json"));
        psi.Environment["DUPLICATOR_LOGGING__FORMAT"] = "json"; // as the unit sets it
        var lines = new List<string>();
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (lines) lines.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                lock (lines)
                    if (lines.Any(l => l.Contains("state=ready") || l.Contains("\"ready\""))) break;
                Assert.False(p.HasExited, "serve exited: " + string.Join("\n", lines));
                Assert.True(DateTime.UtcNow < deadline, "no drive became ready: " + string.Join("\n", lines));
                await Task.Delay(100);
            }
            string[] seen;
            lock (lines) seen = [.. lines];
            Assert.True(seen.Length >= 3, string.Join("\n", seen));
            foreach (var line in seen)
            {
                using var doc = JsonDocument.Parse(line); // throws on a line that is not one JSON object
                Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
                Assert.True(doc.RootElement.TryGetProperty("Timestamp", out _), line);
                Assert.True(doc.RootElement.TryGetProperty("LogLevel", out _), line);
            }
            Assert.Contains(seen, l => JsonDocument.Parse(l).RootElement.GetProperty("Message").GetString()!.Contains("tower jsonlog"));
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Directory.Delete(dir, true);
        }
    }
}
