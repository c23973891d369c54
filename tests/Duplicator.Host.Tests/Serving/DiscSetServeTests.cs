using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Duplicator.Host.Control;

namespace Duplicator.Host.Tests.Serving;

/// <summary>`duplicator serve` as a real process burning a disc set job submitted over HTTP, killed with SIGKILL mid-set and restarted.</summary>
public sealed class DiscSetServeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(240);

    private static async Task<SetView> Until(ControlClient client, string id, Func<SetView, bool> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            try
            {
                var s = await client.SetAsync(id, CancellationToken.None);
                if (condition(s)) return s;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"set {id}: {JsonSerializer.Serialize(s)}");
            }
            catch (ControlException e) when (e.Status == System.Net.HttpStatusCode.NotFound && DateTime.UtcNow < deadline)
            {
                // a restarted host answers once its members' ledgers were read
            }
            await Task.Delay(50);
        }
    }

    private static void Run(string tool, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {err.Result}");
    }

    private static string Folder(string dir, string name, int seed)
    {
        var folder = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
        var bytes = new byte[1_500_000];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(folder, $"{name}.bin"), bytes);
        File.WriteAllText(Path.Combine(folder, "readme.txt"), $"image {name}\n");
        return folder;
    }

    [Fact]
    public async Task A_3_image_set_x4_over_http_survives_kill_9_and_ends_with_4_complete_sets_each_disc_its_images()
    {
        using var tower = new ServeProcess(drives: 4, speed: 2);
        // Two images made by xorriso (burned as they are), one folder the tower masters itself.
        var a = Folder(tower.Dir, "alpha", 1);
        var b = Folder(tower.Dir, "beta", 2);
        var c = Folder(tower.Dir, "gamma", 3);
        var (isoA, isoB) = (Path.Combine(tower.Dir, "alpha.iso"), Path.Combine(tower.Dir, "beta.iso"));
        Run("xorriso", "-as", "mkisofs", "-quiet", "-J", "-V", "ALPHA", "-o", isoA, a);
        Run("xorriso", "-as", "mkisofs", "-quiet", "-J", "-V", "BETA", "-o", isoB, b);
        var shaOf = (string f) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        await tower.StartAsync();
        using (var client = tower.Client())
        {
            // Refused sets create nothing: a member's source missing, one image, seventeen.
            foreach (var bad in new object[]
            {
                new { schema = "duplicator.job/2", id = "bad", set = new { count = 4, images = new object[] { new { image = isoA }, new { image = Path.Combine(tower.Dir, "nope.iso") } } } },
                new { schema = "duplicator.job/2", id = "one", set = new { count = 4, images = new object[] { new { image = isoA } } } },
                new { schema = "duplicator.job/2", id = "many", set = new { count = 4, images = Enumerable.Repeat<object>(new { image = isoA }, 17).ToArray() } },
            })
            {
                var e = await Assert.ThrowsAsync<ControlException>(() => client.SubmitSetAsync(JsonSerializer.Serialize(bad), CancellationToken.None));
                Assert.Equal(System.Net.HttpStatusCode.BadRequest, e.Status);
            }
            Assert.Empty(await client.BatchesAsync(CancellationToken.None));
            Assert.Empty(await client.SetsAsync(CancellationToken.None));

            var job = JsonSerializer.Serialize(new
            {
                schema = "duplicator.job/2", id = "kit",
                set = new { count = 4, images = new object[] { new { image = isoA }, new { image = isoB }, new { folder = c, volume = "GAMMA" } } },
            });
            var submitted = await client.SubmitSetAsync(job, CancellationToken.None);
            Assert.Equal(("kit", 3, 4), (submitted.Set.Id, submitted.Set.Images, submitted.Set.Copies));
            Assert.Equal(["kit~1", "kit~2", "kit~3"], submitted.Set.Members);
            var mid = await Until(client, "kit", s => s.Set.State != "running" || s.Sets.Any(x => x.Discs.Count > 0));
            Assert.Equal("running", mid.Set.State);
        }
        tower.Kill(); // mid-set: the members' ledgers hold what was made, the in-flight discs are made again

        await tower.StartAsync();
        using var again = tower.Client();
        var done = await Until(again, "kit", s => s.Set.State != "running");
        Assert.Equal(("completed", 4), (done.Set.State, done.Set.Complete));
        Assert.All(done.Sets, s => Assert.True(s.Complete));
        Assert.All(done.Members, m => Assert.Equal(("completed", 4), (m.State, m.Good))); // exactly 4 good discs of each image
        Assert.Contains("set kit: 4 of 4 complete", StatusTable(await again.SetsAsync(CancellationToken.None)));

        // Every disc file of a set equals its member's image: the ISOs as they are, the folder's staged image (the ledger's hash).
        var files = Directory.GetFiles(tower.Discs, "disc-*.iso", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0)
            .GroupBy(shaOf).ToDictionary(g => g.Key, g => g.First());
        var gammaSha = done.Sets[0].Discs[2].Sha256;
        foreach (var set in done.Sets)
        {
            Assert.Equal([shaOf(isoA), shaOf(isoB), gammaSha], set.Discs.Select(d => d.Sha256));
            Assert.All(set.Discs, d => Assert.True(files.ContainsKey(d.Sha256), $"set {set.Number}: no burned disc hashes as {d.BatchId} disc {d.Disc}"));
        }
        // One set's discs read by isoinfo: each holds its image's files.
        var first = done.Sets[0].Discs;
        foreach (var (disc, folder, name) in new[] { (first[0], a, "alpha"), (first[1], b, "beta"), (first[2], c, "gamma") })
        {
            var iso = files[disc.Sha256];
            Assert.Equal(File.ReadAllText(Path.Combine(folder, "readme.txt")), PerDiscServeTests.Isoinfo("-J", "-i", iso, "-x", "/readme.txt"));
            var payload = Path.Combine(tower.Dir, $"{name}.out");
            using (var p = Process.Start(new ProcessStartInfo("isoinfo", ["-J", "-i", iso, "-x", $"/{name}.bin"]) { RedirectStandardOutput = true })!)
            {
                using (var o = File.Create(payload)) p.StandardOutput.BaseStream.CopyTo(o);
                p.WaitForExit();
            }
            Assert.Equal(shaOf(Path.Combine(folder, $"{name}.bin")), shaOf(payload));
        }

        // A set job file in the hot folder works like any job: accepted, then done with its set, the result naming it.
        var hotJob = JsonSerializer.Serialize(new { schema = "duplicator.job/2", set = new { count = 1, images = new object[] { new { image = isoB }, new { image = isoA } } } });
        File.WriteAllText(Path.Combine(tower.HotFolder, ".pair.tmp"), hotJob);
        File.Move(Path.Combine(tower.HotFolder, ".pair.tmp"), Path.Combine(tower.HotFolder, "pair.job"));
        var deadline = DateTime.UtcNow + Long;
        while (!File.Exists(Path.Combine(tower.HotFolder, "pair.job.done")))
        {
            if (File.Exists(Path.Combine(tower.HotFolder, "pair.job.failed")))
                Assert.Fail("the hot-folder set job failed: " + File.ReadAllText(Path.Combine(tower.HotFolder, "pair.result.json")));
            Assert.True(DateTime.UtcNow < deadline, "the hot-folder set job did not finish: " + string.Join(", ", Directory.GetFiles(tower.HotFolder)));
            await Task.Delay(100);
        }
        var pair = await again.SetAsync("hot-pair", CancellationToken.None);
        Assert.Equal(("completed", 1, 2), (pair.Set.State, pair.Set.Complete, pair.Set.Images));
        Assert.Equal([shaOf(isoB), shaOf(isoA)], pair.Sets.Single().Discs.Select(d => d.Sha256));
        Assert.Contains("\"batchId\": \"hot-pair\"", File.ReadAllText(Path.Combine(tower.HotFolder, "pair.result.json")));
    }

    private static string StatusTable(IReadOnlyList<SetSummaryView> sets) => Duplicator.Host.Commands.StatusCommand.Table([], [], sets);
}
