using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

public class BatchLogicTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static BatchSpec Spec(int copies, int threshold = 0) =>
        new("b1", SourceKind.Folder, ["/srv/photos"], copies, new BatchOptions(true, 0, threshold, true, []));

    /// <summary>Decides and applies, as the persistent actor does.</summary>
    private static (BatchState State, ImmutableArray<IBatchEvent> Events) Run(BatchState s, BatchCommand c)
    {
        var d = BatchLogic.Decide(s, c);
        Assert.Null(d.Refused);
        return (d.Events.Aggregate(s, BatchLogic.Apply), d.Events);
    }

    [Fact]
    public void A_batch_ends_with_exactly_the_copies_wanted()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(3), At)).State;
        var starts = new List<int>();
        foreach (var drive in new[] { "a", "b", "c" })
        {
            var (next, events) = Run(s, new StartDisc(drive));
            starts.Add(((DiscStarted)events.Single()).Disc);
            s = next;
        }
        Assert.Equal([1, 2, 3], starts);
        Assert.NotNull(BatchLogic.Decide(s, new StartDisc("d")).Refused); // 3 in flight for 3 copies: none more
        s = Run(s, new CompleteDisc(1, "a", "aa")).State;
        s = Run(s, new FailDisc(2, "b", "write error")).State;
        Assert.Equal(2, s.Remaining);
        var (again, ev) = Run(s, new StartDisc("b"));
        Assert.Equal(4, ((DiscStarted)ev.Single()).Disc);
        s = Run(again, new CompleteDisc(3, "c", "cc")).State;
        var (done, last) = Run(s, new CompleteDisc(4, "b", "bb"));
        Assert.IsType<BatchFinished>(last[^1]);
        Assert.Equal(BatchStatus.Completed, done.Status);
        Assert.Equal(3, done.Good.Count);
        Assert.Equal(1, done.Failed);
        Assert.Equal(0, done.Remaining);
    }

    [Fact]
    public void Repeated_submissions_and_completions_change_nothing()
    {
        var (s, first) = Run(BatchState.Empty, new SubmitBatch(Spec(2), At));
        Assert.Single(first);
        Assert.Empty(Run(s, new SubmitBatch(Spec(2), At.AddHours(1))).Events); // the same job again: the existing batch stands
        s = Run(s, new StartDisc("a")).State;
        s = Run(s, new CompleteDisc(1, "a", "x")).State;
        Assert.Empty(Run(s, new CompleteDisc(1, "a", "x")).Events);
        Assert.Empty(Run(s, new FailDisc(1, "a", "late")).Events);
        Assert.Single(s.Good);
    }

    [Fact]
    public void Recovery_fails_in_flight_discs_as_interrupted_and_they_are_made_again()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(2, threshold: 1), At)).State;
        s = Run(s, new StartDisc("a")).State;
        s = Run(s, new StartDisc("b")).State;
        s = Run(s, new CompleteDisc(1, "a", "x")).State;
        // the host dies here; on restart the journal is replayed and the actor recovers
        var (recovered, events) = Run(s, new RecoverBatch());
        var interrupted = Assert.Single(events.Cast<DiscFailed>());
        Assert.Equal((2, "interrupted"), (interrupted.Disc, interrupted.Reason));
        Assert.Equal(BatchStatus.Running, recovered.Status); // interrupted discs do not count towards the threshold
        Assert.Empty(recovered.InFlight);
        Assert.Equal(1, recovered.Remaining);
        var (again, started) = Run(recovered, new StartDisc("b"));
        Assert.Equal(3, ((DiscStarted)started.Single()).Disc);
        Assert.Equal(BatchStatus.Completed, Run(again, new CompleteDisc(3, "b", "y")).State.Status);
    }

    [Fact]
    public void A_late_completion_turns_an_interrupted_disc_good_only_while_the_batch_still_needs_a_disc_and_never_counts_one_twice()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(3), At)).State;
        s = Run(s, new StartDisc("a")).State; // 1
        s = Run(s, new StartDisc("b")).State; // 2
        s = Run(s, new StartDisc("c")).State; // 3
        s = Run(s, new CompleteDisc(1, "a", "x")).State;
        s = Run(s, new RecoverBatch()).State; // the router moved: discs 2 and 3 interrupted
        Assert.Equal((1, 2, 2), (s.Good.Count, s.Interrupted, s.Remaining));
        // A plain late report of an interrupted disc changes nothing; one named late from another drive is refused.
        Assert.Empty(Run(s, new CompleteDisc(2, "b", "x")).Events);
        Assert.Contains("does not have it interrupted on that drive", BatchLogic.Decide(s, new CompleteDisc(2, "c", "x") { Late = true }).Refused);
        // Disc 2 came out good on its drive after all: counted, and no longer interrupted.
        s = Run(s, new CompleteDisc(2, "b", "x") { Late = true }).State;
        Assert.Equal((2, 1, 1), (s.Good.Count, s.Interrupted, s.Remaining));
        Assert.Empty(Run(s, new CompleteDisc(2, "b", "x") { Late = true }).Events); // told again: already counted
        // Disc 3's remake is in flight: good plus in flight make the copies, so disc 3 coming late is a surplus disc.
        s = Run(s, new StartDisc("c")).State; // 4
        Assert.Contains("surplus", BatchLogic.Decide(s, new CompleteDisc(3, "c", "x") { Late = true }).Refused);
        var (done, last) = Run(s, new CompleteDisc(4, "c", "x"));
        Assert.IsType<BatchFinished>(last[^1]);
        Assert.Equal(3, done.Good.Count);
        Assert.NotNull(BatchLogic.Decide(done, new CompleteDisc(3, "c", "x") { Late = true }).Refused); // ended: never a fourth
    }

    [Fact]
    public void The_failed_disc_threshold_stops_the_batch_and_cancel_stops_it_cleanly()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(5, threshold: 2), At)).State;
        s = Run(s, new StartDisc("a")).State;
        s = Run(s, new FailDisc(1, "a", "e1")).State;
        s = Run(s, new StartDisc("a")).State;
        var (failed, events) = Run(s, new FailDisc(2, "a", "e2"));
        Assert.Equal(BatchStatus.Failed, failed.Status);
        Assert.Contains("2 discs failed, the threshold is 2", ((BatchFinished)events[^1]).Reason);
        Assert.NotNull(BatchLogic.Decide(failed, new StartDisc("a")).Refused);

        var c = Run(BatchState.Empty, new SubmitBatch(Spec(5), At)).State;
        c = Run(c, new CancelBatch("operator")).State;
        Assert.Equal(BatchStatus.Cancelled, c.Status);
        Assert.Empty(Run(c, new CancelBatch("again")).Events);
        Assert.NotNull(BatchLogic.Decide(BatchState.Empty, new StartDisc("a")).Refused);
    }

    [Fact]
    public void Replaying_the_events_gives_the_same_state_as_applying_them_live()
    {
        var all = new List<IBatchEvent>();
        var s = BatchState.Empty;
        foreach (var cmd in new BatchCommand[] { new SubmitBatch(Spec(2), At), new RecordStaged("/stash/b1.iso", "abc", 100), new StartDisc("a"), new StartDisc("b"), new FailDisc(2, "b", "x"), new CompleteDisc(1, "a", "s1") })
        {
            var (next, ev) = Run(s, cmd);
            all.AddRange(ev);
            s = next;
        }
        Assert.Equal(s, BatchLogic.Replay(all), BatchStateComparer.Instance);
    }

    [Fact]
    public void Every_ledger_type_round_trips_through_the_serializer_under_a_stable_manifest()
    {
        using var system = ActorSystem.Create("ser", ConfigurationFactory.ParseString(BatchSerializer.Hocon));
        var serialization = system.Serialization;
        var state = BatchLogic.Replay([new BatchSubmitted(Spec(2), At), new DiscStarted("b1", 1, "a"), new DiscCompleted("b1", 1, "a", "s")]);
        object[] items =
        [
            new BatchSubmitted(Spec(2), At), new ImageStaged("b1", "/s", "ab", 9), new DiscStarted("b1", 1, "a"),
            new DiscCompleted("b1", 1, "a", "s"), new DiscFailed("b1", 2, "b", "r"), new BatchCancelled("b1", "op"),
            new BatchFinished("b1", true, "ok"), state,
        ];
        var manifests = new List<string>();
        foreach (var item in items)
        {
            var serializer = serialization.FindSerializerFor(item);
            Assert.IsType<BatchSerializer>(serializer);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, item);
            manifests.Add(manifest);
            var back = serialization.Deserialize(serializer.ToBinary(item), serializer.Identifier, manifest);
            if (item is BatchState st) Assert.Equal(st, (BatchState)back, BatchStateComparer.Instance);
            else if (item is BatchSubmitted bs) Assert.True(bs.Spec.Paths.SequenceEqual(((BatchSubmitted)back).Spec.Paths) && bs.Spec.Copies == ((BatchSubmitted)back).Spec.Copies && bs.At == ((BatchSubmitted)back).At);
            else Assert.Equal(item, back);
        }
        Assert.Equal(["bs", "is", "ds", "dc", "df", "bc", "bf", "state"], manifests);
    }

    /// <summary>Records holding immutable collections compare them by reference; this compares contents.</summary>
    private sealed class BatchStateComparer : IEqualityComparer<BatchState>
    {
        public static readonly BatchStateComparer Instance = new();
        public bool Equals(BatchState? a, BatchState? b) =>
            a!.Status == b!.Status && a.Failed == b.Failed && a.Interrupted == b.Interrupted && a.NextDisc == b.NextDisc
            && a.ImageSha256 == b.ImageSha256 && a.Reason == b.Reason && a.Spec?.BatchId == b.Spec?.BatchId && a.Spec?.Copies == b.Spec?.Copies
            && a.Good.SequenceEqual(b.Good) && a.InFlight.SequenceEqual(b.InFlight);
        public int GetHashCode(BatchState s) => s.NextDisc;
    }

    [Fact]
    public void A_different_job_under_a_used_id_is_refused_naming_the_difference_never_merged()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(2), At)).State;
        Assert.Equal("id: batch b1 exists (running) with a different job (copies 5, not 2); a new job needs a new id",
            BatchLogic.Decide(s, new SubmitBatch(Spec(5), At)).Refused);
        Assert.StartsWith("id: batch b1 exists (running) with a different job (paths /srv/other, not /srv/photos)",
            BatchLogic.Decide(s, new SubmitBatch(Spec(2) with { Paths = ["/srv/other"] }, At)).Refused);
        Assert.StartsWith("id: batch b1 exists (running) with a different job (other options",
            BatchLogic.Decide(s, new SubmitBatch(Spec(2) with { Options = Spec(2).Options with { Drives = ["d1"] } }, At)).Refused);
        // an equal spec built anew (new arrays) is the same job
        Assert.Null(BatchLogic.Difference(Spec(2), Spec(2) with { Paths = [.. Spec(2).Paths], Options = Spec(2).Options with { Drives = [] } }));
    }
}
