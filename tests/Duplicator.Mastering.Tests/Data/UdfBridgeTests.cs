using System.Security.Cryptography;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Data.Udf;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>
/// ISO 9660 + Joliet + UDF 1.02 in one image (the bridge) and pure UDF 2.50 with a metadata partition, read
/// back by independent UDF and ISO readers.
/// </summary>
public sealed class UdfBridgeTests : IDisposable
{
    private readonly TempTree _src = new();
    private readonly string _out = Directory.CreateTempSubdirectory("dup-udf-").FullName;

    public void Dispose()
    {
        _src.Dispose();
        Directory.Delete(_out, recursive: true);
    }

    private string Master(MediaKind media = MediaKind.Dvd, string name = "bridge.iso", DataFileSystems fs = DataFileSystems.UdfBridge)
    {
        var s = new JolietStaging(media) { FileSystems = fs, Properties = new JolietProperties(VolumeName: "BRIDGE") };
        s.AddData(_src.Root, false);
        var image = s.Build();
        var path = Path.Combine(_out, name);
        image.WriteTo(path);
        Assert.Equal(image.SectorCount * 2048, new FileInfo(path).Length);
        Assert.Equal(s.UsedDataBlocks, image.SectorCount);
        return path;
    }

    /// <summary>Deep folders, a 255-byte CS0 name in both compressions, Unicode, names Joliet must cut, empty files and folders.</summary>
    private void TrickyTree()
    {
        var deep = string.Join('/', Enumerable.Range(1, 12).Select(i => $"level{i}"));
        _src.File(deep + "/bottom.bin", 5000);
        _src.File(new string('a', 250) + ".bin", 3000);               // 254 characters: 255 bytes with compression id 8
        _src.File(new string('\u0416', 127), 10);                      // 127 UTF-16 units: 255 bytes with compression id 16 (254 of UTF-8)
        _src.Text("Ünïcødé ñame – ünd 日本語.txt", "unicode");
        _src.Text("emoji \U0001F600 outside the BMP.txt", "astral");
        _src.File("same prefix " + new string('x', 80) + " one.txt", 100, seed: 1);
        _src.File("same prefix " + new string('x', 80) + " two.txt", 100, seed: 2);
        _src.Text("empty.txt", "");
        _src.Dir("empty folder");
        _src.File("sub/many/file with spaces.dat", 70_000);
        for (int i = 0; i < 150; i++) _src.File($"wide/{i:D3} a file name long enough to make the folder span sectors.txt", i);
    }

