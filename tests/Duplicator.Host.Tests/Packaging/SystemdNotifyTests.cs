using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Packaging;

/// <summary>
/// The Type=notify handshake of packaging/duplicator.service without a systemd: the host is started the way systemd
/// starts it (its parent process is named "systemd", NOTIFY_SOCKET names a datagram socket the test listens on), and
/// must send READY=1 only once its control API answers, and STOPPING=1 on SIGTERM.
/// </summary>
public sealed class SystemdNotifyTests
{
    [Fact]
    public async Task Under_systemd_the_host_says_READY_once_its_API_answers_and_STOPPING_on_SIGTERM()
    {
        var dir = Directory.CreateTempSubdirectory("dup-notify-").FullName;
        var port = Duplicator.Tests.FreePorts.Next();
        File.WriteAllText(Path.Combine(dir, "duplicator.json"), $$"""
            {
              "name": "notify",
              "drives": [ { "id": "drive-1", "url": "emulated:dvd+r?speed=2&dir={{dir}}/discs&name=drive-1" } ],
              "storage": { "provider": "sqlite", "path": "{{dir}}/ledger.db" },
              "stash": "{{dir}}/stash",
              "control": { "listen": "http://127.0.0.1:{{port}}" },
              "hotFolder": { "enabled": false, "path": "{{dir}}/hot" }
            }
            """);
        var socketPath = Path.Combine(dir, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        // The hosting package turns the notifications on only when systemd is the parent: a shell named systemd is.
        var fakeSystemd = Path.Combine(dir, "systemd");
        File.CreateSymbolicLink(fakeSystemd, "/bin/bash");
        var pidFile = Path.Combine(dir, "host.pid");
        var psi = new ProcessStartInfo(fakeSystemd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"dotnet '{CliRunner.DllPath}' serve --config '{dir}/duplicator.json' & echo $! > '{pidFile}'; wait $!");
        psi.Environment["NOTIFY_SOCKET"] = socketPath;
        psi.Environment["DUPLICATOR_LOGGING__FORMAT"] = "json"; // as the unit sets it
        var log = new StringBuilder();
        using var parent = Process.Start(psi)!;
        parent.OutputDataReceived += (_, e) => { if (e.Data != null) lock (log) log.AppendLine(e.Data); };
        parent.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (log) log.AppendLine(e.Data); };
        parent.BeginOutputReadLine();
        parent.BeginErrorReadLine();
        try
        {
            var ready = await Receive(notify, "READY=1", TimeSpan.FromSeconds(120), log);
            // Ready means ready: the first request after it is answered, with no retry.
            using var client = new ControlClient($"http://127.0.0.1:{port}", null);
            Assert.Single(await client.DrivesAsync(CancellationToken.None));

            var pid = int.Parse(File.ReadAllText(pidFile).Trim());
            using (var kill = Process.Start("kill", ["-TERM", pid.ToString()])!) kill.WaitForExit();
            await Receive(notify, "STOPPING=1", TimeSpan.FromSeconds(60), log);
            Assert.True(parent.WaitForExit(60_000), "the host did not stop within 60 s of SIGTERM");
            Assert.Equal(0, parent.ExitCode); // bash's `wait` returns the host's exit code
            Assert.Contains("READY=1", ready);
            // Under systemd the hosting package picks journald's format unless told otherwise: json stayed json.
            string[] lines;
            lock (log) lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.NotEmpty(lines);
            foreach (var line in lines)
                Assert.True(line.StartsWith('{') && System.Text.Json.JsonDocument.Parse(line).RootElement.TryGetProperty("LogLevel", out _), line);
        }
        finally
        {
            if (!parent.HasExited) parent.Kill(entireProcessTree: true);
            Directory.Delete(dir, true);
        }
    }

    private static async Task<string> Receive(Socket socket, string wanted, TimeSpan timeout, StringBuilder log)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        var seen = new List<string>();
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                var message = Encoding.UTF8.GetString(buffer, 0, n);
                seen.Add(message);
                if (message.Split('\n').Contains(wanted)) return message;
            }
        }
        catch (OperationCanceledException)
        {
            lock (log) throw new TimeoutException($"no {wanted} on NOTIFY_SOCKET within {timeout} (got: {string.Join(" | ", seen)}); host output:\n{log}");
        }
    }
}
