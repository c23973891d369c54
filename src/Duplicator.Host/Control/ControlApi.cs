using System.Net;
using System.Text.Json;
using Duplicator.Host.Control.Images;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;
using Duplicator.Host.WebConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Duplicator.Host.Control;

/// <summary>
/// The HTTP/JSON control endpoint (loopback by default): submit, list and inspect batches, cancel, list
/// drives, clear a quarantine, pause and resume the tower or a batch, hold and release a drive, serve a staged image by its content hash. Every request must carry <c>Authorization: Bearer TOKEN</c> when a token is
/// configured (the config insists on one for a non-loopback address). Sources named by a submission must
/// lie under the allowed roots (none: no file access). Host, Origin, content type and body size are checked first
/// (<see cref="RequestGuards"/>). See docs/control-api.md and docs/threat-model.md.
/// </summary>
public static class ControlApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Builds (does not start) the web application listening on <paramref name="listen"/> (port 0 picks a free one).</summary>
    /// <remarks>
    /// <paramref name="allowedRoots"/> empty: no request may name a file (403). <paramref name="allowedHosts"/>: names
    /// besides the listen address (and, on loopback, localhost) that a request's Host may carry. See docs/threat-model.md.
    /// </remarks>
    public static WebApplication Build(string listen, string? token, IReadOnlyList<string> allowedRoots, string baseDirectory, ITower tower, ILoggerProvider? logs = null,
        IReadOnlyList<string>? allowedHosts = null, ITowerFeed? feed = null, string towerName = "tower")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs != null) builder.Logging.AddProvider(logs);
        var uri = new Uri(listen);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Parse(uri.Host == "localhost" ? "127.0.0.1" : uri.Host), uri.Port);
            k.Limits.MaxRequestBodySize = JobRequestParser.MaxDocumentBytes + 1; // a backstop: the submit reads at most one byte more than a job may have itself
        });
        builder.AddTowerMetrics();
        var app = builder.Build();
        app.UseProblemAnswers();
        app.UseRequestGuards(RequestGuards.AllowedHosts(uri, allowedHosts));

        app.Use(async (ctx, next) =>
        {
            if (token != null && !ConsoleEndpoints.IsOpenAsset(ctx.Request) && !TokenMatches(ctx.Request.Headers.Authorization.ToString(), token))
            {
                await Problem(ctx, StatusCodes.Status401Unauthorized, ["Authorization: a bearer token is required"]);
                return;
            }
            await next();
        });
        app.Use(async (ctx, next) =>
        {
            try
            {
                await next();
            }
            catch (TowerUnavailableException e) when (!ctx.Response.HasStarted)
            {
                ctx.Response.Headers.RetryAfter = "1";
                await Problem(ctx, StatusCodes.Status503ServiceUnavailable, [e.Message]);
            }
            catch (TowerFailedException e) when (!ctx.Response.HasStarted)
            {
                // The host is stopping on a failed ledger and has said why on stderr once; the caller learns it too.
                await Problem(ctx, StatusCodes.Status503ServiceUnavailable, [e.Message]);
            }
            catch (TowerRefusedException e) when (!ctx.Response.HasStarted)
            {
                await Problem(ctx, StatusCodes.Status409Conflict, [e.Message]);
            }
        });

        app.MapPost("/api/batches", async ctx =>
        {
            if (await RequestGuards.ReadBodyAsync(ctx) is not { } body) return; // 413 written
            JobRequest request;
            try
            {
                request = JobRequestParser.Parse(body, "request", baseDirectory, allowedRoots);
            }
            catch (JobRejectedException e)
            {
                await Problem(ctx, e.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest, e.Problems);
                return;
            }
            var id = request.Id ?? "b-" + Guid.NewGuid().ToString("N")[..12];
            BatchView batch;
            bool created;
            try
            {
                (batch, created) = await tower.SubmitAsync(id, request, ctx.RequestAborted);
            }
            catch (JobRejectedException e)
            {
                await Problem(ctx, StatusCodes.Status400BadRequest, e.Problems);
                return;
            }
            ctx.Response.Headers.Location = $"/api/batches/{batch.Id}";
            await Write(ctx, created ? StatusCodes.Status201Created : StatusCodes.Status200OK, batch);
        });
        app.MapGet("/api/batches", async ctx => await Write(ctx, 200, await tower.BatchesAsync(ctx.RequestAborted)));
        app.MapGet("/api/batches/{id}", async (HttpContext ctx, string id) =>
            await (await tower.BatchAsync(id, ctx.RequestAborted) is { } b ? Write(ctx, 200, b) : Problem(ctx, 404, [$"batch '{RequestGuards.Show(id)}': no such batch"])));
        app.MapPost("/api/batches/{id}/cancel", async (HttpContext ctx, string id) =>
            await (await tower.CancelAsync(id, ctx.RequestAborted) ? Write(ctx, 200, await tower.BatchAsync(id, ctx.RequestAborted)) : Problem(ctx, 404, [$"batch '{RequestGuards.Show(id)}': no such batch"])));
        app.MapGet("/api/drives", async ctx => await Write(ctx, 200, await tower.DrivesAsync(ctx.RequestAborted)));
        app.MapPost("/api/drives/{id}/clear-quarantine", async (HttpContext ctx, string id) =>
            await (await tower.ClearQuarantineAsync(id, ctx.RequestAborted)
                ? Write(ctx, 200, (await tower.DrivesAsync(ctx.RequestAborted)).First(d => d.Id == id))
                : Problem(ctx, 404, [$"drive '{RequestGuards.Show(id)}': no such drive"])));
        MapHolds(app, tower);
        app.MapImages(tower); // staged images by content hash, for the other towers of a floor (Control/Images)
        app.MapConsole(tower, feed, towerName); // the web console (docs/console.md)
        app.MapTowerMetrics(); // GET /metrics for Prometheus (docs/metrics.md)
        return app;
    }

    // Pause and resume (the tower, a batch), hold and release (a drive): each answers what it changed.
    private static void MapHolds(WebApplication app, ITower tower)
    {
        app.MapGet("/api/tower", async ctx => await Write(ctx, 200, await tower.TowerAsync(ctx.RequestAborted)));
        app.MapPost("/api/tower/pause", async ctx =>
        {
            await tower.PauseAsync(null, ctx.RequestAborted);
            await Write(ctx, 200, await tower.TowerAsync(ctx.RequestAborted));
        });
        app.MapPost("/api/tower/resume", async ctx =>
        {
            await tower.ResumeAsync(null, ctx.RequestAborted);
            await Write(ctx, 200, await tower.TowerAsync(ctx.RequestAborted));
        });
        app.MapPost("/api/batches/{id}/pause", async (HttpContext ctx, string id) =>
            await (await tower.PauseAsync(id, ctx.RequestAborted) ? Write(ctx, 200, await tower.BatchAsync(id, ctx.RequestAborted)) : Problem(ctx, 404, [$"batch '{RequestGuards.Show(id)}': no such batch"])));
        app.MapPost("/api/batches/{id}/resume", async (HttpContext ctx, string id) =>
            await (await tower.ResumeAsync(id, ctx.RequestAborted) ? Write(ctx, 200, await tower.BatchAsync(id, ctx.RequestAborted)) : Problem(ctx, 404, [$"batch '{RequestGuards.Show(id)}': no such batch"])));
        app.MapPost("/api/drives/{id}/hold", async (HttpContext ctx, string id) =>
            await (await tower.HoldAsync(id, ctx.RequestAborted)
                ? Write(ctx, 200, (await tower.DrivesAsync(ctx.RequestAborted)).First(d => d.Id == id))
                : Problem(ctx, 404, [$"drive '{RequestGuards.Show(id)}': no such drive"])));
        app.MapPost("/api/drives/{id}/release", async (HttpContext ctx, string id) =>
            await (await tower.ReleaseAsync(id, ctx.RequestAborted)
                ? Write(ctx, 200, (await tower.DrivesAsync(ctx.RequestAborted)).First(d => d.Id == id))
                : Problem(ctx, 404, [$"drive '{RequestGuards.Show(id)}': no such drive"])));
    }

    /// <summary>Compares in constant time, so the token cannot be guessed byte by byte from response times.</summary>
    private static bool TokenMatches(string header, string token) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(header), System.Text.Encoding.UTF8.GetBytes("Bearer " + token));

    private static Task Write(HttpContext ctx, int status, object? value)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(value, Json));
    }

    private static Task Problem(HttpContext ctx, int status, IReadOnlyList<string> problems) => RequestGuards.WriteProblem(ctx, status, problems);
}
