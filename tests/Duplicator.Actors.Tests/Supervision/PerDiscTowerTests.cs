using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Imapi;

namespace Duplicator.Actors.Tests.Supervision;

/// <summary>Serial-numbered discs: one staged image, each emulated recorder's disc with its own serial file and key.</summary>
public sealed class PerDiscTowerTests() : Akka.TestKit.Xunit2.TestKit(TowerFixture.InMemoryConfig)
{
    private readonly TowerFixture _fx = new();
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(4);
    private static readonly DateTimeOffset Date = new(2025, 5, 6, 7, 8, 9, TimeSpan.Zero);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _fx.Dispose();
    }

    /// <summary>The per-disc section of these tests: SERIAL.TXT from a template, the volume name from another, keys from a CSV.</summary>
    internal static PerDiscSpec Section(int rows, FailedSerial onFailure = FailedSerial.Void) => new(1000,
        [new PerDiscFileSpec("SERIAL.TXT", 256, "Serial {serial:000000}\nKey {key}\n")], "DATA_{serial}",
        ["key"], [.. Enumerable.Range(1, rows).Select(i => ImmutableArray.Create($"KEY-{i:0000}-{i * 7919 % 10007:00000}"))], "keys.csv", onFailure, Date);

    internal static string Source(string dir)
    {
        var src = Directory.CreateDirectory(Path.Combine(dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, "readme.txt"), "hello tower");
        Directory.CreateDirectory(Path.Combine(src, "sub", "deeper"));
        var big = new byte[1_500_000];
        new Random(5).NextBytes(big);
        File.WriteAllBytes(Path.Combine(src, "sub", "deeper", "data.bin"), big);
        return src;
    }

    [Fact]
    public async Task Twelve_copies_over_four_recorders_each_get_their_own_serial_and_key_and_a_disc_failing_mid_burn_voids_its_serial()
    {
        var src = Source(_fx.Dir);
        var discs = Path.Combine(_fx.Dir, "discs");
        var specs = Enumerable.Range(1, 4).Select(i =>
        {
            // e4's media fail at LBA 400, in the middle of data.bin: its first disc fails mid-burn and it is quarantined.
            var url = $"emulated:dvd+r?dir={discs}&name=e{i}&autoreload=true{(i == 4 ? "&fail-write-at=400" : "")}";
            return new Tower.DriveSpec($"e{i}", url, () => RecorderLocator.Open(url));
        }).ToArray();
        var tower = Sys.ActorOf(Tower.Props(specs, TowerFixture.Fast(_fx.Stash, quarantineAfter: 1)), "tower");

        var spec = new BatchSpec("serials", SourceKind.Folder, [src], 12, new BatchOptions(true, 0, 0, true, []), Volume: "BASE", PerDisc: Section(14));
        Assert.IsType<Tower.Submitted>(await tower.Ask<object>(new Tower.Submit(spec), Long));
        var done = await TowerFixture.UntilFinished(tower, "serials", Long);

        Assert.Equal(BatchStatus.Completed, done.Status);
        var good = done.Discs.Values.Where(d => d.State == DiscState.Completed).ToArray();
        Assert.Equal(12, good.Length);
        Assert.Equal(12, good.Select(d => d.Serial).Distinct().Count());
        Assert.Equal(12, good.Select(d => d.Row).Distinct().Count());
        Assert.Equal(12, good.Select(d => d.Sha256).Distinct().Count()); // every disc its own content
        Assert.All(good, d => Assert.Equal(spec.PerDisc!.Rows[d.Row!.Value][0], d.Values!["key"]));
        Assert.All(good, d => Assert.Equal(1000 + d.Row!.Value, d.Serial));
        var failed = Assert.Single(done.Discs.Values, d => d.State == DiscState.Failed);
        Assert.Equal("e4", failed.Drive);
        Assert.Equal(400, failed.Error?.Lba); // it failed mid-burn, at the armed LBA
        Assert.Equal("void", failed.SerialFate);
        Assert.DoesNotContain(good, d => d.Serial == failed.Serial || d.Row == failed.Row);

        // Each good disc, as the emulator burned it, read by independent readers: its own serial file and key, every
        // other file the source's, and the ledger's hash is the disc's.
        var bySha = good.ToDictionary(d => d.Sha256!);
        int matched = 0;
        foreach (var file in Directory.GetFiles(discs, "disc-*.iso", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0))
        {
            var bytes = File.ReadAllBytes(file);
            var sha = Convert.ToHexString(SHA256.HashData(bytes.AsSpan(0, bytes.Length - bytes.Length % 2048)));
            if (!bySha.TryGetValue(sha, out var entry))
            {
                Assert.Contains(Path.Combine("discs", "e4"), file); // only the failed disc is not a good one
                continue;
            }
            matched++;
            var serialText = $"Serial {entry.Serial:000000}\nKey {entry.Values!["key"]}\n";
            IsoCheck.ExtractsAs(file, src, ("SERIAL.TXT", serialText));
            Assert.Equal(serialText, IsoCheck.Run("isoinfo", "-i", file, "-x", "/SERIAL.TXT;1")); // the ISO 9660 tree too
            Assert.Contains($"Volume id: DATA_{entry.Serial}", IsoCheck.Run("isoinfo", "-d", "-i", file));
        }
        Assert.Equal(12, matched);
    }
}

/// <summary>Independent ISO readers (xorriso, 7-Zip, bsdtar, isoinfo) run as the oracle scripts run them.</summary>
internal static class IsoCheck
{
    public static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)}: exit {p.ExitCode}: {stderr.Result}");
        return stdout;
    }

    /// <summary>Every reader extracts <paramref name="image"/> as <paramref name="source"/> plus <paramref name="extra"/>, byte for byte.</summary>
    public static void ExtractsAs(string image, string source, params (string Path, string Content)[] extra)
    {
        foreach (var reader in new[] { "xorriso", "7z", "bsdtar" })
        {
            var dir = Directory.CreateTempSubdirectory($"dup-x-{reader}-").FullName;
            try
            {
                _ = reader switch
                {
                    "xorriso" => Run("xorriso", "-abort_on", "FAILURE", "-return_with", "WARNING", "32", "-report_about", "WARNING",
                        "-read_fs", "norock", "-indev", image, "-osirrox", "on", "-extract", "/", dir),
                    "7z" => Run("7z", "x", "-tiso", "-y", "-bd", "-bb0", "-o" + dir, "--", image),
                    _ => Run("bsdtar", "--options", "iso9660:!rockridge", "-xf", image, "-C", dir),
                };
                var expected = Directory.GetFiles(source, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(source, f))
                    .Concat(extra.Select(e => e.Path)).Order(StringComparer.Ordinal).ToArray();
                var actual = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToArray();
                Assert.Equal(expected, actual);
                foreach (var rel in expected)
                {
                    var want = extra.FirstOrDefault(e => e.Path == rel) is { Path: not null } x ? Encoding.UTF8.GetBytes(x.Content) : File.ReadAllBytes(Path.Combine(source, rel));
                    Assert.True(want.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, rel))), $"{reader}: {rel} of {image} differs");
                }
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
