using System.Buffers.Binary;
using System.Text;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Data;

public sealed class IsoLayoutTests : IDisposable
{
    private readonly TempTree _src = new();

    public void Dispose() => _src.Dispose();

    private DataImage Build(DateTimeOffset? created = null)
    {
        var s = new JolietStaging(MediaKind.Cd74)
        {
            Properties = new JolietProperties(VolumeName: "My Disc", Publisher: "ACME", CreationTime: created ?? new DateTimeOffset(2026, 11, 24, 10, 30, 0, TimeSpan.Zero)),
        };
        s.AddData(_src.Root, false);
        return s.Build();
    }

    private static byte[] Sector(DataImage image, long lba)
    {
        var b = new byte[2048];
        image.Read(lba, b);
        return b;
    }

    [Fact]
    public void Volume_descriptors_follow_ECMA_119_and_Joliet()
    {
        _src.Text("a.txt", "a");
        var image = Build();
        var pvd = Sector(image, 16);
        Assert.Equal(1, pvd[0]);
        Assert.Equal("CD001", Encoding.ASCII.GetString(pvd, 1, 5));
        Assert.Equal("MY_DISC", Encoding.ASCII.GetString(pvd, 40, 32).TrimEnd());
        Assert.Equal((uint)image.SectorCount, BinaryPrimitives.ReadUInt32LittleEndian(pvd.AsSpan(80)));
        Assert.Equal((uint)image.SectorCount, BinaryPrimitives.ReadUInt32BigEndian(pvd.AsSpan(84)));
        Assert.Equal(2048, BinaryPrimitives.ReadUInt16LittleEndian(pvd.AsSpan(128)));
        Assert.Equal(2048, BinaryPrimitives.ReadUInt16BigEndian(pvd.AsSpan(130)));
        Assert.Equal("2026112410300000", Encoding.ASCII.GetString(pvd, 813, 16));
        Assert.Equal(1, pvd[881]);

        var svd = Sector(image, 17);
        Assert.Equal(2, svd[0]);
        Assert.Equal("%/E"u8.ToArray(), svd.AsSpan(88, 3).ToArray());
        Assert.Equal("My Disc", Encoding.BigEndianUnicode.GetString(svd, 40, 32).TrimEnd());

        var term = Sector(image, 18);
        Assert.Equal(255, term[0]);
        Assert.Equal("CD001", Encoding.ASCII.GetString(term, 1, 5));
        Assert.Equal(new byte[16 * 2048], Enumerable.Range(0, 16).SelectMany(i => Sector(image, i)).ToArray());
    }

    [Fact]
    public void L_and_M_path_tables_agree_and_list_folders_by_level_then_parent_then_name()
    {
        _src.Dir("b/z");
        _src.Dir("a/y");
        _src.Dir("a/x");
        var image = Build();
        var pvd = Sector(image, 16);
        int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(pvd.AsSpan(132));
        var l = Sector(image, BinaryPrimitives.ReadUInt32LittleEndian(pvd.AsSpan(140)));
        var m = Sector(image, BinaryPrimitives.ReadUInt32BigEndian(pvd.AsSpan(148)));
        var names = new List<(string Name, int Parent, uint Lba)>();
        for (int pos = 0; pos < size;)
        {
            int len = l[pos];
            var name = len == 1 && l[pos + 8] == 0 ? "" : Encoding.ASCII.GetString(l, pos + 8, len);
            uint lba = BinaryPrimitives.ReadUInt32LittleEndian(l.AsSpan(pos + 2));
            int parent = BinaryPrimitives.ReadUInt16LittleEndian(l.AsSpan(pos + 6));
            Assert.Equal(lba, BinaryPrimitives.ReadUInt32BigEndian(m.AsSpan(pos + 2)));
            Assert.Equal(parent, BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(pos + 6)));
            names.Add((name, parent, lba));
            pos += 8 + len + (len & 1);
        }
        Assert.Equal(["", "A", "B", "X", "Y", "Z"], names.Select(n => n.Name));
        Assert.Equal([1, 1, 1, 2, 2, 3], names.Select(n => n.Parent));
        // stored in path-table order: every folder after its parent
        Assert.True(names.Zip(names.Skip(1)).All(p => p.First.Lba < p.Second.Lba));
    }

    [Fact]
    public void Same_sources_and_properties_give_identical_images()
    {
        _src.Text("é/ü.txt", "x");
        _src.File("data.bin", 70_000);
        var one = Build();
        var two = Build();
        var a = new byte[one.SectorCount * 2048];
        var b = new byte[two.SectorCount * 2048];
        one.Read(0, a);
        two.Read(0, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Random_access_reads_match_a_sequential_read()
    {
        for (int i = 0; i < 30; i++) _src.File($"f{i}.bin", 1000 * i + 7);
        var image = Build();
        var whole = new byte[image.SectorCount * 2048];
        image.Read(0, whole);
        var rnd = new Random(5);
        for (int i = 0; i < 50; i++)
        {
            long first = rnd.NextInt64(image.SectorCount);
            int count = (int)Math.Min(image.SectorCount - first, rnd.Next(1, 20));
            var part = new byte[count * 2048];
            image.Read(first, part);
            Assert.True(whole.AsSpan((int)first * 2048, part.Length).SequenceEqual(part), $"sectors {first}+{count}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Read(image.SectorCount, new byte[2048]));
        Assert.Throws<ArgumentException>(() => image.Read(0, new byte[100]));
    }

    [Theory]
    [InlineData(new[] { "readme.txt", "README.TXT", "ReadMe.txt" }, new[] { "README.TXT;1", "README_1.TXT;1", "README_2.TXT;1" })]
    [InlineData(new[] { "a b", "a+b" }, new[] { "A_B.;1", "A_B_1.;1" })]
    [InlineData(new[] { "photos.2024" }, new[] { "PHOTOS.2024;1" })]
    public void Iso_names_are_d_characters_unique_and_deterministic(string[] names, string[] expected)
    {
        var shape = names.Select(n => (n, false)).ToList();
        var assigned = IsoNames.AssignIso(shape);
        Assert.Equal(expected.Order(StringComparer.Ordinal), assigned.Order(StringComparer.Ordinal));
        Assert.Equal(assigned, IsoNames.AssignIso(shape.AsEnumerable().Reverse().ToList()).Reverse());
    }

    [Fact]
    public void Folder_names_never_contain_dots_and_fit_31_characters()
    {
        var assigned = IsoNames.AssignIso([("my.folder.with.a.very.long.name.indeed", true)]);
        Assert.Equal("MY_FOLDER_WITH_A_VERY_LONG_NAME", assigned[0]);
    }
}
