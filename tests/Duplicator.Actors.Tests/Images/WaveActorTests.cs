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
        var image = new StagedImage("b", "/x.iso", 2048, sectors, [new TrackInfo(1, TrackKind.Data, 0, sectors, 0)], "00");
        var wave = Sys.ActorOf(WaveActor.Props(source, image, [.. members.Select(m => m.Ref)], settings, number: 1));
        return (wave, source);
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
        var image = new StagedImage("b", "/x.iso", 2048, 40, [new TrackInfo(1, TrackKind.Data, 0, 40, 0)], "00");
        Sys.ActorOf(WaveActor.Props(source, image, [a.Ref], Settings with { StallTimeout = TimeSpan.FromMinutes(1) }, number: 1));

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
}
