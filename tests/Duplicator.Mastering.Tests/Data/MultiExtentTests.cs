using System.Security.Cryptography;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Media;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>Files of 4 GiB and more are stored as several extents (ISO 9660 level 3) in both trees.</summary>
public sealed class MultiExtentTests : IDisposable
{
    private readonly TempTree _src = new();
    private readonly string _out = Directory.CreateTempSubdirectory("dup-big-").FullName;

    public void Dispose()
    {
        _src.Dispose();
        Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void A_sparse_file_over_4_GiB_is_read_back_whole_by_independent_readers()
    {
        const long size = 4L * 1024 * 1024 * 1024 + 512L * 1024 * 1024 + 12345; // 4.5 GiB and a bit
        var big = Path.Combine(_src.Root, "larger than 4 GiB.bin");
        using (var f = new FileStream(big, FileMode.CreateNew))
        {
            f.SetLength(size); // sparse: only the markers take disk space
            foreach (long at in new[] { 0L, 0xFFFF_F800L - 3, 0xFFFF_F800L, 0x1_0000_0000L, size - 100 })
            {
                f.Position = at;
                f.Write(System.Text.Encoding.ASCII.GetBytes($"marker at {at:X}"));
            }
        }
        _src.Text("small.txt", "beside the big one");

        var s = new JolietStaging(MediaKind.DvdDl);
        s.AddData(_src.Root, false);
        var image = s.Build();
        var iso = Path.Combine(_out, "big.iso");
        image.WriteTo(iso);
        Assert.Equal(image.SectorCount * 2048, new FileInfo(iso).Length);

        byte[] expected;
        using (var fs = File.OpenRead(big)) expected = SHA256.HashData(fs);
        foreach (var (tool, args) in new (string, string[])[]
        {
            ("7z", ["x", "-tiso", "-so", iso, "larger than 4 GiB.bin"]),
            ("bsdtar", ["--options", "iso9660:!rockridge", "-xOf", iso, "larger than 4 GiB.bin"]),
        })
        {
            byte[]? actual = null;
            long count = 0;
            var (rc, err) = ExternalTool.RunStreaming(tool, args, stdout =>
            {
                using var counting = new CountingStream(stdout);
                actual = SHA256.HashData(counting);
                count = counting.Count;
            });
            Assert.True(rc == 0, $"{tool}: exit {rc}: {err}");
            Assert.Equal(size, count);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual!));
        }
        Assert.Contains("larger than 4 GiB.bin", IsoReaders.IsoInfoPaths(iso));
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
