using Duplicator.Mastering.Images;

namespace Duplicator.Mastering.Data.PerDisc;

/// <summary>
/// One disc of a per-disc batch: the staged image with that disc's <see cref="SectorPatch"/>es laid over what is read.
/// The staged image is never changed; <see cref="Overlay"/> writes into the reader's own buffer.
/// </summary>
public sealed class PatchedImage(IDiscImage image, IReadOnlyList<SectorPatch> patches) : IDiscImage
{
    /// <inheritdoc />
    public int SectorSize => image.SectorSize;

    /// <inheritdoc />
    public long SectorCount => image.SectorCount;

    /// <inheritdoc />
    public IReadOnlyList<TrackInfo> Tracks => image.Tracks;

    /// <inheritdoc />
    public void Read(long firstSector, Span<byte> destination)
    {
        image.Read(firstSector, destination);
        Overlay(patches, firstSector, destination, SectorSize);
    }

    /// <summary>
    /// Copies the parts of <paramref name="patches"/> (ascending, not overlapping) that fall in the sectors of
    /// <paramref name="destination"/>, which starts at <paramref name="firstSector"/>.
    /// </summary>
    public static void Overlay(IReadOnlyList<SectorPatch> patches, long firstSector, Span<byte> destination, int sectorSize)
    {
        long end = firstSector + destination.Length / sectorSize;
        // First patch that may overlap: binary search on the end of each patch.
        int lo = 0, hi = patches.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (patches[mid].Lba + patches[mid].Sectors <= firstSector) lo = mid + 1; else hi = mid;
        }
        for (int i = lo; i < patches.Count && patches[i].Lba < end; i++)
        {
            var p = patches[i];
            long from = Math.Max(p.Lba, firstSector);
            long to = Math.Min(p.Lba + p.Sectors, end);
            p.Data.Span.Slice((int)(from - p.Lba) * sectorSize, (int)(to - from) * sectorSize)
                .CopyTo(destination[(int)((from - firstSector) * sectorSize)..]);
        }
    }
}
