using System.Security.Cryptography;
using Duplicator.Mastering.Images;

namespace Duplicator.Mastering.Tests.Images;

public class SectorSourceExtensionsTests
{
    private sealed class PatternSource(int sectorSize, long sectors) : ISectorSource
    {
        public int SectorSize => sectorSize;
        public long SectorCount => sectors;
        public void Read(long firstSector, Span<byte> destination)
        {
            for (int i = 0; i < destination.Length; i++)
                destination[i] = (byte)((firstSector * sectorSize + i) % 251);
        }
    }

    [Theory]
    [InlineData(2048, 1)]
    [InlineData(2048, 1300)]   // more than one 512-sector chunk, last chunk partial
    [InlineData(2352, 700)]
    public void CopyTo_and_ComputeSha256_cover_every_sector_in_order(int sectorSize, long sectors)
    {
        var source = new PatternSource(sectorSize, sectors);
        var expected = new byte[sectorSize * sectors];
        source.Read(0, expected);
        using var copy = new MemoryStream();
        source.CopyTo(copy);
        Assert.Equal(expected, copy.ToArray());
        Assert.Equal(SHA256.HashData(expected), source.ComputeSha256());
        Assert.Equal(expected.LongLength, source.ByteLength());
    }
}
