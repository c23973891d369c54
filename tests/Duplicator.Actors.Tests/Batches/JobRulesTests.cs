using System.Text;
using Akka.Actor;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>The ledger rules of verify-only batches, and how the jobs that read discs persist.</summary>
public sealed class JobRulesTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);
    private readonly ActorSystem _sys = ActorSystem.Create("jobrules", PersistenceConfig.InMemory());

    public void Dispose() => _sys.Dispose();

    private static BatchSpec Verify(int copies, params string[] drives) =>
        new("v", SourceKind.Verify, ["ref"], copies, new BatchOptions(false, 0, 1, true, [.. drives]));

    private static BatchState Run(BatchState s, BatchCommand c)
    {
        var d = BatchLogic.Decide(s, c);
        Assert.True(d.Refused is null, d.Refused);
        return d.Events.Aggregate(s, BatchLogic.Apply);
    }

    [Fact]
    public void Verify_batch_checks_each_drive_once_keeps_bad_discs_and_ends_when_all_were_checked()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Verify(3, "a", "b", "c"), T0));
        s = Run(s, new RecordStaged("", "AB", 10));
        s = Run(s, new StartDisc("a"));
        s = Run(s, new FailDisc(1, "a", "IMAPI_E_WRONGDISC: reads as X"));
        // The threshold of 1 does not end a verify batch: every disc is checked; the bad one is never made again.
        Assert.Equal(BatchStatus.Running, s.Status);
        Assert.Equal(1, s.Failed);
        Assert.NotNull(BatchLogic.Decide(s, new StartDisc("a")).Refused);
        Assert.Equal(["b", "c"], JobRules.Drives(s).ToArray());
        Assert.Equal(2, JobRules.Open(s));
        s = Run(s, new StartDisc("b"));
        s = Run(s, new StartDisc("c"));
        Assert.Contains("is not one of verify batch v's drives", BatchLogic.Decide(s, new StartDisc("d")).Refused);
        s = Run(s, new CompleteDisc(2, "b", "AB"));
        Assert.Equal(BatchStatus.Running, s.Status);
        s = Run(s, new CompleteDisc(3, "c", "AB"));
        Assert.Equal(BatchStatus.Failed, s.Status);
        Assert.Equal("3 disc(s) checked against ref: 2 good, 1 bad", s.Reason);
    }

    [Fact]
    public void Interrupted_check_is_done_again_on_the_same_drive()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Verify(1, "a"), T0));
        s = Run(s, new StartDisc("a"));
        s = Run(s, new RecoverBatch());
        Assert.Equal(1, s.Interrupted);
        s = Run(s, new StartDisc("a"));
        s = Run(s, new CompleteDisc(2, "a", "AB"));
        Assert.Equal(BatchStatus.Completed, s.Status);
    }

    [Theory]
    [InlineData(SourceKind.Verify, 1, new string[0], "give its drives")]
    [InlineData(SourceKind.Verify, 3, new[] { "a", "b" }, "checks one disc per drive")]
    [InlineData(SourceKind.Master, 1, new string[0], "exactly one master drive")]
    public void Read_job_specs_that_cannot_work_are_refused(SourceKind kind, int copies, string[] drives, string why)
    {
        var spec = new BatchSpec("x", kind, kind == SourceKind.Master ? [] : ["ref"], copies, new BatchOptions(false, 0, 0, true, [.. drives]));
        Assert.Contains(why, BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, T0)).Refused);
    }

    [Fact]
    public void Read_job_sources_persist_by_name_and_the_staged_sector_count_survives_a_snapshot()
    {
        var serializer = new BatchSerializer((ExtendedActorSystem)_sys);
        var submitted = new BatchSubmitted(new BatchSpec("c", SourceKind.Master, ["drive-1"], 2, new BatchOptions(true, 0, 0, true, [])), T0);
        var bytes = serializer.ToBinary(submitted);
        Assert.Contains("\"source\":\"master\"", Encoding.UTF8.GetString(bytes));
        Assert.Equal(SourceKind.Master, ((BatchSubmitted)serializer.FromBinary(bytes, serializer.Manifest(submitted))).Spec.Source);
        var state = BatchLogic.Replay([submitted, new ImageStaged("c", "/s/image.iso", "AB", 1234)]);
        var back = (BatchState)serializer.FromBinary(serializer.ToBinary(state), "state");
        Assert.Equal(1234, back.ImageSectors);
        // A snapshot written before the field existed reads as 0 (then verification reads the disc's recorded size).
        var old = Encoding.UTF8.GetString(serializer.ToBinary(state)).Replace(",\"imageSectors\":1234", "");
        Assert.Equal(0, ((BatchState)serializer.FromBinary(Encoding.UTF8.GetBytes(old), "state")).ImageSectors);
    }
}
