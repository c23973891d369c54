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
/// a short track and an unreadable end, not a bad sector between samples. An audio CD (<see cref="CheckAudio"/>) is
/// checked the same way per track: the TOC and each track's information as burned, then READ CD of the track's first
/// and last blocks and an even sample between them against the staged audio.
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
    public static IReadOnlyList<(long First, int Count)> Samples(long sectors) => Samples(sectors, SampleRuns, RunSectors);

    /// <summary>Sampled runs per audio track besides its first and last (READ CD of <see cref="AudioRunSectors"/> blocks each).</summary>
    public const int AudioSampleRuns = 16;

    /// <summary>Blocks per sampled run of an audio track (one 63,504-byte READ CD).</summary>
    public const int AudioRunSectors = 27;

    /// <summary>
    /// The runs of an audio track of <paramref name="blocks"/> blocks a quick verification reads: its first run, <see cref="AudioSampleRuns"/>
    /// evenly spaced runs and its last block, in ascending order. Pure.
    /// </summary>
    public static IReadOnlyList<(long First, int Count)> AudioSamples(long blocks) => Samples(blocks, AudioSampleRuns, AudioRunSectors);

    private static IReadOnlyList<(long First, int Count)> Samples(long sectors, int sampleRuns, int runSectors)
    {
        var runs = new SortedDictionary<long, int>();
        void Add(long first, long count)
        {
            if (first < 0 || first >= sectors) return;
            int n = (int)Math.Min(count, sectors - first);
            runs[first] = Math.Max(runs.GetValueOrDefault(first), n);
        }
        Add(0, runSectors);
        for (int i = 1; i <= sampleRuns; i++)
            Add(sectors * i / (sampleRuns + 1), runSectors);
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
                    if (FirstDifference(image, first, d, e) is var at and >= 0)
                        throw new VerificationException(ImapiError.CannotWriteToMedia,
                            $"{drive.Location}: quick verification: sector {first + at / size} (LBA {start + first + at / size}) differs from the image at byte {at % size}");
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

    /// <summary>
    /// Quick verification of an audio CD just written: READ DISC INFORMATION (not blank); READ TOC (exactly the burned
    /// tracks, numbered as burned, each starting where it was written and at least as long up to the next track or the
    /// lead-out); READ TRACK INFORMATION of each (an audio track at its start with at least its blocks recorded); then
    /// per track READ CD of its first and last blocks and <see cref="AudioSamples"/> between, each compared byte for
    /// byte with the staged audio (<paramref name="image"/>, reread through <see cref="IRereadableImage"/> when it is
    /// one). Throws <see cref="VerificationException"/> naming the first difference or the drive's error; returns the
    /// blocks compared. <paramref name="tracks"/>: each burned track's number, where it starts on the disc, its first
    /// sector in <paramref name="image"/> and its length in blocks.
    /// </summary>
    public static long CheckAudio(MmcDevice drive, IReadOnlyList<(int Number, long Start, long ImageFirst, long Length)> tracks, ISectorSource image,
        CancellationToken cancellationToken, Mastering.Imapi.IDiscMasterProgressEvents? progress = null) =>
        VerificationException.Run(drive.Location, () =>
        {
            const int size = 2352;
            string where = $"{drive.Location}: quick verification";
            if (drive.ReadDiscInformation().Status == DiscStatus.Blank)
                throw new VerificationException(ImapiError.CannotWriteToMedia, $"{where}: the disc reads as blank after the burn");
            var toc = drive.ReadToc();
            var listed = toc.Tracks.ToList();
            string Burned() => string.Join(", ", tracks.Select(t => $"{t.Number}:{t.Start}+{t.Length}"));
            string Read() => $"[{string.Join(", ", listed.Select(t => $"{t.Track}:{t.Start}"))}] lead-out {toc.LeadOut?.Start}";
            if (listed.Count != tracks.Count || toc.LeadOut is null)
                throw new VerificationException(ImapiError.CannotWriteToMedia, $"{where}: the TOC lists {listed.Count} track(s) {Read()}, the burn wrote {tracks.Count} [{Burned()}]");
            for (int i = 0; i < tracks.Count; i++)
            {
                var (number, start, _, length) = tracks[i];
                long end = i + 1 < listed.Count ? listed[i + 1].Start : toc.LeadOut.Start;
                if (listed[i].Track != number || listed[i].Start != start || end - start < length)
                    throw new VerificationException(ImapiError.CannotWriteToMedia, $"{where}: the TOC reads {Read()}, the burn wrote [{Burned()}]");
                var info = drive.ReadRecordedTrack(number);
                long recorded = info.LastRecorded is { } lra ? lra - info.Start + 1 : info.Size;
                if (!info.Audio || info.Start != start || recorded < length)
                    throw new VerificationException(ImapiError.CannotWriteToMedia,
                        $"{where}: track {number} reads as {(info.Audio ? "audio" : "data")} at {info.Start} with {recorded} recorded blocks, the burn wrote {length} audio blocks at {start}");
            }
            var plan = tracks.Select(t => (Track: t, Samples: AudioSamples(t.Length))).ToList();
            long total = plan.Sum(p => p.Samples.Sum(s => (long)s.Count)), done = 0;
            var onDisc = ArrayPool<byte>.Shared.Rent(AudioRunSectors * size);
            var expected = ArrayPool<byte>.Shared.Rent(AudioRunSectors * size);
            try
            {
                foreach (var (track, samples) in plan)
                {
                    foreach (var (first, count) in samples)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var d = onDisc.AsSpan(0, count * size);
                        var e = expected.AsSpan(0, count * size);
                        drive.ReadCdAudio(track.Start + first, d);
                        if (FirstDifference(image, track.ImageFirst + first, d, e) is var at and >= 0)
                            throw new VerificationException(ImapiError.CannotWriteToMedia,
                                $"{where}: track {track.Number} block {first + at / size} (LBA {track.Start + first + at / size}) differs from the staged audio at byte {at % size}");
                        done += count;
                        progress?.NotifyVerifyProgress(done, total);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(onDisc);
                ArrayPool<byte>.Shared.Return(expected);
            }
            return done;
        });

    /// <summary>
    /// Reads the image's sectors from <paramref name="imageFirst"/> into <paramref name="expected"/> (again from the stash
    /// when the image can reread it) and returns the first byte where <paramref name="onDisc"/> differs, or -1.
    /// </summary>
    private static int FirstDifference(ISectorSource image, long imageFirst, ReadOnlySpan<byte> onDisc, Span<byte> expected)
    {
        if (image is IRereadableImage again) again.Reread(imageFirst, expected);
        else image.Read(imageFirst, expected);
        return onDisc.SequenceEqual(expected) ? -1 : onDisc.CommonPrefixLength(expected);
    }
}
