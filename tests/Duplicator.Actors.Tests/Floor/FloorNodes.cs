using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Floor;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Recorders;
using Duplicator.Actors.Tests.Supervision;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Floor;

/// <summary>
/// TEST DOUBLE of the image transfer (floor-fetch's HTTP fetcher is the real one): each tower's control URL stands for
/// folders on this machine; an image is found there by its SHA-256, copied to <c>target.part</c>, checked, and renamed,
/// as the interface says. Counts what it fetched.
/// </summary>
internal sealed class FolderFetcher(IReadOnlyDictionary<Uri, string[]> served) : IImageFetcher
{
    public ConcurrentQueue<(Uri From, string Sha256)> Fetches { get; } = new();

    public async Task FetchAsync(Uri from, string sha256, long bytes, string targetPath, CancellationToken cancellationToken)
    {
        Fetches.Enqueue((from, sha256));
        if (!served.TryGetValue(from, out var roots)) throw new ImapiException(ImapiError.DeviceNotPresent, $"{from}: no such tower");
        var source = roots.Where(Directory.Exists).SelectMany(r => Directory.EnumerateFiles(r, "*.iso", SearchOption.AllDirectories))
            .FirstOrDefault(f => Sha(f) == sha256) ?? throw new ImapiException(ImapiError.InvalidInput, $"{from}: no image {sha256}");
        var part = targetPath + ".part";
        await using (var input = File.OpenRead(source))
        await using (var output = File.Create(part))
            await input.CopyToAsync(output, cancellationToken);
        if (new FileInfo(part).Length != bytes || Sha(part) != sha256)
        {
            File.Delete(part);
            throw new ImapiException(ImapiError.SourceChanged, $"{from}: image {sha256} arrived different");
        }
        File.Move(part, targetPath, overwrite: true);
    }

    private static string Sha(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}

/// <summary>
/// TEST DOUBLE of a fetch with a piece list (floor-fetch's HTTP fetcher checks each piece; its own tests show that):
/// copies <paramref name="source"/> into <c>target.part</c> one piece at a time, flushed, and tells how far it is
/// checked after each. Its first fetch stops before piece <paramref name="holdAt"/> until <see cref="Go"/>, and then
/// goes on, or breaks there when <see cref="BreakFirst"/>; later ones run through. Records the most it said was checked.
/// </summary>
internal sealed class PieceFetcher(string source, int pieceBytes, int holdAt) : IImageFetcher
{
    private readonly SemaphoreSlim _go = new(0);
    private int _fetches;
    private long _verified;

    /// <summary>Set when the first fetch reached <c>holdAt</c>.</summary>
    public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The first fetch throws at <c>holdAt</c> (after <see cref="Go"/>) instead of going on.</summary>
    public bool BreakFirst { get; init; }

    public long Verified => Interlocked.Read(ref _verified);
    public int Fetches => Volatile.Read(ref _fetches);

    public void Go() => _go.Release();

    public Task FetchAsync(Uri from, string sha256, long bytes, string targetPath, CancellationToken cancellationToken) =>
        FetchAsync(from, sha256, bytes, targetPath, null, _ => { }, cancellationToken);

    public async Task FetchAsync(Uri from, string sha256, long bytes, string targetPath, FloorImage? image, Action<long> verified, CancellationToken cancellationToken)
    {
        bool first = Interlocked.Increment(ref _fetches) == 1;
        var data = await File.ReadAllBytesAsync(source, cancellationToken);
        await using (var part = new FileStream(targetPath + ".part", FileMode.Create, FileAccess.Write, FileShare.Read))
        {
            for (int at = 0, piece = 0; at < data.Length; at += pieceBytes, piece++)
            {
                if (first && piece == holdAt)
                {
                    Holding.TrySetResult();
                    await _go.WaitAsync(cancellationToken);
                    if (BreakFirst) throw new ImapiException(ImapiError.SourceUnreadable, $"{from}: the connection broke after {piece} pieces");
                }
                int n = Math.Min(pieceBytes, data.Length - at);
                await part.WriteAsync(data.AsMemory(at, n), cancellationToken);
                await part.FlushAsync(cancellationToken);
                Interlocked.Exchange(ref _verified, at + n);
                verified(at + n);
            }
        }
        File.Move(targetPath + ".part", targetPath, overwrite: true);
        verified(bytes);
    }
}

/// <summary>Stands in for a ClusterSingletonProxy in tests without a cluster: forwards to whichever router it is told is current.</summary>
internal sealed class RouterProxy : ReceiveActor
{
    public sealed record Target(IActorRef Router);

    private IActorRef? _router;

    public RouterProxy()
    {
        Receive<Target>(t => _router = t.Router);
        ReceiveAny(m => _router?.Forward(m));
    }
}

/// <summary>Collects what its system's event stream carries of one type.</summary>
internal sealed class Collector : ReceiveActor
{
    public Collector(ConcurrentQueue<object> into) => ReceiveAny(into.Enqueue);
}

internal static class Events
{
    /// <summary>What <paramref name="system"/>'s event stream carries of type <typeparamref name="T"/> from now on.</summary>
    public static ConcurrentQueue<object> On<T>(ActorSystem system)
    {
        var queue = new ConcurrentQueue<object>();
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new Collector(queue))), typeof(T));
        return queue;
    }
}

