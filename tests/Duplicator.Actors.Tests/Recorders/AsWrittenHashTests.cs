using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Recorders;

/// <summary>
/// A per-disc disc's own SHA-256 on a thread of its own: the same hash as the bytes the drive was handed (checked
/// with sha256sum over a file of them), the drive never waiting for it, chunks released only after it, and a failure
/// in it failing that disc only.
/// </summary>
public sealed class AsWrittenHashTests
{
    private const int ChunkSectors = 4;
    private const int Sectors = 8 * ChunkSectors;

    private sealed class Stash(byte[] bytes) : ISectorSource
    {
        public int SectorSize => 2048;
        public long SectorCount => bytes.Length / 2048;
        public void Read(long firstSector, Span<byte> destination) =>
            bytes.AsSpan((int)firstSector * 2048, destination.Length).CopyTo(destination);
    }

    private static byte[] Bytes()
    {
        var bytes = new byte[Sectors * 2048];
        new Random(5).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Sector(byte fill) => Enumerable.Repeat(fill, 2048).ToArray();

    // Across a chunk boundary (3-4), one alone (17), the first and the last sector.
    private static IReadOnlyList<SectorPatch> Patches(byte k) =>
        [new(0, Sector(k)), new(3, Sector((byte)(k + 1)).Concat(Sector((byte)(k + 2))).ToArray()), new(17, Sector((byte)(k + 3))), new(Sectors - 1, Sector((byte)(k + 4)))];

    private static StagedImage Image() => new("b", "/x.iso", 2048, Sectors, [new TrackInfo(1, TrackKind.Data, 0, Sectors, 0)], "00");

    // In memory shared by every drive, as the wave's chunks are.
    private static Staging.Chunk Chunk(byte[] shared, long index) =>
        new(ActorRefs.Nobody, index, index * ChunkSectors, ChunkSectors, shared.AsMemory((int)index * ChunkSectors * 2048, ChunkSectors * 2048));

    private static Task<byte[]> Burn(FanOutImage image, int step = 3) => Task.Factory.StartNew(() =>
    {
        var written = new byte[Sectors * 2048];
        for (int s = 0; s < Sectors; s += step)
        {
            int n = Math.Min(step, Sectors - s);
            image.Read(s, written.AsSpan(s * 2048, n * 2048));
        }
        return written;
    }, TaskCreationOptions.LongRunning);

    private static async Task<string> Sha256sum(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"as-written-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(path, bytes);
        try
        {
            using var p = Process.Start(new ProcessStartInfo("sha256sum", [path]) { RedirectStandardOutput = true })!;
            string line = await p.StandardOutput.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.Equal(0, p.ExitCode);
            return line.Split(' ')[0].ToUpperInvariant();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task The_hash_of_a_disc_written_from_the_wave_and_read_alone_is_sha256sum_of_the_bytes_the_drive_was_handed()
    {
        var shared = Bytes();
        var consumed = new ConcurrentQueue<long>();
        var drive = new FanOutImage(Image(), consumed.Enqueue, CancellationToken.None, Patches(0x40), "d01");
        for (long k = 0; k < 3; k++) drive.Add(Chunk(shared, k));
        drive.ReadOn(new Staging.ReadOn(ActorRefs.Nobody, new Stash(shared), ChunkSectors, "fell behind")); // chunks 3-7 alone, two buffers in turn

        var written = await Burn(drive).WaitAsync(TimeSpan.FromSeconds(20));

        var expect = (byte[])shared.Clone();
        foreach (var p in Patches(0x40)) p.Data.Span.CopyTo(expect.AsSpan((int)p.Lba * 2048));
        Assert.Equal(expect, written);
        Assert.Equal(await Sha256sum(written), Convert.ToHexString(drive.ContentSha256));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), consumed); // every chunk, in order, after the hash
        drive.Close();
    }

    [Fact]
    public async Task The_drive_reads_every_sector_while_the_hash_is_held_back_and_no_chunk_is_released_before_the_hash_passed_it()
    {
        var shared = Bytes();
        var consumed = new ConcurrentQueue<long>();
        using var gate = new ManualResetEventSlim();
        var drive = new FanOutImage(Image(), consumed.Enqueue, CancellationToken.None, Patches(0x10), "d02", hashing: _ => gate.Wait());
        for (long k = 0; k < Sectors / ChunkSectors; k++) drive.Add(Chunk(shared, k));

        var written = await Burn(drive, step: 2).WaitAsync(TimeSpan.FromSeconds(20)); // the hash takes nothing yet
        Assert.Empty(consumed); // the shared chunks stay held: the hash has still to read them
        var hash = Task.Factory.StartNew(() => drive.ContentSha256, TaskCreationOptions.LongRunning);
        await Task.Delay(100);
        Assert.False(hash.IsCompleted); // asking for it waits for the hash to finish
        gate.Set();

        Assert.Equal(SHA256.HashData(written), await hash.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), consumed);
        drive.Close();
    }

    [Fact]
    public async Task A_failure_in_one_discs_hash_fails_that_disc_only()
    {
        var shared = Bytes();
        int spans = 0;
        var bad = new FanOutImage(Image(), _ => { }, CancellationToken.None, Patches(0x20), "d03",
            hashing: _ => { if (Interlocked.Increment(ref spans) == 3) throw new IOException("hash thread broke"); });
        var good = new FanOutImage(Image(), _ => { }, CancellationToken.None, Patches(0x30), "d04");
        for (long k = 0; k < Sectors / ChunkSectors; k++)
        {
            bad.Add(Chunk(shared, k));
            good.Add(Chunk(shared, k));
        }

        var badBurn = Burn(bad);
        var goodWritten = await Burn(good).WaitAsync(TimeSpan.FromSeconds(20));
        // The bad disc fails at its next chunk or when its hash is asked for, with the cause in the message.
        var e = await Assert.ThrowsAsync<ImapiException>(async () =>
        {
            await badBurn.WaitAsync(TimeSpan.FromSeconds(20));
            _ = bad.ContentSha256;
        });
        Assert.Equal(ImapiError.CannotWriteToMedia, e.Code);
        Assert.Contains("hash thread broke", e.Message);
        Assert.Equal(SHA256.HashData(goodWritten), good.ContentSha256);
        bad.Close();
        good.Close();
    }

    [Fact]
    public void Items_out_of_order_are_refused_and_a_closed_hash_is_not_finished()
    {
        using var hash = new AsWrittenHash("hash_t", [], 2048, _ => { });
        hash.Append(new byte[2048], 0, -1);
        Assert.Throws<InvalidOperationException>(() => hash.Append(new byte[2048], 5, -1));
        Assert.Throws<ArgumentException>(() => hash.Append(new byte[100], 1, -1));
        Assert.Equal(SHA256.HashData(new byte[2048]), hash.Finish(CancellationToken.None));
        hash.Dispose();
        using var closed = new AsWrittenHash("hash_t", [], 2048, _ => { });
        closed.Dispose();
        Assert.Throws<InvalidOperationException>(() => closed.Finish(CancellationToken.None));
    }
}
