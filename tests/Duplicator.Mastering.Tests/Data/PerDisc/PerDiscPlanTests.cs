using System.Text;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Data.PerDisc;

public sealed class PerDiscPlanTests : IDisposable
{
    private static readonly DateTime Fixed = new(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc);
    private readonly TempTree _src = new();
    private readonly string _work = Directory.CreateTempSubdirectory("dup-perdisc-").FullName;

    public PerDiscPlanTests()
    {
        _src.File("README.TXT", 3000);
        _src.File("data/big.bin", 700_000);
        _src.File("data/deeper/small.bin", 17);
        _src.Text("docs/manual.txt", "the manual\n");
    }

    public void Dispose()
    {
        _src.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private DataImage Stage()
    {
        var staging = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: "BASE", CreationTime: Fixed) };
        staging.AddData(_src.Root, overwrite: false);
        staging.ReservePerDiscFile("SERIAL.TXT", 256, Fixed);
        staging.ReservePerDiscFile("docs/licence/KEY.TXT", 3000, Fixed); // crosses a sector: two sectors of extent
        return staging.Build();
    }

    private static string Write(IDiscImage image, string path)
    {
        using var f = File.Create(path);
        image.CopyTo(f);
        return path;
    }

    [Fact]
    public void A_patched_disc_reads_back_with_its_own_files_and_every_other_file_identical_in_every_reader()
    {
        var image = Stage();
        var plan = image.PerDisc!;
        Assert.Equal(2, plan.Files.Count);
        var baseIso = Write(image, Path.Combine(_work, "base.iso"));
        var staged = new ImageFile(baseIso);
        plan.CheckAgainst(staged);

        foreach (var (serial, key) in new[] { (1000L, "AAAA-1111"), (1001L, "BBBB-2222-" + new string('x', 2500)) })
        {
            var serialText = $"Serial {serial:000000}\n";
            var patches = plan.Patches([Encoding.UTF8.GetBytes(serialText), Encoding.UTF8.GetBytes(key)], $"DATA_{serial}");
            // Only the extents, the directory sectors holding the sizes and the two descriptors differ.
            Assert.All(patches, p => Assert.True(p.Lba is 16 or 17 || plan.Files.Any(f => p.Lba >= f.Lba && p.Lba < f.Lba + f.Sectors)
                || plan.Files.SelectMany(f => f.Records).Any(r => r.Lba == p.Lba), $"unexpected patch at {p.Lba}"));
            var disc = Write(new PatchedImage(staged, patches), Path.Combine(_work, $"disc-{serial}.iso"));

            var expected = Expected($"expected-{serial}", serialText, key);
            IsoReaders.AssertExtractsIdentical(disc, expected);
            IsoReaders.AssertIsoinfoReadsJoliet(disc);

            // isoinfo without -J reads the primary (ISO 9660) tree: its record of the file got the size too.
            var iso = ExternalTool.Run("isoinfo", ["-i", disc, "-x", "/SERIAL.TXT;1"]);
            Assert.Equal(serialText, iso.StdOut);
            var d = ExternalTool.Run("isoinfo", ["-d", "-i", disc]);
            Assert.Contains($"Volume id: DATA_{serial}", d.StdOut);
        }
    }

    [Fact]
    public void A_patched_udf_bridge_disc_reads_back_with_its_own_files_on_the_udf_side_and_the_joliet_side()
    {
        var staging = new JolietStaging(MediaKind.Dvd) { FileSystems = DataFileSystems.UdfBridge, Properties = new JolietProperties(VolumeName: "BASE", CreationTime: Fixed) };
        staging.AddData(_src.Root, overwrite: false);
        staging.ReservePerDiscFile("SERIAL.TXT", 256, Fixed);
        staging.ReservePerDiscFile("docs/licence/KEY.TXT", 3000, Fixed);
        var image = staging.Build();
        var plan = image.PerDisc!;
        Assert.True(plan.HasUdf);
        Assert.All(plan.Files, f => Assert.NotNull(f.UdfEntryLba));
        var staged = new ImageFile(Write(image, Path.Combine(_work, "bridge.iso")));
        plan.CheckAgainst(staged);
        var again = PerDiscPlan.Parse(plan.Serialize()); // what a restarted host reads beside the stash
        Assert.Equal(plan.Files.Select(f => f.UdfEntryLba), again.Files.Select(f => f.UdfEntryLba));
        // A plan file whose UDF entry names another of its sectors (a directory of the ISO tree) is refused as it is read.
        var forged = System.Text.Json.Nodes.JsonNode.Parse(plan.Serialize())!;
        forged["files"]![0]!["udf"] = plan.Files[0].Records[0].Lba;
        var refused = Assert.Throws<ImapiException>(() => PerDiscPlan.Parse(System.Text.Encoding.UTF8.GetBytes(forged.ToJsonString())));
        Assert.Equal(ImapiError.InvalidImage, refused.Code);
        Assert.Contains("not the file entry of one short_ad", refused.Message);

        foreach (var (serial, key) in new[] { (1000L, "AAAA-1111"), (1001L, "BBBB-2222-" + new string('x', 2500)), (1002L, "") })
        {
            var serialText = $"Serial {serial:000000}\n";
            var patches = again.Patches([Encoding.UTF8.GetBytes(serialText), Encoding.UTF8.GetBytes(key)], $"DATA {serial}");
            // The extents, the directory sectors of both ISO trees, each file's UDF file entry, the ISO descriptors and
            // the UDF ones naming the volume (PVD, IUVD, LVD of both sequences at 32 and 48, the FSD at 257): nothing else.
            long[] descriptors = [16, 17, 32, 33, 35, 48, 49, 51, 257];
            Assert.All(patches, p => Assert.True(descriptors.Contains(p.Lba) || plan.Files.Any(f => p.Lba >= f.Lba && p.Lba < f.Lba + f.Sectors || p.Lba == f.UdfEntryLba)
                || plan.Files.SelectMany(f => f.Records).Any(r => r.Lba == p.Lba), $"unexpected patch at {p.Lba}"));
            var disc = Write(new PatchedImage(staged, patches), Path.Combine(_work, $"bridge-{serial}.iso"));
            var expected = Expected($"bridge-expected-{serial}", serialText, key);

            // UDF side: 7-Zip's UDF handler checks descriptor CRCs and extracts the tree; udfinfo reads the volume.
            var x = Path.Combine(_work, $"bridge-udf-{serial}");
            var r = UdfReaders.Extract7z(disc, x);
            Assert.True(r.ExitCode == 0, $"7z -tudf: exit {r.ExitCode}: {r.StdErr}{r.StdOut}");
            Assert.Empty(TreeComparer.Differences(expected, x));
            var info = UdfReaders.Udfinfo(disc);
            Assert.Equal("1.02", info["udfrev"]);
            foreach (var field in new[] { "label", "lvid", "vid", "fsid" }) Assert.Equal($"DATA {serial}", info[field]);
            Assert.Equal($"DATA_{serial}", info["vsid"]);
            Assert.Matches($"^[0-9A-F]{{16}}DATA_{serial}$", info["fullvsid"]);
            Assert.Contains($"Volume id: DATA_{serial}", ExternalTool.Run("isoinfo", ["-d", "-i", disc]).StdOut); // d-characters: no space
            // Joliet and ISO 9660 sides, as for a Joliet disc.
            IsoReaders.AssertExtractsIdentical(disc, expected, "xorriso", "bsdtar");
            IsoReaders.AssertIsoinfoReadsJoliet(disc);
            Assert.Equal(serialText, ExternalTool.Run("isoinfo", ["-i", disc, "-x", "/SERIAL.TXT;1"]).StdOut);
            Assert.Equal(key, ExternalTool.Run("isoinfo", ["-J", "-i", disc, "-x", "/docs/licence/KEY.TXT"]).StdOut);
        }
    }

    [Fact]
    public void The_staged_image_holds_zeros_in_each_reserved_extent_and_is_otherwise_the_source()
    {
        var image = Stage();
        var baseIso = Write(image, Path.Combine(_work, "base.iso"));
        var x = Directory.CreateTempSubdirectory("dup-x-").FullName;
        try
        {
            Assert.Equal(0, IsoReaders.Extract("7z", baseIso, x).ExitCode);
            Assert.Equal(new byte[256], File.ReadAllBytes(Path.Combine(x, "SERIAL.TXT")));
            Assert.True(TreeComparer.SameBytes(Path.Combine(_src.Root, "data", "big.bin"), Path.Combine(x, "data", "big.bin"), out var why), why);
        }
        finally
        {
            Directory.Delete(x, recursive: true);
        }
    }

    [Fact]
    public void Patches_are_pure_and_refuse_content_over_the_declared_size()
    {
        var plan = Stage().PerDisc!;
        byte[][] contents = [Encoding.UTF8.GetBytes("a"), Encoding.UTF8.GetBytes("b")];
        var one = plan.Patches([contents[0], contents[1]], "V1");
        var two = plan.Patches([contents[0], contents[1]], "V1");
        Assert.Equal(one.Select(p => (p.Lba, Convert.ToHexString(p.Data.Span))), two.Select(p => (p.Lba, Convert.ToHexString(p.Data.Span))));
        var e = Assert.Throws<ImapiException>(() => plan.Patches([new byte[257], contents[1]], null));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains("SERIAL.TXT: 257 bytes, its declared maxBytes is 256", e.Message);
    }

    [Fact]
    public void A_plan_survives_serialization_and_is_checked_against_the_stash()
    {
        var image = Stage();
        var plan = image.PerDisc!;
        var again = PerDiscPlan.Parse(plan.Serialize());
        byte[][] c = [Encoding.UTF8.GetBytes("s"), Encoding.UTF8.GetBytes("k")];
        Assert.Equal(plan.Patches([c[0], c[1]], "X").Select(p => Convert.ToHexString(p.Data.Span)),
            again.Patches([c[0], c[1]], "X").Select(p => Convert.ToHexString(p.Data.Span)));
        var baseIso = Write(image, Path.Combine(_work, "base.iso"));
        var bytes = File.ReadAllBytes(baseIso);
        bytes[plan.Files[0].Lba * 2048] = 1; // a reserved sector that is not zero: not the stash the plan was made for
        File.WriteAllBytes(baseIso, bytes);
        var altered = new ImageFile(baseIso);
        Assert.Equal(ImapiError.SourceChanged, Assert.Throws<ImapiException>(() => again.CheckAgainst(altered)).Code);
        Assert.Equal(ImapiError.InvalidImage, Assert.Throws<ImapiException>(() => PerDiscPlan.Parse("{\"sectorCount\":5}"u8)).Code);
    }

    [Fact]
    public void Reserving_refuses_a_clash_a_bad_path_a_bad_size_and_udf_2_50()
    {
        var staging = new JolietStaging(MediaKind.Dvd);
        staging.AddData(_src.Root, overwrite: false);
        Assert.Equal(ImapiError.FileExists, Assert.Throws<ImapiException>(() => staging.ReservePerDiscFile("README.TXT", 10, Fixed)).Code);
        Assert.Equal(ImapiError.FileExists, Assert.Throws<ImapiException>(() => staging.ReservePerDiscFile("README.TXT/x", 10, Fixed)).Code);
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => staging.ReservePerDiscFile("../x", 10, Fixed)).Code);
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => staging.ReservePerDiscFile("a//b", 10, Fixed)).Code);
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => staging.ReservePerDiscFile("x", 0, Fixed)).Code);
        Assert.Equal(ImapiError.InvalidInput, Assert.Throws<ImapiException>(() => staging.ReservePerDiscFile("x", JolietStaging.MaxPerDiscFileBytes + 1, Fixed)).Code);
        long before = staging.UsedDataBlocks;
        staging.ReservePerDiscFile("x", 4097, Fixed);
        Assert.Equal(before + 3, staging.UsedDataBlocks); // 4097 bytes: three sectors of extent
        var udf = new JolietStaging(MediaKind.Dvd) { FileSystems = DataFileSystems.Udf };
        Assert.Equal(ImapiError.WrongFormat, Assert.Throws<ImapiException>(() => udf.ReservePerDiscFile("x", 10, Fixed)).Code);
    }

    /// <summary>What a disc of <see cref="Stage"/>'s source with these per-disc contents holds, as a folder under the work folder.</summary>
    private string Expected(string name, string serialText, string key)
    {
        var expected = Path.Combine(_work, name);
        CopyTree(_src.Root, expected);
        File.WriteAllText(Path.Combine(expected, "SERIAL.TXT"), serialText);
        Directory.CreateDirectory(Path.Combine(expected, "docs", "licence"));
        File.WriteAllText(Path.Combine(expected, "docs", "licence", "KEY.TXT"), key);
        return expected;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
            File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(f));
        }
    }
}
