using System.Net;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Control;
using Duplicator.Host.WebConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Duplicator.Host.Tests.WebConsole;

/// <summary>The console's routes on the control API (over a fake tower): what is open, what needs the token, the stream's bounds.</summary>
public sealed class ConsoleEndpointsTests : IAsyncLifetime
{
    private const string Token = "s3cret";
    private readonly FakeTower _tower = new();
    private readonly CountingFeed _feed = new();
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    private sealed class CountingFeed : ITowerFeed
    {
        public List<Action> Subscribers { get; } = [];

        public IDisposable Subscribe(Action changed)
        {
            lock (Subscribers) Subscribers.Add(changed);
            return new Gone(() => { lock (Subscribers) Subscribers.Remove(changed); });
        }

        public int Count
        {
            get { lock (Subscribers) return Subscribers.Count; }
        }

        public void Change()
        {
            Action[] all;
            lock (Subscribers) all = [.. Subscribers];
            foreach (var a in all) a();
        }

        public ConsoleExtras Extras() => ConsoleExtras.None with { LastFailures = new Dictionary<string, string> { ["drive-1"] = "03/0C/00 write error at LBA 7 on drive-1" } };

        private sealed class Gone(Action a) : IDisposable
        {
            public void Dispose() => a();
        }
    }

    public async Task InitializeAsync()
    {
        _app = ControlApi.Build("http://127.0.0.1:0", Token, [], Path.GetTempPath(), _tower, feed: _feed, towerName: "bay-a");
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
    }

    private HttpRequestMessage WithToken(string path)
    {
        var r = new HttpRequestMessage(HttpMethod.Get, path);
        r.Headers.Authorization = new("Bearer", Token);
        return r;
    }

    [Fact]
    public async Task The_page_and_its_files_are_served_without_the_token_with_a_self_only_content_policy()
    {
        foreach (var (path, type) in new[] { ("/", "text/html"), ("/console/app.js", "text/javascript"), ("/console/app.css", "text/css"), ("/console/favicon.svg", "image/svg+xml") })
        {
            var r = await _http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(type, r.Content.Headers.ContentType?.MediaType);
            Assert.True((await r.Content.ReadAsByteArrayAsync()).Length > 100, path);
            Assert.Contains("script-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
        }
        var page = await _http.GetStringAsync("/");
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org", "")); // nothing from elsewhere
        Assert.DoesNotContain("https://", page);
    }

    [Theory]
    [InlineData("/api/console")]
    [InlineData("/api/events")]
    [InlineData("/metrics")]
    [InlineData("/console/secret.txt")]
    [InlineData("/console/..%2f..%2fduplicator.json")]
    public async Task Tower_data_and_anything_that_is_not_a_console_file_need_the_token(string path)
    {
        var r = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains("bearer token is required", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_console_file_that_does_not_exist_is_a_404_problem_naming_it()
    {
        var r = await _http.SendAsync(WithToken("/console/..%2fduplicator.json"));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        var problems = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("problems");
        Assert.Equal("console file '..%2fduplicator.json': no such file", problems[0].GetString()); // the name as it came, never resolved
    }

    [Fact]
    public async Task A_foreign_Host_or_Origin_is_refused_for_the_page_as_for_the_API()
    {
        var r = new HttpRequestMessage(HttpMethod.Get, "/");
        r.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(r)).StatusCode);
        var o = WithToken("/api/events");
        o.Headers.Add("Origin", "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await _http.SendAsync(o)).StatusCode);
    }

    [Fact]
    public async Task The_snapshot_has_the_drives_batches_and_the_feeds_words()
    {
        var r = await _http.SendAsync(WithToken("/api/console"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var root = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("bay-a", root.GetProperty("name").GetString());
        Assert.Equal((await _tower.DrivesAsync(CancellationToken.None)).Count, root.GetProperty("drives").GetArrayLength());
        Assert.Equal("03/0C/00 write error at LBA 7 on drive-1", root.GetProperty("extras").GetProperty("lastFailures").GetProperty("drive-1").GetString());
    }

    [Fact]
    public async Task The_event_stream_pushes_a_snapshot_at_once_and_again_after_a_change()
    {
        using var r = await _http.SendAsync(WithToken("/api/events"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", r.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await r.Content.ReadAsStreamAsync());
        async Task<string> NextEvent()
        {
            while (await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("event: ")) return line["event: ".Length..];
            throw new EndOfStreamException();
        }
        Assert.Equal("snapshot", await NextEvent());
        Assert.Equal(1, _feed.Count);
        _feed.Change();
        Assert.Equal("snapshot", await NextEvent());
        r.Dispose();
        for (var until = DateTime.UtcNow.AddSeconds(30); _feed.Count > 0 && DateTime.UtcNow < until;) await Task.Delay(50);
        Assert.Equal(0, _feed.Count); // a closed stream unsubscribes
    }

    [Fact]
    public async Task Past_the_limit_of_live_consoles_one_more_stream_is_refused_with_503_and_a_closed_one_frees_its_place()
    {
        var open = new List<HttpResponseMessage>();
        try
        {
            for (int i = 0; i < ConsoleEndpoints.MaxStreams; i++)
            {
                var s = await _http.SendAsync(WithToken("/api/events"), HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.OK, s.StatusCode);
                open.Add(s);
            }
            var refused = await _http.SendAsync(WithToken("/api/events"), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains($"{ConsoleEndpoints.MaxStreams} live consoles are connected, the limit", await refused.Content.ReadAsStringAsync());

            open[0].Dispose();
            open.RemoveAt(0);
            HttpResponseMessage? again = null;
            for (var until = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < until; await Task.Delay(100))
            {
                again = await _http.SendAsync(WithToken("/api/events"), HttpCompletionOption.ResponseHeadersRead);
                if (again.StatusCode == HttpStatusCode.OK) break;
                again.Dispose();
            }
            Assert.Equal(HttpStatusCode.OK, again!.StatusCode);
            open.Add(again);
        }
        finally
        {
            foreach (var s in open) s.Dispose();
        }
    }
}
