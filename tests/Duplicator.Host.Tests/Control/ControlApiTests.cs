using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Duplicator.Host.Tests.Control;

public sealed class ControlApiTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-api-").FullName;
    private readonly FakeTower _tower = new();
    private WebApplication? _app;
    private WebApplication? _tokenApp;
    private HttpClient _http = null!;
    private HttpClient _tokenHttp = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "input", "photos"));
        Directory.CreateDirectory(Path.Combine(_root, "private"));
        (_app, _http) = await Start(null);
        (_tokenApp, _tokenHttp) = await Start("s3cret");
    }

    private Task<(WebApplication, HttpClient)> Start(string? token) => ControlApiHost.StartAsync(_tower, _root, token);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _tokenHttp.Dispose();
        await _app!.StopAsync();
        await _tokenApp!.StopAsync();
        Directory.Delete(_root, true);
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task A_batch_answer_carries_each_failed_discs_codes_and_a_cancelled_batch_its_reason()
    {
        Assert.Equal(HttpStatusCode.Created, (await _http.PostAsync("/api/batches", Body("""{ "id": "c1", "folder": "input/photos", "copies": 2 }"""))).StatusCode);
        var cancelled = await Json(await _http.PostAsync("/api/batches/c1/cancel", null));
        Assert.Equal("cancelled by the operator", cancelled.GetProperty("batch").GetProperty("reason").GetString());
        var failed = cancelled.GetProperty("discs")[1];
        Assert.Equal(("IMAPI_E_CANNOTWRITETOMEDIA", "03/0C/00", 123456L, "03/0C/00 write error at LBA 123456 on drive-1"),
            (failed.GetProperty("code").GetString(), failed.GetProperty("sense").GetString(), failed.GetProperty("lba").GetInt64(), failed.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task A_tower_that_does_not_answer_makes_a_submission_a_503_with_its_problem()
    {
        _tower.Unavailable = true;
        var r = await _http.PostAsync("/api/batches", Body("""{ "id": "u1", "folder": "input/photos", "copies": 2 }"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Equal("1", r.Headers.RetryAfter!.ToString());
        Assert.Contains("the tower did not answer the submission", (await Json(r)).GetProperty("problems")[0].GetString());
    }

    [Fact]
    public async Task Submit_creates_once_and_returns_the_existing_batch_for_a_known_id()
    {
        var first = await _http.PostAsync("/api/batches", Body("""{ "id": "b1", "folder": "input/photos", "copies": 4 }"""));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal("/api/batches/b1", first.Headers.Location!.ToString());
        Assert.Equal(4, (await Json(first)).GetProperty("copies").GetInt32());
        var again = await _http.PostAsync("/api/batches", Body("""{ "id": "b1", "folder": "input/photos", "copies": 4 }"""));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Single(_tower.Store);
    }

    [Fact]
    public async Task Bad_submissions_list_every_problem_and_paths_outside_the_roots_are_403()
    {
        var bad = await _http.PostAsync("/api/batches", Body("""{ "folder": "private", "copies": 0 }"""));
        Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        var problems = (await Json(bad)).GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains(problems, p => p.Contains("outside the allowed roots"));
        Assert.Contains(problems, p => p.StartsWith("copies: 0"));
        Assert.Empty(_tower.Store);
    }

    [Fact]
    public async Task Batches_can_be_listed_inspected_and_cancelled()
    {
        await _http.PostAsync("/api/batches", Body("""{ "id": "b2", "folder": "input/photos", "copies": 1 }"""));
        var list = await Json(await _http.GetAsync("/api/batches"));
        Assert.Equal("b2", list[0].GetProperty("id").GetString());
        var detail = await Json(await _http.GetAsync("/api/batches/b2"));
        Assert.Equal("drive-1", detail.GetProperty("discs")[0].GetProperty("drive").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("/api/batches/nope")).StatusCode);
        var cancelled = await _http.PostAsync("/api/batches/b2/cancel", null);
        Assert.Equal("cancelled", (await Json(cancelled)).GetProperty("batch").GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync("/api/batches/nope/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Drives_are_listed_and_a_quarantine_can_be_cleared()
    {
        var drives = await Json(await _http.GetAsync("/api/drives"));
        Assert.True(drives[0].GetProperty("quarantined").GetBoolean());
        var cleared = await _http.PostAsync("/api/drives/drive-1/clear-quarantine", null);
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
        Assert.Equal(["drive-1"], _tower.Cleared);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsync("/api/drives/drive-9/clear-quarantine", null)).StatusCode);
    }

    [Fact]
    public async Task With_a_token_every_request_needs_it()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _tokenHttp.GetAsync("/api/drives")).StatusCode);
        var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/drives");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _tokenHttp.SendAsync(wrong)).StatusCode);
        var right = new HttpRequestMessage(HttpMethod.Get, "/api/drives");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await _tokenHttp.SendAsync(right)).StatusCode);
    }

    /// <summary>A tower whose every answer fails, as a broken orchestrator would.</summary>
    private sealed class BrokenTower : ITower
    {
        public Task<SubmitResult> SubmitAsync(string batchId, JobRequest request, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<IReadOnlyList<BatchView>> BatchesAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone /secret/path");
        public Task<BatchDetail?> BatchAsync(string id, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<IReadOnlyList<DriveView>> DrivesAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<bool> CancelAsync(string id, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<bool> ClearQuarantineAsync(string driveId, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<TowerView> TowerAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<bool> PauseAsync(string? batchId, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<bool> ResumeAsync(string? batchId, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<bool> HoldAsync(string driveId, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<bool> ReleaseAsync(string driveId, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
        public Task<StagedImageFile?> StagedImageAsync(string sha256, CancellationToken cancellationToken) => throw new InvalidOperationException("ledger gone");
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_500_problem_document_without_the_exception_text()
    {
        var app = ControlApi.Build("http://127.0.0.1:0", null, [_root], _root, new BrokenTower());
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var r = await http.GetAsync("/api/batches");
            Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
            var json = await Json(r);
            Assert.Equal(500, json.GetProperty("status").GetInt32());
            var problem = Assert.Single(json.GetProperty("problems").EnumerateArray()).GetString()!;
            Assert.Equal("(host): the request failed inside the host; the host's log has the details", problem);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Configured_host_names_are_served_and_others_refused()
    {
        var app = ControlApi.Build("http://127.0.0.1:0", null, [_root], _root, _tower, allowedHosts: ["tower.shop.lan"]);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var port = new Uri(address).Port;
            var named = new HttpRequestMessage(HttpMethod.Get, "/api/drives");
            named.Headers.Host = $"tower.shop.lan:{port}";
            named.Headers.TryAddWithoutValidation("Origin", $"http://tower.shop.lan:{port}");
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(named)).StatusCode);
            var other = new HttpRequestMessage(HttpMethod.Get, "/api/drives");
            other.Headers.Host = $"tower.evil.lan:{port}";
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(other)).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
