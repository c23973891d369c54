using System.Buffers;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Burning;

/// <summary>
/// IMAPI2's quick verification of a data track just written: READ DISC INFORMATION (the disc is recorded: not blank),
/// READ TRACK INFORMATION of the track (it starts where it was written and holds at least the image's sectors), then
/// READ(10) of the first sectors, the last sector and an even sample of the rest, each compared byte for byte with the
/// image. Far fewer reads than a full verification; it catches a disc that reads back wrong at the sampled places,
/// a short track and an unreadable end, not a bad sector between samples.
/// </summary>
public static class QuickVerify
{
    /// <summary>Sampled runs besides the first and the last: 64 runs of <see cref="RunSectors"/> sectors.</summary>
    public const int SampleRuns = 64;

    /// <summary>Sectors per sampled run (one 64 KiB READ(10)).</summary>
    public const int RunSectors = 32;

    /// <summary>
    /// The first sectors of the runs a quick verification reads, in ascending order: the image's first run (the volume
    /// descriptors), <see cref="SampleRuns"/> evenly spaced runs, and the last sector alone. Pure: the same image size
    /// always samples the same sectors.
    /// </summary>
    public static IReadOnlyList<(long First, int Count)> Samples(long sectors)
    {
        var runs = new SortedDictionary<long, int>();
        void Add(long first, long count)
        {
            if (first < 0 || first >= sectors) return;
            int n = (int)Math.Min(count, sectors - first);
            runs[first] = Math.Max(runs.GetValueOrDefault(first), n);
        }
        Add(0, RunSectors);
        for (int i = 1; i <= SampleRuns; i++)
            Add(sectors * i / (SampleRuns + 1), RunSectors);
        Add(sectors - 1, 1);
        return [.. runs.Select(kv => (kv.Key, kv.Value))];
    }

    /// <summary>
    /// Checks the track at <paramref name="start"/> against <paramref name="image"/> (reread through
    /// <see cref="IRereadableImage"/> when it is one); throws <see cref="VerificationException"/> naming the first
    /// difference, or with the drive's error when a read fails. Returns the number of sectors compared.
    /// </summary>
    public static long Check(MmcDevice drive, int track, long start, ISectorSource image, CancellationToken cancellationToken, Mastering.Imapi.IDiscMasterProgressEvents? progress = null) =>
        VerificationException.Run(drive.Location, () =>
        {
            var disc = drive.ReadDiscInformation();
            if (disc.Status == DiscStatus.Blank)
                throw new VerificationException(ImapiError.CannotWriteToMedia, $"{drive.Location}: quick verification: the disc reads as blank after the burn");
            var t = drive.ReadRecordedTrack(track);
            long recorded = t.LastRecorded is { } lra ? lra - t.Start + 1 : t.Size;
            if (t.Start != start || recorded < image.SectorCount)
                throw new VerificationException(ImapiError.CannotWriteToMedia,
                    $"{drive.Location}: quick verification: track {track} starts at {t.Start} with {recorded} recorded blocks, the image was written at {start} with {image.SectorCount}");
            var samples = Samples(image.SectorCount);
            long total = samples.Sum(s => (long)s.Count), done = 0;
            int size = image.SectorSize;
            var onDisc = ArrayPool<byte>.Shared.Rent(RunSectors * size);
            var expected = ArrayPool<byte>.Shared.Rent(RunSectors * size);
            try
            {
                foreach (var (first, count) in samples)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var d = onDisc.AsSpan(0, count * size);
                    var e = expected.AsSpan(0, count * size);
                    drive.Read10(start + first, size, d);
                    if (image is IRereadableImage again) again.Reread(first, e);
                    else image.Read(first, e);
                    if (!d.SequenceEqual(e))
                    {
                        int at = 0;
                        while (d[at] == e[at]) at++;
                        throw new VerificationException(ImapiError.CannotWriteToMedia,
                            $"{drive.Location}: quick verification: sector {first + at / size} (LBA {start + first + at / size}) differs from the image at byte {at % size}");
                    }
                    done += count;
                    progress?.NotifyVerifyProgress(done, total);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(onDisc);
                ArrayPool<byte>.Shared.Return(expected);
            }
            return done;
        });
}
