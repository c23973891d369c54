using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Tests.Images;
using Duplicator.Mastering.Data;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>
/// Specs written before batches had a file system (026b234's golden payloads, and a folder batch written by main at
/// bbc74e6: Golden/bbc74e6/bs.folder.bin) read with none, which means joliet, and persist again without one.
/// </summary>
public sealed class GoldenFileSystemTests : IDisposable
{
    private readonly ActorSystem _sys = ActorSystem.Create("golden-fs", PersistenceConfig.InMemory());

    public void Dispose() => _sys.Dispose();

    private BatchSerializer Serializer => new((ExtendedActorSystem)_sys);

    private static byte[] Golden(params string[] path) => File.ReadAllBytes(Path.Combine([AppContext.BaseDirectory, "Batches", "Golden", .. path]));

    [Fact]
    public void Specs_of_the_026b234_ledger_have_no_file_system()
    {
        var submitted = Assert.IsType<BatchSubmitted>(Serializer.FromBinary(Golden("payloads", "bs.bin"), "bs"));
        var snapshot = Assert.IsType<BatchState>(Serializer.FromBinary(Golden("payloads", "state.bin"), "state"));
        Assert.Null(submitted.Spec.FileSystem);
        Assert.Null(snapshot.Spec!.FileSystem);
    }

    [Fact]
    public void A_folder_batch_written_by_bbc74e6_reads_as_joliet_and_persists_again_byte_for_byte()
    {
        var bytes = Golden("bbc74e6", "bs.folder.bin");
        var e = Assert.IsType<BatchSubmitted>(Serializer.FromBinary(bytes, "bs"));
        Assert.Equal(("golden-restage", SourceKind.Folder, "GOLDEN", (string?)null, (string?)null), (e.BatchId, e.Spec.Source, e.Spec.Volume, e.Spec.Media, e.Spec.FileSystem));
        Assert.Equal(GoldenCorpus.SubmittedAt, e.At);
        Assert.Equal(DataFileSystems.Joliet, BatchFileSystem.Of(e.Spec));
        // No "fileSystem": null is added: written again, such a spec still has no file system (priority, another field, is always written).
        var again = System.Text.Encoding.UTF8.GetString(Serializer.ToBinary(e));
        Assert.DoesNotContain("fileSystem", again);
        Assert.Null(Assert.IsType<BatchSubmitted>(Serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(again), "bs")).Spec.FileSystem);
    }

    [Fact]
    public void A_file_system_is_persisted_and_read_back()
    {
        var spec = new BatchSpec("b", SourceKind.Folder, ["/srv/f"], 1, new BatchOptions(true, 0, 0, true, []), Media: "bd25", FileSystem: "udf");
        var bytes = Serializer.ToBinary(new BatchSubmitted(spec, GoldenCorpus.SubmittedAt));
        Assert.Contains("\"fileSystem\":\"udf\"", System.Text.Encoding.UTF8.GetString(bytes));
        var back = Assert.IsType<BatchSubmitted>(Serializer.FromBinary(bytes, "bs"));
        Assert.Equal("udf", back.Spec.FileSystem);
        Assert.Equal(spec.Paths.ToArray(), back.Spec.Paths.ToArray());
        Assert.Equal(DataFileSystems.Udf, BatchFileSystem.Of(back.Spec));
    }
}
