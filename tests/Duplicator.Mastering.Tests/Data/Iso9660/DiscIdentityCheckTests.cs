using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Data.Iso9660;

/// <summary>
/// PTBurn's CheckVolumeIDOnDisc / CheckFileOnDisc over an image reader, on discs made by a tool nobody here wrote
/// (xorriso), with and without Joliet, and on hostile images.
/// </summary>
public sealed class DiscIdentityCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-identity-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Xorriso(string volid, bool joliet)
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        Directory.CreateDirectory(Path.Combine(src, "Docs", "deep"));
        File.WriteAllText(Path.Combine(src, "Docs", "deep", "Read Me Now.txt"), "hello");
        File.WriteAllText(Path.Combine(src, "SETUP.EXE"), "x");
        for (int i = 0; i < 120; i++) File.WriteAllText(Path.Combine(src, "Docs", $"file-{i:000}.txt"), "y"); // a directory over one sector
        var iso = Path.Combine(_dir, $"{volid}-{joliet}.iso");
        var args = new List<string> { "-as", "mkisofs", "-quiet", "-V", volid, "-o", iso };
        if (joliet) args.Add("-J");
        args.Add(src);
        var r = ExternalTool.Run("xorriso", args);
        Assert.True(r.ExitCode == 0, r.StdErr);
        return iso;
    }

    [Fact]
    public void A_Joliet_disc_made_by_xorriso_has_its_volume_id_and_files_found_and_others_refused()
    {
        var disc = new ImageFile(Xorriso("MASTER_2026", joliet: true));
        var ids = DiscIdentityCheck.ReadVolumeIds(disc);
        Assert.Equal("MASTER_2026", ids.Primary);
        Assert.Equal("MASTER_2026", ids.Joliet);
        Assert.True(DiscIdentityCheck.HasVolumeId(disc, "master_2026", out _));
        Assert.True(DiscIdentityCheck.HasFile(disc, "/Docs/deep/Read Me Now.txt")); // Joliet keeps the name as written
        Assert.True(DiscIdentityCheck.HasFile(disc, "docs/FILE-119.TXT"));
        Assert.False(DiscIdentityCheck.HasFile(disc, "/Docs/deep")); // a folder is not a file
        Assert.False(DiscIdentityCheck.HasFile(disc, "/Docs/nothing.txt"));
        Assert.Null(DiscIdentityCheck.Refusal(disc, "MASTER_2026", "/SETUP.EXE", "drive-1"));
        Assert.Equal("drive-1: the disc's volume ID is 'MASTER_2026', the job wants 'OTHER'", DiscIdentityCheck.Refusal(disc, "OTHER", null, "drive-1"));
        Assert.Equal("drive-1: the disc (volume ID 'MASTER_2026') has no file '/missing.txt'", DiscIdentityCheck.Refusal(disc, "MASTER_2026", "/missing.txt", "drive-1"));
    }

    [Fact]
    public void A_disc_without_Joliet_is_searched_in_its_primary_tree()
    {
        var disc = new ImageFile(Xorriso("PLAIN", joliet: false));
        Assert.Null(DiscIdentityCheck.ReadVolumeIds(disc).Joliet);
        Assert.True(DiscIdentityCheck.HasFile(disc, "/SETUP.EXE")); // "SETUP.EXE;1" on the disc
        Assert.True(DiscIdentityCheck.HasFile(disc, "/docs/file_119.txt")); // mkisofs maps '-' to '_' in ISO level 1 names
        Assert.False(DiscIdentityCheck.HasFile(disc, "/Docs/deep/Read Me Now.txt"));
    }

    [Fact]
    public void Garbage_and_hostile_directories_are_reported_never_followed()
    {
        var garbage = Path.Combine(_dir, "garbage.iso");
        var bytes = new byte[40 * 2048];
        new Random(4).NextBytes(bytes);
        File.WriteAllBytes(garbage, bytes);
        Assert.Equal("d: the disc cannot be checked: no ISO 9660 primary volume descriptor from sector 16 on",
            DiscIdentityCheck.Refusal(new ImageFile(garbage), "X", null, "d"));

        // A real disc whose root directory record claims 1 GiB: refused before anything that size is allocated.
        var iso = Xorriso("HOSTILE", joliet: false);
        var image = File.ReadAllBytes(iso);
        BitConverter.GetBytes(1u << 30).CopyTo(image, 16 * 2048 + 156 + 10);
        File.WriteAllBytes(iso, image);
        Assert.Equal("d: the disc cannot be checked: a directory of 1073741824 bytes at sector " + BitConverter.ToUInt32(image, 16 * 2048 + 156 + 2)
            + ": at most 4194304 are read", DiscIdentityCheck.Refusal(new ImageFile(iso), null, "/SETUP.EXE", "d"));
        Assert.Throws<ArgumentException>(() => DiscIdentityCheck.HasFile(new ImageFile(iso), string.Join('/', Enumerable.Repeat("a", 65))));
    }
}
