using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Serving;

/// <summary>A temp tower (config, ledger, stash, emulated discs, hot folder) and `duplicator serve` running on it as a real process.</summary>
public sealed class ServeProcess : IDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    // allowedRoots: control.allowedRoots of the config; null: the tower's own folder. storageJson: the config's
    // "storage" object; null: a SQLite ledger in the tower's folder. token: control.token; driveQuery: more URL
    // parameters for drive i (from 1), e.g. a fault on one drive only.
    public ServeProcess(int drives = 2, int speed = 2, string? extraDriveQuery = null, string[]? allowedRoots = null, string? storageJson = null,
        string? token = null, Func<int, string>? driveQuery = null, string? clusterJson = null, Func<int, string>? driveId = null)
    {
        // driveId: the id (and emulated name, so its discs are Discs/<id>/disc-N.iso) of drive i (from 1); drive-i by default.
        driveId ??= i => $"drive-{i}";
        Token = token;
        Dir = Directory.CreateTempSubdirectory("dup-serve-").FullName;
        Port = Duplicator.Tests.FreePorts.Next();
        var driveJson = string.Join(",\n", Enumerable.Range(1, drives).Select(i =>
            $$"""    { "id": "{{driveId(i)}}", "url": "emulated:dvd+r?speed={{speed}}&dir={{Discs}}&name={{driveId(i)}}&autoreload=true{{extraDriveQuery}}{{driveQuery?.Invoke(i)}}" }"""));
        var storage = storageJson ?? System.Text.Json.JsonSerializer.Serialize(new { provider = "sqlite", path = Path.Combine(Dir, "ledger.db") });
        File.WriteAllText(ConfigPath, $$"""
            {
              "name": "e2e",
              "drives": [
            {{driveJson}}
              ],
              "storage": {{storage}},
              "stash": "{{Path.Combine(Dir, "stash")}}",
              "defaults": { "verify": true, "speed": 0, "failedDiscThreshold": 0, "quarantineAfter": 3, "rejectIfNotBlank": true },
              "control": { "listen": "http://127.0.0.1:{{Port}}", "allowedRoots": {{System.Text.Json.JsonSerializer.Serialize(allowedRoots ?? [Dir])}}{{(token is null ? "" : $", \"token\": \"{token}\"")}} },
              "hotFolder": { "enabled": true, "path": "{{HotFolder}}" },
              "logging": { "level": "Information" }{{(clusterJson is null ? "" : $",\n  \"cluster\": {clusterJson}")}}
            }
            """);
    }

    public string Dir { get; }
    public int Port { get; }
    public string ConfigPath => Path.Combine(Dir, "duplicator.json");
    public string Discs => Path.Combine(Dir, "discs");
    public string HotFolder => Path.Combine(Dir, "hot");
    public string Log { get { lock (_log) return _log.ToString(); } }
    public ControlClient Client() => new($"http://127.0.0.1:{Port}", Token);

    /// <summary>control.token of the config, or null.</summary>
    public string? Token { get; }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string BaseAddress => $"http://127.0.0.1:{Port}";

    /// <summary>The running serve process's id, or null.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>
    /// Starts `duplicator serve` and waits until its control API answers, or, with <paramref name="readyLine"/>, until its
    /// log holds that text (a tower of a floor whose API would wait for the router).
    /// </summary>
    public async Task StartAsync(string? readyLine = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Dir };
        psi.Environment["DUPLICATOR_TRACE"] = "1"; // an unexpected exception's stack trace lands in the log a failing test prints
        psi.ArgumentList.Add(CliRunner.DllPath);
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(ConfigPath);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        using var client = Client();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (readyLine is null ? !await client.IsRunningAsync(CancellationToken.None) : !Log.Contains(readyLine))
        {
            if (p.HasExited) throw new InvalidOperationException($"serve exited with {p.ExitCode}:\n{Log}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"serve did not answer:\n{Log}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the serve process ends by itself; its exit code, or null when it still runs after <paramref name="timeout"/>.</summary>
    public int? WaitForExit(TimeSpan timeout)
    {
        if (_process is not { } p || !p.WaitForExit(timeout)) return null;
        p.WaitForExit(); // drain the output readers
        return p.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when the power goes.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }


    public void Dispose()
    {
        Kill();
        try
        {
            Directory.Delete(Dir, true);
        }
        catch (IOException)
        {
        }
    }
}
