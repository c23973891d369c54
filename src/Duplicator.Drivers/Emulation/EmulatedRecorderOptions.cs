using System.Globalization;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Emulation;

/// <summary>How an <see cref="EmulatedRecorder"/> is built.</summary>
public sealed record EmulatedRecorderOptions
{
    /// <summary>Default drive buffer: 2 MiB, a common size for recorders.</summary>
    public const long DefaultBufferBytes = 2L * 1024 * 1024;

    /// <summary>Drive name: the folder under <see cref="OutputDirectory"/> its discs go to, and part of <see cref="EmulatedRecorder.Location"/>.</summary>
    public string Name { get; init; } = "emulated";

    /// <summary>INQUIRY vendor identification (8 ASCII characters, space padded).</summary>
    public string Vendor { get; init; } = "DUPLICAT";

    /// <summary>INQUIRY product identification (16 ASCII characters, space padded).</summary>
    public string Product { get; init; } = "EMULATED RECORDR";

    /// <summary>INQUIRY product revision level (4 ASCII characters).</summary>
    public string Revision { get; init; } = "1.00";

    /// <summary>Medium in the drive at start; <see cref="EmulatedProfile.None"/> for an empty drive.</summary>
    public EmulatedProfile Profile { get; init; } = EmulatedProfile.DvdPlusR;

    /// <summary>State of that medium (a non-blank one is the "medium not blank" fault).</summary>
    public MediumState State { get; init; } = MediumState.Blank;

    /// <summary>Capacity override in blocks (the "medium too small" fault); null = the profile's default.</summary>
    public long? CapacityBlocks { get; init; }

    /// <summary>
    /// Highest write speed as a multiple of 1x (CD 1x = 153.6 kB/s data / 176.4 kB/s audio, DVD 1385 kB/s,
    /// BD 4495 kB/s). 0 = unthrottled (the buffer never limits the host). Null = the family's rated
    /// maximum (52x CD, 24x DVD, 12x BD).
    /// </summary>
    public int? MaxSpeed { get; init; } = 0;

    /// <summary>Drive buffer size in bytes.</summary>
    public long BufferBytes { get; init; } = DefaultBufferBytes;

    /// <summary>
    /// Where burned discs go: <c>&lt;OutputDirectory&gt;/&lt;Name&gt;/disc-&lt;n&gt;.iso</c> (2048-byte data
    /// sectors) or <c>.bin</c> (2352-byte CD-DA), with <c>disc-&lt;n&gt;.json</c> listing the tracks;
    /// n counts the media loaded into this drive, from 1.
    /// </summary>
    public string OutputDirectory { get; init; } = Path.Combine(Environment.CurrentDirectory, "var", "discs");

    /// <summary>When the host ejects, a fresh blank medium of <see cref="Profile"/> is loaded (an autoloader).</summary>
    public bool AutoReload { get; init; }

    /// <summary>
    /// Burned data is checked and counted as usual but stored nowhere (no image file; the track list is still
    /// written), and reads of recorded blocks return zeros, so a verifying burn fails. For benchmarks of the
    /// host side, where writing every copy to a file would measure the file system instead.
    /// </summary>
    public bool Discard { get; init; }

    /// <summary>Time source of the buffer model and timed faults.</summary>
    public IDriveClock Clock { get; init; } = SystemDriveClock.Instance;

    /// <summary>Faults to inject; the recorder exposes it as <see cref="EmulatedRecorder.Faults"/>.</summary>
    public FaultPlan Faults { get; init; } = new();
}

/// <summary>
/// Parses recorder URLs of the form
/// <c>emulated:&lt;profile&gt;[?speed=N|max|0&amp;dir=PATH&amp;buffer=SIZE&amp;state=blank|appendable|closed&amp;capacity=BLOCKS|KIND&amp;name=NAME&amp;autoreload=true|false&amp;discard=true|false]</c>.
/// <list type="bullet">
/// <item><c>profile</c>: cd-r, cd-rw, dvd-r, dvd-rw, dvd+r, dvd+rw, bd-r, or none (empty drive).</item>
/// <item><c>speed</c>: highest write speed in multiples of 1x; <c>max</c> = the family's rated maximum; 0 (default) = unthrottled.</item>
/// <item><c>dir</c>: output directory for burned discs (default ./var/discs).</item>
/// <item><c>buffer</c>: drive buffer in bytes, with an optional k/m suffix (KiB/MiB), default 2m.</item>
/// <item><c>state</c>, <c>capacity</c>: the loaded medium's state, and its capacity in blocks or as a media kind
/// (cd74 = 333,000, cd80 = 360,000, dvd, dvd-dl, bd25, bd50: see <see cref="MediaCapacity"/>).</item>
/// <item><c>autoreload</c>: true = a fresh blank medium goes in whenever the host ejects.</item>
/// <item><c>discard</c>: true = burned data is stored nowhere (reads return zeros): see <see cref="EmulatedRecorderOptions.Discard"/>.</item>
/// <item><c>name</c>: drive name (default "emulated"), the folder under dir.</item>
/// </list>
/// Example: <c>emulated:dvd+r?speed=24&amp;dir=/tmp/discs&amp;buffer=4m&amp;name=bay1</c>.
/// </summary>
public static class EmulatedRecorderUrl
{
    /// <summary>The URL scheme, with its colon.</summary>
    public const string Scheme = "emulated:";

