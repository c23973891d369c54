using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Data;

/// <summary>
/// The spellings of <see cref="DataFileSystems"/> that job documents, the CLI and the batch ledger use
/// (<c>joliet</c>, <c>udf-bridge</c>, <c>udf</c>, <c>dvd-video</c>), each medium's default, and which file
/// system a medium cannot carry. One place, so every front end refuses the same things in the same words.
/// </summary>
public static class FileSystemNames
{
    /// <summary>Every spelling, in the order they are listed in messages.</summary>
    public static IReadOnlyList<string> All { get; } = ["joliet", "udf-bridge", "udf", "dvd-video"];

    /// <summary>The spellings as a message lists them: "joliet, udf-bridge, udf, dvd-video".</summary>
    public static string Listed { get; } = string.Join(", ", All);

    /// <summary>The spelling of <paramref name="fileSystems"/>.</summary>
    public static string Name(DataFileSystems fileSystems) => fileSystems switch
    {
        DataFileSystems.Joliet => "joliet",
        DataFileSystems.UdfBridge => "udf-bridge",
        DataFileSystems.Udf => "udf",
        DataFileSystems.DvdVideo => "dvd-video",
        _ => throw new ArgumentOutOfRangeException(nameof(fileSystems), fileSystems, "unknown file system"),
    };

    /// <summary>Reads a spelling (exactly as <see cref="All"/> lists it); false for anything else, null included.</summary>
    public static bool TryParse(string? text, out DataFileSystems fileSystems)
    {
        (bool ok, fileSystems) = text switch
        {
            "joliet" => (true, DataFileSystems.Joliet),
            "udf-bridge" => (true, DataFileSystems.UdfBridge),
            "udf" => (true, DataFileSystems.Udf),
            "dvd-video" => (true, DataFileSystems.DvdVideo),
            _ => (false, DataFileSystems.Joliet),
        };
        return ok;
    }

    /// <summary>What a data image on <paramref name="media"/> carries unless asked otherwise: Joliet on CD, the UDF bridge on DVD, UDF 2.50 on BD.</summary>
    public static DataFileSystems DefaultFor(MediaKind media) => media switch
    {
        MediaKind.Cd74 or MediaKind.Cd80 => DataFileSystems.Joliet,
        MediaKind.Bd25 or MediaKind.Bd50 => DataFileSystems.Udf,
        _ => DataFileSystems.UdfBridge,
    };

    /// <summary>
    /// Why <paramref name="fileSystems"/> cannot go on <paramref name="media"/>, or null when it can. DVD-Video is a
    /// DVD format: players read it from DVD media only (not from a CD, and BD players are not required to from a BD).
    /// Joliet, the bridge and UDF 2.50 are readable on every medium.
    /// </summary>
    public static string? Refusal(DataFileSystems fileSystems, MediaKind media) =>
        fileSystems == DataFileSystems.DvdVideo && media is not (MediaKind.Dvd or MediaKind.DvdDl)
            ? $"dvd-video goes on dvd or dvd-dl media only (DVD players read DVD-Video from a DVD), not on {MediaCapacity.Name(media)}"
            : null;

    /// <summary>Throws InvalidInput with <see cref="Refusal"/> when <paramref name="fileSystems"/> cannot go on <paramref name="media"/>.</summary>
    /// <exception cref="ImapiException">InvalidInput naming the file system and the medium.</exception>
    public static void CheckFits(DataFileSystems fileSystems, MediaKind media, string what)
    {
        if (Refusal(fileSystems, media) is { } why)
            throw new ImapiException(ImapiError.InvalidInput, $"{what}: {why}");
    }
}
