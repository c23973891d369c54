using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Floor;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Actors.Tests.Supervision;

namespace Duplicator.Actors.Tests.Floor;

/// <summary>
/// Floors of two or three towers in this process: ActorSystems on 127.0.0.1 talking over real remoting (every
/// registration, burn, report and answer crosses a socket and the default serializer), the router's ledger in a SQLite
/// file (the other nodes' drive histories in memory), fake drives on each node, images fetched by hash with a test
/// double that copies from the other node's folders.
/// </summary>
[Collection("floor")] // remoting nodes and one ledger file per test: never two floors at once on a loaded machine
public sealed class FloorTests : IDisposable
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    public void Dispose() => _fx.Dispose();

    private string Ledger => Path.Combine(_fx.Dir, "ledger.db");

    private FolderFetcher Fetcher(params FloorNode[] nodes) =>
        new(nodes.ToDictionary(n => n.ControlUrl, n => n == nodes[0] ? new[] { _fx.Dir } : [n.Stash])); // the router's node serves the batch's image

    private static string TowerOf(string drive) => drive[..2];

    /// <summary>Puts <paramref name="bytes"/> in <paramref name="node"/>'s stash as its copy of the floor image <paramref name="sha"/>; its path.</summary>
    private static string PlaceCopy(FloorNode node, string sha, byte[] bytes)
    {
        var path = Duplicator.Actors.Floor.Floor.ImagePath(node.Stash, sha);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A batch of the 512-sector floor image <paramref name="sha"/> submitted to <paramref name="origin"/>, whose paths name a file no node has.</summary>
    private BatchSpec FloorBatch(string id, string sha, FloorNode origin, int copies) =>
        FloorNode.Batch(id, Path.Combine(_fx.Dir, "gone", "image.iso"), copies) with { FloorImage = new FloorImage(sha, 512, origin.ControlUrl.ToString()) };

    /// <summary>Waits up to <see cref="Long"/> for <paramref name="done"/>; the caller asserts what it waited for.</summary>
    private static async Task Until(Func<bool> done)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!done() && DateTime.UtcNow < deadline) await Task.Delay(50);
    }

    [Fact]
    public async Task A_batch_submitted_to_the_router_is_burned_on_drives_of_two_towers_with_exactly_N_good_discs_and_the_floor_lists_every_drive()
    {
        var (image, sha) = _fx.Image(512);
        await using var a = FloorNode.Start("ta", _fx.Dir, Ledger, 2, TimeSpan.FromMilliseconds(20));
        await using var b = FloorNode.Start("tb", _fx.Dir, null, 2, TimeSpan.FromMilliseconds(20));
        var router = a.StartRouter();
        await b.Follow(a);
        var fetcher = Fetcher(a, b);
        a.StartAgent(fetcher);
        b.StartAgent(fetcher);

        var drives = await FloorNode.UntilDrives(router, 4, Long);
        Assert.Equal(["ta", "ta", "tb", "tb"], drives.Select(d => d.Tower).Order());
        Assert.All(drives, d => Assert.Equal(TowerOf(d.Id), d.Tower));

        var progress = Events.On<Recorder.ImapiEvent>(a.System);
        var bProgress = Events.On<Recorder.ImapiEvent>(b.System);
        var bDrives = Events.On<Tower.DriveChanged>(b.System);
        var bBatches = Events.On<Tower.BatchChanged>(b.System);
        // Submitted on the other tower, through its proxy: the submission and every answer cross the wire too.
        Assert.IsType<Tower.Submitted>(await b.Proxy!.Ask<object>(new Tower.Submit(FloorNode.Batch("f1", image, copies: 8)), Long));
        var done = await TowerFixture.UntilFinished(b.Proxy!, "f1", Long);
        Assert.Equal(4, (await FloorNode.FloorDrives(b.Proxy!)).Count(d => d.Tower != null));

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(8, done.Good.Count);
        var towers = done.Good.Keys.Select(g => TowerOf(done.Discs[g].Drive)).Distinct().Order().ToArray();
        Assert.Equal(["ta", "tb"], towers); // the copies spread over both towers
        Assert.All(done.Good.Keys, g => Assert.Equal(sha, done.Discs[g].Sha256));
        // Tower b burned from its own copy, fetched by hash from tower a; tower a from the router's staging.
        Assert.Contains(fetcher.Fetches, f => f.From == a.ControlUrl && f.Sha256 == sha.ToLowerInvariant());
        Assert.True(File.Exists(Path.Combine(b.Stash, "floor-images", sha.ToLowerInvariant() + ".iso")));
        Assert.All(a.Drives.Concat(b.Drives).SelectMany(d => d.Burned), h => Assert.Equal(sha, h));
        Assert.Equal(8, a.Drives.Concat(b.Drives).Sum(d => d.Burned.Count));
        Assert.True(b.Drives.Sum(d => d.Burned.Count) > 0);
        // The other tower's IMAPI progress reaches the router's node (for the floor's live view), once per event.
        var remote = progress.OfType<Recorder.ImapiEvent>().Where(e => e.DriveId.StartsWith("tb") && e.Event == "BurnComplete").ToArray();
        Assert.Equal(b.Drives.Sum(d => d.Burned.Count), remote.Length);
        Assert.Equal(a.Drives.Sum(d => d.Burned.Count), progress.OfType<Recorder.ImapiEvent>().Count(e => e.DriveId.StartsWith("ta") && e.Event == "BurnComplete"));
        // And the tower without the router hears the whole floor too (its console, metrics and log): the router's tower's
        // drives and progress, once per event, its own progress once (not echoed back), and the batch's end.
        await Until(() => bBatches.OfType<Tower.BatchChanged>().Any(c => c.Batch.Spec?.BatchId == "f1" && c.Batch.IsFinished));
        Assert.Equal(a.Drives.Sum(d => d.Burned.Count), bProgress.OfType<Recorder.ImapiEvent>().Count(e => e.DriveId.StartsWith("ta") && e.Event == "BurnComplete"));
        Assert.Equal(b.Drives.Sum(d => d.Burned.Count), bProgress.OfType<Recorder.ImapiEvent>().Count(e => e.DriveId.StartsWith("tb") && e.Event == "BurnComplete"));
        Assert.Equal(["ta1", "ta2", "tb1", "tb2"], bDrives.OfType<Tower.DriveChanged>().Select(c => c.Drive.Id).Distinct().Order());
        Assert.Contains(bDrives.OfType<Tower.DriveChanged>(), c => c.Drive.Id == "ta1" && c.Drive.Tower == "ta" && c.Drive.Good > 0);
        var last = bBatches.OfType<Tower.BatchChanged>().Last(c => c.Batch.Spec?.BatchId == "f1").Batch;
        Assert.Equal((BatchStatus.Completed, 8), (last.Status, last.Good.Count)); // the last change wins, however they were grouped
        // Each tower keeps its drives' history; the router gathers them, so asked from either node it covers the floor.
        var histories = await b.Proxy!.Ask<Duplicator.Actors.Drives.DriveHistory.Histories>(Duplicator.Actors.Drives.DriveHistory.Get.Instance, Long);
        foreach (var node in new[] { a, b })
            for (int i = 0; i < node.Drives.Length; i++)
                Assert.Equal(node.Drives[i].Burned.Count, histories.Drives.TryGetValue($"{node.TowerId}{i + 1}", out var h) ? h.Good : 0);
        Assert.Equal(8, histories.Drives.Values.Sum(h => h.Good));
    }

    [Fact]
    public async Task A_tower_whose_node_stops_mid_batch_has_its_discs_interrupted_and_made_on_the_others_and_a_late_completion_is_not_counted()
    {
        var (image, sha) = _fx.Image(1024);
        await using var a = FloorNode.Start("ta", _fx.Dir, Ledger, 1, TimeSpan.FromMilliseconds(20));
        await using var b = FloorNode.Start("tb", _fx.Dir, null, 1, TimeSpan.FromMilliseconds(20));
        var c = FloorNode.Start("tc", _fx.Dir, null, 2, TimeSpan.FromMilliseconds(40)); // the slow tower that goes
        var router = a.StartRouter();
        await b.Follow(a);
        await c.Follow(a);
        var fetcher = Fetcher(a, b, c);
        a.StartAgent(fetcher);
        b.StartAgent(fetcher);
        c.StartAgent(fetcher);
        await FloorNode.UntilDrives(router, 4, Long);

        var removedA = Events.On<Tower.DriveRemoved>(a.System);
        var removedB = Events.On<Tower.DriveRemoved>(b.System);
        Assert.IsType<Tower.Submitted>(await router.Ask<object>(new Tower.Submit(FloorNode.Batch("f2", image, copies: 6)), Long));
        var before = await FloorNode.Until(router, "f2", s => s.InFlight.Values.Count(d => TowerOf(d) == "tc") == 2, Long);
        var cut = before.InFlight.Where(kv => TowerOf(kv.Value) == "tc").Select(kv => kv.Key).ToArray();
        await c.DisposeAsync(); // the node goes with two discs on its drives

        var done = await TowerFixture.UntilFinished(router, "f2", Long);
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(6, done.Good.Count);
        Assert.Equal(0, done.Failed); // interrupted discs count against no threshold
        Assert.All(cut, disc => Assert.Equal(DiscState.Interrupted, done.Discs[disc].State));
        Assert.True(done.Interrupted >= 2);
        Assert.Equal(["ta", "tb"], done.Good.Keys.Select(g => TowerOf(done.Discs[g].Drive)).Distinct().Order().ToArray()); // remade on the others
        Assert.DoesNotContain(await FloorNode.FloorDrives(router), d => d.Tower == "tc");
        // Every view forgets the drives that left: on the router's node and on the other tower's.
        await Until(() => removedB.Count >= 2);
        Assert.Equal(["tc1", "tc2"], removedA.OfType<Tower.DriveRemoved>().Select(r => r.DriveId).Order());
        Assert.Equal(["tc1", "tc2"], removedB.OfType<Tower.DriveRemoved>().Select(r => r.DriveId).Order());
        Assert.All(removedB.OfType<Tower.DriveRemoved>(), r => Assert.Contains("tower tc left the floor", r.Reason));

        // A completion from the tower that left, arriving late (a frozen node that woke): neither the router nor the ledger counts it.
        router.Tell(new Recorder.DiscBurned("tc1", "f2", cut[0], sha, Verified: true));
        var answer = await router.Ask<Tower.BatchAnswer>(new Tower.GetBatch("f2"), Long);
        Assert.Equal(6, answer.State!.Good.Count);
        Assert.Equal(DiscState.Interrupted, answer.State.Discs[cut[0]].State);
        // The ledger itself would not count it either (FloorRosterTests checks it on a running batch too).
        Assert.DoesNotContain(BatchLogic.Decide(done, new CompleteDisc(cut[0], "tc1", sha)).Events, e => e is DiscCompleted);
    }

    [Fact]
    public async Task A_router_that_moves_to_another_node_recovers_from_the_journal_the_agents_register_again_and_burns_of_the_old_router_are_cancelled()
    {
        var (image, sha) = _fx.Image(1024);
        var a = FloorNode.Start("ta", _fx.Dir, Ledger, 1, TimeSpan.FromMilliseconds(20));
        var router = a.StartRouter();
        var fetcher = Fetcher(a);
        a.StartAgent(fetcher);
        await FloorNode.UntilDrives(router, 1, Long); // the ledger's tables exist before the second node opens the file
        await using var b = FloorNode.Start("tb", _fx.Dir, Ledger, 2, TimeSpan.FromMilliseconds(40));
        var listed = Events.On<Duplicator.Actors.Floor.Floor.DrivesListed>(b.System);
        await b.Follow(a);
        b.StartAgent(fetcher);
        await FloorNode.UntilDrives(router, 3, Long);

        Assert.IsType<Tower.Submitted>(await router.Ask<object>(new Tower.Submit(FloorNode.Batch("f3", image, copies: 6)), Long));
        var before = await FloorNode.Until(router, "f3", s => s.Good.Count >= 1 && s.InFlight.Values.Any(d => TowerOf(d) == "tb"), Long);
        await a.DisposeAsync(); // the router's node goes (a singleton handover or crash); tb's discs of the old router are in flight

        var moved = b.StartRouter(); // the singleton starts on the other node, from the same journal
        var done = await TowerFixture.UntilFinished(moved, "f3", Long);
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(6, done.Good.Count);
        Assert.All(before.Good.Keys, g => Assert.True(done.Good.ContainsKey(g))); // what the old router counted stays counted, once
        Assert.All(before.InFlight.Where(kv => TowerOf(kv.Value) == "tb").Select(kv => kv.Key),
            disc => Assert.Equal(DiscState.Interrupted, done.Discs[disc].State)); // recovered as interrupted, made again
        Assert.True(b.Drives.Sum(d => d.Aborted) >= 1); // the agent cancelled the old router's burns rather than let them finish
        var drives = await FloorNode.FloorDrives(moved);
        Assert.Equal(["tb1", "tb2"], drives.Select(d => d.Id).Order().ToArray());
        Assert.All(drives, d => Assert.Equal("tb", d.Tower));
        // The dead router never said ta1 left; the new one's registration answers list the floor's drives, so tb's views drop it.
        Assert.Contains(listed.OfType<Duplicator.Actors.Floor.Floor.DrivesListed>(), l => l.DriveIds.Contains("ta1"));
        await Until(() => listed.OfType<Duplicator.Actors.Floor.Floor.DrivesListed>().LastOrDefault() is { } l && !l.DriveIds.Contains("ta1"));
        Assert.Equal(["tb1", "tb2"], listed.OfType<Duplicator.Actors.Floor.Floor.DrivesListed>().Last().DriveIds.Order());
    }

    [Fact]
    public async Task A_batch_staged_by_the_tower_it_was_submitted_to_is_fetched_by_hash_by_every_tower_the_router_reads_no_path_and_its_copies_go_when_it_ends()
    {
        var (image, sha) = _fx.Image(512);
        await using var a = FloorNode.Start("ta", _fx.Dir, Ledger, 2, TimeSpan.FromMilliseconds(20));
        await using var b = FloorNode.Start("tb", _fx.Dir, null, 2, TimeSpan.FromMilliseconds(20));
        var router = a.StartRouter();
        await b.Follow(a);
        // Only tower b holds the image (its host staged it there); the router's node serves nothing.
        var held = PlaceCopy(b, sha, File.ReadAllBytes(image));
        var fetcher = new FolderFetcher(new Dictionary<Uri, string[]> { [a.ControlUrl] = [], [b.ControlUrl] = [Path.GetDirectoryName(held)!] });
        a.StartAgent(fetcher);
        var agentB = b.StartAgent(fetcher);
        await FloorNode.UntilDrives(router, 4, Long);
        Assert.IsType<Duplicator.Actors.Floor.Floor.HoldTaken>(await agentB.Ask<object>(new Duplicator.Actors.Floor.Floor.Hold(sha), Long));

        // The paths name a file no node has: the router stages nothing from them.
        var spec = FloorBatch("f-held", sha, b, copies: 6);
        Assert.IsType<Tower.Submitted>(await b.Proxy!.Ask<object>(new Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(b.Proxy!, "f-held", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(6, done.Good.Count);
        Assert.All(done.Good.Keys, g => Assert.Equal(sha, done.Discs[g].Sha256));
        Assert.All(a.Drives.Concat(b.Drives).SelectMany(d => d.Burned), h => Assert.Equal(sha, h));
        Assert.True(a.Drives.Sum(d => d.Burned.Count) > 0, "the router's own node burned nothing");
        // The router's node fetched it from tower b, the tower it was submitted to; tower b fetched nothing.
        Assert.Contains(fetcher.Fetches, f => f.From == b.ControlUrl && f.Sha256 == sha.ToLowerInvariant());
        Assert.DoesNotContain(fetcher.Fetches, f => f.From == a.ControlUrl);
        // The batch ended: both towers' copies go (the submitting tower's was kept until then).
        var copyA = Duplicator.Actors.Floor.Floor.ImagePath(a.Stash, sha);
        await Until(() => !File.Exists(held) && !File.Exists(copyA));
        Assert.False(File.Exists(held), "the submitting tower kept its copy after the batch ended");
        Assert.False(File.Exists(copyA), "the router's node kept its fetched copy after the batch ended");
    }

    [Fact]
    public async Task Every_tower_fetches_a_floor_image_as_soon_as_its_batch_is_logged_even_one_whose_drives_get_no_disc()
    {
        var (image, sha) = _fx.Image(512);
        await using var a = FloorNode.Start("ta", _fx.Dir, Ledger, 2, TimeSpan.FromMilliseconds(20));
        await using var b = FloorNode.Start("tb", _fx.Dir, null, 1, TimeSpan.FromMilliseconds(20));
        var router = a.StartRouter();
        await b.Follow(a);
        var held = PlaceCopy(a, sha, File.ReadAllBytes(image));
        var fetcher = new FolderFetcher(new Dictionary<Uri, string[]> { [a.ControlUrl] = [Path.GetDirectoryName(held)!], [b.ControlUrl] = [] });
        var agentA = a.StartAgent(fetcher);
        b.StartAgent(fetcher);
        await FloorNode.UntilDrives(router, 3, Long);
        await router.Ask<object>(new Tower.Hold("tb1"), Long); // tower b's one drive is held: it is never handed a disc
        Assert.IsType<Duplicator.Actors.Floor.Floor.HoldTaken>(await agentA.Ask<object>(new Duplicator.Actors.Floor.Floor.Hold(sha), Long));

        var spec = FloorBatch("f-pre", sha, a, copies: 2);
        Assert.IsType<Tower.Submitted>(await a.Proxy!.Ask<object>(new Tower.Submit(spec), Long));
        var copyB = Duplicator.Actors.Floor.Floor.ImagePath(b.Stash, sha);
        await Until(() => File.Exists(copyB));
        Assert.True(File.Exists(copyB), "tower b did not fetch the image it was told to prefetch");
        Assert.Contains(fetcher.Fetches, f => f.From == a.ControlUrl && f.Sha256 == sha.ToLowerInvariant());
        var done = await TowerFixture.UntilFinished(a.Proxy!, "f-pre", Long);
        Assert.Equal((BatchStatus.Completed, 2), (done.Status, done.Good.Count));
        Assert.Empty(b.Drives.SelectMany(d => d.Burned));
        await Until(() => !File.Exists(copyB));
        Assert.False(File.Exists(copyB), "tower b kept its prefetched copy after the batch ended");
    }

    [Fact]
    public async Task A_copy_found_in_the_stash_at_start_that_no_longer_hashes_to_the_ledger_is_deleted_before_any_byte_reaches_a_disc()
    {
        var (image, sha) = _fx.Image(512);
        await using var a = FloorNode.Start("ta", _fx.Dir, Ledger, 1, TimeSpan.FromMilliseconds(20));
        await using var b = FloorNode.Start("tb", _fx.Dir, null, 1, TimeSpan.FromMilliseconds(20));
        var router = a.StartRouter();
        await b.Follow(a);
        // Tower b's copy, left in its stash by an earlier run, was altered since: one byte in its last sector.
        var bytes = File.ReadAllBytes(image);
        bytes[^1] ^= 0xFF;
        var held = PlaceCopy(b, sha, bytes);
        var fetcher = new FolderFetcher(new Dictionary<Uri, string[]> { [a.ControlUrl] = [], [b.ControlUrl] = [Path.GetDirectoryName(held)!] });
        a.StartAgent(fetcher);
        b.StartAgent(fetcher);
        await FloorNode.UntilDrives(router, 2, Long);

        var spec = FloorBatch("f-bad-copy", sha, b, copies: 2);
        Assert.IsType<Tower.Submitted>(await b.Proxy!.Ask<object>(new Tower.Submit(spec), Long));
        // Tower b hashes a copy it did not place itself before it serves (at the prefetch): it differs, so the copy goes.
        await Until(() => !File.Exists(held));
        Assert.False(File.Exists(held), "the altered copy was kept");
        var state = await FloorNode.Until(router, "f-bad-copy", s => s.Failed + s.Interrupted >= 2, Long);
        router.Tell(new Tower.Cancel("f-bad-copy", "test over"));
        Assert.Empty(state.Good); // no disc of the altered copy counted, nor of anything else: nobody holds the image now
        // Its disc failed: from the copy's hash check when it came first, else (the copy prefetched and already gone)
        // because no tower holds the image any more.
        Assert.Contains(state.Discs.Values, d => d.Drive.StartsWith("tb") && d.State == DiscState.Failed
            && d.Reason != null && (d.Reason.Contains("the ledger has " + sha) || d.Reason.Contains("could not be fetched")));
        Assert.Empty(a.Drives.Concat(b.Drives).SelectMany(d => d.Burned)); // not one disc was written from it
    }

    /// <summary>Tower a (the router's, holding the image, its one drive held) and tower b (one drive, fetching with <paramref name="fetcher"/>): a 4 MiB image's batch.</summary>
    private async Task<(FloorNode A, FloorNode B, IActorRef Router, string Sha)> ArrivingFloor(Func<string, PieceFetcher> fetcher, string id, int copies)
    {
        var (image, sha) = _fx.Image(2048); // 64 pieces of 64 KiB; the staging window is 16 chunks of 64 KiB
        var a = FloorNode.Start("ta", _fx.Dir, Ledger, 1, TimeSpan.FromMilliseconds(20));
        var b = FloorNode.Start("tb", _fx.Dir, null, 1, TimeSpan.FromMilliseconds(20));
        var router = a.StartRouter();
        await b.Follow(a);
        var held = PlaceCopy(a, sha, File.ReadAllBytes(image));
        var agentA = a.StartAgent(new FolderFetcher(new Dictionary<Uri, string[]>()));
        b.StartAgent(fetcher(image));
        await FloorNode.UntilDrives(router, 2, Long);
        await router.Ask<object>(new Tower.Hold("ta1"), Long); // every disc goes to tower b
        Assert.IsType<Duplicator.Actors.Floor.Floor.HoldTaken>(await agentA.Ask<object>(new Duplicator.Actors.Floor.Floor.Hold(sha), Long));
        var (_, list) = FloorPieces.Hash(held, FloorPieces.MinPieceBytes, CancellationToken.None);
        var spec = FloorBatch(id, sha, a, copies);
        spec = spec with { FloorImage = spec.FloorImage! with { Sectors = 2048, PiecesSha256 = FloorPieces.Root(list), PieceBytes = FloorPieces.MinPieceBytes } };
        Assert.IsType<Tower.Submitted>(await a.Proxy!.Ask<object>(new Tower.Submit(spec), Long));
        return (a, b, router, sha);
    }

    [Fact]
    public async Task A_floor_image_with_a_piece_list_is_burned_while_it_arrives_and_no_byte_reaches_a_disc_before_it_was_checked()
    {
        PieceFetcher? fetcher = null;
        var (a, b, router, sha) = await ArrivingFloor(image => fetcher = new PieceFetcher(image, FloorPieces.MinPieceBytes, holdAt: 24), "f-arriving", 1);
        await using var _a = a;
        await using var _b = b;

        await fetcher!.Holding.Task.WaitAsync(Long); // 24 of 64 pieces arrived and checked; the fetch waits
        await Until(() => Interlocked.Read(ref b.Drives[0].Written) > 0);
        long written = Interlocked.Read(ref b.Drives[0].Written);
        Assert.True(written > 0, "tower b's drive wrote nothing while its image arrived");
        Assert.True(written <= fetcher.Verified, $"the drive wrote {written} bytes, more than the {fetcher.Verified} checked");
        Assert.False(File.Exists(Duplicator.Actors.Floor.Floor.ImagePath(b.Stash, sha)), "the image was complete already");

        fetcher.Go();
        // Tower a's drive may take over now: on a loaded machine remote death watch once lost tower b mid-test (CI).
        await router.Ask<object>(new Tower.Release("ta1"), Long);
        var done = await TowerFixture.UntilFinished(a.Proxy!, "f-arriving", Long);
        Assert.Equal((BatchStatus.Completed, 1), (done.Status, done.Good.Count));
        Assert.All(a.Drives.Concat(b.Drives).SelectMany(d => d.Burned), h => Assert.Equal(sha, h)); // every disc holds exactly the image
    }

    [Fact]
    public async Task A_batch_cancelled_while_its_image_arrives_cancels_the_fetch_and_leaves_no_part_behind()
    {
        PieceFetcher? fetcher = null;
        var (a, b, router, sha) = await ArrivingFloor(image => fetcher = new PieceFetcher(image, FloorPieces.MinPieceBytes, holdAt: 24), "f-cancel", 2);
        await using var _a = a;
        await using var _b = b;
        await fetcher!.Holding.Task.WaitAsync(Long); // 24 of 64 pieces here; the rest would never come (nobody says Go)
        await Until(() => Interlocked.Read(ref b.Drives[0].Written) > 0); // tower b burns from the part

        Assert.IsType<Tower.Done>(await a.Proxy!.Ask<object>(new Tower.Cancel("f-cancel", "cancelled by the test"), Long));
        var target = Duplicator.Actors.Floor.Floor.ImagePath(b.Stash, sha);
        await Until(() => !File.Exists(target + ".part"));
        // The batch ended, so tower b's fetch was cancelled (not left to wait or run on), its part removed, nothing fetched again.
        Assert.False(File.Exists(target + ".part"), "the cancelled fetch's part file stayed");
        Assert.False(File.Exists(target), "a copy of the image was kept");
        Assert.Equal(1, fetcher.Fetches);
        Assert.Equal(24L * FloorPieces.MinPieceBytes, fetcher.Verified);
        Assert.Empty(b.Drives[0].Burned); // its disc was cancelled, not finished from a part
        var state = await TowerFixture.UntilFinished(a.Proxy!, "f-cancel", Long);
        Assert.Equal(BatchStatus.Cancelled, state.Status);
    }

    [Fact]
    public async Task A_fetch_that_breaks_while_its_image_is_burned_fails_that_disc_and_the_next_fetches_it_again()
    {
        PieceFetcher? fetcher = null;
        var (a, b, router, sha) = await ArrivingFloor(image => fetcher = new PieceFetcher(image, FloorPieces.MinPieceBytes, holdAt: 40) { BreakFirst = true },
            "f-broken", 1);
        await using var _a = a;
        await using var _b = b;
        await fetcher!.Holding.Task.WaitAsync(Long);
        await Until(() => Interlocked.Read(ref b.Drives[0].Written) > 0);
        Assert.True(Interlocked.Read(ref b.Drives[0].Written) > 0, "tower b's drive was not burning when the fetch broke");
        fetcher.Go(); // the connection breaks now, mid-disc

        var broken = await FloorNode.Until(router, "f-broken", s => s.Failed >= 1, Long);
        var failed = Assert.Single(broken.Discs.Values, d => d.State == DiscState.Failed);
        Assert.Equal("tb1", failed.Drive);
        Assert.Contains("could not be fetched", failed.Reason);
        Assert.Contains("connection broke after 40 pieces", failed.Reason);
        Assert.Empty(b.Drives[0].Burned); // the broken disc was never finished
        // The next disc: on tower b, fetched again, or on tower a's drive, released now (on a loaded machine remote death
        // watch once lost tower b mid-test, CI).
        await router.Ask<object>(new Tower.Release("ta1"), Long);
        var done = await TowerFixture.UntilFinished(a.Proxy!, "f-broken", Long);
        Assert.Equal((BatchStatus.Completed, 1), (done.Status, done.Good.Count));
        Assert.Equal(1, done.Failed);
        Assert.Equal(sha, Assert.Single(a.Drives.Concat(b.Drives).SelectMany(d => d.Burned)));
    }

    [Fact]
    public async Task A_copy_nothing_uses_goes_after_the_idle_time_even_without_a_batch_end_and_one_its_host_holds_stays()
    {
        var (image, sha) = _fx.Image(64, seed: 1);
        var (other, otherSha) = _fx.Image(64, seed: 2);
        await using var a = FloorNode.Start("ta", _fx.Dir, Ledger, 1, TimeSpan.FromMilliseconds(20));
        a.StartRouter();
        // Left in the stash by an earlier run whose batch ended while this tower was away: no batch will end it now.
        var leftover = PlaceCopy(a, sha, File.ReadAllBytes(image));
        var agent = a.StartAgent(new FolderFetcher(new Dictionary<Uri, string[]>()), idle: TimeSpan.FromSeconds(1));
        var held = PlaceCopy(a, otherSha, File.ReadAllBytes(other)); // staged by this tower's host for a batch about to be submitted
        Assert.IsType<Duplicator.Actors.Floor.Floor.HoldTaken>(await agent.Ask<object>(new Duplicator.Actors.Floor.Floor.Hold(otherSha), Long));

        await Until(() => !File.Exists(leftover));
        Assert.False(File.Exists(leftover), "a copy nothing used stayed");
        await Task.Delay(TimeSpan.FromSeconds(2)); // two idle times more
        Assert.True(File.Exists(held), "the copy the host holds for its batch went");
    }

    [Theory]
    [InlineData("not-a-hash", 4 << 20, "piecesSha256 'not-a-hash' is not 64 hex digits")]
    [InlineData("1111111111111111111111111111111111111111111111111111111111111111", 3 << 20, "pieceBytes 3145728; a power of two")]
    [InlineData("1111111111111111111111111111111111111111111111111111111111111111", 1024, "pieceBytes 1024; a power of two")]
    [InlineData(null, 4 << 20, "pieceBytes 4194304 without piecesSha256")]
    public void A_floor_image_with_a_bad_piece_list_hash_or_piece_size_is_refused_naming_it(string? pieces, int pieceBytes, string expected)
    {
        var image = new FloorImage("0000000000000000000000000000000000000000000000000000000000000000", 512, null, pieces, pieceBytes);
        var spec = FloorNode.Batch("f-bad", "/x/image.iso", copies: 1) with { FloorImage = image };
        var refused = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, DateTimeOffset.UtcNow)).Refused;
        Assert.NotNull(refused);
        Assert.Contains(expected, refused);
        Assert.Null(BatchLogic.Decide(BatchState.Empty,
            new SubmitBatch(spec with { FloorImage = image with { PiecesSha256 = new string('1', 64), PieceBytes = 4 << 20 } }, DateTimeOffset.UtcNow)).Refused);
    }

    [Theory]
    [InlineData("not-a-hash", 512, null, "is not 64 hex digits")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", 0, null, "0 sectors")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000", 512, "file:///etc/passwd", "is not an http(s) URL")]
    public void A_floor_image_with_a_bad_hash_size_or_origin_is_refused_naming_it(string sha, long sectors, string? origin, string expected)
    {
        var spec = FloorNode.Batch("f-bad", "/x/image.iso", copies: 1) with { FloorImage = new FloorImage(sha, sectors, origin) };
        var refused = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, DateTimeOffset.UtcNow)).Refused;
        Assert.NotNull(refused);
        Assert.Contains("floorImage", refused);
        Assert.Contains(expected, refused);
    }
}