    /// <summary>True when <paramref name="location"/> starts with <see cref="Scheme"/>.</summary>
    public static bool IsEmulated(string? location) =>
        location is not null && location.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="url"/>; bad input throws <see cref="ImapiException"/> (<see cref="ImapiError.InvalidInput"/>) naming the part and its allowed values.</summary>
    public static EmulatedRecorderOptions Parse(string url)
    {
        if (!IsEmulated(url))
        {
            throw Bad($"recorder URL '{url}' does not start with '{Scheme}'");
        }

        var rest = url[Scheme.Length..];
        var q = rest.IndexOf('?');
        var profileText = q < 0 ? rest : rest[..q];
        if (!EmulatedProfiles.TryParse(profileText, out var profile))
        {
            throw Bad($"recorder URL '{url}': profile '{profileText}' is not one of cd-r, cd-rw, dvd-r, dvd-rw, dvd+r, dvd+rw, bd-r, none");
        }

        var options = new EmulatedRecorderOptions { Profile = profile };
        if (q < 0)
        {
            return options;
        }

        foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = (eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            options = key switch
            {
                "speed" => options with { MaxSpeed = ParseSpeed(url, value) },
                "dir" when value.Length > 0 => options with { OutputDirectory = Path.GetFullPath(value) },
                "buffer" => options with { BufferBytes = ParseSize(url, value) },
                "state" => options with { State = ParseState(url, value) },
                "capacity" when MediaCapacity.TryParse(value, out var kind) => options with { CapacityBlocks = MediaCapacity.Sectors(kind) },
                "capacity" => options with { CapacityBlocks = ParsePositive(url, key, value) },
                "name" when value.Length > 0 && value.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && value != "." && value != ".." => options with { Name = value },
                "autoreload" when bool.TryParse(value, out var b) => options with { AutoReload = b },
                "discard" when bool.TryParse(value, out var b) => options with { Discard = b },
                _ => throw Bad($"recorder URL '{url}': parameter '{pair}' is not one of speed=N|max, dir=PATH, buffer=SIZE, state=blank|appendable|closed, capacity=BLOCKS, name=NAME, autoreload=true|false, discard=true|false"),
            };
        }

        return options;
    }

    private static int? ParseSpeed(string url, string value)
    {
        if (value.Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (value.Equals("unthrottled", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && x <= 1000)
        {
            return x;
        }

        throw Bad($"recorder URL '{url}': speed '{value}' is not 0..1000, max or unthrottled");
    }

    private static long ParseSize(string url, string value)
    {
        var v = value.ToLowerInvariant();
        long unit = 1;
        if (v.EndsWith('k'))
        {
            unit = 1024;
            v = v[..^1];
        }
        else if (v.EndsWith('m'))
        {
            unit = 1024 * 1024;
            v = v[..^1];
        }

        if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n * unit <= 1L << 30)
        {
            return n * unit;
        }

        throw Bad($"recorder URL '{url}': buffer '{value}' is not a size from 1 byte to 1 GiB (suffix k or m allowed)");
    }

    private static MediumState ParseState(string url, string value) => value.ToLowerInvariant() switch
    {
        "blank" => MediumState.Blank,
        "appendable" => MediumState.Appendable,
        "closed" => MediumState.Closed,
        _ => throw Bad($"recorder URL '{url}': state '{value}' is not blank, appendable or closed"),
    };

    private static long ParsePositive(string url, string key, string value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n <= uint.MaxValue
            ? n
            : throw Bad($"recorder URL '{url}': {key} '{value}' is not 1..{uint.MaxValue}");

    private static ImapiException Bad(string message) => new(ImapiError.InvalidInput, message);
}
