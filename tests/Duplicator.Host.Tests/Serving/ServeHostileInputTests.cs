using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Duplicator.Host.Tests.Serving;

/// <summary>One `duplicator serve` process for the attacks that leave it as it was.</summary>
public sealed class HostileServeFixture : IAsyncLifetime
{
    public ServeProcess Tower { get; } = new(drives: 2, speed: 8);
    public string Source => Path.Combine(Tower.Dir, "src");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Source);
        File.WriteAllText(Path.Combine(Source, "readme.txt"), "hostile input");
        await Tower.StartAsync();
    }

    public Task DisposeAsync()
    {
        Tower.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Attacks on a real `duplicator serve` over real HTTP (raw headers and bodies), each checking the answer and that
/// nothing else changed: the batch list, the stash and the discs folder are as they were.
/// </summary>
public sealed class ServeHostileInputTests(HostileServeFixture fixture, ITestOutputHelper output) : IClassFixture<HostileServeFixture>
{
    private ServeProcess Tower => fixture.Tower;
    private string Base => $"http://127.0.0.1:{Tower.Port}";

    private HttpClient Http() => new() { BaseAddress = new Uri(Base), Timeout = TimeSpan.FromSeconds(60) };

    private string Job(int copies = 1, string? id = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?> { ["folder"] = fixture.Source, ["copies"] = copies, ["id"] = id }.Where(kv => kv.Value != null).ToDictionary());

    /// <summary>What an attack must leave as it was: the batches the host lists, and the files of its stash and discs.</summary>
    private async Task<string> Snapshot()
    {
        using var http = Http();
        var batches = await http.GetStringAsync("/api/batches");
        string Files(string dir) => Directory.Exists(dir)
            ? string.Join("\n", Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            : "(none)";
        return $"{batches}\nstash:\n{Files(Path.Combine(Tower.Dir, "stash"))}\ndiscs:\n{Files(Tower.Discs)}";
    }

    private static async Task<(HttpStatusCode Status, string[] Problems)> Send(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var doc = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)response.StatusCode, doc.GetProperty("status").GetInt32());
        return (response.StatusCode, doc.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToArray());
    }

    private HttpRequestMessage Post(string body, string contentType = "application/json", string path = "/api/batches") =>
        new(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } } };

    [Fact]
    public async Task Cross_site_requests_foreign_hosts_and_non_json_bodies_are_refused_and_create_nothing()
    {
        var before = await Snapshot();
        using var http = Http();

        var (status, problems) = await Send(http, Post(Job(), "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.StartsWith("Content-Type: 'text/plain' is not accepted", problems[0]);
        (status, _) = await Send(http, Post(Job(), "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        (status, _) = await Send(http, Post(Job(), "application/json; charset=iso-8859-1"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);

        var rebound = Post(Job());
        rebound.Headers.Host = $"attacker.example:{Tower.Port}"; // DNS rebinding: the page's own name, our address
        (status, problems) = await Send(http, rebound);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.StartsWith($"Host: 'attacker.example:{Tower.Port}' is not this host's name", problems[0]);

        foreach (var origin in new[] { "http://attacker.example", "null", $"http://127.0.0.1:{Tower.Port + 1}", $"https://127.0.0.1:{Tower.Port}" })
        {
            var crossSite = Post(Job());
            crossSite.Headers.TryAddWithoutValidation("Origin", origin);
            (status, problems) = await Send(http, crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.StartsWith($"Origin: '{origin}' is not this host", problems[0]);
        }
        var fetchSite = new HttpRequestMessage(HttpMethod.Post, "/api/batches/x/cancel");
        fetchSite.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "cross-site");
        (status, _) = await Send(http, fetchSite);
        Assert.Equal(HttpStatusCode.Forbidden, status);

        Assert.Equal(before, await Snapshot());

        // The host's own pages (same origin) and its loopback names still work.
        var same = new HttpRequestMessage(HttpMethod.Get, "/api/drives");
        same.Headers.TryAddWithoutValidation("Origin", Base);
        same.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
        using (var ok = await http.SendAsync(same)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var byName = new HttpRequestMessage(HttpMethod.Get, "/api/drives");
        byName.Headers.Host = $"localhost:{Tower.Port}";
        using (var ok = await http.SendAsync(byName)) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Duplicate_keys_bad_utf8_and_overlong_fields_are_400_naming_the_key_and_create_nothing()
    {
        var before = await Snapshot();
        using var http = Http();

        var (status, problems) = await Send(http, Post($$"""{ "folder": {{JsonSerializer.Serialize(fixture.Source)}}, "copies": 1, "copies": 5000 }"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("copies: given more than once", Assert.Single(problems));

        var bad = new HttpRequestMessage(HttpMethod.Post, "/api/batches")
        {
            Content = new ByteArrayContent([.. """{ "copies": 1, "volume": "A"""u8, 0xFF, .. "\" }"u8]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        (status, problems) = await Send(http, bad);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("(document): not valid UTF-8", Assert.Single(problems));

        (status, problems) = await Send(http, Post($$"""{ "folder": {{JsonSerializer.Serialize(fixture.Source)}}, "copies": 1, "volume": "{{new string('V', 5000)}}" }"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("volume: 5000 characters, at most 32", Assert.Single(problems));

        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task A_body_of_200000_unknown_keys_is_413_and_costs_bounded_memory()
    {
        var before = await Snapshot();
        var body = Encoding.UTF8.GetBytes("{" + string.Join(",", Enumerable.Range(0, 200_000).Select(i => $"\"k{i}\":1")) + "}");
        Assert.True(body.Length > 2_000_000);
        using var http = Http();
        long rssBefore = Rss();
        for (int round = 0; round < 4; round++)
        {
            // Expect: 100-continue, as curl sends for large bodies: a host that refuses on the headers is never sent the body.
            var sized = new HttpRequestMessage(HttpMethod.Post, "/api/batches") { Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } } };
            sized.Headers.ExpectContinue = true;
            var (status, problems) = await Send(http, sized);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
            Assert.StartsWith("(body): ", Assert.Single(problems));
            var chunked = new HttpRequestMessage(HttpMethod.Post, "/api/batches") { Content = new UnsizedContent(body) };
            chunked.Headers.ExpectContinue = true;
            // A chunked body has no length to refuse on: the host reads up to its limit, answers 413 and closes, and a
            // client still writing may see the connection cut (broken pipe) before it reads the answer. Either way the
            // body was refused; what it cost and that nothing was created are checked below.
            try
            {
                (status, problems) = await Send(http, chunked);
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
                Assert.StartsWith("(body): ", Assert.Single(problems));
            }
            catch (HttpRequestException e) when (e.InnerException is IOException)
            {
                output.WriteLine($"round {round}: the host cut the chunked body off ({e.InnerException.Message})");
            }
        }
        long rssAfter = Rss();
        output.WriteLine($"serve RSS: {rssBefore / 1024} KiB before, {rssAfter / 1024} KiB after 8 bodies of {body.Length} bytes");
        Assert.True(rssAfter - rssBefore < 64L << 20, $"RSS grew by {(rssAfter - rssBefore) >> 20} MiB");
        Assert.Equal(before, await Snapshot());
    }

    private long Rss()
    {
        var line = File.ReadLines($"/proc/{Tower.Pid}/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>A body without a length: sent chunked, so only the host's own reading can bound it.</summary>
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedContent(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            try
            {
                for (int at = 0; at < _bytes.Length; at += 16384)
                    await stream.WriteAsync(_bytes.AsMemory(at, Math.Min(16384, _bytes.Length - at)));
            }
            catch (IOException)
            {
                // the host answered and closed before taking it all: that is the point
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task Every_error_answer_is_a_problem_document()
    {
        using var http = Http();
        var (status, problems) = await Send(http, new HttpRequestMessage(HttpMethod.Get, "/api/nothing"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("GET /api/nothing: no such resource (see docs/control-api.md)", Assert.Single(problems));
        (status, problems) = await Send(http, new HttpRequestMessage(HttpMethod.Delete, "/api/batches"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal("DELETE /api/batches: method not allowed here", Assert.Single(problems));
        (status, problems) = await Send(http, new HttpRequestMessage(HttpMethod.Get, "/api/batches/" + new string('x', 3000)));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.True(Assert.Single(problems).Length < 200, "an id is not echoed whole");
    }

    [Fact]
    public async Task A_link_inside_a_source_folder_to_a_file_outside_the_roots_is_403_naming_the_link()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Tower.Dir, "with-link")).FullName;
        File.WriteAllText(Path.Combine(folder, "a.txt"), "a");
        var link = Path.Combine(folder, "passwd");
        File.CreateSymbolicLink(link, "/etc/passwd");
        var before = await Snapshot();
        using var http = Http();
        var (status, problems) = await Send(http, Post(JsonSerializer.Serialize(new { folder, copies = 1 })));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.StartsWith($"folder: IMAPI_E_SOURCENOTALLOWED: {link}: symbolic link to /etc/passwd, outside the allowed roots", Assert.Single(problems));
        (status, problems) = await Send(http, Post("""{ "image": "/etc/passwd", "copies": 1 }"""));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("outside the allowed roots", Assert.Single(problems));
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task A_different_job_under_an_id_in_use_is_refused_and_the_batch_keeps_its_job()
    {
        using var http = Http();
        using (var created = await http.SendAsync(Post(Job(copies: 1, id: "same-id"))))
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var (status, problems) = await Send(http, Post(Job(copies: 5, id: "same-id")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("id: batch same-id exists (", Assert.Single(problems));
        Assert.Contains("with a different job (copies 5, not 1)", problems[0]);
        using (var again = await http.SendAsync(Post(Job(copies: 1, id: "same-id")))) // the same job again: idempotent
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Single(JsonDocument.Parse(await http.GetStringAsync("/api/batches")).RootElement.EnumerateArray(), b => b.GetProperty("id").GetString() == "same-id");
        // It burns its own job to the end: one copy, not five (and the other tests see a host at rest again).
        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonElement batch;
        while ((batch = JsonDocument.Parse(await http.GetStringAsync("/api/batches/same-id")).RootElement.GetProperty("batch")).GetProperty("state").GetString() != "completed")
        {
            Assert.True(DateTime.UtcNow < deadline, $"same-id never completed: {batch}");
            await Task.Delay(100);
        }
        Assert.Equal((1, 1), (batch.GetProperty("copies").GetInt32(), batch.GetProperty("good").GetInt32()));
    }

    [Fact]
    public async Task The_hot_folder_refuses_a_different_job_under_a_finished_jobs_name_and_keeps_the_same_one_idempotent()
    {
        Directory.CreateDirectory(Tower.HotFolder);
        var job = Job(copies: 1);
        await DropAndWait("reuse", job, "done");
        var batches = await BatchIds();
        Assert.Contains("hot-reuse", batches);

        var refused = await DropAndWait("reuse", Job(copies: 3), "failed");
        Assert.Contains("id: batch hot-reuse exists (completed) with a different job (copies 3, not 1)", refused.GetProperty("problems")[0].GetString());
        Assert.Equal(batches, await BatchIds());

        await DropAndWait("reuse", job, "done"); // the same content again: the same batch, nothing new
        Assert.Equal(batches, await BatchIds());
        using var http = Http();
        var reuse = JsonDocument.Parse(await http.GetStringAsync("/api/batches/hot-reuse")).RootElement.GetProperty("batch");
        Assert.Equal((1, 1), (reuse.GetProperty("copies").GetInt32(), reuse.GetProperty("good").GetInt32()));
    }

    [Fact]
    public async Task The_hot_folder_refuses_a_job_whose_folder_holds_a_link_out_of_the_roots_and_keeps_two_similar_names_apart()
    {
        Directory.CreateDirectory(Tower.HotFolder);
        var folder = Directory.CreateDirectory(Path.Combine(Tower.HotFolder, "leaky")).FullName;
        File.WriteAllText(Path.Combine(folder, "a.txt"), "a");
        File.CreateSymbolicLink(Path.Combine(folder, "shadow"), "/etc/passwd");
        var before = await BatchIds();
        var refused = await DropAndWait("leaky", JsonSerializer.Serialize(new { folder, copies = 1 }), "failed");
        Assert.Contains($"IMAPI_E_SOURCENOTALLOWED: {Path.Combine(folder, "shadow")}: symbolic link to /etc/passwd", refused.GetProperty("problems")[0].GetString());
        Assert.Equal(before, await BatchIds());

        var spaced = await DropAndWait("order 7", Job(copies: 1), "done");
        var underscored = await DropAndWait("order_7", Job(copies: 2), "done");
        Assert.NotEqual(spaced.GetProperty("batchId").GetString(), underscored.GetProperty("batchId").GetString());
        Assert.Equal("hot-order_7", underscored.GetProperty("batchId").GetString());
        using var http = Http();
        var two = JsonDocument.Parse(await http.GetStringAsync("/api/batches/hot-order_7")).RootElement.GetProperty("batch");
        Assert.Equal((2, 2), (two.GetProperty("copies").GetInt32(), two.GetProperty("good").GetInt32()));
    }

    private async Task<string[]> BatchIds()
    {
        using var http = Http();
        return JsonDocument.Parse(await http.GetStringAsync("/api/batches")).RootElement.EnumerateArray()
            .Select(b => b.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToArray();
    }

    private async Task<JsonElement> DropAndWait(string name, string json, string state)
    {
        var temp = Path.Combine(Tower.HotFolder, "." + name + ".tmp");
        File.WriteAllText(temp, json);
        File.Move(temp, Path.Combine(Tower.HotFolder, name + ".job"), overwrite: true);
        var result = Path.Combine(Tower.HotFolder, name + ".result.json");
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (!File.Exists(Path.Combine(Tower.HotFolder, name + ".job")) && File.Exists(result))
            {
                try
                {
                    var r = JsonDocument.Parse(File.ReadAllText(result)).RootElement.Clone();
                    if (r.GetProperty("state").GetString() == state) return r;
                }
                catch (IOException)
                {
                }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{name}.job never became {state}: {(File.Exists(result) ? File.ReadAllText(result) : "no result")}\n{Tower.Log}");
            await Task.Delay(100);
        }
    }
}

/// <summary>A host whose config names no allowed roots: no request may name a file.</summary>
public sealed class ServeWithoutRootsTests
{
    [Fact]
    public async Task Without_allowed_roots_a_request_naming_any_file_is_403_and_creates_nothing()
    {
        using var tower = new ServeProcess(drives: 1, allowedRoots: []);
        await tower.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{tower.Port}") };
        using var response = await http.PostAsync("/api/batches", new StringContent("""{ "image": "/etc/passwd", "copies": 1 }""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("problems")[0].GetString();
        Assert.Equal("image: '/etc/passwd' refused: no file access, control.allowedRoots is empty (list the folders requests may read in the config)", problem);
        Assert.Equal("[]", (await http.GetStringAsync("/api/batches")).Trim());
        // The host's own stash lock (and who holds it) is all the stash may hold: no batch folder was made.
        var stash = Path.Combine(tower.Dir, "stash");
        var made = Directory.Exists(stash)
            ? Directory.EnumerateFileSystemEntries(stash).Select(Path.GetFileName).Where(n => !n!.StartsWith(Duplicator.Host.Serving.StorageLock.StashLockName, StringComparison.Ordinal)).ToArray()
            : [];
        Assert.Empty(made);
    }
}
