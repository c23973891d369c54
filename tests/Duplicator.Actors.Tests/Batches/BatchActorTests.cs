using Akka.Actor;
using Akka.TestKit.Xunit2;
using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

public sealed class BatchActorTests() : TestKit(PersistenceConfig.InMemory())
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static BatchSpec Spec(string id, int copies) => new(id, SourceKind.Folder, ["/srv/x"], copies, new BatchOptions(false, 0, 0, true, []));

    private Batch.Accepted Send(IActorRef batch, BatchCommand c)
    {
        batch.Tell(c, TestActor);
        return ExpectMsg<Batch.Accepted>();
    }

    private void Stop(IActorRef actor)
    {
        Watch(actor);
        actor.Tell(PoisonPill.Instance);
        ExpectTerminated(actor);
    }

    [Fact]
    public void A_restarted_batch_recovers_its_ledger_and_redoes_discs_that_were_in_flight()
    {
        var batch = Sys.ActorOf(Batch.Props("r1", snapshotEvery: 3));
        Send(batch, new SubmitBatch(Spec("r1", 2), At));
        Send(batch, new StartDisc("a"));
        Send(batch, new StartDisc("b"));
        Send(batch, new CompleteDisc(1, "a", "s1"));
        Stop(batch); // as if the host died with disc 2 in the drive

        var again = Sys.ActorOf(Batch.Props("r1", snapshotEvery: 3));
        again.Tell(Batch.GetState.Instance, TestActor);
        var state = ExpectMsg<BatchState>();
        Assert.Single(state.Good);
        Assert.Empty(state.InFlight);
        Assert.Equal(1, state.Interrupted);
        Assert.Equal(1, state.Remaining);
        var started = Send(again, new StartDisc("b"));
        Assert.Equal(1, started.Events);
        var done = Send(again, new CompleteDisc(3, "b", "s3"));
        Assert.Equal(BatchStatus.Completed, done.State.Status);
        Assert.Equal(2, done.State.Good.Count);
    }

    [Fact]
    public void Refused_commands_persist_nothing_and_repeats_are_acknowledged_without_events()
    {
        var batch = Sys.ActorOf(Batch.Props("r2"));
        batch.Tell(new StartDisc("a"), TestActor);
        ExpectMsg<Batch.Refused>();
        Assert.Equal(1, Send(batch, new SubmitBatch(Spec("r2", 1), At)).Events);
        Assert.Equal(0, Send(batch, new SubmitBatch(Spec("r2", 1), At)).Events);
        batch.Tell(new SubmitBatch(Spec("r2", 9), At), TestActor); // another job under the id: refused, not merged
        Assert.StartsWith("id: batch r2 exists", ExpectMsg<Batch.Refused>().Reason);
        batch.Tell(Batch.GetState.Instance, TestActor);
        Assert.Equal(1, ExpectMsg<BatchState>().Spec!.Copies);
    }
}
