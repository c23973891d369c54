using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Data;

public sealed class FileRangeCopyTests : IDisposable
{
    private readonly TempTree _dir = new("dup-copy-");

    public void Dispose() => _dir.Dispose();

    private (string Source, byte[] Expected) SparseSource()
    {
        var path = Path.Combine(_dir.Root, "src.bin");
        var expected = new byte[3 * 1024 * 1024 + 17];
        new Random(3).NextBytes(expected.AsSpan(0, 5000));
        new Random(4).NextBytes(expected.AsSpan(2 * 1024 * 1024, 7000));
        using (var f = new FileStream(path, FileMode.CreateNew))
        {
            f.SetLength(expected.Length);
            f.Write(expected, 0, 5000);
            f.Position = 2 * 1024 * 1024;
            f.Write(expected, 2 * 1024 * 1024, 7000);
        }
        return (path, expected);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Kernel_and_buffered_copies_give_the_same_bytes_at_the_target_offset(bool kernel)
    {
        var (source, expected) = SparseSource();
        var target = Path.Combine(_dir.Root, "dst.bin");
        using (var s = File.OpenHandle(source))
        using (var d = File.OpenHandle(target, FileMode.CreateNew, FileAccess.ReadWrite))
        {
            bool ok = kernel
                ? FileRangeCopy.Copy(s, 0, d, 4096, expected.Length, CancellationToken.None)
                : FileRangeCopy.CopyBuffered(s, 0, d, 4096, expected.Length, CancellationToken.None);
            Assert.True(ok);
            RandomAccess.SetLength(d, 4096 + expected.Length);
        }
        var actual = File.ReadAllBytes(target);
        Assert.Equal(new byte[4096], actual[..4096]);
        Assert.True(expected.AsSpan().SequenceEqual(actual.AsSpan(4096)));
    }

    [Fact]
    public void A_source_shorter_than_asked_is_reported()
    {
        var path = _dir.File("short.bin", 100);
        using var s = File.OpenHandle(path);
        using var d = File.OpenHandle(Path.Combine(_dir.Root, "d.bin"), FileMode.CreateNew, FileAccess.Write);
        Assert.False(FileRangeCopy.CopyBuffered(s, 0, d, 0, 200, CancellationToken.None));
        Assert.False(FileRangeCopy.Copy(s, 0, d, 0, 200, CancellationToken.None));
    }

    [Fact]
    public void Cancelled_WriteTo_is_UserAbort_and_leaves_no_file()
    {
        for (int i = 0; i < 20; i++) _dir.File($"in/f{i}.bin", 10_000);
        var s = new JolietStaging(MediaKind.Cd74);
        s.AddData(Path.Combine(_dir.Root, "in"), false);
        var image = s.Build();
        var outDir = Directory.CreateDirectory(Path.Combine(_dir.Root, "out")).FullName;
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var e = Assert.Throws<ImapiException>(() => image.WriteTo(Path.Combine(outDir, "x.iso"), null, cts.Token));
        Assert.Equal(ImapiError.UserAbort, e.Code);
        Assert.Empty(Directory.GetFileSystemEntries(outDir));
    }
}
