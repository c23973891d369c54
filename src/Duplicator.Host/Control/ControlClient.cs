using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Duplicator.Host.Control;

/// <summary>The CLI's side of the control API: talks to a running <c>duplicator serve</c>.</summary>
public sealed class ControlClient(string baseAddress, string? token) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http = new() { BaseAddress = new Uri(baseAddress), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The address asked.</summary>
    public string BaseAddress => baseAddress;

    /// <summary>True when a host answers at the address (a refused connection means none is running).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        try
        {
            using var r = await SendAsync(HttpMethod.Get, "/api/drives", null, ct);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Submits a job document; returns the batch, or throws <see cref="ControlException"/> with the host's problems.</summary>
    public async Task<BatchView> SubmitAsync(string jobJson, CancellationToken ct) =>
        await ReadAsync<BatchView>(await SendAsync(HttpMethod.Post, "/api/batches", jobJson, ct), ct);

    /// <summary>A batch with its ledger.</summary>
    public async Task<BatchDetail> BatchAsync(string id, CancellationToken ct) =>
        await ReadAsync<BatchDetail>(await SendAsync(HttpMethod.Get, $"/api/batches/{Uri.EscapeDataString(id)}", null, ct), ct);

    /// <summary>All batches.</summary>
    public async Task<IReadOnlyList<BatchView>> BatchesAsync(CancellationToken ct) =>
        await ReadAsync<List<BatchView>>(await SendAsync(HttpMethod.Get, "/api/batches", null, ct), ct);

    /// <summary>All drives.</summary>
    public async Task<IReadOnlyList<DriveView>> DrivesAsync(CancellationToken ct) =>
        await ReadAsync<List<DriveView>>(await SendAsync(HttpMethod.Get, "/api/drives", null, ct), ct);

    /// <summary>What is paused and held.</summary>
    public async Task<TowerView> TowerAsync(CancellationToken ct) =>
        await ReadAsync<TowerView>(await SendAsync(HttpMethod.Get, "/api/tower", null, ct), ct);

    /// <summary>Pauses (<paramref name="pause"/>) or resumes the tower; returns what is paused and held.</summary>
    public async Task<TowerView> PauseTowerAsync(bool pause, CancellationToken ct) =>
        await ReadAsync<TowerView>(await SendAsync(HttpMethod.Post, pause ? "/api/tower/pause" : "/api/tower/resume", null, ct), ct);

    /// <summary>Pauses (<paramref name="pause"/>) or resumes a batch; returns it.</summary>
    public async Task<BatchDetail> PauseBatchAsync(string id, bool pause, CancellationToken ct) =>
        await ReadAsync<BatchDetail>(await SendAsync(HttpMethod.Post, $"/api/batches/{Uri.EscapeDataString(id)}/{(pause ? "pause" : "resume")}", null, ct), ct);

    /// <summary>Holds (<paramref name="hold"/>) or releases a drive; returns it.</summary>
    public async Task<DriveView> HoldDriveAsync(string id, bool hold, CancellationToken ct) =>
        await ReadAsync<DriveView>(await SendAsync(HttpMethod.Post, $"/api/drives/{Uri.EscapeDataString(id)}/{(hold ? "hold" : "release")}", null, ct), ct);

    /// <summary>POST /api/batches with a disc set job document: answered with the set.</summary>
    public async Task<SetView> SubmitSetAsync(string jobJson, CancellationToken ct) =>
        await ReadAsync<SetView>(await SendAsync(HttpMethod.Post, "/api/batches", jobJson, ct), ct);

    /// <summary>GET /api/sets: every disc set job.</summary>
    public async Task<IReadOnlyList<SetSummaryView>> SetsAsync(CancellationToken ct) =>
        await ReadAsync<List<SetSummaryView>>(await SendAsync(HttpMethod.Get, "/api/sets", null, ct), ct);

    /// <summary>GET /api/sets/{id}: a disc set job with its set ledger.</summary>
    public async Task<SetView> SetAsync(string id, CancellationToken ct) =>
        await ReadAsync<SetView>(await SendAsync(HttpMethod.Get, $"/api/sets/{Uri.EscapeDataString(id)}", null, ct), ct);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body, CancellationToken ct)
    {
        var request = new HttpRequestMessage(method, path);
        if (body != null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await _http.SendAsync(request, ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
                return JsonSerializer.Deserialize<T>(text, Json) ?? throw new ControlException(response.StatusCode, ["(response): empty"]);
            List<string> problems;
            try
            {
                problems = JsonDocument.Parse(text).RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString() ?? "").ToList();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                problems = [text.Length > 200 ? text[..200] : text];
            }
            throw new ControlException(response.StatusCode, problems);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}

/// <summary>The host refused a request; <see cref="Problems"/> says why.</summary>
public sealed class ControlException(HttpStatusCode status, IReadOnlyList<string> problems)
    : Exception($"the host answered {(int)status}: {string.Join("; ", problems)}")
{
    /// <summary>HTTP status.</summary>
    public HttpStatusCode Status { get; } = status;

    /// <summary>One line per problem.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
