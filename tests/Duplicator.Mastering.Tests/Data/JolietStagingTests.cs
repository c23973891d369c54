using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Data;

public sealed class JolietStagingTests : IDisposable
{
    private readonly TempTree _a = new();
    private readonly TempTree _b = new();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static string ReadStaged(DataImage image, string isoPathHint)
    {
        // Find the file's bytes through the independent reader rather than our own parser.
        var dir = Directory.CreateTempSubdirectory("dup-read-").FullName;
        try
        {
            var iso = Path.Combine(dir, "i.iso");
            image.WriteTo(iso);
            var x = Path.Combine(dir, "x");
            Directory.CreateDirectory(x);
            var r = Oracles.IsoReaders.Extract("7z", iso, x);
            Assert.Equal(0, r.ExitCode);
            return File.ReadAllText(Path.Combine(x, isoPathHint));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Folder_contents_go_into_the_image_root_and_calls_overlay()
    {
        _a.Text("one.txt", "a1");
        _a.Text("sub/two.txt", "a2");
        _b.Text("sub/three.txt", "b3");
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, overwrite: false);
        s.AddData(_b.Root, overwrite: false);
        Assert.Equal(3, s.FileCount);
        Assert.Equal("b3", ReadStaged(s.Build(), "sub/three.txt"));
    }

    [Fact]
    public void Clash_with_overwrite_off_is_FileExists_and_leaves_staging_unchanged()
    {
        _a.Text("same.txt", "first");
        _b.Text("same.txt", "second");
        _b.Text("new.txt", "new");
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, overwrite: false);
        long used = s.UsedDataBlocks;
        var e = Assert.Throws<ImapiException>(() => s.AddData(_b.Root, overwrite: false));
        Assert.Equal(ImapiError.FileExists, e.Code);
        Assert.Contains("/same.txt", e.Message);
        Assert.Equal(1, s.FileCount);
        Assert.Equal(used, s.UsedDataBlocks);
    }

