using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Serving;

namespace Duplicator.Host.Tests.Floor;

/// <summary>
/// A floor of N towers as real processes: N `duplicator serve` (<see cref="ServeProcess"/>: each its own folder,
/// emulated drives, control port) with a <c>cluster</c> section (tower ids t1..tN, remoting on free 127.0.0.1 ports,
/// t1 and t2 as seeds) on one database of a private <see cref="PostgresServer"/>. What a test needs of each tower:
/// its control URL, pid, log and discs folder.
/// </summary>
public sealed class Floor : IDisposable
{
    private readonly ServeProcess[] _towers;

    /// <param name="pg">The PostgreSQL server (the database <paramref name="database"/> is created on it).</param>
    /// <param name="database">A new database's name.</param>
    /// <param name="towers">How many towers.</param>
    /// <param name="drives">Emulated drives per tower.</param>
    /// <param name="speed">Their speed.</param>
    /// <param name="tuning">More keys of the cluster section (JSON members, e.g. <c>"stableAfterMs": 3000</c>).</param>
    public Floor(PostgresServer pg, string database, int towers = 3, int drives = 2, int speed = 2, string? tuning = null)
    {
        Pg = pg;
        Database = database;
        ConnectionString = pg.NewDatabase(database);
        ClusterPorts = [.. Enumerable.Range(0, towers).Select(_ => Duplicator.Tests.FreePorts.Next())];
        var seeds = JsonSerializer.Serialize(ClusterPorts.Take(Math.Min(2, towers)).Select(p => $"akka.tcp://duplicator@127.0.0.1:{p}"));
        var storage = JsonSerializer.Serialize(new { provider = "postgres", connectionString = ConnectionString });
        // The router stages a batch on its own node within its own allowed roots: a source every tower may name.
        Shared = Directory.CreateTempSubdirectory("dup-floor-").FullName;
        _towers = [.. Enumerable.Range(0, towers).Select(i => new ServeProcess(drives: drives, speed: speed, storageJson: storage,
            clusterJson: $$"""{ "tower": "{{Id(i)}}", "host": "127.0.0.1", "port": {{ClusterPorts[i]}}, "seeds": {{seeds}}{{(tuning is null ? "" : ", " + tuning)}} }""",
            driveId: d => DriveId(i, d), allowedRoots: [Shared]))];
    }

    /// <summary>A folder every tower allows (control.allowedRoots): sources of batches go here.</summary>
    public string Shared { get; }

    /// <summary>The server.</summary>
    public PostgresServer Pg { get; }

    /// <summary>The floor's database.</summary>
    public string Database { get; }

    /// <summary>Its connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>The towers, t1 first.</summary>
    public IReadOnlyList<ServeProcess> Towers => _towers;

    /// <summary>Each tower's remoting port.</summary>
    public IReadOnlyList<int> ClusterPorts { get; }

    /// <summary>Each tower's control URL (http://127.0.0.1:PORT).</summary>
    public IReadOnlyList<string> ControlUrls => [.. _towers.Select(t => t.BaseAddress)];

    /// <summary>Each tower's pid (null once it is gone).</summary>
    public IReadOnlyList<int?> Pids => [.. _towers.Select(t => t.Pid)];

    /// <summary>The tower id of tower <paramref name="i"/> (from 0).</summary>
    public static string Id(int i) => $"t{i + 1}";

    /// <summary>Drive <paramref name="d"/> (from 1) of tower <paramref name="i"/> (from 0): drive ids are unique floor-wide (t1-d1, t2-d1, ...).</summary>
    public static string DriveId(int i, int d) => $"{Id(i)}-d{d}";

    /// <summary>The index of the tower drive <paramref name="driveId"/> is on (from its id), or -1.</summary>
    public static int TowerOfDrive(string driveId) =>
        driveId.StartsWith('t') && driveId.IndexOf('-') is var dash and > 1 && int.TryParse(driveId[1..dash], out var n) ? n - 1 : -1;

