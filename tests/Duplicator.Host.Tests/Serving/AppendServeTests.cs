using System.Diagnostics;
using System.Text.Json;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Tests.Serving;

/// <summary>
/// An append job document (<c>"append": true</c> with <c>expect</c>) submitted to a real `serve` whose two emulated
/// drives hold the same pre-recorded appendable disc: both discs come out with a second session that isoinfo lists as
/// the old files and the new ones.
/// </summary>
public sealed class AppendServeTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(180);
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-append-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Quiet : IDiscMasterProgressEvents;

    private string Folder(string name, params (string Path, int Bytes)[] files)
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        foreach (var (path, bytes) in files)
        {
            var data = new byte[bytes];
            new Random(bytes).NextBytes(data);
            File.WriteAllBytes(Path.Combine(root, path), data);
        }
        return root;
    }

    private static string Isoinfo(params string[] args)
    {
        var psi = new ProcessStartInfo("isoinfo", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"isoinfo {string.Join(' ', args)}: {stderr}");
        return stdout.Result;
    }

    [Fact]
    public async Task An_append_job_through_the_API_adds_a_session_to_the_disc_in_each_drive()
    {
        var old = Folder("old", ("OLD.TXT", 4000));
        string pre;
        using (var emu = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={Path.Combine(_dir, "pre")}&name=p"))
        using (var drive = new MmcDevice(emu))
        {
            DataSessionWriter.Append(drive, (disc, previous, start) =>
            {
                var s = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: "INVOICES_2026") };
                s.AddData(old, false);
                return s.BuildSession(disc, previous, start);
            }, new RecordOptions(), false, new Quiet(), CancellationToken.None);
            pre = emu.CurrentImagePath!;
        }
        var fresh = Folder("new", ("NEW.TXT", 9000));
        using var tower = new ServeProcess(drives: 2, speed: 0, allowedRoots: [_dir], driveQuery: _ => $"&load={Uri.EscapeDataString(pre)}&state=appendable");
        await tower.StartAsync();
        using var client = tower.Client();
        var job = JsonSerializer.Serialize(new
        {
            schema = "duplicator.job/2", id = "add", folder = fresh, copies = 2, volume = "INVOICES_2026",
            append = true, expect = new { volume = "INVOICES_2026", file = "OLD.TXT" },
        });
        await client.SubmitAsync(job, CancellationToken.None);
        var deadline = DateTime.UtcNow + Long;
        Duplicator.Host.Control.BatchDetail done;
        while (!(done = await client.BatchAsync("add", CancellationToken.None)).Batch.IsFinished)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{done.Batch}\n{tower.Log}");
            await Task.Delay(100);
        }
        Assert.True(done.Batch.State == "completed", $"{done.Batch}: {string.Join("; ", done.Discs.Select(d => $"{d.Number} {d.Drive} {d.State} {d.Reason}"))}\n{tower.Log}");
        Assert.Equal(["drive-1", "drive-2"], done.Discs.Where(d => d.State == "completed").Select(d => d.Drive).Order());
        foreach (var d in new[] { "drive-1", "drive-2" })
        {
            var disc = Path.Combine(tower.Discs, d, "disc-1.iso");
            using var sidecar = JsonDocument.Parse(File.ReadAllBytes(Path.ChangeExtension(disc, ".json")));
            var start = sidecar.RootElement.GetProperty("tracks").EnumerateArray().Last().GetProperty("start").GetInt64();
            Assert.True(start > 0);
            Assert.Equal(["/NEW.TXT", "/OLD.TXT"], Isoinfo("-i", disc, "-T", start.ToString(), "-J", "-f").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        }
    }
}
