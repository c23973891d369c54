using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit;
using Duplicator.Actors.Images;
using Duplicator.Mastering.Images;

namespace Duplicator.Actors.Tests.Images;

/// <summary>One wave's credit-based fan-out, with test probes as recorders.</summary>
public sealed class WaveActorTests : Akka.TestKit.Xunit2.TestKit
{
    private sealed class Counting(int sectors) : ISectorSource
    {
        public int Reads;
        public readonly System.Collections.Concurrent.ConcurrentQueue<long> Firsts = new();
        public int SectorSize => 2048;
        public long SectorCount => sectors;
        public void Read(long firstSector, Span<byte> destination)
        {
            Interlocked.Increment(ref Reads);
            Firsts.Enqueue(firstSector);
            for (int i = 0; i < destination.Length / 2048; i++) destination[i * 2048] = (byte)(firstSector + i);
        }
    }

    private static readonly Staging.Settings Settings = new(4 * 2048, Window: 3, StallTimeout: TimeSpan.FromMilliseconds(400), GatherWindow: TimeSpan.Zero);

    private (IActorRef Wave, Counting Source) StartWave(int sectors, params TestProbe[] members) => StartWave(sectors, Settings, members);

    private (IActorRef Wave, Counting Source) StartWave(int sectors, Staging.Settings settings, params TestProbe[] members)
    {
        var source = new Counting(sectors);
        return (Host(source, sectors, settings, members), source);
    }

    /// <summary>What the staging actor sees of a wave it started: its NotAdmitted reports.</summary>
    private readonly TestProbe _parent;

    public WaveActorTests() => _parent = CreateTestProbe();

    /// <summary>Starts a wave under a parent that closes it when it empties, as the staging actor does; returns the wave.</summary>
    private IActorRef Host(ISectorSource source, int sectors, Staging.Settings settings, params TestProbe[] members)
    {
        var image = new StagedImage("b", "/x.iso", 2048, sectors, [new TrackInfo(1, TrackKind.Data, 0, sectors, 0)], "00");
        var props = WaveActor.Props(source, image, [.. members.Select(m => m.Ref)], settings, number: 1);
        Sys.ActorOf(Props.Create(() => new WaveHost(props, _parent.Ref)));
        return _parent.ExpectMsg<IActorRef>();
    }

    private sealed class WaveHost : ReceiveActor
    {
        public WaveHost(Props wave, IActorRef report)
        {
            report.Tell(Context.ActorOf(wave, "wave"));
            Receive<WaveActor.Emptied>(_ => Sender.Tell(new WaveActor.Close()));
            Receive<WaveActor.NotAdmitted>(n => report.Tell(n));
            Receive<Staging.WaveFinished>(f => report.Tell(f));
        }
    }

    [Fact]
    public void Each_recorder_holds_at_most_its_window_of_unconsumed_chunks_and_every_chunk_is_read_once()
    {
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var (wave, source) = StartWave(40, Settings with { StallTimeout = TimeSpan.FromMinutes(1) }, a, b); // 10 chunks of 4 sectors

        var first = Enumerable.Range(0, 3).Select(_ => a.ExpectMsg<Staging.Chunk>()).ToArray();
        Assert.Equal([0L, 1, 2], first.Select(c => c.Index));
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // no credit left
        var sameForB = Enumerable.Range(0, 3).Select(_ => b.ExpectMsg<Staging.Chunk>()).ToArray();
        Assert.True(first[1].Data.Equals(sameForB[1].Data), "both recorders get the same shared memory, not copies");

        wave.Tell(new Staging.Consumed(0), a.Ref); // a alone consuming does not advance the wave: b still holds chunk 0
        a.ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        wave.Tell(new Staging.Consumed(0), b.Ref);
        var fourth = a.ExpectMsg<Staging.Chunk>();
        Assert.Equal(3, fourth.Index);
        Assert.Equal(12, fourth.FirstSector);
        Assert.Equal(12, fourth.Data.Span[0]); // the bytes of sector 12, as the source wrote them
        Assert.Equal(3, b.ExpectMsg<Staging.Chunk>().Index);
        Assert.Equal(4, source.Reads);
    }

    private sealed class Slow(int sectors) : ISectorSource
    {
        public int Reads;
        public readonly System.Collections.Concurrent.ConcurrentQueue<long> Firsts = new();
        public int SectorSize => 2048;
        public long SectorCount => sectors;
        public void Read(long firstSector, Span<byte> destination)
        {
            Thread.Sleep(30);
            Interlocked.Increment(ref Reads);
        }
    }

