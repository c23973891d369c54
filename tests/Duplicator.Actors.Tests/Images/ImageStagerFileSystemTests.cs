using System.Text;
using System.Text.Json;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Images;

/// <summary>The stager masters a folder batch with the batch's file system; a batch recorded without one restages as it did.</summary>
public sealed class ImageStagerFileSystemTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-stager-fs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static BatchSpec Folder(string src, string? fileSystem, string? media = null) =>
        new("fs1", SourceKind.Folder, [src], 1, new BatchOptions(false, 0, 0, true, []), "V", media, FileSystem: fileSystem);

    // ECMA-119 8.1 / ECMA-167 2/9.1: the standard identifier at byte 1 of a volume descriptor.
    private static string Identifier(byte[] image, int sector) => Encoding.ASCII.GetString(image, sector * 2048 + 1, 5);

    [Fact]
    public void A_folder_batch_written_by_bbc74e6_restages_after_a_restart_to_the_bytes_it_staged_then()
    {
        var corpus = GoldenCorpus.Create(_dir);
        var golden = Path.Combine(AppContext.BaseDirectory, "Batches", "Golden", "bbc74e6");
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(golden, "restage.json")));
        string sha = expected.RootElement.GetProperty("sha256").GetString()!;
        using var sys = ActorSystem.Create("golden-restage", PersistenceConfig.InMemory());
        var submitted = (BatchSubmitted)new BatchSerializer((ExtendedActorSystem)sys).FromBinary(File.ReadAllBytes(Path.Combine(golden, "bs.folder.bin")), "bs");
        var spec = submitted.Spec with { Paths = [corpus] }; // bbc74e6 staged the same tree from elsewhere; the path is not in the image

        var stash = Path.Combine(_dir, "stash");
        var gone = Path.Combine(ImageStager.StashFolder(stash, spec.BatchId), "image.iso"); // the stash was lost: a real restage from the source
        var restored = ImageStager.Restore(spec, submitted.At, stash, gone, sha, default);

        Assert.Equal(sha, restored.ContentSha256);
        Assert.Equal(expected.RootElement.GetProperty("sectors").GetInt64(), restored.SectorCount);
        var image = File.ReadAllBytes(restored.StashPath);
        Assert.Equal(("CD001", "CD001", "CD001"), (Identifier(image, 16), Identifier(image, 17), Identifier(image, 18)));
        Assert.NotEqual("BEA01", Identifier(image, 19)); // no UDF: the batch is joliet, as staged then, although its medium (dvd) now defaults to the bridge
    }

    [Fact]
    public void A_bridge_batch_stages_ISO_9660_Joliet_and_UDF_1_02_and_a_udf_batch_UDF_2_50_alone()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, new string('n', 120) + ".txt"), "a name beyond Joliet's 64"); // the bridge keeps it (UDF in full, Joliet cut)

        var bridge = File.ReadAllBytes(ImageStager.Stage(Folder(src, "udf-bridge"), default, Path.Combine(_dir, "s1"), default).StashPath);
        Assert.Equal(("CD001", "BEA01", "NSR02", "TEA01"), (Identifier(bridge, 16), Identifier(bridge, 19), Identifier(bridge, 20), Identifier(bridge, 21)));

        var udf = File.ReadAllBytes(ImageStager.Stage(Folder(src, "udf", "bd25"), default, Path.Combine(_dir, "s2"), default).StashPath);
        Assert.NotEqual("CD001", Identifier(udf, 16));
        Assert.Contains("NSR03", Enumerable.Range(16, 8).Select(s => Identifier(udf, s)));

        var joliet = Assert.Throws<ImapiException>(() => ImageStager.Stage(Folder(src, "joliet"), default, Path.Combine(_dir, "s3"), default));
        Assert.Equal(ImapiError.BadJolietName, joliet.Code); // joliet keeps the strict 64-unit policy a Joliet batch always had
    }

    [Fact]
    public void DVD_Video_for_a_CD_fails_with_InvalidInput_before_anything_is_written()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        Directory.CreateDirectory(Path.Combine(src, "VIDEO_TS"));
        var stash = Path.Combine(_dir, "stash");
        var e = Assert.Throws<ImapiException>(() => ImageStager.Stage(Folder(src, "dvd-video", "cd80"), default, stash, default));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Equal("batch 'fs1': dvd-video goes on dvd or dvd-dl media only (DVD players read DVD-Video from a DVD), not on cd80", e.Message);
        Assert.False(Directory.Exists(stash));
    }
}
