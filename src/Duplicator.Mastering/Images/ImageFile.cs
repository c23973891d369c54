using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Images;

/// <summary>A ready image file (e.g. an .iso) as a 2048-byte-sector source with one data track.</summary>
public sealed class ImageFile : IDiscImage
{
    private readonly string _path;
    private readonly long _length;
    private readonly DateTime _modified;

    /// <summary>Opens <paramref name="path"/>; it must be a non-empty whole number of 2048-byte sectors.</summary>
    public ImageFile(string path)
    {
        _path = Path.GetFullPath(path);
        var info = new FileInfo(_path);
        if (!info.Exists)
            throw new ImapiException(ImapiError.SourceUnreadable, $"{path}: no such image file");
        if (info.Length == 0 || info.Length % 2048 != 0)
            throw new ImapiException(ImapiError.InvalidImage, $"{path}: {info.Length} bytes is not a whole number of 2048-byte sectors");
        _length = info.Length;
        _modified = info.LastWriteTimeUtc;
        SectorCount = _length / 2048;
        Tracks = [new TrackInfo(1, TrackKind.Data, 0, SectorCount, 0)];
    }

    /// <inheritdoc />
    public int SectorSize => 2048;

    /// <inheritdoc />
    public long SectorCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<TrackInfo> Tracks { get; }

    /// <inheritdoc />
    public void Read(long firstSector, Span<byte> destination)
    {
        SectorIo.CheckRange(this, firstSector, destination.Length);
        using var h = File.OpenHandle(_path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (RandomAccess.GetLength(h) != _length || File.GetLastWriteTimeUtc(h) != _modified)
            throw new ImapiException(ImapiError.SourceChanged, $"{_path}: the image file changed after it was opened");
        SectorIo.ReadExactly(h, destination, firstSector * 2048, _path);
    }
}