    [Fact]
    public void A_wave_starts_with_its_whole_window_read_so_no_drive_waits_for_its_second_chunk()
    {
        var a = CreateTestProbe();
        var source = new Slow(40);
        Host(source, 40, Settings with { StallTimeout = TimeSpan.FromMinutes(1) }, a);

        Assert.Equal(0, a.ExpectMsg<Staging.Chunk>(TimeSpan.FromSeconds(5)).Index);
        Assert.Equal(3, Volatile.Read(ref source.Reads)); // the window (3) was read before the first chunk went out
        Assert.Equal(1, a.ExpectMsg<Staging.Chunk>(TimeSpan.FromMilliseconds(20)).Index); // and follows at once
        Assert.Equal(2, a.ExpectMsg<Staging.Chunk>(TimeSpan.FromMilliseconds(20)).Index);
    }

    [Fact]
    public void A_chunk_every_member_consumed_lends_its_memory_to_a_later_chunk()
    {
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        var (wave, _) = StartWave(40, Settings with { StallTimeout = TimeSpan.FromMinutes(1) }, a, b);
        var chunks = Enumerable.Range(0, 3).Select(_ => a.ExpectMsg<Staging.Chunk>()).ToArray();
        Enumerable.Range(0, 3).ToList().ForEach(_ => b.ExpectMsg<Staging.Chunk>());
        static byte[] ArrayOf(Staging.Chunk c) => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(c.Data, out var s) ? s.Array! : throw new InvalidOperationException("not an array");

        wave.Tell(new Staging.Consumed(0), a.Ref);
        wave.Tell(new Staging.Consumed(0), b.Ref);
        var fourth = a.ExpectMsg<Staging.Chunk>();

        Assert.Same(ArrayOf(chunks[0]), ArrayOf(fourth)); // no new array per chunk: memory stays at about the window
        Assert.NotSame(ArrayOf(chunks[1]), ArrayOf(fourth)); // chunks still held are never reused
        Assert.Equal(13, fourth.Data.Span[2048]);
        Assert.Equal(5, chunks[1].Data.Span[2048]); // chunk 1, held by both, still has its own bytes
    }

    [Fact]
    public void A_recorder_that_stops_consuming_is_detached_and_the_other_gets_the_whole_image()
    {
        var stuck = CreateTestProbe();
        var fine = CreateTestProbe();
        var watcher = CreateTestProbe();
        var (wave, source) = StartWave(20, stuck, fine); // 5 chunks
        watcher.Watch(wave);
        stuck.ExpectMsg<Staging.Chunk>();

        var got = new List<long>();
        while (got.Count < 5)
        {
            var chunk = fine.ExpectMsg<Staging.Chunk>(TimeSpan.FromSeconds(5));
            got.Add(chunk.Index);
            fine.Reply(new Staging.Consumed(chunk.Index));
        }
        Assert.Equal([0L, 1, 2, 3, 4], got);
        stuck.FishForMessage(m => m is Staging.Detached, TimeSpan.FromSeconds(5));
        watcher.ExpectTerminated(wave, TimeSpan.FromSeconds(5));
        Assert.Equal([0L, 4, 8, 12, 16], source.Firsts); // each chunk read once, the wave then ends for good
    }

    /// <summary>Every byte of every sector holds the sector's number, so a reused buffer shows.</summary>
    private sealed class Patterned(int sectors) : ISectorSource
    {
        public int Reads;
        public int SectorSize => 2048;
        public long SectorCount => sectors;
        public void Read(long firstSector, Span<byte> destination)
        {
            Interlocked.Increment(ref Reads);
            for (int i = 0; i < destination.Length / 2048; i++) destination.Slice(i * 2048, 2048).Fill((byte)(firstSector + i));
        }
    }

    private static List<Staging.Chunk> TakeAll(TestProbe member, int chunks, bool consume = true)
    {
        var got = new List<Staging.Chunk>();
        while (got.Count < chunks)
        {
            var chunk = member.FishForMessage<Staging.Chunk>(_ => true, TimeSpan.FromSeconds(5));
            got.Add(chunk);
            if (consume) member.Reply(new Staging.Consumed(chunk.Index));
        }
        return got;
    }

