using Duplicator.Mastering.Data;

namespace Duplicator.Mastering.Tests.Data;

public sealed class SourcePathsTests : IDisposable
{
    private readonly TempTree _a = new();

    public void Dispose() => _a.Dispose();

    [Fact]
    public async Task Opening_a_fifo_as_a_regular_file_returns_null_at_once_instead_of_waiting_for_a_writer()
    {
        var fifo = Path.Combine(_a.Root, "job.job");
        var r = Oracles.ExternalTool.Run("mkfifo", [fifo]);
        Assert.True(r.ExitCode == 0, r.StdErr);

        // Without O_NONBLOCK, open(2) of a FIFO blocks until a writer comes: that would be a hang, not a null.
        var open = Task.Run(() => SourcePaths.OpenRegularFile(fifo));
        var first = await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(30)));

        Assert.Same(open, first);
        Assert.Null(await open);
    }

    [Fact]
    public void A_regular_file_opens_and_reads_its_bytes()
    {
        _a.Text("a.job", "{\"copies\":1}");

        using var handle = SourcePaths.OpenRegularFile(Path.Combine(_a.Root, "a.job"));

        Assert.NotNull(handle);
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        Assert.Equal("{\"copies\":1}", new StreamReader(stream).ReadToEnd());
    }
}