    [Fact]
    public void Overwrite_on_lists_the_last_file_added_and_reclaims_the_shadowed_blocks()
    {
        _a.File("same.bin", 10 * 2048);
        _b.Text("same.bin", "small now");
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, overwrite: false);
        long withBig = s.UsedDataBlocks;
        s.AddData(_b.Root, overwrite: true);
        Assert.Equal(1, s.FileCount);
        Assert.Equal(withBig - 9, s.UsedDataBlocks);
        Assert.Equal("small now", ReadStaged(s.Build(), "same.bin"));
    }

    [Fact]
    public void DiscFull_names_the_need_and_the_capacity_and_leaves_staging_unchanged()
    {
        _a.File("fits.bin", 20 * 2048);
        _b.File("too-big.bin", 200 * 2048);
        var s = new JolietStaging(totalDataBlocks: 100);
        s.AddData(_a.Root, overwrite: false);
        long used = s.UsedDataBlocks;
        var e = Assert.Throws<ImapiException>(() => s.AddData(_b.Root, overwrite: false));
        Assert.Equal(ImapiError.DiscFull, e.Code);
        Assert.Contains("the medium holds 100", e.Message);
        Assert.Equal(used, s.UsedDataBlocks);
        Assert.Equal(1, s.FileCount);
    }

    [Fact]
    public void Used_blocks_equal_the_sectors_of_the_built_image()
    {
        _a.File("x/a.bin", 5000);
        _a.File("y/b.bin", 1);
        _a.File("c.bin", 0);
        var s = new JolietStaging(MediaKind.Dvd);
        s.AddData(_a.Root, overwrite: false);
        var image = s.Build();
        Assert.Equal(s.UsedDataBlocks, image.SectorCount);
        Assert.Equal(2048, s.DataBlockSize);
        Assert.Equal(2_295_104, s.TotalDataBlocks);
    }

    [Fact]
    public void Clear_starts_again()
    {
        _a.File("a.bin", 4096);
        var s = new JolietStaging(MediaKind.Cd74);
        long empty = s.UsedDataBlocks;
        s.AddData(_a.Root, overwrite: false);
        Assert.True(s.UsedDataBlocks > empty);
        s.Clear();
        Assert.Equal(0, s.FileCount);
        Assert.Equal(empty, s.UsedDataBlocks);
        s.AddData(_a.Root, overwrite: false); // no FileExists after Clear
        Assert.Equal(1, s.FileCount);
    }

    private sealed class CancelAfter(int calls) : IDiscMasterProgressEvents
    {
        public int Polls;
        public long LastDone, LastTotal;
        public bool QueryCancel() => ++Polls > calls;
        public void NotifyAddProgress(long completedSteps, long totalSteps) { LastDone = completedSteps; LastTotal = totalSteps; }
    }

    [Fact]
    public void Cancelled_AddData_is_UserAbort_and_leaves_staging_unchanged()
    {
        _a.File("keep.bin", 100);
        for (int i = 0; i < 200; i++) _b.File($"many/f{i}.bin", 10);
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, overwrite: false);
        long used = s.UsedDataBlocks;
        var e = Assert.Throws<ImapiException>(() => s.AddData(_b.Root, overwrite: false, new CancelAfter(50)));
        Assert.Equal(ImapiError.UserAbort, e.Code);
        Assert.Equal(1, s.FileCount);
        Assert.Equal(used, s.UsedDataBlocks);

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Equal(ImapiError.UserAbort, Assert.Throws<ImapiException>(() => s.AddData(_b.Root, false, null, cts.Token)).Code);
        Assert.Equal(1, s.FileCount);
    }

    [Fact]
    public void AddData_reports_progress_over_every_file()
    {
        for (int i = 0; i < 100; i++) _a.File($"f{i}.bin", 10);
        var progress = new CancelAfter(int.MaxValue);
        new JolietStaging(MediaKind.Cd74).AddData(_a.Root, false, progress);
        Assert.Equal(100, progress.LastDone);
        Assert.Equal(100, progress.LastTotal);
    }

    [Fact]
    public void Names_over_64_units_are_BadJolietName_listing_every_path()
    {
        var long1 = new string('a', 65) + ".txt";
        var long2 = new string('é', 70);
        _a.Text(long1, "x");
        _a.Text("sub/" + long2, "y");
        _a.Text(new string('b', 60) + ".txt", "exactly 64 units is fine");
        var s = new JolietStaging(MediaKind.Cd74);
        var e = Assert.Throws<ImapiException>(() => s.AddData(_a.Root, false));
        Assert.Equal(ImapiError.BadJolietName, e.Code);
        Assert.Contains("/" + long1 + ": 69 UCS-2 units, Joliet allows 64", e.Message);
        Assert.Contains("/sub/" + long2 + ": 70 UCS-2 units", e.Message);
        Assert.Equal(0, s.FileCount);
    }

    [Fact]
    public void Long103_policy_accepts_names_up_to_103_units()
    {
        _a.Text(new string('a', 99) + ".txt", "x");
        var s = new JolietStaging(MediaKind.Cd74) { Properties = new JolietProperties(LongNames: JolietNamePolicy.Long103) };
        s.AddData(_a.Root, false);
        Assert.Equal(1, s.FileCount);
        _b.Text(new string('c', 104), "x");
        Assert.Equal(ImapiError.BadJolietName, Assert.Throws<ImapiException>(() => s.AddData(_b.Root, false)).Code);
    }

    [Fact]
    public void Forbidden_Joliet_characters_are_refused_under_the_strict_policy()
    {
        _a.Text("what?.txt", "x");
        _a.Text("a;b.txt", "y");
        var e = Assert.Throws<ImapiException>(() => new JolietStaging(MediaKind.Cd74).AddData(_a.Root, false));
        Assert.Equal(ImapiError.BadJolietName, e.Code);
        Assert.Contains("U+003F", e.Message);
        Assert.Contains("U+003B", e.Message);
    }

    [Fact]
    public void Characters_outside_UCS_2_are_BadJolietName_unless_truncating()
    {
        _a.Text("smile \U0001F600.txt", "emoji");
        var e = Assert.Throws<ImapiException>(() => new JolietStaging(MediaKind.Cd74).AddData(_a.Root, false));
        Assert.Equal(ImapiError.BadJolietName, e.Code);
        Assert.Contains("U+1F600", e.Message);
        var t = new JolietStaging(MediaKind.Cd74) { Properties = new JolietProperties(LongNames: JolietNamePolicy.Truncate) };
        t.AddData(_a.Root, false);
        Assert.Equal(1, t.Build().RenamedJolietNames);
    }

    [Fact]
    public void A_symbolic_link_loop_is_SourceUnreadable_and_links_to_files_are_followed()
    {
        _a.Text("real/file.txt", "data");
        File.CreateSymbolicLink(Path.Combine(_a.Root, "link.txt"), Path.Combine(_a.Root, "real", "file.txt"));
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, false);
        Assert.Equal(2, s.FileCount);
        Directory.CreateSymbolicLink(Path.Combine(_a.Root, "real", "loop"), _a.Root);
        var e = Assert.Throws<ImapiException>(() => new JolietStaging(MediaKind.Cd74).AddData(_a.Root, false));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("loop", e.Message);
    }

    [Fact]
    public void Concurrent_random_reads_equal_a_sequential_read()
    {
        for (int i = 0; i < 40; i++) _a.File($"f{i}.bin", 3000 * i + 1);
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, false);
        var image = s.Build();
        var whole = new byte[image.SectorCount * 2048];
        image.Read(0, whole);
        Parallel.For(0, 200, i =>
        {
            var rnd = new Random(i);
            long first = rnd.NextInt64(image.SectorCount);
            int count = (int)Math.Min(image.SectorCount - first, rnd.Next(1, 40));
            var part = new byte[count * 2048];
            image.Read(first, part);
            Assert.True(whole.AsSpan((int)first * 2048, part.Length).SequenceEqual(part), $"sectors {first}+{count}");
        });
    }

    [Fact]
    public void Missing_folder_is_SourceUnreadable_naming_it()
    {
        var missing = Path.Combine(_a.Root, "nope");
        var e = Assert.Throws<ImapiException>(() => new JolietStaging(MediaKind.Cd74).AddData(missing, false));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void A_fifo_is_refused_instead_of_blocking()
    {
        var fifo = Path.Combine(_a.Root, "pipe");
        var r = Oracles.ExternalTool.Run("mkfifo", [fifo]);
        Assert.Equal(0, r.ExitCode);
        var e = Assert.Throws<ImapiException>(() => new JolietStaging(MediaKind.Cd74).AddData(_a.Root, false));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
        Assert.Contains("pipe", e.Message);
    }

    [Fact]
    public void Reading_a_source_that_changed_after_staging_fails_with_SourceChanged()
    {
        var path = _a.File("changing.bin", 3 * 2048);
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, false);
        var image = s.Build();
        File.AppendAllText(path, "more");
        var buffer = new byte[image.SectorCount * 2048];
        var e = Assert.Throws<ImapiException>(() => image.Read(0, buffer));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains(path, e.Message);

        var iso = Path.Combine(_b.Root, "out.iso");
        Assert.Throws<ImapiException>(() => image.WriteTo(iso));
        Assert.False(File.Exists(iso));
        Assert.Empty(Directory.GetFiles(_b.Root)); // no temp file left behind either
    }

    [Fact]
    public void Touching_a_source_without_changing_its_size_is_also_SourceChanged()
    {
        var path = _a.File("same-size.bin", 2048);
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(_a.Root, false);
        var image = s.Build();
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        Assert.Equal(ImapiError.SourceChanged, Assert.Throws<ImapiException>(() => image.Read(0, new byte[image.SectorCount * 2048])).Code);
    }
}
