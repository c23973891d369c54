using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Serving;
using Xunit.Abstractions;

namespace Duplicator.Host.Tests.Floor;

/// <summary>
/// The floor end to end (issue 14): three `duplicator serve` towers on one private PostgreSQL, two emulated drives
/// each; a batch submitted to one tower's control API is staged by that tower and burned on the drives of every tower
/// (each fetches the staged image by its SHA-256, the source folder is gone by then), a tower is killed -9 (or frozen) mid-batch, and the batch
/// still ends with exactly N good discs, each good disc's file on its tower equal to the staged image. The time from
/// the kill to the first disc restarted elsewhere is printed, not asserted.
/// </summary>
public sealed class FloorBatchTests(FloorFailoverTests.Server pg, ITestOutputHelper output) : IClassFixture<FloorFailoverTests.Server>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);
    private const int Copies = 9;

    [Fact]
    public async Task A_batch_spreads_over_three_towers_and_after_kill_9_of_one_mid_batch_ends_with_exactly_N_good_discs_each_equal_to_the_staged_image()
    {
        using var floor = new Floor(pg.Pg, "spread");
        var router = await StartedAsync(floor);

        var submitter = (router + 1) % 3; // a tower that does not run the router: submissions go to it through the proxy
        using var client = floor.Towers[submitter].Client();
        var src = Source(floor);
        await Submit(client, JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "spread", folder = src, copies = Copies }));
        // The submitting tower staged the image before it answered, into its own stash; then the source goes: no tower
        // (the router's included, wherever it moves) may need to see the submitter's source folder.
        var staged = Directory.EnumerateFiles(Path.Combine(floor.Towers[submitter].Dir, "stash", "floor-images"), "*.iso").Select(Sha).ToHashSet();
        Assert.Single(staged);
        Directory.Delete(src, recursive: true);

        // Kill -9 a tower other than the router's while one of its drives writes a disc of the batch.
        var victim = -1;
        var inFlight = new List<DiscView>();
        await floor.UntilAsync(() =>
        {
            var discs = Detail(floor, submitter)?.Discs ?? [];
            inFlight = [.. discs.Where(d => d.State == "started" && Floor.TowerOfDrive(d.Drive) is var t && t != router && t >= 0)];
            if (inFlight.Count == 0) return false;
            victim = Floor.TowerOfDrive(inFlight[0].Drive);
            return true;
        }, Long, "no disc started on a tower other than the router's");
        var startedBefore = (Detail(floor, submitter)?.Discs ?? []).Select(d => d.Number).ToHashSet();
        var victimDiscs = inFlight.Where(d => Floor.TowerOfDrive(d.Drive) == victim).Select(d => d.Number).ToArray();
        var killedAt = Stopwatch.StartNew();
        floor.Towers[victim].Kill();
        output.WriteLine($"floor: kill -9 of {Floor.Id(victim)} with disc(s) {string.Join(", ", victimDiscs)} in flight (router on {Floor.Id(router)})");

        var observer = 3 - router - victim == submitter ? submitter : router; // a survivor's API
        TimeSpan? interrupted = null, restarted = null;
        BatchDetail? detail = null;
        await floor.UntilAsync(() =>
        {
            detail = Detail(floor, observer);
            if (detail is null) return false;
            if (interrupted is null && detail.Discs.Any(d => victimDiscs.Contains(d.Number) && d.State == "interrupted")) interrupted = killedAt.Elapsed;
            if (interrupted != null && restarted is null
                && detail.Discs.Any(d => !startedBefore.Contains(d.Number) && Floor.TowerOfDrive(d.Drive) != victim))
                restarted = killedAt.Elapsed;
            return detail.Batch.IsFinished;
        }, TimeSpan.FromMinutes(4), "the batch did not finish");
        output.WriteLine($"floor: kill -9 -> its discs interrupted {interrupted?.TotalSeconds:F1} s, first disc restarted elsewhere {restarted?.TotalSeconds:F1} s later");

        Assert.Equal("completed", detail!.Batch.State);
        var good = detail.Discs.Where(d => d.State == "completed").ToArray();
        Assert.Equal(Copies, good.Length); // exactly N: none lost, none counted twice
        Assert.Equal(Copies, detail.Batch.Good);
        Assert.NotNull(interrupted); // the killed tower's discs were not left hanging
        Assert.All(victimDiscs, n => Assert.Equal("interrupted", detail.Discs.Single(d => d.Number == n).State));
        var towers = good.Select(d => Floor.TowerOfDrive(d.Drive)).Distinct().ToArray();
        output.WriteLine($"floor: good discs by tower: {string.Join(", ", good.GroupBy(d => Floor.Id(Floor.TowerOfDrive(d.Drive))).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))}");
        Assert.True(towers.Length >= 2, $"the good discs were made on {towers.Length} tower(s)");
        // One view: the API of a survivor that does not run the router lists every live drive of the floor with its
        // history, gathered from each tower's own, so each drive's good discs are the ledger's.
        var viewer = Enumerable.Range(0, 3).First(t => t != router && t != victim);
        string[] live = [.. Enumerable.Range(0, 3).Where(t => t != victim).SelectMany(t => new[] { Floor.DriveId(t, 1), Floor.DriveId(t, 2) }).Order()];
        IReadOnlyList<DriveView> viewed = [];
        await floor.UntilAsync(() => (viewed = Drives(floor, viewer)).Select(d => d.Id).Order().SequenceEqual(live)
            && viewed.All(d => (d.History?.Good ?? 0) == good.Count(g => g.Drive == d.Id)), Long,
            $"{Floor.Id(viewer)}'s API did not list the floor's drives with their histories");
        Assert.Contains(viewed, d => Floor.TowerOfDrive(d.Id) != viewer && d.History?.Good > 0); // another tower's history, not only its own

        // The staged image: the submitter's; every good disc's SHA-256 is its hash, and each good disc's file is those bytes.
        var image = Assert.Single(good.Select(d => d.Sha256).Distinct());
        Assert.NotNull(image);
        Assert.Contains(image, staged);
        foreach (var drive in good.GroupBy(d => d.Drive))
        {
            var files = floor.DiscFiles(drive.Key);
            Assert.True(files.Values.Count(h => h == image) >= drive.Count(),
                $"drive {drive.Key}: {drive.Count()} good disc(s) in the ledger, {files.Values.Count(h => h == image)} file(s) of the image: {string.Join(", ", files.Select(f => $"{f.Key}={f.Value[..12]}"))}");
            // A survivor's drive made no disc the ledger does not count (a verified disc of the image, counted twice or lost).
            if (Floor.TowerOfDrive(drive.Key) != victim) Assert.Equal(drive.Count(), files.Values.Count(h => h == image));
        }
        // The batch ended: every surviving tower lets its copy of the image go (the submitter kept its own until then).
        var survivors = Enumerable.Range(0, 3).Where(t => t != victim).ToArray();
        string[] Held() => [.. survivors.Select(t => Path.Combine(floor.Towers[t].Dir, "stash", "floor-images")).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.iso"))];
        await floor.UntilAsync(() => Held().Length == 0, Long, "a surviving tower kept its copy of the image after the batch ended");
    }

    [Fact]
    public async Task After_kill_9_of_the_routers_tower_mid_batch_the_moved_router_finishes_it_with_exactly_N_good_discs_without_the_source()
    {
        using var floor = new Floor(pg.Pg, "moverouter");
        var router = await StartedAsync(floor);
        var submitter = (router + 1) % 3;
        using var client = floor.Towers[submitter].Client();
        var src = Source(floor);
        await Submit(client, JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "moved", folder = src, copies = Copies }));
        Directory.Delete(src, recursive: true); // staged by the submitter: the moved router must not need it

        await floor.UntilAsync(() => Detail(floor, submitter, "moved") is { Batch.Good: >= 1 } d && d.Discs.Any(x => x.State == "started"), Long,
            "no disc was made and another started");
        var killedAt = Stopwatch.StartNew();
        floor.Towers[router].Kill();
        output.WriteLine($"floor: kill -9 of {Floor.Id(router)}, the router's tower, mid-batch");

        BatchDetail? detail = null;
        await floor.UntilAsync(() => (detail = Detail(floor, submitter, "moved")) is { Batch.IsFinished: true }, TimeSpan.FromMinutes(4), "the batch did not finish");
        output.WriteLine($"floor: the moved router finished the batch {killedAt.Elapsed.TotalSeconds:F1} s after the kill");
        Assert.Equal("completed", detail!.Batch.State);
        var good = detail.Discs.Where(d => d.State == "completed").ToArray();
        Assert.Equal(Copies, good.Length); // exactly N across the move: none lost, none counted twice
        Assert.Equal(Copies, detail.Batch.Good);
        foreach (var t in Enumerable.Range(0, 3).Where(t => t != router))
            foreach (var l in floor.Towers[t].Log.Split('\n').Where(l => l.Contains("after its router was gone") || l.Contains("was assigned by a router that is gone") || l.Contains("ended, not reported")))
                output.WriteLine($"{Floor.Id(t)}: {(l.Length > 300 ? l[..300] : l)}");
        output.WriteLine("discs: " + string.Join(", ", detail.Discs.Select(d => $"{d.Number}:{d.Drive}:{d.State}")));
        var image = Assert.Single(good.Select(d => d.Sha256).Distinct());
        foreach (var drive in good.Where(d => Floor.TowerOfDrive(d.Drive) != router).GroupBy(d => d.Drive))
            Assert.Equal(drive.Count(), floor.DiscFiles(drive.Key).Values.Count(h => h == image));
        Assert.Contains(good, d => Floor.TowerOfDrive(d.Drive) != router);
    }

    [Fact]
    public async Task A_job_file_dropped_in_the_hot_folder_of_a_tower_without_the_router_is_burned_across_the_floor_and_marked_done()
    {
        using var floor = new Floor(pg.Pg, "hotfloor");
        var router = await StartedAsync(floor);

        var dropped = floor.Towers[(router + 1) % 3]; // its hot folder goes to the router through the singleton proxy
        var job = JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "hot-floor", folder = Source(floor), copies = 6 });
        File.WriteAllText(Path.Combine(dropped.HotFolder, ".hot.tmp"), job);
        File.Move(Path.Combine(dropped.HotFolder, ".hot.tmp"), Path.Combine(dropped.HotFolder, "hot.job"));
        await floor.UntilAsync(() =>
        {
            if (File.Exists(Path.Combine(dropped.HotFolder, "hot.job.failed")))
                Assert.Fail("the hot-folder job failed: " + File.ReadAllText(Path.Combine(dropped.HotFolder, "hot.result.json")));
            return File.Exists(Path.Combine(dropped.HotFolder, "hot.job.done"));
        }, TimeSpan.FromMinutes(4), "the hot-folder job did not finish");

        var detail = Detail(floor, router, "hot-floor");
        Assert.NotNull(detail);
        Assert.Equal(("completed", 6), (detail!.Batch.State, detail.Batch.Good));
        var good = detail.Discs.Where(d => d.State == "completed").ToArray();
        Assert.Equal(6, good.Length);
        output.WriteLine($"floor: hot-folder job on {Floor.Id((router + 1) % 3)}, good discs by tower: {string.Join(", ", good.GroupBy(d => Floor.Id(Floor.TowerOfDrive(d.Drive))).OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Count()}"))}");
        Assert.True(good.Select(d => Floor.TowerOfDrive(d.Drive)).Distinct().Count() >= 2, "the good discs were made on one tower");
        Assert.Contains("\"batchId\": \"hot-floor\"", File.ReadAllText(Path.Combine(dropped.HotFolder, "hot.result.json")));
    }

    [Fact]
    public async Task A_tower_frozen_mid_batch_is_downed_its_discs_are_made_elsewhere_and_after_SIGCONT_it_exits_without_counting_one_twice()
    {
        using var floor = new Floor(pg.Pg, "freeze");
        var router = await StartedAsync(floor);
        using var client = floor.Towers[router].Client();
        await Submit(client, JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "freeze", folder = Source(floor), copies = Copies }));

        var frozen = -1;
        int[] frozenDiscs = [];
        await floor.UntilAsync(() =>
        {
            var started = (Detail(floor, router)?.Discs ?? []).Where(d => d.State == "started" && Floor.TowerOfDrive(d.Drive) is var t && t != router && t >= 0).ToArray();
            if (started.Length == 0) return false;
            frozen = Floor.TowerOfDrive(started[0].Drive);
            frozenDiscs = [.. started.Where(d => Floor.TowerOfDrive(d.Drive) == frozen).Select(d => d.Number)];
            return true;
        }, Long, "no disc started on a tower other than the router's");
        var pid = floor.Towers[frozen].Pid!.Value;
        Floor.Signal("STOP", pid);
        var frozenAt = Stopwatch.StartNew();
        output.WriteLine($"floor: SIGSTOP of {Floor.Id(frozen)} with disc(s) {string.Join(", ", frozenDiscs)} in flight");
        await floor.UntilAsync(() => Detail(floor, router)?.Discs.Where(d => frozenDiscs.Contains(d.Number)).All(d => d.State == "interrupted") == true,
            Long, "the frozen tower's discs were not interrupted");
        output.WriteLine($"floor: SIGSTOP -> its discs interrupted {frozenAt.Elapsed.TotalSeconds:F1} s later");

        Floor.Signal("CONT", pid);
        var code = floor.Towers[frozen].WaitForExit(Long);
        Assert.True(code != null, $"the woken tower still runs:\n{floor.Towers[frozen].Log}");
        output.WriteLine($"floor: SIGCONT of {Floor.Id(frozen)} -> it exited {code}");
        Assert.NotEqual(0, code);

        BatchDetail? detail = null;
        await floor.UntilAsync(() => (detail = Detail(floor, router)) is { Batch.IsFinished: true }, TimeSpan.FromMinutes(4), "the batch did not finish");
        Assert.Equal("completed", detail!.Batch.State);
        var good = detail.Discs.Where(d => d.State == "completed").ToArray();
        Assert.Equal(Copies, good.Length);
        Assert.Equal(Copies, detail.Batch.Good);
        // The discs it had stay interrupted: when it woke it did not complete one into the ledger.
        Assert.All(frozenDiscs, n => Assert.Equal("interrupted", detail.Discs.Single(d => d.Number == n).State));
    }

    /// <summary>Submits <paramref name="job"/>, again with the same id when an answer is slow (a loaded machine): a known id creates nothing new.</summary>
    private static async Task Submit(ControlClient client, string job)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            try
            {
                await client.SubmitAsync(job, CancellationToken.None);
                return;
            }
            catch (Exception e) when (e is TaskCanceledException or HttpRequestException && DateTime.UtcNow < deadline)
            {
            }
        }
    }

    /// <summary>A folder every tower allows with 6 MB of random bytes (a few seconds a disc at 2x).</summary>
    private static string Source(Floor floor)
    {
        var src = Directory.CreateDirectory(Path.Combine(floor.Shared, "src")).FullName;
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), RandomNumberGenerator.GetBytes(6 << 20));
        return src;
    }

    private static string Sha(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(s));
    }

    private static BatchDetail? Detail(Floor floor, int tower, string? id = null)
    {
        using var client = floor.Towers[tower].Client();
        try
        {
            var batches = client.BatchesAsync(CancellationToken.None).GetAwaiter().GetResult();
            var batch = id ?? batches.FirstOrDefault()?.Id;
            return batch is null ? null : client.BatchAsync(batch, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is ControlException or HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Starts <paramref name="floor"/> and waits until a tower runs the router and it lists all three towers' drives; returns that tower.</summary>
    private static async Task<int> StartedAsync(Floor floor)
    {
        await floor.StartAsync();
        await floor.UntilAsync(() => floor.RouterTower() >= 0, Long, "no tower started the router");
        var router = floor.RouterTower();
        await floor.UntilAsync(() => Drives(floor, router).Select(d => d.Tower).Distinct().Count() == 3, Long, "the router did not list all three towers' drives");
        return router;
    }

    private static IReadOnlyList<DriveView> Drives(Floor floor, int tower)
    {
        using var client = floor.Towers[tower].Client();
        try
        {
            return client.DrivesAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is ControlException or HttpRequestException or TaskCanceledException)
        {
            return [];
        }
    }
}