    [Fact]
    public void A_slow_member_does_not_gate_the_fast_ones_it_is_told_to_read_on_alone_and_each_chunk_is_read_once()
    {
        var fast1 = CreateTestProbe();
        var fast2 = CreateTestProbe();
        var slow = CreateTestProbe();
        var (wave, source) = StartWave(40, Settings with { Window = 8, StallTimeout = TimeSpan.FromMinutes(1) }, fast1, fast2, slow); // 10 chunks
        var slowFirst = slow.ExpectMsg<Staging.Chunk>();
        wave.Tell(new Staging.Consumed(slowFirst.Index), slow.Ref); // then it takes nothing more for now

        var one = new List<long>();
        var two = new List<long>();
        for (int i = 0; i < 10; i++) // the two fast ones in step
        {
            one.AddRange(TakeAll(fast1, 1).Select(c => c.Index));
            two.AddRange(TakeAll(fast2, 1).Select(c => c.Index));
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), one);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), two);

        // The slow member had consumed chunk 0 only: the fast ones got all ten without waiting for it.
        var readOn = slow.FishForMessage<Staging.ReadOn>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal(wave, readOn.Wave);
        Assert.Equal(4, readOn.ChunkSectors);
        Assert.Equal(10, source.Reads); // the fast ones shared one read of each chunk
    }

    [Fact]
    public void A_member_that_reads_on_alone_and_takes_nothing_fails_only_after_the_stall_deadline()
    {
        var fine = CreateTestProbe();
        var hung = CreateTestProbe();
        var stall = TimeSpan.FromSeconds(1.5);
        var (wave, _) = StartWave(40, Settings with { StallTimeout = stall, StartGrace = TimeSpan.FromMilliseconds(100) }, fine, hung);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        wave.Tell(new Staging.Consumed(hung.ExpectMsg<Staging.Chunk>().Index), hung.Ref); // it starts, then hangs
        Assert.Equal(10, TakeAll(fine, 10).Count); // the others keep going and finish
        hung.FishForMessage<Staging.ReadOn>(_ => true, TimeSpan.FromSeconds(5));
        var detached = hung.FishForMessage<Staging.Detached>(_ => true, TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed >= stall - TimeSpan.FromMilliseconds(100), $"detached after {clock.Elapsed}, the deadline is {stall}");
        Assert.Contains("took no data", detached.Reason);
        var finished = _parent.FishForMessage<Staging.WaveFinished>(_ => true, TimeSpan.FromSeconds(5));
        Assert.Equal((2, 1, 1), (finished.Recorders, finished.Detached, finished.FellBehind));
    }

    [Fact]
    public void A_late_recorder_joins_the_running_wave_while_chunk_0_is_in_the_window_and_is_sent_elsewhere_after()
    {
        var a = CreateTestProbe();
        var late = CreateTestProbe();
        var later = CreateTestProbe();
        var (wave, source) = StartWave(40, Settings with { StallTimeout = TimeSpan.FromMinutes(1) }, a);
        var first = TakeAll(a, 3, consume: false);

        wave.Tell(new WaveActor.Admit(late.Ref, new Staging.Join("late", 2)));
        var lateFirst = TakeAll(late, 3, consume: false);
        Assert.Equal([0L, 1, 2], lateFirst.Select(c => c.Index));
        Assert.True(first[0].Data.Equals(lateFirst[0].Data), "the late recorder shares the chunks already read");

        wave.Tell(new Staging.Consumed(0), a.Ref);
        wave.Tell(new Staging.Consumed(0), late.Ref);
        Assert.Equal(3, a.FishForMessage<Staging.Chunk>(_ => true).Index);
        wave.Tell(new WaveActor.Admit(later.Ref, new Staging.Join("later", 3)));
        var refused = _parent.FishForMessage<WaveActor.NotAdmitted>(_ => true);
        Assert.Equal(later.Ref, refused.Recorder); // chunk 0 is gone: the staging actor gathers it into a new wave
        later.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(4, source.Reads); // nothing was read twice for the late recorder
    }

    [Fact]
    public void Chunk_memory_a_member_held_when_it_left_is_never_reused_while_the_rest_is()
    {
        var a = CreateTestProbe();
        var gone = CreateTestProbe();
        var source = new Patterned(40);
        var wave = Host(source, 40, Settings with { StallTimeout = TimeSpan.FromMinutes(1) }, a, gone);
        var held = TakeAll(gone, 3, consume: false);
        wave.Tell(new Staging.Leave("its disc failed"), gone.Ref); // its drive thread may still be copying these out

        var all = TakeAll(a, 10);
        static byte[] ArrayOf(Staging.Chunk c) => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(c.Data, out var s) ? s.Array! : throw new InvalidOperationException("not an array");
        foreach (var chunk in held)
            for (int i = 0; i < chunk.Sectors; i++)
                Assert.True(chunk.Data.Span.Slice(i * 2048, 2048).IndexOfAnyExcept((byte)(chunk.FirstSector + i)) < 0,
                    $"chunk {chunk.Index} held by the member that left was overwritten");
        var heldArrays = held.Select(ArrayOf).ToHashSet();
        Assert.DoesNotContain(all.Skip(3), c => heldArrays.Contains(ArrayOf(c)));
        Assert.True(all.Select(ArrayOf).Distinct().Count() < all.Count, "memory a is done with does carry later chunks");
        Assert.Equal(10, source.Reads);
    }
}
