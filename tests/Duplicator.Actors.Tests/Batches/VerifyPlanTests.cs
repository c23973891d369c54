using System.Collections.Immutable;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

/// <summary>The pure decision of which disc gets which verification, and the ledger keeping it.</summary>
public sealed class VerifyPlanTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

    private static BatchSpec Spec(int copies, VerifyPolicy? policy, bool verify = true) =>
        new("v1", SourceKind.Image, ["/srv/a.iso"], copies, new BatchOptions(verify, 0, 0, true, []) { VerifyPolicy = policy });

    private static BatchState Run(BatchState s, BatchCommand c, out ImmutableArray<IBatchEvent> events)
    {
        var d = BatchLogic.Decide(s, c);
        Assert.Null(d.Refused);
        events = d.Events;
        return d.Events.Aggregate(s, BatchLogic.Apply);
    }

    /// <summary>Starts and completes (or fails in verify) one disc on <paramref name="drive"/>; returns the verification it got.</summary>
    private static VerifyMode Disc(ref BatchState s, string drive, bool verifyFails = false)
    {
        s = Run(s, new StartDisc(drive), out var ev);
        var started = (DiscStarted)ev.Single();
        s = verifyFails
            ? Run(s, new FailDisc(started.Disc, drive, "verification failed") { DuringVerify = true }, out _)
            : Run(s, new CompleteDisc(started.Disc, drive, "AA"), out _);
        return started.Verify!.Value;
    }

    [Fact]
    public void Every_third_disc_per_drive_is_sampled_and_the_others_are_not_verified()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(100, new VerifyPolicy(VerifyMode.Quick, Every: 3)), At), out _);
        var a = new List<VerifyMode>();
        var b = new List<VerifyMode>();
        for (int i = 0; i < 7; i++)
        {
            a.Add(Disc(ref s, "a"));
            if (i < 4) b.Add(Disc(ref s, "b")); // drives interleave: each counts its own discs
        }
        Assert.Equal([VerifyMode.None, VerifyMode.None, VerifyMode.Quick, VerifyMode.None, VerifyMode.None, VerifyMode.Quick, VerifyMode.None], a);
        Assert.Equal([VerifyMode.None, VerifyMode.None, VerifyMode.Quick, VerifyMode.None], b);
        Assert.Equal(3, s.Discs.Values.Count(d => d.Verify == VerifyMode.Quick)); // the ledger keeps what each disc got
    }

    [Fact]
    public void First_disc_per_drive_with_every_fifth_in_full()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(100, new VerifyPolicy(VerifyMode.Full, Every: 5, First: true)), At), out _);
        var got = Enumerable.Range(0, 11).Select(_ => Disc(ref s, "a")).ToArray();
        var full = got.Select((m, i) => (m, n: i + 1)).Where(x => x.m == VerifyMode.Full).Select(x => x.n);
        Assert.Equal([1, 5, 10], full);
        Assert.Equal(VerifyMode.Full, Disc(ref s, "other")); // another drive's first disc
    }

    [Fact]
    public void A_failed_sample_verifies_that_drive_in_full_until_K_good_discs()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(100, new VerifyPolicy(VerifyMode.Quick, Every: 4, EscalateUntilGood: 2)), At), out _);
        Assert.Equal(VerifyMode.None, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.None, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.None, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.Quick, Disc(ref s, "a", verifyFails: true)); // the 4th, sampled, fails its verification
        Assert.True(s.Discs[4].VerifyFailed);
        Assert.Equal(VerifyMode.None, Disc(ref s, "b")); // only that drive escalates
        Assert.Equal(VerifyMode.Full, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.Full, Disc(ref s, "a", verifyFails: true)); // failing again starts the count again
        Assert.Equal(VerifyMode.Full, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.Full, Disc(ref s, "a")); // second good one after the last failure
        // Back to sampling: the drive's 9th to 11th discs are not sampled, its 12th is.
        Assert.Equal(VerifyMode.None, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.None, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.None, Disc(ref s, "a"));
        Assert.Equal(VerifyMode.Quick, Disc(ref s, "a"));
    }

    [Fact]
    public void A_write_failure_does_not_escalate_and_interrupted_discs_do_not_count()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(100, new VerifyPolicy(VerifyMode.Quick, Every: 2)), At), out _);
        Assert.Equal(VerifyMode.None, Disc(ref s, "a"));
        s = Run(s, new StartDisc("a"), out var ev);
        Assert.Equal(VerifyMode.Quick, ((DiscStarted)ev.Single()).Verify);
        s = Run(s, new RecoverBatch(), out _); // the host stopped mid-disc: made again, and sampled again
        Assert.Equal(VerifyMode.Quick, Disc(ref s, "a"));
        s = Run(s, new StartDisc("a"), out ev);
        s = Run(s, new FailDisc(((DiscStarted)ev.Single()).Disc, "a", "write error"), out _); // not during verify
        Assert.Equal(VerifyMode.Quick, Disc(ref s, "a")); // 4th counted disc: sampled, not escalated to full
    }

    [Fact]
    public void Without_a_policy_the_verify_flag_means_every_disc_in_full_or_none()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(9, null, verify: true), At), out _);
        Assert.All(Enumerable.Range(0, 4).Select(_ => Disc(ref s, "a", verifyFails: true)), m => Assert.Equal(VerifyMode.Full, m));
        var off = Run(BatchState.Empty, new SubmitBatch(Spec(9, null, verify: false), At), out _);
        Assert.Equal(VerifyMode.None, Disc(ref off, "a", verifyFails: true));
        Assert.Equal(VerifyMode.None, Disc(ref off, "a")); // no policy: no escalation
    }

    [Fact]
    public void A_ledger_from_before_verify_policies_replays_and_goes_on()
    {
        // 026b234's events carry no verify field: they replay with null, and the next disc is decided from the flag.
        var spec = new BatchSpec("old", SourceKind.Image, ["/a.iso"], 3, new BatchOptions(true, 0, 0, true, []));
        var s = BatchLogic.Replay([new BatchSubmitted(spec, At), new DiscStarted("old", 1, "a"), new DiscCompleted("old", 1, "a", "AA")]);
        Assert.Null(s.Discs[1].Verify);
        Assert.Equal(VerifyMode.Full, Disc(ref s, "a"));
    }

    [Fact]
    public void A_different_verify_policy_under_the_same_id_is_another_job()
    {
        var s = Run(BatchState.Empty, new SubmitBatch(Spec(3, new VerifyPolicy(VerifyMode.Quick, Every: 2)), At), out _);
        var again = BatchLogic.Decide(s, new SubmitBatch(Spec(3, new VerifyPolicy(VerifyMode.Quick, Every: 3)), At));
        Assert.Contains("verify quick, every 3", again.Refused);
        Assert.Null(BatchLogic.Decide(s, new SubmitBatch(Spec(3, new VerifyPolicy(VerifyMode.Quick, Every: 2)), At)).Refused);
    }

    [Theory]
    [InlineData(-1, 0, "every -1")]
    [InlineData(10_001, 0, "every 10001")]
    [InlineData(2, -3, "escalateUntilGood -3")]
    public void Policies_out_of_range_are_refused_naming_the_value(int every, int escalate, string named)
    {
        Assert.Contains(named, new VerifyPolicy(VerifyMode.Quick, every, EscalateUntilGood: escalate).Refusal());
        Assert.Null(new VerifyPolicy(VerifyMode.Quick, 5, true, 3).Refusal());
    }
}
