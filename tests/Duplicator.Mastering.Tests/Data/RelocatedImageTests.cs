using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>
/// An image laid out for a session that starts at a disc's next writable address (<see cref="DataImage.At"/>, as
/// mkisofs -C): written after another session on a disc file, independent readers find its tree from that session's
/// start (xorriso -load sbsector, isoinfo -T) and read its files as staged, and the earlier session is untouched.
/// </summary>
public sealed class RelocatedImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-reloc-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Folder(string name, params (string Path, int Bytes)[] files)
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        foreach (var (path, bytes) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var data = new byte[bytes];
            new Random(path.Length * 31 + bytes).NextBytes(data);
            File.WriteAllBytes(full, data);
        }
        return root;
    }

    private static DataImage Stage(string folder, string volume)
    {
        var s = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: volume, CreationTime: new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero)) };
        s.AddData(folder, false);
        return s.Build();
    }

    private static byte[] Bytes(DataImage image)
    {
        var b = new byte[image.SectorCount * 2048];
        image.Read(0, b);
        return b;
    }

    [Fact]
    public void A_session_laid_out_at_its_start_sector_reads_back_there_with_xorriso_and_isoinfo()
    {
        var first = Stage(Folder("one", ("old.txt", 5000), ("docs/a.bin", 70_000)), "FIRST");
        var newFolder = Folder("two", ("new.txt", 3000), ("data/b.bin", 200_000), ("data/deep/c.bin", 1));
        var plain = Stage(newFolder, "SECOND");
        long start = first.SectorCount + 150; // a gap, as between sessions on a real disc
        var second = plain.At(start);
        Assert.Equal(start, second.BaseLba);
        Assert.Equal(plain.SectorCount, second.SectorCount);

        var a = Bytes(plain);
        var b = Bytes(second);
        long meta = plain.MetadataSectors * 2048;
        Assert.True(a.AsSpan((int)meta).SequenceEqual(b.AsSpan((int)meta))); // the file data do not move or change
        Assert.False(a.AsSpan(0, (int)meta).SequenceEqual(b.AsSpan(0, (int)meta))); // the addresses do

        var disc = Path.Combine(_dir, "disc.iso");
        using (var f = File.Create(disc))
        {
            f.Write(Bytes(first));
            f.Position = start * 2048;
            f.Write(b);
        }

        // xorriso from the second session's start: the new tree, byte for byte.
        var outTwo = Path.Combine(_dir, "x-two");
        var x = ExternalTool.Run("xorriso", ["-abort_on", "FAILURE", "-indev", disc, "-load", "sbsector", start.ToString(), "-osirrox", "on", "-extract", "/", outTwo]);
        Assert.True(x.ExitCode == 0, x.StdErr);
        Assert.Empty(TreeComparer.Differences(newFolder, outTwo));
        // isoinfo -T (the session's start, as after mkisofs -C): the Joliet and ISO 9660 listings name the new files.
        var j = ExternalTool.Run("isoinfo", ["-i", disc, "-T", start.ToString(), "-J", "-f"]);
        Assert.True(j.ExitCode == 0, j.StdErr);
        Assert.Equal(["/data", "/data/b.bin", "/data/deep", "/data/deep/c.bin", "/new.txt"], j.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        var pvd = ExternalTool.Run("isoinfo", ["-i", disc, "-T", start.ToString(), "-d"]);
        Assert.Contains("Volume id: SECOND", pvd.StdOut);
        Assert.Contains($"Volume size is: {start + second.SectorCount}", pvd.StdOut); // counts the sectors before the session
        var isoTree = ExternalTool.Run("isoinfo", ["-i", disc, "-T", start.ToString(), "-f"]); // the primary tree too
        Assert.Contains("/DATA/DEEP/C.BIN;1", isoTree.StdOut);

        // The first session is as it was.
        var outOne = Path.Combine(_dir, "x-one");
        Assert.Equal(0, ExternalTool.Run("xorriso", ["-abort_on", "FAILURE", "-indev", disc, "-load", "sbsector", "0", "-osirrox", "on", "-extract", "/", outOne]).ExitCode);
        Assert.Empty(TreeComparer.Differences(Path.Combine(_dir, "one"), outOne));
    }

    [Fact]
    public void Only_an_iso_image_is_relocated()
    {
        var s = new JolietStaging(MediaKind.Dvd) { FileSystems = DataFileSystems.Udf };
        s.AddData(Folder("u", ("x.bin", 10)), false);
        Assert.Equal(Imapi.ImapiError.WrongFormat, Assert.Throws<Imapi.ImapiException>(() => s.Build().At(1000)).Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => Stage(Folder("n", ("y.bin", 10)), "N").At(-1));
    }

    [Fact]
    public void An_appended_session_lists_the_earlier_sessions_files_and_its_own_and_a_new_file_replaces_an_old_one()
    {
        var oldFolder = Folder("old", ("old.txt", 5000), ("docs/a.bin", 70_000), ("clash.txt", 900), ("empty.txt", 0));
        var first = Stage(oldFolder, "INVOICES_2026");
        var disc = Path.Combine(_dir, "disc.iso");
        File.WriteAllBytes(disc, Bytes(first));
        var newFolder = Folder("new", ("new.txt", 3000), ("docs/b.bin", 120_000), ("clash.txt", 4321));
        var s = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: "INVOICES_2026", CreationTime: new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero)) };
        s.AddData(newFolder, false);
        long start = first.SectorCount + 16;
        var session = s.BuildSession(new ImageFile(disc), 0, start);
        Assert.Equal(start, session.BaseLba);
        Assert.Equal(3, session.FileCount); // new.txt, docs/b.bin and clash.txt hold data in the session; the old files stay where they are
        using (var f = new FileStream(disc, FileMode.Open))
        {
            f.Position = start * 2048;
            f.Write(Bytes(session));
        }

        var expected = Directory.CreateDirectory(Path.Combine(_dir, "expected")).FullName; // what the last session must hold
        foreach (var (from, rel) in new[] { (oldFolder, "old.txt"), (oldFolder, "docs/a.bin"), (oldFolder, "empty.txt"), (newFolder, "new.txt"), (newFolder, "docs/b.bin"), (newFolder, "clash.txt") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(expected, rel))!);
            File.Copy(Path.Combine(from, rel), Path.Combine(expected, rel));
        }
        var last = Path.Combine(_dir, "x-last");
        var x = ExternalTool.Run("xorriso", ["-abort_on", "FAILURE", "-indev", disc, "-load", "sbsector", start.ToString(), "-osirrox", "on", "-extract", "/", last]);
        Assert.True(x.ExitCode == 0, x.StdErr);
        Assert.Empty(TreeComparer.Differences(expected, last));
        var j = ExternalTool.Run("isoinfo", ["-i", disc, "-T", start.ToString(), "-J", "-f"]);
        Assert.Equal(["/clash.txt", "/docs", "/docs/a.bin", "/docs/b.bin", "/empty.txt", "/new.txt", "/old.txt"], j.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        // The first session still reads as it was.
        var one = Path.Combine(_dir, "x-first");
        Assert.Equal(0, ExternalTool.Run("xorriso", ["-abort_on", "FAILURE", "-indev", disc, "-load", "sbsector", "0", "-osirrox", "on", "-extract", "/", one]).ExitCode);
        Assert.Empty(TreeComparer.Differences(oldFolder, one));
    }

    [Fact]
    public void A_disc_without_a_tree_in_its_last_session_is_refused_as_an_invalid_image()
    {
        var junk = Path.Combine(_dir, "junk.iso");
        File.WriteAllBytes(junk, new byte[40 * 2048]);
        var s = new JolietStaging(MediaKind.Dvd);
        s.AddData(Folder("j", ("x.bin", 10)), false);
        var e = Assert.Throws<Imapi.ImapiException>(() => s.BuildSession(new ImageFile(junk), 0, 100));
        Assert.Equal(Imapi.ImapiError.InvalidImage, e.Code);
        Assert.Contains("no ISO 9660 primary volume descriptor from sector 16 on", e.Message);
    }
}
