using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Duplicator.Host.Control.Images;
using Duplicator.Mastering.Imapi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Duplicator.Host.Tests.Control;

/// <summary>
/// <c>GET /api/images/{sha256}</c> on the real control API (Kestrel on loopback, real files) and
/// <see cref="HttpImageFetcher"/> against it: whole fetches, ranges, resumes after a cut connection (the bytes sent
/// again counted), wrong or too many bytes refused, hostile hashes, the token, and a part path that is a link.
/// </summary>
public sealed class ImageFetchTests : IAsyncLifetime
{
    private const int Size = 3 * 1024 * 1024 + 12345; // not a multiple of any buffer
    private readonly string _root = Directory.CreateTempSubdirectory("dup-fetch-").FullName;
    private readonly FakeTower _tower = new();
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private Microsoft.AspNetCore.Builder.WebApplication? _tokenApp;
    private HttpClient _http = null!;
    private HttpClient _tokenHttp = null!;
    private byte[] _image = null!;
    private string _sha = null!;

    private static readonly FetchOptions Quick = new(Attempts: 3) { FirstBackoff = TimeSpan.FromMilliseconds(10), ReadTimeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync()
    {
        _image = RandomNumberGenerator.GetBytes(Size);
        _sha = Convert.ToHexStringLower(SHA256.HashData(_image));
        Directory.CreateDirectory(Path.Combine(_root, "stash", "b1"));
        Directory.CreateDirectory(Path.Combine(_root, "here"));
        var staged = Path.Combine(_root, "stash", "b1", "image.iso");
        File.WriteAllBytes(staged, _image);
        _tower.Images[_sha.ToUpperInvariant()] = staged; // the ledger keeps upper-case hex
        (_app, _http) = await ControlApiHost.StartAsync(_tower, _root);
        (_tokenApp, _tokenHttp) = await ControlApiHost.StartAsync(_tower, _root, "s3cret");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _tokenHttp.Dispose();
        await _app!.StopAsync();
        await _tokenApp!.StopAsync();
        Directory.Delete(_root, true);
    }

    private Uri Tower => _http.BaseAddress!;
    private string Target(string name = "image.iso") => Path.Combine(_root, "here", name);

    private static async Task<string> ProblemOf(HttpResponseMessage r) =>
        JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("problems")[0].GetString()!;

    [Fact]
    public async Task A_whole_fetch_equals_the_staged_file_byte_for_byte_and_leaves_no_part()
    {
        using var fetcher = new HttpImageFetcher(options: Quick);
        await fetcher.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target()));
        Assert.False(File.Exists(Target() + ".part"));
        Assert.Equal([_sha], _tower.ImageLookups);
    }

    [Fact]
    public async Task Head_and_ranges_answer_200_206_and_416_with_their_headers_and_several_ranges_get_the_whole_file()
    {
        var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/api/images/{_sha}"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(Size, head.Content.Headers.ContentLength);
        Assert.Equal("bytes", Assert.Single(head.Headers.AcceptRanges));
        Assert.Equal((false, $"\"{_sha}\""), (head.Headers.ETag!.IsWeak, head.Headers.ETag.Tag));
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        async Task<HttpResponseMessage> Get(string range, string? ifRange = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/api/images/{_sha.ToUpperInvariant()}");
            request.Headers.TryAddWithoutValidation("Range", range);
            if (ifRange != null) request.Headers.TryAddWithoutValidation("If-Range", ifRange);
            return await _http.SendAsync(request);
        }

        var middle = await Get("bytes=1000-1999");
        Assert.Equal(HttpStatusCode.PartialContent, middle.StatusCode);
        Assert.Equal($"bytes 1000-1999/{Size}", middle.Content.Headers.ContentRange!.ToString());
        Assert.Equal(_image[1000..2000], await middle.Content.ReadAsByteArrayAsync());

        var from = await Get($"bytes={Size - 10}-");
        Assert.Equal(HttpStatusCode.PartialContent, from.StatusCode);
        Assert.Equal(_image[^10..], await from.Content.ReadAsByteArrayAsync());

        var suffix = await Get("bytes=-7");
        Assert.Equal($"bytes {Size - 7}-{Size - 1}/{Size}", suffix.Content.Headers.ContentRange!.ToString());
        Assert.Equal(_image[^7..], await suffix.Content.ReadAsByteArrayAsync());

        var past = await Get($"bytes={Size}-");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, past.StatusCode);
        Assert.Equal($"bytes */{Size}", past.Content.Headers.ContentRange!.ToString());

        var several = await Get("bytes=0-9,100-109");
        Assert.Equal(HttpStatusCode.OK, several.StatusCode);
        Assert.Equal(_image, await several.Content.ReadAsByteArrayAsync());

        var same = await Get("bytes=5-9", $"\"{_sha}\"");
        Assert.Equal(HttpStatusCode.PartialContent, same.StatusCode);
        Assert.Equal(_image[5..10], await same.Content.ReadAsByteArrayAsync());
        var other = await Get("bytes=5-9", $"\"{new string('0', 64)}\"");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode); // another entity: the whole file, not a piece of it
        Assert.Equal(Size, (await other.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task A_fetch_cut_mid_transfer_is_resumed_by_the_next_one_and_only_the_missing_bytes_are_sent_again()
    {
        const int cut = 1_234_567;
        var cutting = new ObservingHandler { CutAfter = cut };
        using (var first = new HttpImageFetcher(handler: cutting, options: Quick with { Attempts = 1 }))
        {
            var e = await Assert.ThrowsAsync<ImapiException>(() => first.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None));
            Assert.Equal(ImapiError.SourceUnreadable, e.Code);
            Assert.Contains("gave up after 1 attempt", e.Message);
        }
        Assert.False(File.Exists(Target()));
        Assert.Equal(_image[..cut], await File.ReadAllBytesAsync(Target() + ".part")); // kept for the resume

        var counting = new ObservingHandler();
        using (var second = new HttpImageFetcher(handler: counting, options: Quick))
            await second.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target()));
        Assert.False(File.Exists(Target() + ".part"));
        var answer = Assert.Single(counting.Answers);
        Assert.Equal((cut, HttpStatusCode.PartialContent, (long)(Size - cut)), (answer.RangeFrom, answer.Status, answer.BodyBytes));
        Assert.Equal($"\"{_sha}\"", answer.IfRange);
    }

    [Fact]
    public async Task A_connection_cut_within_one_fetch_is_retried_from_where_it_broke()
    {
        const int cut = 2_000_001;
        var handler = new ObservingHandler { CutAfter = cut };
        using var fetcher = new HttpImageFetcher(handler: handler, options: Quick);
        await fetcher.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target()));
        Assert.Equal([(null, HttpStatusCode.OK, cut), ((long?)cut, HttpStatusCode.PartialContent, (long)(Size - cut))],
            handler.Answers.Select(a => (a.RangeFrom, a.Status, a.BodyBytes)));
        Assert.Equal(Size, handler.Answers.Sum(a => a.BodyBytes)); // nothing was sent twice
    }

    [Fact]
    public async Task Attempts_count_failures_in_a_row_so_a_connection_that_keeps_breaking_after_progress_still_ends()
    {
        const int cut = 1_500_000; // more than a buffer each time: every break made progress
        var handler = new ObservingHandler { CutAfter = cut, CutEvery = true };
        using var fetcher = new HttpImageFetcher(handler: handler, options: Quick with { Attempts = 2 });
        await fetcher.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target()));
        Assert.Equal([null, cut, 2 * cut], handler.Answers.Select(a => a.RangeFrom));
        Assert.Equal(Size, handler.Answers.Sum(a => a.BodyBytes));
    }

    [Fact]
    public async Task A_5xx_is_retried_and_a_tower_that_keeps_failing_is_given_up_with_the_part_kept()
    {
        var flaky = new ObservingHandler { FailFirst = 1 };
        using (var fetcher = new HttpImageFetcher(handler: flaky, options: Quick))
            await fetcher.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target()));
        Assert.Equal([HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], flaky.Answers.Select(a => a.Status));

        var down = new ObservingHandler { FailFirst = 100 };
        using var giving = new HttpImageFetcher(handler: down, options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => giving.FetchAsync(Tower, _sha, Size, Target("other.iso"), CancellationToken.None));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("503", e.Message);
        Assert.Equal(3, down.Answers.Count);
        Assert.False(File.Exists(Target("other.iso")));
    }

    [Fact]
    public async Task Bytes_that_do_not_hash_to_the_ledgers_sha_are_refused_naming_both_and_nothing_is_kept()
    {
        var altered = (byte[])_image.Clone();
        altered[Size / 2] ^= 0x01;
        var path = Path.Combine(_root, "stash", "b1", "altered.iso");
        await File.WriteAllBytesAsync(path, altered);
        var claimed = Convert.ToHexStringLower(SHA256.HashData("something else"u8));
        _tower.Images[claimed] = path;

        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, claimed, Size, Target(), CancellationToken.None));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains(Tower.ToString(), e.Message);
        Assert.Contains(claimed, e.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(altered)), e.Message);
        Assert.False(File.Exists(Target()));
        Assert.False(File.Exists(Target() + ".part"));
    }

    [Fact]
    public async Task An_answer_longer_than_the_expected_size_is_refused_before_a_byte_is_kept()
    {
        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, _sha, Size - 100, Target(), CancellationToken.None));
        Assert.Equal(ImapiError.InvalidImage, e.Code);
        Assert.Contains($"has {Size} bytes, the ledger says {Size - 100}", e.Message);
        Assert.False(File.Exists(Target()));
        Assert.False(File.Exists(Target() + ".part"));
    }

    [Fact]
    public async Task A_tower_that_sends_more_than_it_should_without_a_length_is_cut_off_and_refused()
    {
        const int expected = 100_000;
        await using var hostile = await HostileTower.StartAsync(async ctx =>
        {
            // Chunked, no Content-Length: only the fetcher's own count can stop it.
            var chunk = new byte[10_000];
            for (int i = 0; i < 1000; i++) await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
        });
        var sha = Convert.ToHexStringLower(SHA256.HashData(new byte[expected]));
        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(hostile.Address, sha, expected, Target(), CancellationToken.None));
        Assert.Equal(ImapiError.InvalidImage, e.Code);
        Assert.Contains($"sent more than the {expected} bytes", e.Message);
        Assert.False(File.Exists(Target()));
        Assert.False(File.Exists(Target() + ".part"));
    }

    [Fact]
    public async Task A_range_answered_with_the_whole_file_restarts_from_zero_and_ends_correct()
    {
        const int stale = 500_000;
        await File.WriteAllBytesAsync(Target() + ".part", RandomNumberGenerator.GetBytes(stale)); // not this image's prefix
        var handler = new ObservingHandler { StripRange = true }; // a proxy that drops Range
        using var fetcher = new HttpImageFetcher(handler: handler, options: Quick);
        await fetcher.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target()));
        var answer = Assert.Single(handler.Answers);
        Assert.Equal(((long?)stale, HttpStatusCode.OK, (long)Size), (answer.AskedFrom, answer.Status, answer.BodyBytes));
    }

    [Fact]
    public async Task An_unknown_image_is_a_404_and_the_fetch_names_it()
    {
        var unknown = new string('a', 64);
        var r = await _http.GetAsync($"/api/images/{unknown}");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal($"image {unknown}: this tower holds no staged image with that content SHA-256", await ProblemOf(r));

        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, unknown, Size, Target(), CancellationToken.None));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains(unknown, e.Message);
        Assert.Contains("404", e.Message);
        Assert.False(File.Exists(Target()));
        Assert.False(File.Exists(Target() + ".part"));
    }

    [Fact]
    public async Task A_hash_that_is_not_64_hex_digits_is_a_400_and_the_tower_is_never_asked()
    {
        foreach (var bad in new[] { "..%2F..%2Fetc%2Fpasswd", new string('a', 63), new string('a', 65), new string('g', 64), "%2Fetc%2Fpasswd" + new string('a', 49) })
        {
            var r = await _http.GetAsync($"/api/images/{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("not a SHA-256 (exactly 64 hex digits)", await ProblemOf(r));
        }
        // Sent as written (no client normalising it): Kestrel resolves the dots, and what is left is no image path.
        var raw = await RawGet(Tower, "/api/images/../../etc/passwd");
        Assert.StartsWith("HTTP/1.1 404", raw);
        Assert.DoesNotContain("root:", raw);
        Assert.Empty(_tower.ImageLookups);

        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, "../../etc/passwd", 10, Target(), CancellationToken.None));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Empty(_tower.ImageLookups);
    }

    [Fact]
    public async Task With_a_token_configured_an_image_needs_it()
    {
        var r = await _tokenHttp.GetAsync($"/api/images/{_sha}");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var without = new HttpImageFetcher(options: Quick))
        {
            var e = await Assert.ThrowsAsync<ImapiException>(() => without.FetchAsync(_tokenHttp.BaseAddress!, _sha, Size, Target(), CancellationToken.None));
            Assert.Contains("401", e.Message);
            Assert.Contains("bearer token is required", e.Message);
        }
        Assert.False(File.Exists(Target()));
        Assert.Empty(_tower.ImageLookups);
        using var with = new HttpImageFetcher("s3cret", options: Quick);
        await with.FetchAsync(_tokenHttp.BaseAddress!, _sha, Size, Target(), CancellationToken.None);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target()));
    }

    [Fact]
    public async Task A_part_path_that_is_a_link_is_refused_and_the_file_it_points_to_is_unchanged()
    {
        var outside = Path.Combine(_root, "outside.bin");
        var before = RandomNumberGenerator.GetBytes(4096);
        await File.WriteAllBytesAsync(outside, before);
        File.CreateSymbolicLink(Target() + ".part", outside);

        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None));
        Assert.Equal(ImapiError.SourceNotAllowed, e.Code);
        Assert.Contains("is a symbolic link", e.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(outside));
        Assert.False(File.Exists(Target()));
        Assert.Empty(_tower.ImageLookups); // refused before asking anyone

        // A dangling link is refused the same way (a create would otherwise follow it).
        File.Delete(Target() + ".part");
        var nowhere = Path.Combine(_root, "created-through-the-link.bin");
        File.CreateSymbolicLink(Target() + ".part", nowhere);
        await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, _sha, Size, Target(), CancellationToken.None));
        Assert.False(File.Exists(nowhere));
    }

    [Fact]
    public async Task A_tower_that_stalls_mid_answer_is_given_up_after_its_attempts_not_waited_for_forever()
    {
        int requests = 0;
        await using var stalled = await HostileTower.StartAsync(async ctx =>
        {
            Interlocked.Increment(ref requests);
            ctx.Response.ContentLength = 100_000;
            await ctx.Response.Body.WriteAsync(new byte[1000], ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        });
        var sha = Convert.ToHexStringLower(SHA256.HashData(new byte[100_000]));
        using var fetcher = new HttpImageFetcher(options: Quick with { Attempts = 2, ReadTimeout = TimeSpan.FromSeconds(2) });
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(stalled.Address, sha, 100_000, Target(), CancellationToken.None));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Matches("(nothing arrived for|no answer within) 2 s", e.Message); // the headers too may be what a loaded machine delays
        Assert.Equal(2, requests);
    }

    private static async Task<string> RawGet(Uri tower, string path)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(tower.Host, tower.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{tower.Port}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    /// <summary>
    /// In front of the real socket handler: records every answer (the range asked, the status, the body bytes that
    /// reached the fetcher), and can cut the first answer's body after <see cref="CutAfter"/> bytes (a connection
    /// reset), drop the Range header (a proxy without ranges) or answer the first <see cref="FailFirst"/> requests 503.
    /// </summary>
    private sealed class ObservingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public long? CutAfter { get; init; }
        public bool CutEvery { get; init; }
        public bool StripRange { get; init; }
        public int FailFirst { get; init; }
        public List<Answer> Answers { get; } = [];

        public sealed class Answer
        {
            public long? AskedFrom { get; init; }
            public long? RangeFrom { get; init; }
            public string? IfRange { get; init; }
            public HttpStatusCode Status { get; init; }
            public long BodyBytes;
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var asked = request.Headers.Range?.Ranges.Single().From;
            var ifRange = request.Headers.IfRange?.ToString();
            if (StripRange)
            {
                request.Headers.Range = null;
                request.Headers.IfRange = null;
            }
            if (Answers.Count < FailFirst)
            {
                Answers.Add(new Answer { AskedFrom = asked, RangeFrom = asked, IfRange = ifRange, Status = HttpStatusCode.ServiceUnavailable });
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("""{"status":503,"problems":["busy"]}""") };
            }
            var response = await base.SendAsync(request, cancellationToken);
            var answer = new Answer { AskedFrom = asked, RangeFrom = request.Headers.Range?.Ranges.Single().From, IfRange = ifRange, Status = response.StatusCode };
            long? cut = Answers.Count == 0 || CutEvery ? CutAfter : null;
            Answers.Add(answer);
            var inner = await response.Content.ReadAsStreamAsync(cancellationToken);
            var content = new StreamContent(new CountingStream(inner, answer, cut));
            foreach (var h in response.Content.Headers) content.Headers.TryAddWithoutValidation(h.Key, h.Value);
            response.Content = content;
            return response;
        }
    }

    private sealed class CountingStream(Stream inner, ObservingHandler.Answer answer, long? cut) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (cut is { } c)
            {
                if (answer.BodyBytes >= c) throw new IOException("connection reset by the test");
                buffer = buffer[..(int)Math.Min(buffer.Length, c - answer.BodyBytes)];
            }
            int n = await inner.ReadAsync(buffer, cancellationToken);
            answer.BodyBytes += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>A Kestrel that answers <c>/api/images/{sha}</c> as the test says, not as a tower would.</summary>
    private sealed class HostileTower(Microsoft.AspNetCore.Builder.WebApplication app) : IAsyncDisposable
    {
        public Uri Address => ControlApiHost.Address(app);

        public static async Task<HostileTower> StartAsync(RequestDelegate answer)
        {
            var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapGet("/api/images/{sha}", answer);
            await app.StartAsync();
            return new HostileTower(app);
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
