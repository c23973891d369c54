using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Serving;

/// <summary>The drive history and the duplicator.job/2 keys through `duplicator serve` as a real process, killed with SIGKILL and started again.</summary>
public sealed class DriveHistoryProcessTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    private static async Task<BatchDetail> UntilFinished(ControlClient client, string id)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var b = await client.BatchAsync(id, CancellationToken.None);
            if (b.Batch.IsFinished) return b;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"batch {id}: {b.Batch}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Drive_history_survives_a_kill_9_of_the_host_and_is_shown_by_the_API_and_duplicator_drives()
    {
        using var tower = new ServeProcess(drives: 2, speed: 0);
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        var payload = new byte[1_000_000];
        new Random(9).NextBytes(payload);
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), payload);
        await tower.StartAsync();

        IReadOnlyList<DriveView> before;
        using (var client = tower.Client())
        {
            var good = JsonSerializer.Serialize(new { schema = "duplicator.job/2", id = "h1", folder = src, copies = 4, verify = new { mode = "quick", every = 2 } });
            await client.SubmitAsync(good, CancellationToken.None);
            var done = await UntilFinished(client, "h1");
            Assert.Equal("completed", done.Batch.State);
            Assert.All(done.Discs, d => Assert.Contains(d.Verify, new[] { "none", "quick" })); // each disc says what verification it got
            Assert.Contains(done.Discs, d => d.Verify == "quick");

            // Every disc refused for its profile: the batch fails after 2, and the refusals are in the history (not held against the drives).
            var refused = JsonSerializer.Serialize(new { schema = "duplicator.job/2", id = "h2", folder = src, copies = 1, failedDiscThreshold = 2, accept = new { profiles = new[] { "BD-R" } } });
            await client.SubmitAsync(refused, CancellationToken.None);
            var failed = await UntilFinished(client, "h2");
            Assert.Equal("failed", failed.Batch.State);
            Assert.All(failed.Discs.Where(d => d.State == "failed"), d => Assert.Contains("is refused: this batch accepts only BD-R; load one of those", d.Reason));
            before = await client.DrivesAsync(CancellationToken.None);
        }
        Assert.Equal(4, before.Sum(d => d.History?.Good ?? 0));
        Assert.Equal(0, before.Sum(d => d.History?.Bad ?? 0));
        Assert.True(before.Sum(d => d.History?.Refused ?? 0) >= 2);
        Assert.All(before.Where(d => d.History is { Good: > 0 }), d => Assert.True(d.History!.BytesWritten >= d.History.Good * 1_000_000));
        var lastFailure = before.SelectMany(d => d.History?.LastFailures ?? []).OrderByDescending(f => f.At).First();
        Assert.Equal(("h2", "IMAPI_E_MEDIUMINVALIDTYPE"), (lastFailure.BatchId, lastFailure.Code));

        tower.Kill(); // SIGKILL: nothing is flushed on the way out
        await tower.StartAsync();
        using (var again = tower.Client())
        {
            var after = await again.DrivesAsync(CancellationToken.None);
            foreach (var (b, a) in before.Zip(after))
            {
                Assert.Equal(b.Id, a.Id);
                Assert.Equal((b.History?.Good, b.History?.Bad, b.History?.Refused, b.History?.BytesWritten, b.History?.Underruns),
                    (a.History?.Good, a.History?.Bad, a.History?.Refused, a.History?.BytesWritten, a.History?.Underruns));
                Assert.Equal(b.History?.LastFailures.Select(f => (f.BatchId, f.Disc, f.Code, f.Reason)), a.History?.LastFailures.Select(f => (f.BatchId, f.Disc, f.Code, f.Reason)));
                Assert.Equal((0, 0), (a.Good, a.Bad)); // the per-run counts start again; the history does not
            }
        }

        var cli = await Task.Run(() => CliRunner.Run("drives", "--history", "--config", tower.ConfigPath));
        Assert.True(cli.ExitCode == 0, cli.StdErr + cli.StdOut);
        Assert.Contains("LAST FAILURE", cli.StdOut);
        foreach (var d in before)
            Assert.Matches($@"(?m)^{d.Id}\s+{d.History?.Good ?? 0}\s+{d.History?.Bad ?? 0}\s+{d.History?.Refused ?? 0}\s", cli.StdOut);
        Assert.Contains("IMAPI_E_MEDIUMINVALIDTYPE", cli.StdOut);
    }

    [Fact]
    public void Drives_history_without_a_running_host_exits_1_saying_where_it_asked()
    {
        using var tower = new ServeProcess(drives: 1, speed: 0); // config only: nothing is started
        var r = CliRunner.Run("drives", "--history", "--config", tower.ConfigPath);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"no duplicator host answers at http://127.0.0.1:{tower.Port}", r.StdErr);
    }
}
