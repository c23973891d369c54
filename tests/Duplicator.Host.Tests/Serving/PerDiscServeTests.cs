using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Commands;

namespace Duplicator.Host.Tests.Serving;

/// <summary>Serial-numbered discs through `duplicator serve` as a real process, killed with SIGKILL mid-batch.</summary>
public sealed class PerDiscServeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(4);

    private static async Task<BatchDetail> Until(ControlClient client, string id, Func<BatchDetail, IReadOnlyList<DriveView>, bool> condition)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var b = await client.BatchAsync(id, CancellationToken.None);
            var d = await client.DrivesAsync(CancellationToken.None);
            if (condition(b, d)) return b;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"batch {id}: {b.Batch} drives: {string.Join(", ", d.Select(x => $"{x.Id} {x.State} {x.Percent}"))}");
            await Task.Delay(25);
        }
    }

    internal static string Isoinfo(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("isoinfo", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"isoinfo {string.Join(' ', args)}: {stderr.Result}");
        return output;
    }

    [Fact]
    public async Task Host_killed_mid_batch_ends_with_12_good_discs_none_sharing_a_serial_or_csv_row()
    {
        using var tower = new ServeProcess(drives: 4, speed: 2);
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        var big = new byte[8_000_000];
        new Random(3).NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), big);
        File.WriteAllText(Path.Combine(src, "readme.txt"), "per disc");
        // 12 copies; void on failure: the kill interrupts up to 4 discs, whose rows are never used again.
        var csv = Path.Combine(tower.Dir, "keys.csv");
        File.WriteAllText(csv, "key,name\n" + string.Concat(Enumerable.Range(1, 20).Select(i => $"KEY-{i:000}-{i * 7919 % 10007},\"Customer {i}, Ltd\"\n")));
        await tower.StartAsync();
        using (var client = tower.Client())
        {
            var job = JsonSerializer.Serialize(new
            {
                schema = "duplicator.job/1", id = "serials", folder = src, copies = 12,
                perDisc = new
                {
                    serialStart = 1000, values = csv, volume = "DATA_{serial}",
                    files = new[] { new { path = "SERIAL.TXT", maxBytes = 256, template = "Serial {serial:000000}\nKey {key}\nFor {name}\n" } },
                },
            });
            await client.SubmitAsync(job, CancellationToken.None);
            // Mid-batch: some discs good, others being written.
            var mid = await Until(client, "serials", (b, d) => b.Batch.IsFinished || b.Batch.Good >= 1 && d.Any(x => x.State == "writing"));
            Assert.False(mid.Batch.IsFinished, "the batch ended before it could be killed mid-batch");
        }
        tower.Kill();

        await tower.StartAsync();
        using var again = tower.Client();
        var done = await Until(again, "serials", (b, _) => b.Batch.State is "completed" or "failed" or "cancelled");

        Assert.Equal("completed", done.Batch.State);
        var good = done.Discs.Where(d => d.State == "completed").ToArray();
        Assert.Equal(12, good.Length);
        Assert.Equal(12, good.Select(d => d.Serial).Distinct().Count());
        Assert.Equal(12, good.Select(d => d.Row).Distinct().Count());
        var interrupted = done.Discs.Where(d => d.State == "interrupted").ToArray();
        Assert.NotEmpty(interrupted);
        Assert.All(interrupted, d => Assert.Equal("void", d.SerialFate));
        Assert.DoesNotContain(good, g => interrupted.Any(i => i.Serial == g.Serial || i.Row == g.Row));
        Assert.All(done.Discs, d => Assert.Equal(1000 + d.Row!.Value - 1, d.Serial)); // row k (from 1) goes with serial 1000 + k - 1

        // Every good disc the ledger lists is on an emulated disc with its hash, and isoinfo reads its own serial and key
        // in both trees.
        var files = Directory.GetFiles(tower.Discs, "disc-*.iso", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0)
            .ToDictionary(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))), f => f);
        foreach (var g in good)
        {
            Assert.True(files.TryGetValue(g.Sha256!, out var file), $"disc {g.Number} (serial {g.Serial}): no burned disc has its hash");
            var expected = $"Serial {g.Serial:000000}\nKey {g.Values!["key"]}\nFor {g.Values["name"]}\n";
            Assert.Equal(expected, Isoinfo("-J", "-i", file, "-x", "/SERIAL.TXT"));
            Assert.Equal(expected, Isoinfo("-i", file, "-x", "/SERIAL.TXT;1"));
            Assert.Equal($"KEY-{g.Row:000}-{g.Row * 7919 % 10007}", g.Values["key"]);
        }
    }
}
