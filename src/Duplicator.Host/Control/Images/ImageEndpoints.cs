using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Duplicator.Host.Control.Images;

/// <summary>
/// <c>GET</c> and <c>HEAD /api/images/{sha256}</c>: a staged image this tower holds, by its content SHA-256, for another
/// tower of the floor to fetch (<see cref="HttpImageFetcher"/>). Behind the control API's guards (Host, Origin, the
/// bearer token). The hash is checked to be exactly 64 hex digits (400 otherwise, and nothing is looked up); the file is
/// the one the tower answers for it (<see cref="ITower.StagedImageAsync"/>: a running batch's ledger recorded that
/// hash, or the tower holds it as a floor image), never a path built from the request (404 when there is none). The answer is the file streamed from disc with
/// <c>Accept-Ranges: bytes</c> and the strong ETag <c>"sha256"</c> (lower case): one range (<c>bytes=a-b</c>,
/// <c>a-</c>, <c>-n</c>) is a 206 with <c>Content-Range</c>, a range past the end a 416 with
/// <c>Content-Range: bytes */size</c>, several ranges are served as the whole file (200), and an <c>If-Range</c>
/// that is not this ETag also gets the whole file. See docs/control-api.md.
/// </summary>
public static class ImageEndpoints
{
    /// <summary>The length of a SHA-256 in hex.</summary>
    public const int Sha256HexLength = 64;

    /// <summary>The path of an image on a tower's control API, relative to its base.</summary>
    public static string PathOf(string sha256) => "api/images/" + sha256.ToLowerInvariant();

    /// <summary>The strong entity tag an image is served under: its content hash, lower case, quoted.</summary>
    public static string ETagOf(string sha256) => "\"" + sha256.ToLowerInvariant() + "\"";

    /// <summary>True when <paramref name="value"/> is exactly 64 hex digits (either case).</summary>
    public static bool IsSha256(string? value) => Duplicator.Actors.Batches.FloorImage.IsSha256(value);

    /// <summary>Maps the endpoint onto <paramref name="app"/>.</summary>
    public static void MapImages(this WebApplication app, ITower tower)
    {
        app.MapMethods("/api/images/{sha256}", [HttpMethods.Get, HttpMethods.Head], async (HttpContext ctx, string sha256) =>
        {
            if (!IsSha256(sha256))
                return Problem(StatusCodes.Status400BadRequest,
                    $"image '{RequestGuards.Show(sha256)}': not a SHA-256 (exactly {Sha256HexLength} hex digits); images are fetched by content hash only");
            var sha = sha256.ToLowerInvariant();
            if (await tower.StagedImageAsync(sha, ctx.RequestAborted) is not { } file)
                return Problem(StatusCodes.Status404NotFound, $"image {sha}: this tower holds no staged image with that content SHA-256");
            // The framework's file answer: streamed in fixed-size chunks (SendFileAsync), the request's cancellation honoured,
            // single ranges and If-Range by RFC 9110; several ranges are answered with the whole file.
            return Results.File(file.Path, "application/octet-stream", entityTag: new EntityTagHeaderValue(ETagOf(sha)), enableRangeProcessing: true);
        });
        // The image's piece list (Floor.FloorPieces), kept beside a floor image: a fetching tower checks it against the
        // ledger's hash of it, then each piece as it arrives. The path is the held image's, never built from the request.
        app.MapMethods("/api/images/{sha256}/pieces", [HttpMethods.Get, HttpMethods.Head], async (HttpContext ctx, string sha256) =>
        {
            if (!IsSha256(sha256))
                return Problem(StatusCodes.Status400BadRequest,
                    $"image '{RequestGuards.Show(sha256)}': not a SHA-256 (exactly {Sha256HexLength} hex digits); images are fetched by content hash only");
            var sha = sha256.ToLowerInvariant();
            if (await tower.StagedImageAsync(sha, ctx.RequestAborted) is not { } file || Actors.Floor.FloorPieces.ListPath(file.Path) is var list && !File.Exists(list))
                return Problem(StatusCodes.Status404NotFound, $"image {sha}: this tower holds no piece list for that content SHA-256");
            return Results.File(list, "application/octet-stream");
        });
    }

    private static IResult Problem(int status, string problem) => new ProblemResult(status, problem);

    private sealed class ProblemResult(int status, string problem) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => RequestGuards.WriteProblem(httpContext, status, [problem]);
    }
}
