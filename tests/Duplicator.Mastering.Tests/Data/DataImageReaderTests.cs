using Duplicator.Mastering.Data;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>Images checked by readers nobody here wrote: every extracted tree must equal the source byte for byte.</summary>
public sealed class DataImageReaderTests : IDisposable
{
    private readonly TempTree _src = new();
    private readonly string _out = Directory.CreateTempSubdirectory("dup-iso-").FullName;

    public void Dispose()
    {
        _src.Dispose();
        Directory.Delete(_out, recursive: true);
    }

    private string Master(string source, JolietProperties? properties = null, MediaKind media = MediaKind.Dvd)
    {
        var s = new JolietStaging(media) { Properties = properties ?? new JolietProperties(VolumeName: "Test Volume") };
        s.AddData(source, overwrite: false);
        var iso = Path.Combine(_out, "image.iso");
        var image = s.Build();
        image.WriteTo(iso);
        Assert.Equal(image.SectorCount * 2048, new FileInfo(iso).Length);
        return iso;
    }

    [Fact]
    public void Unicode_case_mangling_64_unit_deep_and_empty_entries_extract_identically_in_every_reader()
    {
        _src.Text("Latin/Café Müller Straße.txt", "latin");
        _src.Text("Ελληνικά/Αρχείο φωτογραφίας.txt", "greek");
        _src.Text("Кириллица/Отчёт за год.txt", "cyrillic");
        _src.Text("日本語/写真 資料 東京.txt", "cjk");
        _src.Text("한국어/보고서 회의 자료.txt", "hangul");
        _src.Text("case/Readme.txt", "upper R");
        _src.Text("case/readme.txt", "lower r");
        _src.Text("case/README.TXT", "all upper");
        // collide after ISO mangling to d-characters
        _src.Text("mangle/a+b.txt", "plus");
        _src.Text("mangle/a-b.txt", "minus");
        _src.Text("mangle/a b.txt", "space");
        _src.Text("mangle/" + new string('x', 40) + "1.data", "long 1");
        _src.Text("mangle/" + new string('x', 40) + "2.data", "long 2");
        _src.Text("mangle/no extension", "none");
        _src.Text("mangle/.hidden", "dot first");
        _src.Text("mangle/dots.in.the.name.tar.gz", "dots");
        _src.Text("sixty-four/" + new string('é', 60) + ".txt", "exactly 64 units");
        _src.Text("sixty-four/" + new string('字', 64), "64 CJK units");
        var deep = string.Join('/', Enumerable.Range(1, 12).Select(i => $"level {i}"));
        _src.Text(deep + "/deep file.txt", "twelve levels down");
        _src.File("empty file.bin", 0);
        _src.Dir("empty folder");
        _src.Dir("nested empty/inner/innermost");
        _src.File("exactly one sector.bin", 2048);
        _src.File("one sector and a byte.bin", 2049);
        _src.File("larger.bin", 3_000_017);

        var iso = Master(_src.Root);
        IsoReaders.AssertExtractsIdentical(iso, _src.Root);
        IsoReaders.AssertIsoinfoReadsJoliet(iso);
        var listed = IsoReaders.IsoInfoPaths(iso);
        int sourceEntries = Directory.EnumerateFileSystemEntries(_src.Root, "*", SearchOption.AllDirectories).Count();
        Assert.Equal(sourceEntries, listed.Count);
    }

    [Fact]
    public void Source_modification_times_are_recorded_in_both_trees()
    {
        var when = new DateTime(2019, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        var file = _src.Text("dated/file.txt", "x");
        File.SetLastWriteTimeUtc(file, when);
        Directory.SetLastWriteTimeUtc(Path.Combine(_src.Root, "dated"), when.AddDays(1));
        var iso = Master(_src.Root);
        var x = Directory.CreateTempSubdirectory("dup-x-").FullName;
        try
        {
            Assert.Equal(0, IsoReaders.Extract("bsdtar", iso, x).ExitCode);
            Assert.Equal(when, File.GetLastWriteTimeUtc(Path.Combine(x, "dated", "file.txt")));
            Assert.Equal(when.AddDays(1), Directory.GetLastWriteTimeUtc(Path.Combine(x, "dated")));
        }
        finally
        {
            Directory.Delete(x, true);
        }
    }

    [Fact]
    public void A_few_thousand_files_extract_identically()
    {
        for (int d = 0; d < 40; d++)
            for (int f = 0; f < 75; f++)
                _src.File($"folder {d:00}/file {f:000}.dat", (d * 75 + f) % 5000);
        var iso = Master(_src.Root);
        IsoReaders.AssertExtractsIdentical(iso, _src.Root);
    }

    [Fact]
    public void Truncate_policy_keeps_every_file_with_unique_names_and_extensions()
    {
        var a = new string('n', 80) + " one.txt";
        var b = new string('n', 80) + " two.txt";
        _src.Text(a, "1");
        _src.Text(b, "2");
        _src.Text("colon:name.txt", "3");
        var iso = Master(_src.Root, new JolietProperties(LongNames: JolietNamePolicy.Truncate));
        var x = Directory.CreateTempSubdirectory("dup-x-").FullName;
        try
        {
            Assert.Equal(0, IsoReaders.Extract("bsdtar", iso, x).ExitCode);
            var names = Directory.GetFiles(x).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(3, names.Count);
            Assert.Contains("colon_name.txt", names);
            Assert.All(names, n => Assert.True(n!.Length <= 64 && n.EndsWith(".txt"), n));
            var contents = Directory.GetFiles(x).Select(File.ReadAllText).Order().ToList();
            Assert.Equal(["1", "2", "3"], contents);
        }
        finally
        {
            Directory.Delete(x, true);
        }
    }

    [Fact]
    public void A_truncated_folder_or_extensionless_name_never_ends_in_the_space_or_dot_the_cut_landed_on()
    {
        var folder = new string('f', 63) + " rest of a long folder name";   // the cut at 64 ends on the space
        var file = new string('g', 63) + "." + new string('x', 30);          // ends on the dot: 31 units after it are no extension
        _src.Text(folder + "/inner.txt", "1");
        _src.Text(file, "2");
        var iso = Master(_src.Root, new JolietProperties(LongNames: JolietNamePolicy.Truncate));
        var x = Directory.CreateTempSubdirectory("dup-x-").FullName;
        try
        {
            Assert.Equal(0, IsoReaders.Extract("xorriso", iso, x).ExitCode);
            var names = Directory.GetFileSystemEntries(x).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal([new string('f', 63), new string('g', 63)], names);
            Assert.Equal("1", File.ReadAllText(Path.Combine(x, new string('f', 63), "inner.txt")));
            Assert.Equal("2", File.ReadAllText(Path.Combine(x, new string('g', 63))));
        }
        finally
        {
            Directory.Delete(x, true);
        }
    }

    [Fact]
    public void Overlaid_folders_extract_as_their_union()
    {
        using var second = new TempTree();
        _src.Text("shared/a.txt", "from first");
        second.Text("shared/b.txt", "from second");
        second.Text("top.txt", "top");
        var s = new JolietStaging(MediaKind.Cd80);
        s.AddData(_src.Root, false);
        s.AddData(second.Root, false);
        var iso = Path.Combine(_out, "u.iso");
        s.Build().WriteTo(iso);
        using var union = new TempTree();
        union.Text("shared/a.txt", "from first");
        union.Text("shared/b.txt", "from second");
        union.Text("top.txt", "top");
        IsoReaders.AssertExtractsIdentical(iso, union.Root);
    }
}
