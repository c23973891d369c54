using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>IMAPI2's quick verification on the emulated recorder: what it reads, what it catches, and what it cannot.</summary>
public sealed class QuickVerifyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-quick-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private sealed class Quiet : IDiscMasterProgressEvents;

    /// <summary>Random sectors in memory; <see cref="Change"/> alters one byte of one sector afterwards.</summary>
    private sealed class Bytes(int sectors, int seed) : ISectorSource
    {
        private readonly byte[] _data = Random(sectors, seed);

        private static byte[] Random(int sectors, int seed)
        {
            var b = new byte[sectors * 2048];
            new Random(seed).NextBytes(b);
            return b;
        }

        public int SectorSize => 2048;
        public long SectorCount => _data.Length / 2048;
        public void Read(long firstSector, Span<byte> destination) => _data.AsSpan((int)firstSector * 2048, destination.Length).CopyTo(destination);
        public void Change(long sector, int offset) => _data[sector * 2048 + offset] ^= 0x5A;
    }

    private const int Sectors = 4000;

    private (EmulatedRecorder Emu, MmcDevice Drive, Bytes Image) Burned()
    {
        var emu = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={_dir}&name=q");
        var drive = new MmcDevice(emu);
        var image = new Bytes(Sectors, 7);
        Assert.Null(DataDiscWriter.Burn(drive, image, new RecordOptions().WithVerification(VerificationLevel.Quick), new Quiet(), CancellationToken.None));
        return (emu, drive, image);
    }

    [Fact]
    public void Samples_are_the_first_run_64_even_runs_and_the_last_sector_in_order()
    {
        var s = QuickVerify.Samples(Sectors);
        Assert.Equal(66, s.Count);
        Assert.Equal((0L, 32), s[0]);
        Assert.Equal((Sectors - 1L, 1), s[^1]);
        Assert.Equal(s.OrderBy(x => x.First), s);
        Assert.Equal([(0L, 1)], QuickVerify.Samples(1)); // a one-sector image: that sector once
        Assert.All(QuickVerify.Samples(40), x => Assert.InRange(x.First + x.Count, 1, 40)); // never past the end
    }

    [Fact]
    public void A_quick_verified_burn_reads_back_only_its_samples_and_returns_no_hash()
    {
        var (emu, drive, _) = Burned();
        using (drive)
            Assert.Equal(QuickVerify.Samples(Sectors).Sum(x => (long)x.Count) * 2048, emu.BytesRead); // 2081 of 4000 sectors
        var full = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={_dir}&name=f");
        using var fd = new MmcDevice(full);
        Assert.NotNull(DataDiscWriter.Burn(fd, new Bytes(Sectors, 7), new RecordOptions(Verify: true), new Quiet(), CancellationToken.None));
        Assert.Equal(Sectors * 2048L, full.BytesRead); // full: every sector
    }

    [Fact]
    public void A_sampled_sector_that_differs_fails_naming_sector_LBA_and_byte_and_one_between_samples_is_not_seen()
    {
        var (_, drive, image) = Burned();
        using (drive)
        {
            var track = drive.ReadRecordedTrack(1);
            image.Change(Sectors - 1, 17); // the last sector is always read
            var e = Assert.Throws<VerificationException>(() => QuickVerify.Check(drive, 1, track.Start, image, CancellationToken.None));
            Assert.Equal(ImapiError.CannotWriteToMedia, e.Code);
            Assert.Equal($"{drive.Location}: quick verification: sector {Sectors - 1} (LBA {track.Start + Sectors - 1}) differs from the image at byte 17", e.Message);
            image.Change(Sectors - 1, 17); // back as burned
            long between = QuickVerify.Samples(Sectors)[1].First + 40; // after the first sampled run ends, before the next starts
            Assert.True(between < QuickVerify.Samples(Sectors)[2].First);
            image.Change(between, 0);
            Assert.Equal(QuickVerify.Samples(Sectors).Sum(x => (long)x.Count), QuickVerify.Check(drive, 1, track.Start, image, CancellationToken.None)); // quick's limit
            Assert.Throws<VerificationException>(() => QuickVerify.Check(drive, 1, track.Start, new Bytes(Sectors + 1, 7), CancellationToken.None)); // a short track
        }
    }
}