    /// <summary>
    /// The SHA-256 (upper-case hex) of every disc file drive <paramref name="driveId"/> left on its tower
    /// (Discs/&lt;drive&gt;/disc-N.iso, the emulated recorder's medium), by file name.
    /// </summary>
    public IReadOnlyDictionary<string, string> DiscFiles(string driveId)
    {
        var dir = Path.Combine(_towers[TowerOfDrive(driveId)].Discs, driveId);
        if (!Directory.Exists(dir)) return new Dictionary<string, string>();
        return Directory.EnumerateFiles(dir, "disc-*.iso").ToDictionary(f => Path.GetFileName(f), f =>
        {
            using var s = File.OpenRead(f);
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(s));
        });
    }

    /// <summary>
    /// Starts every tower at once and waits until each says the floor has all of them up (returns the time from the
    /// launch to that moment), then until each tower's journal has answered its warm-up.
    /// </summary>
    public async Task<TimeSpan> StartAsync(TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await Task.WhenAll(_towers.Select(t => t.StartAsync(readyLine: "control API on ")));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException or TaskCanceledException)
        {
            throw new TimeoutException($"a tower did not start: {e.Message}\n{Logs()}", e);
        }
        await UntilAsync(() => _towers.All(t => Up(t) == _towers.Length), timeout ?? TimeSpan.FromSeconds(90), "the floor did not form");
        var formed = watch.Elapsed;
        // Ready as a floor is: every tower's journal warm (a router may have to start on any of them).
        await UntilAsync(() => _towers.All(t => t.Log.Contains("floor: the ledger's journal answered this tower")), timeout ?? TimeSpan.FromSeconds(90),
            "a tower's journal did not answer");
        return formed;
    }

    /// <summary>How many towers are up as <paramref name="tower"/>'s last membership line says (0 before the first).</summary>
    public static int Up(ServeProcess tower)
    {
        var line = tower.Log.Split('\n').LastOrDefault(l => l.Contains("floor: tower ") && l.Contains(" up: "));
        if (line is null) return 0;
        var text = line[(line.LastIndexOf("; ", StringComparison.Ordinal) + 2)..];
        return int.TryParse(text[..text.IndexOf(' ')], out var n) ? n : 0;
    }

    /// <summary>The index of the running tower whose log says the router started there last, or -1.</summary>
    public int RouterTower() =>
        Array.FindIndex(_towers, t => t.Pid != null && t.Log.Contains("floor: the router runs on this tower"));

    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds, or fails with <paramref name="what"/> and the logs.</summary>
    public async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} within {timeout}:\n{Logs()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Every tower's log, for a failure's message.</summary>
    public string Logs() => string.Join("\n", _towers.Select((t, i) => $"===== {Id(i)} (pid {t.Pid?.ToString() ?? "gone"}) =====\n{t.Log}"));

    /// <summary>
    /// Asks each of <paramref name="towers"/> for the floor's drives until one answers (a request to each every 250 ms,
    /// each waited for in parallel, so one lost in a dead router's mailbox does not hold up the next); returns the first
    /// answer, which tower gave it and when it arrived.
    /// </summary>
    public async Task<(IReadOnlyList<DriveView> Drives, int Tower, DateTime At)> FirstAnswerAsync(IReadOnlyList<int> towers, TimeSpan timeout)
    {
        using var stop = new CancellationTokenSource(timeout);
        var answered = new TaskCompletionSource<(IReadOnlyList<DriveView>, int, DateTime)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var asks = new List<Task>();
        var clients = towers.Select(i => (i, client: _towers[i].Client())).ToArray();
        try
        {
            while (!answered.Task.IsCompleted && !stop.IsCancellationRequested)
            {
                foreach (var (i, client) in clients)
                    asks.Add(Task.Run(async () =>
                    {
                        try
                        {
                            var drives = await client.DrivesAsync(stop.Token);
                            answered.TrySetResult((drives, i, DateTime.UtcNow));
                        }
                        catch (Exception e) when (e is ControlException or HttpRequestException or OperationCanceledException)
                        {
                        }
                    }));
                await Task.WhenAny(answered.Task, Task.Delay(250));
            }
            if (!answered.Task.IsCompleted) throw new TimeoutException($"no answer from the router within {timeout}:\n{Logs()}");
            stop.Cancel();
            await Task.WhenAll(asks);
            return await answered.Task;
        }
        finally
        {
            foreach (var (_, client) in clients) client.Dispose();
        }
    }

    /// <summary>Sends SIGSTOP, SIGCONT, ... (<paramref name="signal"/> without SIG) to process <paramref name="pid"/>.</summary>
    public static void Signal(string signal, int pid)
    {
        using var p = Process.Start("kill", ["-" + signal, pid.ToString()])!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {pid} exited {p.ExitCode}");
    }


    /// <summary>Kills every tower (SIGKILL) and removes their folders; the database stays on the server.</summary>
    public void Dispose()
    {
        foreach (var t in _towers) t.Dispose();
        if (Environment.GetEnvironmentVariable("DUP_TEST_KEEP") == "1")
        {
            // To read the towers' folders and logs after a run.
            for (int i = 0; i < _towers.Length; i++) File.WriteAllText(Path.Combine(Shared, Id(i) + ".log"), _towers[i].Log);
            return;
        }
        try
        {
            Directory.Delete(Shared, true);
        }
        catch (IOException)
        {
        }
    }
}
