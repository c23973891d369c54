using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Actors.Batches;

/// <summary>
/// The file systems a folder batch is staged with, from its <see cref="BatchSpec.FileSystem"/>: the spelling
/// persisted in the ledger (<see cref="FileSystemNames"/>), null meaning joliet, which every folder batch used
/// before the field existed (on DVD and BD too), so a batch recorded then restages the same bytes.
/// </summary>
public static class BatchFileSystem
{
    /// <summary>What a spec without the field means: the file system every batch was staged with before it existed.</summary>
    public const DataFileSystems Legacy = DataFileSystems.Joliet;

    /// <summary>The file systems <paramref name="spec"/>'s folder image carries.</summary>
    /// <exception cref="ImapiException">InvalidInput when the recorded spelling is not one this build knows.</exception>
    public static DataFileSystems Of(BatchSpec spec) =>
        spec.FileSystem is null ? Legacy
        : FileSystemNames.TryParse(spec.FileSystem, out var fs) ? fs
        : throw new ImapiException(ImapiError.InvalidInput, $"batch {BatchIds.Show(spec.BatchId)}: filesystem {BatchIds.Show(spec.FileSystem)} is not one of {FileSystemNames.Listed}");

    /// <summary>The medium a folder batch is staged for (null: dvd, as the stager does), or null when the text names none.</summary>
    public static MediaKind? MediaOf(BatchSpec spec) =>
        spec.Media is null ? MediaKind.Dvd : MediaCapacity.TryParse(spec.Media, out var kind) ? kind : null;

    /// <summary>
    /// Why <paramref name="spec"/>'s file system is refused (a file system on an image or audio batch, a spelling
    /// not known, one its medium cannot carry), or null when it is fine or not given.
    /// </summary>
    public static string? Refusal(BatchSpec spec)
    {
        if (spec.FileSystem is null) return null;
        if (spec.Source != SourceKind.Folder)
            return $"filesystem: only a folder batch is mastered with a file system (this one is {spec.Source.ToString().ToLowerInvariant()}: its image is burned as it is)";
        if (!FileSystemNames.TryParse(spec.FileSystem, out var fs))
            return $"filesystem: {BatchIds.Show(spec.FileSystem)} is not one of {FileSystemNames.Listed}";
        return MediaOf(spec) is { } media && FileSystemNames.Refusal(fs, media) is { } why ? $"filesystem: {why}" : null;
    }
}
