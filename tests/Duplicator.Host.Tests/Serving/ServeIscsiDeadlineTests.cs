using System.Net;
using System.Net.Sockets;

namespace Duplicator.Host.Tests.Serving;

/// <summary>
/// `serve` with one network drive whose target accepts TCP and never answers (a real listener in this
/// process): the drive does not stay `opening`; its login fails within the URL's deadline, it is reported
/// faulted with the reason and opened again, and the emulated drive beside it serves on.
/// </summary>
public sealed class ServeIscsiDeadlineTests
{
    [Fact]
    public async Task A_silent_iscsi_target_faults_its_drive_within_the_login_timeout_and_is_retried()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(); // the kernel's accept queue takes the connections; nobody ever reads them
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var tower = new ServeProcess(drives: 1, speed: 0);
        var url = $"iscsi://127.0.0.1:{port}/iqn.2026-11.org.duplicator:silent/0?login-timeout=2";
        File.WriteAllText(tower.ConfigPath, File.ReadAllText(tower.ConfigPath).Replace("\"drives\": [", $$"""
            "drives": [ { "id": "net-1", "url": "{{url}}" },
            """));
        await tower.StartAsync();
        using var client = tower.Client();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string Faults() => string.Join('\n', tower.Log.Split('\n').Where(l => l.Contains("drive=net-1 state=faulted")));
        while (Faults().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length < 2 && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        var faults = Faults().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(faults.Length >= 2, $"the drive must fault and, opened again, fault again within 60 s:\n{tower.Log}");
        Assert.Contains("cannot log in within 2 s", faults[0]);
        var drives = await client.DrivesAsync(CancellationToken.None);
        Assert.Equal("ready", drives.Single(d => d.Id == "drive-1").State);
        Assert.Contains(drives.Single(d => d.Id == "net-1").State, new[] { "opening", "faulted" });
    }
}
