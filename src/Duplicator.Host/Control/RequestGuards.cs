using System.Net;
using System.Text.Json;
using Duplicator.Host.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Duplicator.Host.Control;

/// <summary>
/// What every request to the control API passes before an endpoint sees it (docs/threat-model.md): the
/// <c>Host</c> must name the listener (its address, a loopback name when it listens on loopback, or a configured
/// name), an <c>Origin</c> or a <c>Sec-Fetch-Site</c> must not be another site, a POST that carries a body must say
/// <c>Content-Type: application/json</c>, and a body is read only up to <see cref="JobRequestParser.MaxDocumentBytes"/>.
/// Every refusal, and every other error answer (404, 405, the 500 fallback), is a problem document
/// <c>{ "status": N, "problems": [ ... ] }</c>.
/// </summary>
public static class RequestGuards
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Host names a request may carry in <c>Host</c> for a listener on <paramref name="listen"/>, plus <paramref name="configured"/>.</summary>
    public static HashSet<string> AllowedHosts(Uri listen, IEnumerable<string>? configured)
    {
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { listen.Host };
        if (listen.IsLoopback || (IPAddress.TryParse(listen.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)))
        {
            hosts.Add("localhost");
            hosts.Add("127.0.0.1");
            hosts.Add("[::1]");
        }
        foreach (var h in configured ?? []) hosts.Add(h);
        return hosts;
    }

    /// <summary>Refuses foreign <c>Host</c> and cross-site <c>Origin</c>/<c>Sec-Fetch-Site</c> (403), and POST bodies that are not JSON (415).</summary>
    public static void UseRequestGuards(this WebApplication app, HashSet<string> allowedHosts)
    {
        app.Use(async (ctx, next) =>
        {
            if (Refusal(ctx.Request, allowedHosts) is { } refusal)
            {
                await WriteProblem(ctx, refusal.Status, [refusal.Problem]);
                return;
            }
            await next();
        });
    }

    /// <summary>Why a request is refused before it reaches an endpoint, or null.</summary>
    public static (int Status, string Problem)? Refusal(HttpRequest request, HashSet<string> allowedHosts)
    {
        var host = request.Host;
        if (!host.HasValue || !allowedHosts.Contains(host.Host))
            return (StatusCodes.Status403Forbidden,
                $"Host: '{Show(host.Value)}' is not this host's name (allowed: {string.Join(", ", allowedHosts.Order(StringComparer.Ordinal))}; add others to control.allowedHosts); a page on another site must not reach the API through DNS")
            ;
        var origin = request.Headers.Origin;
        if (!StringValues.IsNullOrEmpty(origin))
        {
            if (origin.Count != 1 || !Uri.TryCreate(origin.ToString(), UriKind.Absolute, out var o)
                || !string.Equals(o.GetLeftPart(UriPartial.Authority), $"{request.Scheme}://{host.Value}", StringComparison.OrdinalIgnoreCase))
                return (StatusCodes.Status403Forbidden,
                    $"Origin: '{Show(origin.ToString())}' is not this host ({request.Scheme}://{Show(host.Value)}); cross-site requests are refused");
        }
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
            return (StatusCodes.Status403Forbidden, $"Sec-Fetch-Site: '{Show(site)}': only same-origin requests are served");
        if (HttpMethods.IsPost(request.Method) && (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0 || request.ContentType != null))
        {
            if (!IsJson(request.ContentType))
                return (StatusCodes.Status415UnsupportedMediaType,
                    $"Content-Type: '{Show(request.ContentType)}' is not accepted; send the body as application/json (charset utf-8 if any)");
        }
        if (request.ContentLength > JobRequestParser.MaxDocumentBytes)
            return (StatusCodes.Status413PayloadTooLarge,
                $"(body): {request.ContentLength} bytes, more than the {JobRequestParser.MaxDocumentBytes} a request may have");
        return null;
    }

    private static bool IsJson(string? contentType)
    {
        if (contentType is null || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)) return false;
        if (!media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return false;
        return !media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The request body, at most <see cref="JobRequestParser.MaxDocumentBytes"/> bytes, never more in memory; null
    /// when it is longer (a 413 problem has been written then).
    /// </summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpContext ctx)
    {
        const int max = JobRequestParser.MaxDocumentBytes;
        var buffer = new byte[max + 1];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await ctx.Request.Body.ReadAsync(buffer.AsMemory(length), ctx.RequestAborted);
            if (n == 0) return buffer[..length];
            length += n;
        }
        await WriteProblem(ctx, StatusCodes.Status413PayloadTooLarge, [$"(body): more than the {max} bytes a request may have"]);
        return null;
    }

    /// <summary>Every error without a body (404 of an unknown path, 405, ...) gets a problem document; an unexpected exception a 500 one.</summary>
    public static void UseProblemAnswers(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = ctx =>
            {
                var error = ctx.Features.Get<IExceptionHandlerFeature>()?.Error;
                // BadHttpRequestException: Kestrel found the request malformed or too large while it was read.
                if (error is BadHttpRequestException bad)
                    return WriteProblem(ctx, bad.StatusCode, [bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                        ? $"(body): more than the {JobRequestParser.MaxDocumentBytes} bytes a request may have"
                        : $"(request): {Show(bad.Message)}"]);
                // The caller learns nothing of the host's insides; the operator's log (stderr) gets one line.
                Console.Error.WriteLine($"duplicator: control API {ctx.Request.Method} {Show(ctx.Request.Path.Value)} failed: {error?.GetType().Name}: {error?.Message}");
                return WriteProblem(ctx, StatusCodes.Status500InternalServerError,
                    ["(host): the request failed inside the host; the host's log has the details"]);
            },
        });
        app.UseStatusCodePages(async sc =>
        {
            var ctx = sc.HttpContext;
            var status = ctx.Response.StatusCode;
            var problem = status switch
            {
                StatusCodes.Status404NotFound => $"{ctx.Request.Method} {Show(ctx.Request.Path.Value)}: no such resource (see docs/control-api.md)",
                StatusCodes.Status405MethodNotAllowed => $"{ctx.Request.Method} {Show(ctx.Request.Path.Value)}: method not allowed here",
                StatusCodes.Status413PayloadTooLarge => $"(body): more than the {JobRequestParser.MaxDocumentBytes} bytes a request may have",
                _ => $"{ctx.Request.Method} {Show(ctx.Request.Path.Value)}: {ReasonPhrases.GetReasonPhrase(status)}",
            };
            await WriteProblem(ctx, status, [problem]);
        });
    }

    /// <summary>Writes <c>{ "status": N, "problems": [...] }</c> as application/json.</summary>
    public static Task WriteProblem(HttpContext ctx, int status, IReadOnlyList<string> problems)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(new { status, problems }, Json));
    }

    /// <summary>A header or path as a problem quotes it: at most 100 characters, control characters escaped.</summary>
    internal static string Show(string? value)
    {
        if (value is null) return "";
        var cut = value.Length > 100 ? value[..100] + $"... ({value.Length} characters)" : value;
        return string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
