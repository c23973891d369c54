using Duplicator.Actors.Batches;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>A batch's file system: what a spec without one means, what the ledger refuses, and when two jobs are the same.</summary>
public sealed class BatchFileSystemTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

    private static BatchSpec Folder(string? fileSystem, string? media = null) =>
        new("f1", SourceKind.Folder, ["/srv/in/f"], 2, new BatchOptions(true, 0, 0, true, []), "VOL", media, FileSystem: fileSystem);

    [Theory]
    [InlineData(null)]
    [InlineData("dvd")]
    [InlineData("bd25")]
    public void A_spec_without_a_file_system_means_joliet_whatever_its_media(string? media) =>
        Assert.Equal(DataFileSystems.Joliet, BatchFileSystem.Of(Folder(null, media)));

    [Theory]
    [InlineData("joliet", DataFileSystems.Joliet)]
    [InlineData("udf-bridge", DataFileSystems.UdfBridge)]
    [InlineData("udf", DataFileSystems.Udf)]
    [InlineData("dvd-video", DataFileSystems.DvdVideo)]
    public void A_recorded_file_system_is_the_one_staged(string name, DataFileSystems expected) =>
        Assert.Equal(expected, BatchFileSystem.Of(Folder(name)));

    [Fact]
    public void A_recorded_spelling_this_build_does_not_know_fails_with_InvalidInput_quoting_it()
    {
        var e = Assert.Throws<ImapiException>(() => BatchFileSystem.Of(Folder("hfs+\n")));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains(@"'hfs+\u000a'", e.Message); // escaped: a spec cannot forge a log line
    }

    [Theory]
    [InlineData("dvd-video", "cd80", "not on cd80")]
    [InlineData("dvd-video", "bd25", "not on bd25")]
    [InlineData("hfs", null, "'hfs' is not one of joliet, udf-bridge, udf, dvd-video")]
    public void The_ledger_refuses_a_file_system_the_batch_cannot_have(string fileSystem, string? media, string expected)
    {
        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Folder(fileSystem, media), At));
        Assert.Empty(d.Events);
        Assert.NotNull(d.Refused);
        Assert.StartsWith("filesystem: ", d.Refused);
        Assert.Contains(expected, d.Refused);
    }

    [Fact]
    public void The_ledger_refuses_a_file_system_on_an_image_or_audio_batch()
    {
        foreach (var kind in new[] { SourceKind.Image, SourceKind.Audio })
        {
            var spec = Folder("udf-bridge") with { Source = kind };
            var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, At));
            Assert.Empty(d.Events);
            Assert.Contains("only a folder batch", d.Refused);
        }
    }

    [Fact]
    public void DVD_Video_without_media_is_accepted_since_a_folder_is_staged_for_dvd()
    {
        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Folder("dvd-video"), At));
        Assert.Null(d.Refused);
        Assert.Equal("dvd-video", Assert.IsType<BatchSubmitted>(Assert.Single(d.Events)).Spec.FileSystem);
    }

    [Fact]
    public void A_batch_recorded_without_a_file_system_is_the_same_job_as_one_saying_joliet_and_not_as_one_saying_udf_bridge()
    {
        var legacy = BatchLogic.Replay([new BatchSubmitted(Folder(null), At)]);
        Assert.Empty(BatchLogic.Decide(legacy, new SubmitBatch(Folder("joliet"), At)).Events);
        Assert.Null(BatchLogic.Decide(legacy, new SubmitBatch(Folder("joliet"), At)).Refused);
        Assert.Null(BatchLogic.Decide(legacy, new SubmitBatch(Folder(null), At)).Refused);

        var other = BatchLogic.Decide(legacy, new SubmitBatch(Folder("udf-bridge"), At));
        Assert.Empty(other.Events);
        Assert.Contains("filesystem 'udf-bridge', not 'joliet'", other.Refused);

        var bridge = BatchLogic.Replay([new BatchSubmitted(Folder("udf-bridge"), At)]);
        Assert.Contains("filesystem 'joliet', not 'udf-bridge'", BatchLogic.Decide(bridge, new SubmitBatch(Folder(null), At)).Refused);
    }
}
