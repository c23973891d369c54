// duplicator-fetch-bench: one staged image fetched from a tower's control API (GET /api/images/{sha256}) by
// HttpImageFetcher, server and fetcher in two processes. Run it through bench/fetch-bench.sh; docs/benchmarks.md
// has the results and the command.
//
//   duplicator-fetch-bench serve --image PATH [--token T]
//       the real control API (ControlApi.Build, Kestrel on 127.0.0.1, a free port) over a tower that holds only
//       PATH; prints "SERVING URL SHA BYTES" once the image is hashed and the API listens, then serves until stdin closes.
//   duplicator-fetch-bench fetch --from URL --sha SHA --bytes N --target PATH [--token T] [--cut-after BYTES]
//       fetches into PATH (PATH.part first, hashed, renamed); --cut-after first fetches with a connection that breaks
//       after that many bytes (one attempt, the part kept), then resumes it. Prints
//       "RESULT fetch bytes=N seconds=S MBps=M body_bytes_received=B peak_rss_mib=R"
//       (B counts every answer's body bytes over both fetches: equal to N when nothing was sent twice)..
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Duplicator.Host.Control;
using Duplicator.Host.Control.Images;
using Duplicator.Host.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

var opts = new Dictionary<string, string>();
for (int i = 1; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = args[i + 1];
string Get(string key) => opts.TryGetValue(key, out var v) ? v : throw new ArgumentException($"--{key} is required");
switch (args.FirstOrDefault())
{
    case "serve":
    {
        var image = Path.GetFullPath(Get("image"));
        string sha;
        using (var f = File.OpenRead(image)) sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(f));
        var app = ControlApi.Build("http://127.0.0.1:0", opts.GetValueOrDefault("token"), [], Path.GetTempPath(), new OneImageTower(sha, image));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.WriteLine($"SERVING {url} {sha} {new FileInfo(image).Length}");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }
    case "fetch":
    {
        var from = new Uri(Get("from"));
        var sha = Get("sha");
        long bytes = long.Parse(Get("bytes"), CultureInfo.InvariantCulture);
        var target = Path.GetFullPath(Get("target"));
        long received = 0;
        var clock = Stopwatch.StartNew();
        if (opts.TryGetValue("cut-after", out var c))
        {
            var cutting = new CountingHandler(long.Parse(c, CultureInfo.InvariantCulture));
            using var first = new HttpImageFetcher(opts.GetValueOrDefault("token"), cutting, new FetchOptions(Attempts: 1));
            try
            {
                await first.FetchAsync(from, sha, bytes, target, CancellationToken.None);
                Console.Error.WriteLine("duplicator-fetch-bench: the cut connection did not break");
                return 1;
            }
            catch (Duplicator.Mastering.Imapi.ImapiException)
            {
                received += cutting.Received; // the part keeps these; the resume asks for the rest only
            }
        }
        var counting = new CountingHandler(null);
        using (var fetcher = new HttpImageFetcher(opts.GetValueOrDefault("token"), counting))
            await fetcher.FetchAsync(from, sha, bytes, target, CancellationToken.None);
        received += counting.Received;
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT fetch bytes={bytes} seconds={seconds:0.000} MBps={bytes / seconds / 1e6:0.0} body_bytes_received={received} peak_rss_mib={PeakRssMib():0.0}"));
        return 0;
    }
    default:
        Console.Error.WriteLine("usage: duplicator-fetch-bench serve --image PATH | fetch --from URL --sha SHA --bytes N --target PATH [--cut-after BYTES]");
        return 2;
}

static double PeakRssMib()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    return -1;
}

/// <summary>A tower that holds one staged image and nothing else: all the benchmark's server needs.</summary>
sealed class OneImageTower(string sha, string path) : ITower
{
    public Task<StagedImageFile?> StagedImageAsync(string sha256, CancellationToken cancellationToken) =>
        Task.FromResult(sha256.Equals(sha, StringComparison.OrdinalIgnoreCase) ? new StagedImageFile(path, new FileInfo(path).Length) : null);

    public Task<SubmitResult> SubmitAsync(string batchId, JobRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IReadOnlyList<BatchView>> BatchesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<BatchView>>([]);
    public Task<BatchDetail?> BatchAsync(string id, CancellationToken cancellationToken) => Task.FromResult<BatchDetail?>(null);
    public Task<IReadOnlyList<DriveView>> DrivesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<DriveView>>([]);
    public Task<bool> CancelAsync(string id, CancellationToken cancellationToken) => Task.FromResult(false);
    public Task<bool> ClearQuarantineAsync(string driveId, CancellationToken cancellationToken) => Task.FromResult(false);
    public Task<TowerView> TowerAsync(CancellationToken cancellationToken) => Task.FromResult(new TowerView(false, null, [], []));
    public Task<bool> PauseAsync(string? batchId, CancellationToken cancellationToken) => Task.FromResult(false);
    public Task<bool> ResumeAsync(string? batchId, CancellationToken cancellationToken) => Task.FromResult(false);
    public Task<bool> HoldAsync(string driveId, CancellationToken cancellationToken) => Task.FromResult(false);
    public Task<bool> ReleaseAsync(string driveId, CancellationToken cancellationToken) => Task.FromResult(false);
}

/// <summary>Counts the answers' body bytes that reach the fetcher; with <paramref name="cut"/>, the connection breaks after that many.</summary>
sealed class CountingHandler(long? cut) : DelegatingHandler(new SocketsHttpHandler())
{
    private long _received;

    public long? Cut => cut;

    public long Received => Interlocked.Read(ref _received);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var content = new StreamContent(new CutStream(await response.Content.ReadAsStreamAsync(cancellationToken), this));
        foreach (var h in response.Content.Headers) content.Headers.TryAddWithoutValidation(h.Key, h.Value);
        response.Content = content;
        return response;
    }

    private sealed class CutStream(Stream inner, CountingHandler owner) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (owner.Cut is { } c)
            {
                if (owner.Received >= c) throw new IOException("connection cut by the benchmark");
                buffer = buffer[..(int)Math.Min(buffer.Length, c - owner.Received)];
            }
            int n = await inner.ReadAsync(buffer, cancellationToken);
            Interlocked.Add(ref owner._received, n);
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
    }
}
