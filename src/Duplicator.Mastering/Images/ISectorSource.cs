namespace Duplicator.Mastering.Images;

/// <summary>
/// A staged disc image seen as a read-only, random-access run of fixed-size sectors. Recorders, the
/// fan-out and the image-file writer all consume this; the bytes are produced on demand (file data is
/// streamed from the source files), so an implementation never holds the whole image in memory.
/// Implementations are safe for concurrent <see cref="Read"/> calls from several threads.
/// </summary>
public interface ISectorSource
{
    /// <summary>Bytes per sector: 2048 for data images, 2352 for CD-DA.</summary>
    int SectorSize { get; }

    /// <summary>Number of sectors in the image.</summary>
    long SectorCount { get; }

    /// <summary>
    /// Fills <paramref name="destination"/> (a whole number of sectors) with the sectors starting at
    /// <paramref name="firstSector"/>. Throws <see cref="Imapi.ImapiException"/> with
    /// <see cref="Imapi.ImapiError.SourceChanged"/> when a source file no longer matches what was staged.
    /// </summary>
    void Read(long firstSector, Span<byte> destination);
}

/// <summary>What a track holds.</summary>
public enum TrackKind
{
    /// <summary>Mode 1 data, 2048-byte user blocks.</summary>
    Data,
    /// <summary>Red Book CD-DA, 2352-byte blocks.</summary>
    Audio,
}

/// <summary>
/// One track of a staged disc. <see cref="StartSector"/> and <see cref="Length"/> are in sectors of the
/// image (<see cref="ISectorSource"/>); <see cref="PregapSectors"/> sectors of the image immediately before
/// <see cref="StartSector"/> are this track's pregap (INDEX 00..01), already counted in the image.
/// </summary>
/// <param name="Number">Track number, 1-based.</param>
/// <param name="Kind">Data or audio.</param>
/// <param name="StartSector">First sector of the track's INDEX 01 within the image.</param>
/// <param name="Length">Sectors from INDEX 01 to the end of the track.</param>
/// <param name="PregapSectors">Pregap sectors before <paramref name="StartSector"/> (150 for a 2 s gap).</param>
/// <param name="Isrc">ISRC of the track, 12 characters, or null.</param>
/// <param name="Title">CD-TEXT title, or null.</param>
/// <param name="Performer">CD-TEXT performer, or null.</param>
/// <param name="Indexes">INDEX 02, 03, ... as sectors after <paramref name="StartSector"/>, increasing; null for none.</param>
public sealed record TrackInfo(
    int Number,
    TrackKind Kind,
    long StartSector,
    long Length,
    int PregapSectors,
    string? Isrc = null,
    string? Title = null,
    string? Performer = null,
    IReadOnlyList<long>? Indexes = null);

/// <summary>A staged disc ready to record: its sectors and its track table.</summary>
public interface IDiscImage : ISectorSource
{
    /// <summary>The tracks, in order. A data image has exactly one data track covering every sector.</summary>
    IReadOnlyList<TrackInfo> Tracks { get; }

    /// <summary>Album CD-TEXT title, or null.</summary>
    string? Title => null;

    /// <summary>Album CD-TEXT performer, or null.</summary>
    string? Performer => null;

    /// <summary>Media catalog number (13 digits), or null.</summary>
    string? Catalog => null;
}

/// <summary>
/// An image whose content hash is already known (computed once when it was staged), so a recorder that
/// verifies does not read the image a second time. The content is what a drive reads back: every sector
/// of a data image; the audio of every track, gaps excluded, of an audio disc.
/// </summary>
public interface IContentHashed
{
    /// <summary>SHA-256 of the content as a verifying recorder reads it back.</summary>
    byte[] ContentSha256 { get; }
}