    [Theory]
    [InlineData(DataFileSystems.UdfBridge)]
    [InlineData(DataFileSystems.Udf)]
    public void Seven_zip_extracts_the_UDF_tree_equal_to_the_source_with_every_name_in_full(DataFileSystems fs)
    {
        TrickyTree();
        var image = Master(fs: fs);
        var dir = Directory.CreateTempSubdirectory("dup-x-udf7z-").FullName;
        try
        {
            var r = UdfReaders.Extract7z(image, dir);
            Assert.True(r.ExitCode == 0, $"7z -tudf: exit {r.ExitCode}: {r.StdErr}{r.StdOut}");
            var diff = TreeComparer.Differences(_src.Root, dir);
            Assert.True(diff.Count == 0, string.Join("; ", diff.Take(10)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(DataFileSystems.UdfBridge, "1.02")]
    [InlineData(DataFileSystems.Udf, "2.50")]
    public void Udfinfo_accepts_the_image_as_a_closed_read_only_UDF_volume_of_its_revision_counting_every_file(DataFileSystems fs, string revision)
    {
        TrickyTree();
        var image = Master(fs: fs);
        var info = UdfReaders.Udfinfo(image);
        Assert.Equal(revision, info["udfrev"]);
        Assert.Equal(revision, info["udfwriterev"]);
        Assert.Equal("closed", info["integrity"]);
        Assert.Equal("readonly", info["accesstype"]);
        Assert.Equal("BRIDGE", info["lvid"]);
        var files = Directory.GetFiles(_src.Root, "*", SearchOption.AllDirectories).Length;
        var dirs = Directory.GetDirectories(_src.Root, "*", SearchOption.AllDirectories).Length + 1; // and the root
        Assert.Equal(files.ToString(System.Globalization.CultureInfo.InvariantCulture), info["numfiles"]);
        Assert.Equal(dirs.ToString(System.Globalization.CultureInfo.InvariantCulture), info["numdirs"]);
        Assert.Equal((new FileInfo(image).Length / 2048).ToString(System.Globalization.CultureInfo.InvariantCulture), info["blocks"]);
    }

    [Fact]
    public void Every_file_is_reachable_from_the_Joliet_side_too_under_a_cut_name()
    {
        TrickyTree();
        var image = Master();
        var dir = Directory.CreateTempSubdirectory("dup-x-iso7z-").FullName;
        try
        {
            var r = IsoReaders.Extract("7z", image, dir);
            Assert.True(r.ExitCode == 0, $"7z -tiso: exit {r.ExitCode}: {r.StdErr}{r.StdOut}");
            Assert.Equal(Contents(_src.Root), Contents(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        static List<string> Contents(string root) =>
            [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories)
                .Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))) + " " + Path.GetRelativePath(root, f).Count(c => c == '/'))
                .Order(StringComparer.Ordinal)];
    }

    [Theory]
    [InlineData(DataFileSystems.UdfBridge)]
    [InlineData(DataFileSystems.Udf)]
    public void Udfclient_copies_an_ascii_tree_out_equal_to_the_source(DataFileSystems fs)
    {
        _src.File("a.txt", 6);
        _src.File("sub/b.bin", 100_000);
        _src.Text("sub/empty.txt", "");
        _src.Dir("empty");
        _src.File("sub/deeper/still/c file.bin", 9000);
        _src.File(new string('n', 200) + ".long", 700);
        var image = Master(fs: fs);
        var dir = Directory.CreateTempSubdirectory("dup-x-udfclient-").FullName;
        try
        {
            var roots = Directory.EnumerateFileSystemEntries(_src.Root).Select(Path.GetFileName).ToList();
            var r = UdfReaders.ExtractUdfclient(image, dir, roots!);
            var diff = TreeComparer.Differences(_src.Root, dir);
            Assert.True(diff.Count == 0, string.Join("; ", diff.Take(10)) + Environment.NewLine + r.StdOut + r.StdErr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_bridge_passes_the_ISO_readers_on_its_Joliet_side()
    {
        _src.File("README.TXT", 300);
        _src.File("docs/manual.pdf", 120_000);
        _src.Text("docs/Ünïcødé.txt", "u");
        _src.Text("docs/empty.txt", "");
        _src.File(string.Join('/', Enumerable.Range(1, 10).Select(i => $"d{i}")) + "/deep.bin", 4000);
        var image = Master();
        IsoReaders.AssertExtractsIdentical(image, _src.Root);
        IsoReaders.AssertIsoinfoReadsJoliet(image);
        Assert.Contains("docs/manual.pdf", IsoReaders.IsoInfoPaths(image));
    }

    [Theory]
    [InlineData(DataFileSystems.UdfBridge)]
    [InlineData(DataFileSystems.Udf)]
    public void Reading_the_image_sector_by_sector_gives_the_bytes_WriteTo_wrote_closing_anchor_included(DataFileSystems fs)
    {
        _src.File("one.bin", 10_000);
        _src.File("two/three.bin", 3 * 2048);
        var s = new JolietStaging(MediaKind.Dvd) { FileSystems = fs };
        s.AddData(_src.Root, false);
        var image = s.Build();
        var path = Path.Combine(_out, "r.iso");
        image.WriteTo(path);
        var written = File.ReadAllBytes(path);
        var read = new byte[written.Length];
        for (long at = 0; at < image.SectorCount; at += 7)
        {
            int n = (int)Math.Min(7, image.SectorCount - at);
            image.Read(at, read.AsSpan((int)(at * 2048), n * 2048));
        }
        Assert.True(written.AsSpan().SequenceEqual(read), "Read() and WriteTo() differ");
        // the closing anchor (tag identifier 2) is the last sector, and names its own location
        var last = written.AsSpan(written.Length - 2048);
        Assert.Equal(2, BitConverter.ToUInt16(last));
        Assert.Equal((uint)(image.SectorCount - 1), BitConverter.ToUInt32(last[12..]));
        Assert.Equal(2, BitConverter.ToUInt16(written.AsSpan(256 * 2048)));
    }

    [Theory]
    [InlineData(DataFileSystems.UdfBridge)]
    [InlineData(DataFileSystems.Udf)]
    public void A_name_over_255_bytes_of_CS0_is_BadJolietName_listing_every_path_and_nothing_is_staged(DataFileSystems fs)
    {
        _src.Text(new string('b', 255) + "/ok.txt", "x");             // 255 characters: 256 bytes
        _src.Text("sub/" + new string('c', 254), "y");                  // 254 characters: fits (255 bytes)
        _src.Text("sub/\u65E5" + new string('z', 127), "z");           // 128 UTF-16 units: 257 bytes (130 of UTF-8)
        var s = new JolietStaging(MediaKind.Dvd) { FileSystems = fs };
        long before = s.UsedDataBlocks;
        var e = Assert.Throws<ImapiException>(() => s.AddData(_src.Root, false));
        Assert.Equal(ImapiError.BadJolietName, e.Code);
        Assert.Contains("2 name(s)", e.Message);
        Assert.Contains("/" + new string('b', 255), e.Message);
        Assert.Contains("/sub/\u65E5" + new string('z', 127), e.Message);
        Assert.DoesNotContain(new string('c', 254), e.Message);
        Assert.Equal(0, s.FileCount);
        Assert.Equal(before, s.UsedDataBlocks);
    }

    [Fact]
    public void Choosing_the_bridge_counts_its_UDF_structures_in_the_used_blocks()
    {
        var s = new JolietStaging(MediaKind.Dvd);
        long joliet = s.UsedDataBlocks;
        s.FileSystems = DataFileSystems.UdfBridge;
        Assert.True(s.UsedDataBlocks > UdfWriter.PartitionStart && s.UsedDataBlocks > joliet, $"{s.UsedDataBlocks} blocks");
        _src.File("a.bin", 2048 * 10);
        s.AddData(_src.Root, false);
        Assert.Equal(s.UsedDataBlocks, s.Build().SectorCount);
    }

    [Fact]
    public void A_UDF_2_50_image_has_no_ISO_9660_and_its_metadata_mirror_is_an_exact_copy_of_the_metadata_file()
    {
        _src.File("a.bin", 5000);
        _src.File("b/c.bin", 100);
        var image = File.ReadAllBytes(Master(MediaKind.Bd25, "pure.iso", DataFileSystems.Udf));
        Assert.False(image.AsSpan(16 * 2048 + 1, 5).SequenceEqual("CD001"u8), "a pure UDF image carries no ISO 9660 descriptor");
        Assert.True(image.AsSpan(16 * 2048 + 1, 5).SequenceEqual("BEA01"u8));
        Assert.True(image.AsSpan(17 * 2048 + 1, 5).SequenceEqual("NSR03"u8));
        // ECMA-167 3/10.6 + UDF 2.50 2.2.10, read from the main sequence's LVD (sector 35): the second map is the metadata map
        var lvd = image.AsSpan(35 * 2048);
        Assert.Equal(6, BitConverter.ToUInt16(lvd));
        var map = lvd[(440 + 6)..];
        Assert.Equal(2, map[0]);
        Assert.True(map[5..28].StartsWith("*UDF Metadata Partition"u8));
        long partition = 257;
        uint fileEntry = BitConverter.ToUInt32(map[40..]), mirrorEntry = BitConverter.ToUInt32(map[44..]);
        var (mainAt, mainLength) = Extent(fileEntry, 250);
        var (mirrorAt, mirrorLength) = Extent(mirrorEntry, 251);
        Assert.Equal(mainLength, mirrorLength);
        Assert.NotEqual(mainAt, mirrorAt);
        Assert.True(image.AsSpan((int)((partition + mainAt) * 2048), (int)mainLength).SequenceEqual(image.AsSpan((int)((partition + mirrorAt) * 2048), (int)mirrorLength)));
        Assert.Equal(256, BitConverter.ToUInt16(image.AsSpan((int)((partition + mainAt) * 2048)))); // the FSD opens the metadata partition

        (long Block, long Length) Extent(uint entryBlock, byte fileType)
        {
            var fe = image.AsSpan((int)((partition + entryBlock) * 2048));
            Assert.Equal(261, BitConverter.ToUInt16(fe));   // 4/14.9 file entry
            Assert.Equal(fileType, fe[16 + 11]);            // 4/14.6.6 file type
            return (BitConverter.ToUInt32(fe[(176 + 4)..]), BitConverter.ToUInt32(fe[176..]) & 0x3FFF_FFFF);
        }
    }

    [Fact]
    public void Descriptor_CRC_is_CRC_ITU_T_with_initial_zero()
    {
        // The standard check value of CRC-16/XMODEM (poly 0x1021, init 0, no reflection) over "123456789".
        Assert.Equal(0x31C3, UdfStructures.Crc("123456789"u8));
    }

    [Theory]
    [InlineData(DataFileSystems.UdfBridge)]
    [InlineData(DataFileSystems.Udf)]
    public void A_sparse_5_GiB_file_is_one_UDF_file_read_back_whole_and_the_image_stays_sparse(DataFileSystems fs)
    {
        const long size = 5L * 1024 * 1024 * 1024 + 4321;
        var big = Path.Combine(_src.Root, "five GiB.bin");
        using (var f = new FileStream(big, FileMode.CreateNew))
        {
            f.SetLength(size);
            foreach (long at in new[] { 0L, UdfStructures.MaxExtentBytes - 3, 0xFFFF_F800L, 0x1_0000_0000L, 4 * UdfStructures.MaxExtentBytes + 1, size - 100 })
            {
                f.Position = at;
                f.Write(System.Text.Encoding.ASCII.GetBytes($"marker at {at:X}"));
            }
        }
        _src.Text("small.txt", "beside the big one");
        var image = Master(fs == DataFileSystems.Udf ? MediaKind.Bd25 : MediaKind.DvdDl, "big.iso", fs);
        Assert.True(AllocatedBytes(image) < 64L * 1024 * 1024, $"image allocates {AllocatedBytes(image)} bytes: not sparse");
        Assert.Equal("2", UdfReaders.Udfinfo(image)["numfiles"]);

        byte[] expected;
        using (var source = File.OpenRead(big)) expected = SHA256.HashData(source);
        foreach (var (tool, args) in new (string, string[])[]
        {
            ("7z", ["x", "-tudf", "-so", image, "five GiB.bin"]),
            ("7z", ["x", "-tiso", "-so", image, "five GiB.bin"]),
        }.Take(fs == DataFileSystems.UdfBridge ? 2 : 1))
        {
            byte[]? actual = null;
            long count = 0;
            var (rc, err) = ExternalTool.RunStreaming(tool, args, stdout =>
            {
                using var counting = new CountingStream(stdout);
                actual = SHA256.HashData(counting);
                count = counting.Count;
            });
            Assert.True(rc == 0, $"{tool} {args[1]}: exit {rc}: {err}");
            Assert.Equal(size, count);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual!));
        }
    }

    private static long AllocatedBytes(string path)
    {
        var r = ExternalTool.Run("stat", ["-c", "%b %B", path]);
        var parts = r.StdOut.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }
        public override int Read(byte[] buffer, int offset, int count) { int n = inner.Read(buffer, offset, count); Count += n; return n; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
