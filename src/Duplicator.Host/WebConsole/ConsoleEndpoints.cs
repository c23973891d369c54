using System.Collections.Frozen;
using System.Reflection;
using System.Threading.Channels;
using Duplicator.Host.Control;
using Duplicator.Host.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Duplicator.Host.WebConsole;

/// <summary>
/// The web console on the control API's address: the page and its files at <c>/</c> and <c>/console/*</c> (embedded in
/// the build; served without the token, since they hold no tower data and the page asks for the token), its
/// snapshot at <c>GET /api/console</c> and the live stream at <c>GET /api/events</c> (server-sent events, pushed when
/// the tower's feed says something changed), both behind the token like every other API call. See docs/console.md.
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>Event streams open at once at most; one more is refused with 503.</summary>
    public const int MaxStreams = 16;

    /// <summary>Frames a stream sends per second at most (changes in between are folded into the next).</summary>
    public const int MaxFramesPerSecond = 4;

    /// <summary>A frame the client has not taken within this long ends its stream (a stalled client holds nothing for long).</summary>
    public static readonly TimeSpan WriteDeadline = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    // Served by exact name only: a request's path is never made into a resource name or a file path.
    private static readonly FrozenDictionary<string, (byte[] Body, string Type)> Assets = LoadAssets();

    /// <summary>Counts one host's open event streams (one per <see cref="MapConsole"/>, so two hosts in a process do not share it).</summary>
    private sealed class StreamGate
    {
        public int Open;
    }

    /// <summary>True for the console's own files, which a request may fetch without the token.</summary>
    public static bool IsOpenAsset(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path == "/" || (request.Path.StartsWithSegments("/console", out var rest) && Assets.ContainsKey(rest.Value?.TrimStart('/') ?? "")));

    /// <summary>Maps the page, its files, the snapshot and the event stream.</summary>
    public static void MapConsole(this WebApplication app, ITower tower, ITowerFeed? feed, string towerName)
    {
        var snapshots = new ConsoleSnapshots(tower, feed, towerName);
        var gate = new StreamGate();
        app.MapGet("/", ctx => WriteAsset(ctx, "index.html"));
        app.MapGet("/console/{file}", (HttpContext ctx, string file) => WriteAsset(ctx, file));
        app.MapGet("/api/console", async ctx =>
        {
            var json = await snapshots.GetAsync();
            ctx.Response.ContentType = "application/json";
            ctx.Response.Headers.CacheControl = "no-store";
            await ctx.Response.WriteAsync(json);
        });
        app.MapGet("/api/events", ctx => StreamAsync(ctx, snapshots, feed, gate));
    }

    private static Task WriteAsset(HttpContext ctx, string name)
    {
        if (!Assets.TryGetValue(name, out var asset))
            return RequestGuards.WriteProblem(ctx, StatusCodes.Status404NotFound, [$"console file '{RequestGuards.Show(name)}': no such file"]);
        var h = ctx.Response.Headers;
        h.ContentType = asset.Type;
        h.CacheControl = "no-cache";
        h.XContentTypeOptions = "nosniff";
        h["Referrer-Policy"] = "no-referrer";
        h.XFrameOptions = "DENY";
        // Only the host's own files run; nothing is loaded from elsewhere (no CDN).
        h.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
        ctx.Response.ContentLength = asset.Body.Length;
        return HttpMethods.IsHead(ctx.Request.Method) ? Task.CompletedTask : ctx.Response.Body.WriteAsync(asset.Body).AsTask();
    }

    private static async Task StreamAsync(HttpContext ctx, ConsoleSnapshots snapshots, ITowerFeed? feed, StreamGate gate)
    {
        if (Interlocked.Increment(ref gate.Open) > MaxStreams)
        {
            Interlocked.Decrement(ref gate.Open);
            ctx.Response.Headers.RetryAfter = "5";
            await RequestGuards.WriteProblem(ctx, StatusCodes.Status503ServiceUnavailable,
                [$"/api/events: {MaxStreams} live consoles are connected, the limit; close one and reload"]);
            return;
        }
        try
        {
            // One pending "something changed" per client: a slow client gets the newest picture, never a backlog.
            var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
            using var subscription = feed?.Subscribe(() => changed.Writer.TryWrite(true));
            ctx.Response.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-store";
            ctx.Response.Headers["X-Accel-Buffering"] = "no";
            ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            var aborted = ctx.RequestAborted;
            changed.Writer.TryWrite(true); // the first picture at once
            await Frame(ctx, "retry: 2000\n\n", aborted);
            while (!aborted.IsCancellationRequested)
            {
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted))
                {
                    wait.CancelAfter(KeepAlive);
                    try
                    {
                        await changed.Reader.ReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                    {
                        await Frame(ctx, ": keep-alive\n\n", aborted);
                        continue;
                    }
                }
                string frame;
                try
                {
                    frame = $"event: snapshot\ndata: {await snapshots.GetAsync()}\n\n";
                }
                catch (Exception e) when (e is TowerUnavailableException or TowerFailedException)
                {
                    frame = $"event: problem\ndata: {System.Text.Json.JsonSerializer.Serialize(new { status = 503, problems = new[] { e.Message } })}\n\n";
                }
                await Frame(ctx, frame, aborted);
                await Task.Delay(1000 / MaxFramesPerSecond, aborted);
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away, its frame timed out, or the host stops
        }
        finally
        {
            Interlocked.Decrement(ref gate.Open);
        }
    }

    private static async Task Frame(HttpContext ctx, string text, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(WriteDeadline);
        await ctx.Response.WriteAsync(text, deadline.Token);
        await ctx.Response.Body.FlushAsync(deadline.Token);
    }

    private static FrozenDictionary<string, (byte[], string)> LoadAssets()
    {
        var asm = typeof(ConsoleEndpoints).Assembly;
        var assets = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in asm.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            using var s = asm.GetManifestResourceStream(resource)!;
            using var m = new MemoryStream();
            s.CopyTo(m);
            var name = resource["console/".Length..];
            assets[name] = (m.ToArray(), Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            });
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
