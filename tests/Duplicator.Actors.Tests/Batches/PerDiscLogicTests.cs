using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

public sealed class PerDiscLogicTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static PerDiscSpec Section(int rows, FailedSerial onFailure = FailedSerial.Void, string template = "Serial {serial:000000}\nKey {key}\n", int maxBytes = 64) => new(1000,
        [new PerDiscFileSpec("SERIAL.TXT", maxBytes, template)], "DATA_{serial}",
        ["key"], [.. Enumerable.Range(1, rows).Select(i => ImmutableArray.Create($"K{i}"))], "keys.csv", onFailure, At);

    private static BatchSpec Spec(int copies, PerDiscSpec perDisc) =>
        new("b1", SourceKind.Folder, ["/srv/photos"], copies, new BatchOptions(true, 0, 0, true, []), PerDisc: perDisc);

    private static (BatchState State, ImmutableArray<IBatchEvent> Events) Run(BatchState s, BatchCommand c)
    {
        var d = BatchLogic.Decide(s, c);
        Assert.Null(d.Refused);
        return (d.Events.Aggregate(s, BatchLogic.Apply), d.Events);
    }

    private static DiscStarted Start(ref BatchState s, string drive)
    {
        var (next, events) = Run(s, new StartDisc(drive));
        s = next;
        return (DiscStarted)events.Single();
    }

    [Fact]
    public void A_csv_with_fewer_rows_than_copies_is_refused_at_submission_naming_it()
    {
        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(12, Section(11)), At));
        Assert.Equal("perDisc.values: keys.csv has 11 rows for 12 copies: one row per good disc, never repeated", d.Refused);
        Assert.Empty(d.Events);
    }

    [Fact]
    public void A_value_that_would_exceed_the_declared_size_is_refused_at_submission_naming_row_and_field()
    {
        var section = Section(5, maxBytes: 24);
        section = section with { Rows = section.Rows.SetItem(2, ["A-KEY-MUCH-TOO-LONG-FOR-THE-FILE"]) };
        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(5, section), At));
        Assert.Equal("row 3 of keys.csv (serial 1002): perDisc.files[0] (SERIAL.TXT) renders to 51 bytes, its maxBytes is 24", d.Refused);
        var volume = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(5, Section(5) with { Volume = "{key}_" + new string('V', 40) }), At));
        Assert.Equal("row 1 of keys.csv (serial 1000): perDisc.volume renders to more than 32 characters", volume.Refused);
        var unknown = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(5, Section(5, template: "{licence}")), At));
        Assert.StartsWith("perDisc.files[0].template: {licence} is neither serial, disc, batch, date nor a column", unknown.Refused);
        var image = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(5, Section(5)) with { Source = SourceKind.Image }, At));
        Assert.StartsWith("perDisc: per-disc files are mastered into a folder's image", image.Refused);
    }

    [Fact]
    public void Void_gives_a_failed_discs_serial_and_row_to_nobody_and_the_remake_the_next()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(3, Section(5)), At)).State;
        var a = Start(ref s, "a");
        var b = Start(ref s, "b");
        Assert.Equal((1000L, 0), (a.Serial, a.Row));
        Assert.Equal((1001L, 1), (b.Serial, b.Row));
        Assert.Equal("K2", b.Values!["key"]);
        var (afterFail, failEvents) = Run(s, new FailDisc(b.Disc, "b", "write error"));
        s = afterFail;
        Assert.Equal("void", ((DiscFailed)failEvents.Single()).SerialFate);
        var remake = Start(ref s, "b");
        Assert.Equal((1002L, 2), (remake.Serial, remake.Row));
        Assert.Equal("void", s.Discs[b.Disc].SerialFate);
        Assert.Equal(1001, s.Discs[b.Disc].Serial); // the ledger keeps which serial the failure had
    }

    [Fact]
    public void Reissue_gives_a_failed_or_interrupted_discs_serial_and_row_to_the_remake()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(3, Section(3, FailedSerial.Reissue)), At)).State;
        Start(ref s, "a");
        var b = Start(ref s, "b");
        s = Run(s, new FailDisc(b.Disc, "b", "write error")).State;
        Assert.Equal("reissued", s.Discs[b.Disc].SerialFate);
        var remake = Start(ref s, "b");
        Assert.Equal((1001L, 1), (remake.Serial, remake.Row));
        var c = Start(ref s, "c");
        Assert.Equal(1002L, c.Serial);
        s = Run(s, new RecoverBatch()).State; // the host stopped: every in-flight disc is interrupted, its serial reissued
        Assert.All(s.Discs.Values, d => Assert.Equal("reissued", d.SerialFate));
        Assert.Equal(1000L, Start(ref s, "a").Serial);
    }

    [Fact]
    public void When_the_rows_run_out_the_batch_stops_at_the_good_discs_it_has_and_never_repeats_a_row()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(2, Section(2)), At)).State;
        var a = Start(ref s, "a");
        var b = Start(ref s, "b");
        s = Run(s, new CompleteDisc(a.Disc, "a", "AA")).State;
        var (done, events) = Run(s, new FailDisc(b.Disc, "b", "write error"));
        var finished = Assert.IsType<BatchFinished>(events[^1]);
        Assert.False(finished.Success);
        Assert.Equal("the 2 rows of keys.csv are used up: 1 good discs of 2 (1 failed or interrupted discs voided their rows)", finished.Reason);
        Assert.Equal(BatchStatus.Failed, done.Status);
    }

    [Fact]
    public void Rows_used_up_while_a_disc_is_in_flight_refuse_more_discs_until_it_ends()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(2, Section(3)), At)).State;
        var a = Start(ref s, "a");
        var b = Start(ref s, "b");
        s = Run(s, new FailDisc(a.Disc, "a", "write error")).State;
        var c = Start(ref s, "a");
        Assert.Equal(2, c.Row);
        s = Run(s, new FailDisc(c.Disc, "a", "write error")).State; // b still in flight: the batch goes on
        Assert.Equal(BatchStatus.Running, s.Status);
        Assert.Contains("used up", BatchLogic.Decide(s, new StartDisc("a")).Refused);
        var (done, events) = Run(s, new CompleteDisc(b.Disc, "b", "BB"));
        Assert.Equal(BatchStatus.Failed, done.Status);
        Assert.IsType<BatchFinished>(events[^1]);
    }

    [Theory]
    [InlineData("udf")]
    [InlineData("dvd-video")]
    public void Per_disc_files_on_a_file_system_other_than_joliet_or_the_udf_bridge_are_refused_at_submission_naming_it(string fileSystem)
    {
        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(2, Section(3)) with { FileSystem = fileSystem }, At));

        Assert.Equal($"perDisc: per-disc files are written on joliet and udf-bridge discs only, not filesystem '{fileSystem}'", d.Refused);
        Assert.Empty(d.Events);
        Assert.Null(BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(2, Section(3)) with { FileSystem = "joliet" }, At)).Refused);
    }

    [Fact]
    public void Per_disc_files_and_a_per_disc_volume_name_on_the_udf_bridge_are_accepted()
    {
        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(Spec(2, Section(3)) with { FileSystem = "udf-bridge" }, At));
        Assert.Null(d.Refused);
        Assert.IsType<BatchSubmitted>(Assert.Single(d.Events));
    }

    [Fact]
    public void A_different_per_disc_section_under_the_same_id_is_another_job_and_the_date_alone_is_not()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(2, Section(3)), At)).State;
        Assert.Null(BatchLogic.Decide(s, new SubmitBatch(Spec(2, Section(3) with { Date = At.AddDays(1) }), At)).Refused);
        Assert.Contains("another perDisc section", BatchLogic.Decide(s, new SubmitBatch(Spec(2, Section(4)), At)).Refused);
        Assert.Contains("another perDisc section", BatchLogic.Decide(s, new SubmitBatch(Spec(2, Section(3)) with { PerDisc = null }, At)).Refused);
    }

    [Fact]
    public void Per_disc_facts_round_trip_through_the_ledger_serializer()
    {
        using var system = ActorSystem.Create("ser", ConfigurationFactory.ParseString(BatchSerializer.Hocon));
        var serializer = new BatchSerializer((ExtendedActorSystem)system);
        var spec = Spec(2, Section(3));
        var submitted = (BatchSubmitted)serializer.FromBinary(serializer.ToBinary(new BatchSubmitted(spec, At)), "bs");
        Assert.True(submitted.Spec.PerDisc!.SameAs(spec.PerDisc!));
        Assert.Equal(FailedSerial.Void, submitted.Spec.PerDisc.OnFailure);
        Assert.Contains("\"onFailure\":\"void\"", System.Text.Encoding.UTF8.GetString(serializer.ToBinary(new BatchSubmitted(spec, At))));
        var started = new DiscStarted("b1", 3, "e1", 1002, 2, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("key", "K3")]));
        var back = (DiscStarted)serializer.FromBinary(serializer.ToBinary(started), "ds");
        Assert.Equal((1002L, 2, "K3"), (back.Serial, back.Row, back.Values!["key"]));
        var failed = (DiscFailed)serializer.FromBinary(serializer.ToBinary(new DiscFailed("b1", 3, "e1", "x", SerialFate: "void")), "df");
        Assert.Equal("void", failed.SerialFate);
        // An event written before serials existed reads as a disc without one.
        var old = (DiscStarted)serializer.FromBinary("{\"batchId\":\"b1\",\"disc\":1,\"drive\":\"a\"}"u8.ToArray(), "ds");
        Assert.Null(old.Serial);
    }
}
