using System.Net;
using System.Text;
using System.Text.Json;
using Duplicator.Host.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Duplicator.Host.Tests.Control;

/// <summary>The control API's pause, resume, hold and release over a scripted tower: status codes and bodies.</summary>
public sealed class HoldApiTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-hold-").FullName;
    private readonly FakeTower _tower = new();
    private WebApplication? _app;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "input", "photos"));
        _app = ControlApi.Build("http://127.0.0.1:0", null, [Path.Combine(_root, "input")], _root, _tower);
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app!.StopAsync();
        Directory.Delete(_root, true);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Pausing_and_resuming_the_tower_answers_what_is_held()
    {
        var paused = await _http.PostAsync("/api/tower/pause", null);
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        var body = await Json(paused);
        Assert.True(body.GetProperty("paused").GetBoolean());
        Assert.Equal("paused by the operator", body.GetProperty("reason").GetString());
        Assert.True(_tower.TowerPaused);
        Assert.True((await Json(await _http.GetAsync("/api/tower"))).GetProperty("paused").GetBoolean());
        var resumed = await Json(await _http.PostAsync("/api/tower/resume", null));
        Assert.False(resumed.GetProperty("paused").GetBoolean());
        Assert.False(_tower.TowerPaused);
    }

    [Fact]
    public async Task A_batch_is_paused_and_resumed_an_unknown_one_is_404_and_a_finished_one_409()
    {
        var submit = new StringContent("""{ "id": "p1", "folder": "input/photos", "copies": 2 }""", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Created, (await _http.PostAsync("/api/batches", submit)).StatusCode);
        var paused = await _http.PostAsync("/api/batches/p1/pause", null);
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.Equal("paused", (await Json(paused)).GetProperty("batch").GetProperty("state").GetString());
        Assert.Equal(["p1"], (await Json(await _http.GetAsync("/api/tower"))).GetProperty("pausedBatches").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("running", (await Json(await _http.PostAsync("/api/batches/p1/resume", null))).GetProperty("batch").GetProperty("state").GetString());

        var missing = await _http.PostAsync("/api/batches/nope/pause", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("batch 'nope': no such batch", (await Json(missing)).GetProperty("problems")[0].GetString());

        await _http.PostAsync("/api/batches/p1/cancel", null);
        var finished = await _http.PostAsync("/api/batches/p1/pause", null);
        Assert.Equal(HttpStatusCode.Conflict, finished.StatusCode);
        Assert.Equal("batch p1 is cancelled: nothing is left to pause", (await Json(finished)).GetProperty("problems")[0].GetString());
    }

    [Fact]
    public async Task A_drive_is_held_and_released_and_an_unknown_one_is_404()
    {
        var held = await Json(await _http.PostAsync("/api/drives/drive-1/hold", null));
        Assert.Equal(("held", true), (held.GetProperty("state").GetString(), held.GetProperty("held").GetBoolean()));
        var released = await Json(await _http.PostAsync("/api/drives/drive-1/release", null));
        Assert.False(released.GetProperty("held").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync("/api/drives/drive-9/hold", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync("/api/drives/drive-9/release", null)).StatusCode);
    }
}
