using System.Net;
using System.Net.Sockets;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Control;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Duplicator.Host.Tests.Commands;

public sealed class StatusCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-status-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Config(string listen)
    {
        var path = Path.Combine(_dir, "tower.json");
        File.WriteAllText(path, $$"""{ "drives": [ { "id": "drive-1", "url": "emulated:dvd+r" } ], "control": { "listen": "{{listen}}" } }""");
        return path;
    }


    [Fact]
    public void Without_a_running_host_status_says_so_and_fails()
    {
        var listen = $"http://127.0.0.1:{Duplicator.Tests.FreePorts.Next()}";
        var r = CliRunner.Run("status", "--config", Config(listen));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"no duplicator host answers at {listen}", r.StdErr);
    }

    [Fact]
    public async Task Status_shows_the_drives_and_batches_of_the_running_host()
    {
        var tower = new FakeTower();
        await tower.SubmitAsync("b-42", new Duplicator.Host.Jobs.JobRequest(null, Duplicator.Host.Jobs.JobSourceKind.Folder, ["/srv/photos"], 5, null, null, null, null, [], null, null), CancellationToken.None);
        var app = ControlApi.Build("http://127.0.0.1:0", null, [], _dir, tower);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            var table = CliRunner.Run("status", "--config", Config(address));
            Assert.True(table.ExitCode == 0, table.StdErr);
            Assert.Contains("drive-1", table.StdOut);
            Assert.Contains("quarantined", table.StdOut);
            Assert.Matches(@"b-42\s+staging\s+0\s+0\s+5\s+-\s+/srv/photos", table.StdOut); // good, bad, left, no ETA yet
            var json = CliRunner.Run("status", "--config", Config(address), "--json");
            Assert.Equal(0, json.ExitCode);
            var doc = System.Text.Json.JsonDocument.Parse(json.StdOut).RootElement;
            Assert.Equal("b-42", doc.GetProperty("batches")[0].GetProperty("id").GetString());
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public void An_invalid_config_is_refused_naming_the_key()
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, """{ "drives": [], "defaults": { "speed": -1 } }""");
        var r = CliRunner.Run("status", "--config", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("defaults:speed: '-1'", r.StdErr);
        Assert.Contains("drives: at least one drive is required", r.StdErr);
    }
}
