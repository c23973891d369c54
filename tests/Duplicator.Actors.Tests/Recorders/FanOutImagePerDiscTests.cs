using System.Security.Cryptography;
using Akka.Actor;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Images;

namespace Duplicator.Actors.Tests.Recorders;

/// <summary>A per-disc burn: each drive's own sectors over the shared chunks, which stay as they were.</summary>
public sealed class FanOutImagePerDiscTests
{
    private const int ChunkSectors = 4;
    private const int Sectors = 6 * ChunkSectors;

    private static Staging.Chunk Chunk(byte[] shared, long index) =>
        new(ActorRefs.Nobody, index, index * ChunkSectors, ChunkSectors, shared.AsMemory((int)index * ChunkSectors * 2048, ChunkSectors * 2048));

    private static byte[] Sector(byte fill) => Enumerable.Repeat(fill, 2048).ToArray();

    [Fact]
    public async Task Two_drives_fed_the_same_chunks_write_their_own_sectors_and_hash_their_own_disc_and_the_chunks_stay_untouched()
    {
        var shared = new byte[Sectors * 2048];
        new Random(9).NextBytes(shared);
        var original = (byte[])shared.Clone();
        var image = new StagedImage("b", "/x.iso", 2048, Sectors, [new TrackInfo(1, TrackKind.Data, 0, Sectors, 0)], "00");
        // Patches across a chunk boundary (3-4), one alone (16) and the last sector.
        IReadOnlyList<SectorPatch> a = [new(3, Sector(0xA1).Concat(Sector(0xA2)).ToArray()), new(16, Sector(0xA3)), new(Sectors - 1, Sector(0xA4))];
        IReadOnlyList<SectorPatch> b = [new(3, Sector(0xB1).Concat(Sector(0xB2)).ToArray()), new(16, Sector(0xB3))];
        var driveA = new FanOutImage(image, _ => { }, CancellationToken.None, a);
        var driveB = new FanOutImage(image, _ => { }, CancellationToken.None, b);
        for (long k = 0; k < Sectors / ChunkSectors; k++)
        {
            driveA.Add(Chunk(shared, k));
            driveB.Add(Chunk(shared, k));
        }
        var writtenA = await Task.Run(() => Burn(driveA));
        var writtenB = await Task.Run(() => Burn(driveB));

        Assert.Equal(original, shared); // the shared chunks were never written
        var expectA = (byte[])original.Clone();
        foreach (var p in a) p.Data.Span.CopyTo(expectA.AsSpan((int)p.Lba * 2048));
        var expectB = (byte[])original.Clone();
        foreach (var p in b) p.Data.Span.CopyTo(expectB.AsSpan((int)p.Lba * 2048));
        Assert.Equal(expectA, writtenA);
        Assert.Equal(expectB, writtenB);
        Assert.Equal(SHA256.HashData(expectA), driveA.ContentSha256); // the disc's own hash, not the staged image's "00"
        Assert.Equal(SHA256.HashData(expectB), driveB.ContentSha256);
        driveA.SetContentSha256("00"); // the staging's hash arriving later changes nothing
        Assert.Equal(SHA256.HashData(expectA), driveA.ContentSha256);
    }

    [Fact]
    public void The_discs_own_hash_is_refused_before_every_sector_was_written()
    {
        var image = new StagedImage("b", "/x.iso", 2048, Sectors, [new TrackInfo(1, TrackKind.Data, 0, Sectors, 0)], "00");
        var drive = new FanOutImage(image, _ => { }, CancellationToken.None, [new SectorPatch(0, Sector(1))]);
        Assert.Throws<InvalidOperationException>(() => drive.ContentSha256);
    }

    private static byte[] Burn(FanOutImage image)
    {
        var written = new byte[Sectors * 2048];
        for (int s = 0; s < Sectors; s += 3) image.Read(s, written.AsSpan(s * 2048, 3 * 2048)); // reads that straddle chunks
        return written;
    }
}
