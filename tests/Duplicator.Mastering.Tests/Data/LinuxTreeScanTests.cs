using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>The Linux scan (getdents64, statx, faccessat) must stage exactly the tree the portable scan stages.</summary>
public sealed class LinuxTreeScanTests : IDisposable
{
    private readonly TempTree _a = new();

    public void Dispose() => _a.Dispose();

    [Fact]
    public void Stages_the_same_tree_as_the_portable_scan()
    {
        if (!OperatingSystem.IsLinux()) return;
        for (int i = 0; i < 30; i++) _a.File($"many/f{i:D2}.bin", i * 100);
        _a.File("Café Müller/Отчёт 日本.txt", 10);
        _a.File("deep/a/b/c/d/e/f/g/h/i/j/leaf.dat", 5000);
        _a.Text("empty.txt", "");
        _a.Dir("empty folder");
        File.SetLastWriteTimeUtc(Path.Combine(_a.Root, "empty.txt"), new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(1234567));
        Directory.SetLastWriteTimeUtc(Path.Combine(_a.Root, "empty folder"), new DateTime(1999, 12, 31, 23, 59, 59, DateTimeKind.Utc));
        File.CreateSymbolicLink(Path.Combine(_a.Root, "link to leaf.dat"), Path.Combine(_a.Root, "deep", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "leaf.dat"));
        Directory.CreateSymbolicLink(Path.Combine(_a.Root, "link to many"), Path.Combine(_a.Root, "many"));

        var nativeFiles = new List<string>();
        var unreadable = new List<string>();
        var native = LinuxTreeScan.TryScan(_a.Root, nativeFiles, unreadable, () => { });
        Assert.NotNull(native);
        Assert.Empty(unreadable);
        var portableFiles = new List<string>();
        var portable = JolietStaging.ScanPortable(new DirectoryInfo(_a.Root), portableFiles, () => { });

        Assert.Equal(portableFiles, nativeFiles);
        Assert.Equal(Describe(portable), Describe(native!));
        Assert.Contains("link to many/f29.bin 2900", Describe(native!));
    }

    [Fact]
    public void A_symbolic_link_loop_and_a_dangling_link_are_SourceUnreadable()
    {
        if (!OperatingSystem.IsLinux()) return;
        _a.Text("real/file.txt", "data");
        Directory.CreateSymbolicLink(Path.Combine(_a.Root, "real", "loop"), _a.Root);
        var e = Assert.Throws<ImapiException>(() => LinuxTreeScan.TryScan(_a.Root, [], [], () => { }));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("loop", e.Message);

        Directory.Delete(Path.Combine(_a.Root, "real", "loop"));
        File.CreateSymbolicLink(Path.Combine(_a.Root, "gone.txt"), Path.Combine(_a.Root, "nowhere.txt"));
        e = Assert.Throws<ImapiException>(() => LinuxTreeScan.TryScan(_a.Root, [], [], () => { }));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("gone.txt: dangling", e.Message);
    }

    [Fact]
    public void A_source_deleted_or_replaced_by_a_folder_after_staging_is_SourceChanged()
    {
        var gone = _a.File("gone.bin", 3000);
        var swapped = _a.File("swapped.bin", 3000);
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, false);
        var image = s.Build();
        File.Delete(gone);
        var e = Assert.Throws<ImapiException>(() => image.Read(0, new byte[image.SectorCount * 2048]));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains("gone.bin: staged file can no longer be read", e.Message);

        _a.File("gone.bin", 3000);
        File.Delete(swapped);
        Directory.CreateDirectory(swapped);
        e = Assert.Throws<ImapiException>(() => image.Read(0, new byte[image.SectorCount * 2048]));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains("swapped.bin", e.Message);
    }

    private static string Describe(StagedDirectory root)
    {
        var lines = new List<string>();
        Walk(root, "");
        return string.Join("\n", lines);

        void Walk(StagedDirectory d, string path)
        {
            lines.Add($"{path}/ {d.ModifiedUtc.Ticks}");
            foreach (var (key, node) in d.Children) // dictionary order: the order the entries were read in
            {
                Assert.Equal(key, node.Name);
                if (node is StagedDirectory sub) Walk(sub, path + "/" + key);
                else if (node is StagedFile f) lines.Add($"{path}/{key} {f.Size} {f.ModifiedUtc.Ticks} {f.SourcePath}");
            }
        }
    }
}