/// <summary>One node of a floor in this process: an ActorSystem with remoting on a free 127.0.0.1 port, its stash, fake drives and agent.</summary>
internal sealed class FloorNode : IAsyncDisposable
{
    public required ActorSystem System { get; init; }
    public required string TowerId { get; init; }
    public required string Stash { get; init; }
    public required FakeDrive[] Drives { get; init; }
    public IActorRef? Agent { get; set; }
    public IActorRef? Router { get; set; }
    public IActorRef? Proxy { get; set; }
    public Uri ControlUrl => new($"http://{TowerId}.floor.test/");
    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    /// <summary>
    /// Remoting on a free port, fast remote death watch, and the shared SQLite ledger (null: an in-memory journal, for a node
    /// that runs no router: its drive history is its own).
    /// </summary>
    public static FloorNode Start(string towerId, string dir, string? ledger, int drives, TimeSpan delayPerChunk)
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            akka.remote.watch-failure-detector.heartbeat-interval = 200ms
            akka.remote.watch-failure-detector.acceptable-heartbeat-pause = 2s
            akka.remote.watch-failure-detector.expected-response-after = 500ms
            """).WithFallback(ledger is null ? PersistenceConfig.InMemory() : PersistenceConfig.Sqlite(ledger));
        var system = ActorSystem.Create("floor", config);
        return new FloorNode
        {
            System = system, TowerId = towerId, Stash = Path.Combine(dir, towerId, "stash"),
            Drives = [.. Enumerable.Range(1, drives).Select(i => new FakeDrive($"{towerId}{i}", new FakeScript(DelayPerChunk: delayPerChunk)))],
        };
    }

    public Tower.Settings Settings => TowerFixture.Fast(Stash);

    /// <summary>Starts this node's router (the floor's singleton, here a plain actor) and points its proxy at it.</summary>
    public IActorRef StartRouter()
    {
        Router = System.ActorOf(Actors.Floor.Floor.RouterProps(Settings), "router");
        Proxy ??= System.ActorOf(Props.Create<RouterProxy>(), "router-proxy");
        Proxy.Tell(new RouterProxy.Target(Router));
        return Router;
    }

    /// <summary>Resolves <paramref name="other"/>'s router over remoting and points this node's proxy at it.</summary>
    public async Task Follow(FloorNode other)
    {
        var remote = await System.ActorSelection(new RootActorPath(other.Address) / "user" / "router").ResolveOne(TimeSpan.FromSeconds(10));
        Proxy ??= System.ActorOf(Props.Create<RouterProxy>(), "router-proxy");
        Proxy.Tell(new RouterProxy.Target(remote));
    }

    public IActorRef StartAgent(IImageFetcher fetcher, TimeSpan? idle = null)
    {
        var drives = TowerFixture.Drives(Drives);
        Agent = System.ActorOf(Actors.Floor.Floor.AgentProps(TowerId, drives, Settings, Proxy!, fetcher, ControlUrl,
            new Actors.Floor.Floor.AgentSettings(TimeSpan.FromMilliseconds(300), idle ?? TimeSpan.FromSeconds(30))), "agent");
        return Agent;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var d in Drives) d.Release();
        await System.Terminate();
    }

    /// <summary>Every drive's status on the floor as <paramref name="router"/> lists it.</summary>
    public static async Task<Tower.DriveStatus[]> FloorDrives(IActorRef router) =>
        await router.Ask<Tower.DriveStatus[]>(Tower.GetDrives.Instance, TimeSpan.FromSeconds(5));

    /// <summary>Polls until <paramref name="until"/> holds of the batch's state (or the time is up).</summary>
    public static async Task<BatchState> Until(IActorRef router, string id, Func<BatchState, bool> until, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        BatchState? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await router.Ask<Tower.BatchAnswer>(new Tower.GetBatch(id), TimeSpan.FromSeconds(5))).State is { } s)
                {
                    last = s;
                    if (until(s)) return s;
                }
            }
            catch (AskTimeoutException)
            {
                // a router recovering its ledgers answers late
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"batch {id}: not there in {timeout}: {last?.Status}, {last?.Good.Count} good, discs: "
            + string.Join("; ", (last?.Discs.Values ?? []).Select(d => $"{d.Disc} {d.Drive} {d.State} {d.Reason}")));
    }

    /// <summary>Polls until the router lists <paramref name="count"/> drives.</summary>
    public static async Task<Tower.DriveStatus[]> UntilDrives(IActorRef router, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Tower.DriveStatus[] last = [];
        while (DateTime.UtcNow < deadline)
        {
            last = await FloorDrives(router);
            if (last.Length == count && last.All(d => d.State == DriveState.Ready)) return last;
            await Task.Delay(50);
        }
        throw new TimeoutException($"the floor lists {last.Length} drives, not {count}: {string.Join(", ", last.Select(d => $"{d.Id}@{d.Tower} {d.State}"))}");
    }

    public static BatchSpec Batch(string id, string image, int copies) =>
        new(id, SourceKind.Image, [image], copies, new BatchOptions(true, 0, 0, true, ImmutableArray<string>.Empty));
}
