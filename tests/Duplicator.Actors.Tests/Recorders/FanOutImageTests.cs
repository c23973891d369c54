using System.Collections.Concurrent;
using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Recorders;

/// <summary>One drive's view of the fanned-out image: chunks from the wave, reading on alone, catching up, the hash.</summary>
public sealed class FanOutImageTests
{
    private const int ChunkSectors = 4;
    private const int Sectors = 8 * ChunkSectors;

    private sealed class Stash(byte[] bytes) : ISectorSource
    {
        public readonly ConcurrentQueue<long> Firsts = new();
        public int SectorSize => 2048;
        public long SectorCount => bytes.Length / 2048;
        public void Read(long firstSector, Span<byte> destination)
        {
            Firsts.Enqueue(firstSector);
            bytes.AsSpan((int)firstSector * 2048, destination.Length).CopyTo(destination);
        }
    }

    private static byte[] Bytes()
    {
        var bytes = new byte[Sectors * 2048];
        new Random(3).NextBytes(bytes);
        return bytes;
    }

    private static StagedImage Image(string? sha) => new("b", "/x.iso", 2048, Sectors, [new TrackInfo(1, TrackKind.Data, 0, Sectors, 0)], sha);

    /// <summary>Chunk <paramref name="index"/> as the wave sends it, in memory of its own (a copy of the image's bytes).</summary>
    private static Staging.Chunk Chunk(byte[] bytes, long index) =>
        new(ActorRefs.Nobody, index, index * ChunkSectors, ChunkSectors, bytes.AsSpan((int)index * ChunkSectors * 2048, ChunkSectors * 2048).ToArray());

    /// <summary>Reads the whole image as a write strategy does, 2 sectors at a time.</summary>
    private static Task<byte[]> Burn(FanOutImage image) => Task.Factory.StartNew(() =>
    {
        var written = new byte[Sectors * 2048];
        for (int s = 0; s < Sectors; s += 2) image.Read(s, written.AsSpan(s * 2048, 2 * 2048));
        return written;
    }, TaskCreationOptions.LongRunning);

    [Fact]
    public async Task A_drive_told_to_read_on_reads_the_rest_from_the_stash_and_takes_the_wave_chunks_again_once_it_caught_up()
    {
        var bytes = Bytes();
        var stash = new Stash(bytes);
        var consumed = new ConcurrentQueue<long>();
        using var atChunk3 = new ManualResetEventSlim();
        using var resent = new ManualResetEventSlim();
        var image = new FanOutImage(Image(null), i =>
        {
            consumed.Enqueue(i);
            if (i == 3)
            {
                atChunk3.Set();
                resent.Wait(TimeSpan.FromSeconds(10)); // hold the drive here while the wave re-attaches it
            }
        }, CancellationToken.None);

        image.Add(Chunk(bytes, 0));
        image.Add(Chunk(bytes, 1));
        image.ReadOn(new Staging.ReadOn(ActorRefs.Nobody, stash, ChunkSectors, "fell behind"));
        var burn = Burn(image);
        Assert.True(atChunk3.Wait(TimeSpan.FromSeconds(10)));
        // The wave takes it back from chunk 3 (sent while it was reading chunk 3 alone, so stale by now) on.
        for (long k = 3; k < 8; k++) image.Add(Chunk(bytes, k));
        resent.Set();

        Assert.Equal(bytes, await burn.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal([2L * ChunkSectors, 3 * ChunkSectors], stash.Firsts); // alone it read chunks 2 and 3 only
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), consumed);
    }

    [Fact]
    public async Task A_drive_that_falls_behind_with_chunks_in_hand_uses_them_first_then_reads_on_to_the_end()
    {
        var bytes = Bytes();
        var stash = new Stash(bytes);
        var image = new FanOutImage(Image(null), _ => { }, CancellationToken.None);
        for (long k = 0; k < 3; k++) image.Add(Chunk(bytes, k));
        image.ReadOn(new Staging.ReadOn(ActorRefs.Nobody, stash, ChunkSectors, "fell behind"));

        Assert.Equal(bytes, await Burn(image).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Enumerable.Range(3, 5).Select(k => (long)k * ChunkSectors), stash.Firsts);
    }

    [Fact]
    public async Task The_content_hash_is_waited_for_and_a_failed_burn_stops_waiting()
    {
        var sha = Convert.ToHexString(SHA256.HashData(Bytes()));
        var image = new FanOutImage(Image(null), _ => { }, CancellationToken.None);
        var read = Task.Factory.StartNew(() => image.ContentSha256, TaskCreationOptions.LongRunning);
        await Task.Delay(100);
        Assert.False(read.IsCompleted); // verification waits: the hash is still being computed
        image.SetContentSha256(sha);
        Assert.Equal(sha, Convert.ToHexString(await read.WaitAsync(TimeSpan.FromSeconds(10))));

        var orphan = new FanOutImage(Image(null), _ => { }, CancellationToken.None);
        var waiting = Task.Factory.StartNew(() => orphan.ContentSha256, TaskCreationOptions.LongRunning);
        orphan.Fail("the wave ended");
        var e = await Assert.ThrowsAsync<ImapiException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ImapiError.LossOfStreaming, e.Code);
    }
}
