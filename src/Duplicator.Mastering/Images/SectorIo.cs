using Duplicator.Mastering.Imapi;
using Microsoft.Win32.SafeHandles;

namespace Duplicator.Mastering.Images;

/// <summary>The checks and file reads every <see cref="ISectorSource"/> implementation needs, in one place.</summary>
public static class SectorIo
{
    /// <summary>Throws unless a destination of <paramref name="destinationLength"/> bytes is whole sectors lying inside <paramref name="source"/>.</summary>
    public static void CheckRange(ISectorSource source, long firstSector, int destinationLength)
    {
        if (destinationLength % source.SectorSize != 0)
            throw new ArgumentException($"destination is {destinationLength} bytes, not a whole number of {source.SectorSize}-byte sectors", "destination");
        long count = destinationLength / source.SectorSize;
        if (firstSector < 0 || firstSector + count > source.SectorCount)
            throw new ArgumentOutOfRangeException(nameof(firstSector), $"sectors {firstSector}..{firstSector + count - 1} are outside the image (0..{source.SectorCount - 1})");
    }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; a file that ends first is <see cref="ImapiError.SourceChanged"/>.</summary>
    public static void ReadExactly(SafeFileHandle file, Span<byte> destination, long offset, string path)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(file, destination[done..], offset + done);
            if (n == 0)
                throw new ImapiException(ImapiError.SourceChanged, $"{path}: ended at byte {offset + done}, shorter than when it was staged");
            done += n;
        }
    }
}
