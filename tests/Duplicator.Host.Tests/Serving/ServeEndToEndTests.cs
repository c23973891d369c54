using System.Security.Cryptography;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Serving;

/// <summary>`duplicator serve` as a real process on emulated recorders: kill -9 at several points, restart, exact results.</summary>
public sealed class ServeEndToEndTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static string Source(ServeProcess tower)
    {
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        var big = new byte[6_000_000];
        new Random(3).NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), big);
        File.WriteAllText(Path.Combine(src, "readme.txt"), "end to end");
        return src;
    }

    private static async Task<(BatchDetail Batch, IReadOnlyList<DriveView> Drives)> Until(ControlClient client, string id, Func<BatchDetail, IReadOnlyList<DriveView>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var b = await client.BatchAsync(id, CancellationToken.None);
            var d = await client.DrivesAsync(CancellationToken.None);
            if (condition(b, d)) return (b, d);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"batch {id}: {b.Batch} drives: {string.Join(", ", d.Select(x => $"{x.Id} {x.State} {x.Percent}"))}");
            await Task.Delay(25);
        }
    }

    [Theory]
    [InlineData("staging")]
    [InlineData("writing")]
    [InlineData("closing-or-verifying")]
    [InlineData("between-discs")]
    public async Task Host_killed_while_burning_resumes_and_ends_with_exactly_N_good_discs_identical_to_the_image(string killPoint)
    {
        using var tower = new ServeProcess(drives: 2, speed: 2);
        var src = Source(tower);
        await tower.StartAsync();
        const int copies = 4;
        BatchDetail before;
        using (var client = tower.Client())
        {
            var job = JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "e2e", folder = src, copies });
            var submitted = await client.SubmitAsync(job, CancellationToken.None);
            Assert.Equal("e2e", submitted.Id);
            (before, _) = killPoint switch
            {
                "staging" => (await client.BatchAsync("e2e", CancellationToken.None), (IReadOnlyList<DriveView>)[]),
                "writing" => await Until(client, "e2e", (_, d) => d.Any(x => x.State == "writing" && x.Percent >= 10), Long),
                "closing-or-verifying" => await Until(client, "e2e", (_, d) => d.Any(x => x.State is "closing" or "verifying" or "ejecting"), Long),
                _ => await Until(client, "e2e", (b, _) => b.Batch.Good >= 1, Long),
            };
        }
        tower.Kill();

        await tower.StartAsync();
        using var again = tower.Client();
        var (done, _) = await Until(again, "e2e", (b, _) => b.Batch.State is "completed" or "failed" or "cancelled", Long);

        Assert.Equal("completed", done.Batch.State);
        Assert.Equal(copies, done.Batch.Good);
        var completed = done.Discs.Where(d => d.State == "completed").ToArray();
        Assert.Equal(copies, completed.Length); // none lost, none doubled
        Assert.Single(completed.Select(d => d.Sha256).Distinct());
        foreach (var d in before.Discs.Where(d => d.State == "completed")) // acknowledged before the kill: still there, once
            Assert.Contains(completed, c => c.Number == d.Number && c.Sha256 == d.Sha256);
        if (killPoint is "writing" or "closing-or-verifying")
        {
            Assert.Contains(done.Discs, d => d.State == "interrupted");
            Assert.Contains("resuming batch e2e", tower.Log);
        }
        Assert.Equal(done.Discs.Count, done.Discs.Select(d => d.Number).Distinct().Count());

        // The discs themselves: every good one in the ledger exists as an emulated disc image identical to the staged image.
        var sha = completed[0].Sha256!;
        var files = Directory.GetFiles(tower.Discs, "disc-*.iso", SearchOption.AllDirectories);
        int identical = files.Count(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))) == sha);
        Assert.True(identical >= copies, $"{identical} of {files.Length} disc files equal the staged image; {copies} wanted");
        Assert.True(files.Length - identical <= done.Discs.Count(d => d.State is "interrupted" or "failed"),
            "every burned disc that differs from the image is one the ledger failed");
    }

    [Fact]
    public async Task Hot_folder_job_runs_to_done_and_bad_jobs_are_refused_with_a_result_file_saying_why()
    {
        using var tower = new ServeProcess(drives: 2, speed: 0);
        var src = Source(tower);
        Directory.CreateDirectory(tower.HotFolder);
        await tower.StartAsync();

        void Drop(string name, string json)
        {
            var temp = Path.Combine(tower.HotFolder, "." + name);
            File.WriteAllText(temp, json);
            File.Move(temp, Path.Combine(tower.HotFolder, name));
        }
        Drop("good.job", JsonSerializer.Serialize(new { schema = "duplicator.job/1", folder = src, copies = 3 }));
        Drop("unknown-key.job", JsonSerializer.Serialize(new { schema = "duplicator.job/1", folder = src, copies = 1, colour = "red" }));
        Drop("missing.job", JsonSerializer.Serialize(new { folder = Path.Combine(tower.Dir, "nope"), copies = 1 }));
        Drop("zero.job", JsonSerializer.Serialize(new { folder = src, copies = 0 }));

        var deadline = DateTime.UtcNow + Long;
        while (!File.Exists(Path.Combine(tower.HotFolder, "good.job.done")))
        {
            Assert.True(DateTime.UtcNow < deadline, "good.job never became .done:\n" + tower.Log);
            if (File.Exists(Path.Combine(tower.HotFolder, "good.job.failed")))
                Assert.Fail(File.ReadAllText(Path.Combine(tower.HotFolder, "good.result.json")));
            await Task.Delay(100);
        }
        using (var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(tower.HotFolder, "good.result.json"))))
        {
            Assert.Equal("done", result.RootElement.GetProperty("state").GetString());
            Assert.Equal("hot-good", result.RootElement.GetProperty("batchId").GetString());
        }
        using (var client = tower.Client())
            Assert.Equal(3, (await client.BatchAsync("hot-good", CancellationToken.None)).Batch.Good);

        foreach (var (name, says) in new[] { ("unknown-key", "colour"), ("missing", "nope"), ("zero", "copies") })
        {
            Assert.True(File.Exists(Path.Combine(tower.HotFolder, name + ".job.failed")), name);
            using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(tower.HotFolder, name + ".result.json")));
            Assert.Equal("failed", result.RootElement.GetProperty("state").GetString());
            Assert.Contains(result.RootElement.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains(says));
        }
    }

    [Fact]
    public void Serve_refuses_an_invalid_config_naming_the_key_and_exits_non_zero()
    {
        var dir = Directory.CreateTempSubdirectory("dup-badcfg-").FullName;
        try
        {
            var path = Path.Combine(dir, "bad.json");
            File.WriteAllText(path, """{ "drives": [ { "id": "d1", "url": "emulated:dvd+r" } ], "defaults": { "verify": "often" } }""");
            var r = CliRunner.Run("serve", "--config", path);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("defaults:verify", r.StdErr);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Burn_wait_submits_to_the_running_host_and_exits_zero_with_all_good_discs()
    {
        using var tower = new ServeProcess(drives: 2, speed: 0);
        var src = Source(tower);
        await tower.StartAsync();
        var r = await Task.Run(() => CliRunner.Run("burn", "--config", tower.ConfigPath, "--folder", src, "--copies", "3", "--wait", "--id", "cli-1"));
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Contains("submitted to the host", r.StdErr);
        Assert.Contains("batch=cli-1 state=completed good=3", r.StdOut); // plain lines when not at a terminal
        using var client = tower.Client();
        Assert.Equal(3, (await client.BatchAsync("cli-1", CancellationToken.None)).Discs.Count(d => d.State == "completed"));
    }
}

/// <summary>`duplicator burn` with no host running, and what `--wait` shows.</summary>
public sealed class BurnInProcessTests
{
    [Fact]
    public void Burn_without_a_host_runs_the_tower_in_process_and_exits_zero_with_all_good_discs()
    {
        using var tower = new ServeProcess(drives: 3, speed: 0); // config only: nothing is started
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, "a.txt"), "in process");
        var r = CliRunner.Run("burn", "--config", tower.ConfigPath, "--folder", src, "--copies", "5", "--wait");
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Contains("running the tower in this process", r.StdErr);
        Assert.Contains("completed: 5 of 5 good discs", r.StdErr);
        Assert.Equal(5, Directory.GetFiles(tower.Discs, "disc-*.iso", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Burn_refuses_two_sources_and_an_unknown_drive_with_exit_1_and_burns_nothing()
    {
        using var tower = new ServeProcess(drives: 1, speed: 0);
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        var two = CliRunner.Run("burn", "--config", tower.ConfigPath, "--folder", src, "--image", "x.iso", "--copies", "1", "--wait");
        Assert.Equal(1, two.ExitCode);
        Assert.Contains("exactly one of --image, --folder or --audio", two.StdErr);
        var drive = CliRunner.Run("burn", "--config", tower.ConfigPath, "--folder", src, "--copies", "1", "--drives", "drive-9", "--wait");
        Assert.Equal(1, drive.ExitCode);
        Assert.Contains("drive-9", drive.StdErr);
        Assert.False(Directory.Exists(tower.Discs) && Directory.GetFiles(tower.Discs, "*.iso", SearchOption.AllDirectories).Length > 0);
    }

    [Fact]
    public void Live_view_draws_a_bar_rate_and_eta_per_drive_under_the_batch_line()
    {
        var batch = new BatchView("b1", "running", "folder /src", 8, 3, 1, 5, 95);
        var drives = new[]
        {
            new DriveView("drive-1", "emulated:dvd+r", "writing", 50, 33_200_000, false, "b1", 4, 12, 2, 0),
            new DriveView("drive-2", "emulated:dvd+r", "quarantined", 0, 0, true, null, null, null, 0, 3),
        };
        var frame = Duplicator.Host.Commands.LiveView.Frame(batch, drives, width: 10);
        Assert.Equal("batch b1: running, 3/8 good, 1 bad, 5 to go, ETA 1m35s", frame[0]);
        Assert.Contains("[#####.....]  50.0%", frame[1]);
        Assert.Contains("33.2 MB/s ETA 12s disc 4", frame[1]);
        Assert.Contains("quarantined", frame[2]);
        Assert.Contains("[..........]", frame[2]);
    }
}
