using System.Collections.Immutable;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>
/// Payloads written by main at 026b234 (Golden/payloads/&lt;manifest&gt;.bin, one per manifest of <see cref="BatchSerializer"/>)
/// still deserialize to the values they were written from: a ledger on disk must outlive any change of the C# types.
/// </summary>
public sealed class GoldenPayloadTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 34, 56, 789, TimeSpan.Zero);
    private readonly ActorSystem _sys = ActorSystem.Create("golden", PersistenceConfig.InMemory());

    public void Dispose() => _sys.Dispose();

    private object Read(string manifest, string? file = null)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Batches", "Golden", "payloads", (file ?? manifest) + ".bin"));
        var serializer = new BatchSerializer((ExtendedActorSystem)_sys);
        return serializer.FromBinary(bytes, manifest);
    }

    [Fact]
    public void Every_manifest_of_the_026b234_ledger_has_a_golden_payload()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Batches", "Golden", "payloads"), "*.bin")
            .Select(f => Path.GetFileNameWithoutExtension(f)!).Order().ToArray();
        Assert.Equal(["bc", "bf", "bs", "dc", "df", "df.interrupted", "dq", "ds", "is", "qc", "state", "tr"], files);
    }

    [Fact]
    public void BatchSubmitted_of_026b234_reads_back_with_every_field()
    {
        var e = Assert.IsType<BatchSubmitted>(Read("bs"));
        AssertGoldenSpec(e.Spec);
        Assert.Equal(T0, e.At);
        Assert.Equal(BatchSpec.DefaultPriority, e.Spec.Priority); // written before priorities: the default, 4
    }

    [Fact]
    public void Disc_and_batch_events_of_026b234_read_back_with_every_field()
    {
        Assert.Equal(new ImageStaged("g-1", "/var/stash/g-1/image.bin", "AB12", 123456), Read("is"));
        Assert.Equal(new DiscStarted("g-1", 4, "drive-3"), Read("ds"));
        Assert.Equal(new DiscCompleted("g-1", 4, "drive-3", "CD34"), Read("dc"));
        var failed = Assert.IsType<DiscFailed>(Read("df"));
        Assert.Equal(("g-1", 5, "drive-1", "CannotWriteToMedia: drive-1: write error at block 96 (03/0C/00)"),
            (failed.BatchId, failed.Disc, failed.Drive, failed.Reason));
        Assert.Null(failed.Error); // 026b234 carried no codes
        Assert.False(failed.Interrupted);
        Assert.Equal(new BatchCancelled("g-1", "cancelled by the operator"), Read("bc"));
        Assert.Equal(new BatchFinished("g-1", false, "2 discs failed, the threshold is 2"), Read("bf"));
    }

    [Fact]
    public void An_interrupted_disc_as_026b234_wrote_it_reads_back_as_interrupted_and_replays_as_one()
    {
        // Written by 026b234's own recovery of ledger-026b234.db (disc 2 was in flight when the host stopped).
        var e = Assert.IsType<DiscFailed>(Read("df", "df.interrupted"));
        Assert.Equal(("golden-running", 2, "s1", "interrupted", true), (e.BatchId, e.Disc, e.Drive, e.Reason, e.Interrupted));
        var spec = new BatchSpec("golden-running", SourceKind.Image, ["/a.iso"], 4, new BatchOptions(true, 0, 1, true, []));
        var s = BatchLogic.Replay([new BatchSubmitted(spec, T0), new DiscStarted("golden-running", 2, "s1"), e]);
        Assert.Equal((1, 0, BatchStatus.Running, DiscState.Interrupted), (s.Interrupted, s.Failed, s.Status, s.Discs[2].State)); // not counted towards the threshold of 1
    }

    [Fact]
    public void Tower_journal_events_of_026b234_read_back_with_every_field()
    {
        Assert.Equal(new BatchRegistered("g-1", T0), Read("tr"));
        Assert.Equal(new DriveQuarantined("drive-1", "3 failed discs in a row, the last: CannotWriteToMedia: x", T0.AddMinutes(1)), Read("dq"));
        Assert.Equal(new QuarantineCleared("drive-1", T0.AddMinutes(2)), Read("qc"));
    }

    [Fact]
    public void Batch_snapshot_of_026b234_reads_back_as_the_state_it_was()
    {
        var s = Assert.IsType<BatchState>(Read("state"));
        AssertGoldenSpec(s.Spec!);
        Assert.Equal(BatchStatus.Running, s.Status);
        Assert.Equal([KeyValuePair.Create(1, "AB12")], s.Good);
        Assert.Equal(1, s.Failed);
        Assert.Equal(1, s.Interrupted);
        Assert.Equal([KeyValuePair.Create(4, "drive-1")], s.InFlight);
        Assert.Equal(5, s.NextDisc);
        Assert.Equal("AB12", s.ImageSha256);
        Assert.Equal("/var/stash/g-1/image.bin", s.StashPath);
        Assert.Null(s.Reason);
        Assert.Equal(9, s.Version);
        Assert.Equal(
            [
                new DiscEntry(1, "drive-1", DiscState.Completed, "AB12", null),
                new DiscEntry(2, "drive-3", DiscState.Failed, null, "CannotWriteToMedia: drive-3: write error"),
                new DiscEntry(3, "drive-3", DiscState.Interrupted, null, "interrupted"),
                new DiscEntry(4, "drive-1", DiscState.Started, null, null),
            ],
            s.Discs.Values);
    }

    private static void AssertGoldenSpec(BatchSpec spec)
    {
        Assert.Equal("g-1", spec.BatchId);
        Assert.Equal(SourceKind.Audio, spec.Source);
        Assert.Equal(["/srv/in/a.wav", "/srv/in/b.wav"], spec.Paths.ToArray());
        Assert.Equal(3, spec.Copies);
        Assert.Equal("VOL", spec.Volume);
        Assert.Equal("cd80", spec.Media);
        var o = spec.Options;
        Assert.Equal((true, 8, 2, false, true), (o.Verify, o.Speed, o.FailedDiscThreshold, o.RejectIfNotBlank, o.DiscAtOnce));
        Assert.Equal(["drive-1", "drive-3"], o.Drives.ToArray());
    }
}
