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

    /// <summary>
    /// Read speed of READ(10), READ(12) and READ CD as a multiple of 1x (user data: CD 153.6 kB/s Mode 1 /
    /// 176.4 kB/s CD-DA, DVD 1385 kB/s, BD 4495 kB/s); 0 = unthrottled. Null (default) = the family's
    /// <see cref="EmulatedProfiles.DefaultReadSpeed"/> (CD 40x, DVD 16x, BD 8x) when writes are throttled
    /// (<see cref="MaxSpeed"/> not 0), unthrottled when they are not, so an unthrottled drive verifies at once.
    /// </summary>
    public int? ReadSpeed { get; init; }

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

    /// <summary>
    /// A finalized data disc loaded at start (a master to read): a plain ISO of 2048-byte sectors (one track from
    /// LBA 0), or a <c>disc-&lt;n&gt;.iso</c> this emulator burned, its tracks and sessions taken from the
    /// <c>disc-&lt;n&gt;.json</c> beside it (whose profile must be <see cref="Profile"/>). Read-only; must fit the
    /// medium's capacity; <see cref="State"/> must stay blank (finalized) or be appendable (the disc open for another
    /// session: a data disc whose sessions are copied to the drive's own <c>disc-&lt;n&gt;.iso</c> before the first write).
    /// Null: the medium <see cref="State"/> describes.
    /// </summary>
    public string? LoadPath { get; init; }

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
/// <item><c>load</c>: a finalized master disc from an ISO file or a disc the emulator burned (see <see cref="EmulatedRecorderOptions.LoadPath"/>).</item>
/// <item><c>read-speed</c>: READ speed in multiples of 1x, 0 = unthrottled (see <see cref="EmulatedRecorderOptions.ReadSpeed"/>).</item>
/// </list>
/// Faults (<see cref="FaultGrammar"/>; each may be combined with the others, and all but <c>vanish-after</c> repeated),
/// armed in <see cref="EmulatedRecorderOptions.Faults"/>; every LBA must lie inside the medium's capacity:
/// <list type="bullet">
/// <item><c>fail-write-at=LBA</c>: a WRITE covering LBA fails 03/0C/00 with LBA in the sense INFORMATION field (<see cref="FaultPlan.FailWriteAt"/>).</item>
/// <item><c>hang-write-at=LBA</c>: the first WRITE reaching LBA hangs for the caller's timeout, then a transient transport timeout (<see cref="FaultPlan.HangWriteAt"/>).</item>
/// <item><c>slow-at=LBA:SPEED</c>: from LBA on the laser writes at no more than SPEED × 1x (<see cref="FaultPlan.SlowWritesFrom"/>).</item>
/// <item><c>vanish-after=N</c>: after N commands the drive is gone: a non-transient transport error for every later one (<see cref="FaultPlan.DisconnectAfter"/>).</item>
/// <item><c>unreadable=LBA[-LBA][,...]</c>: READs covering those blocks fail 03/11/00 with the LBA in INFORMATION (<see cref="FaultPlan.UnreadableRange"/>).</item>
/// </list>
/// Example: <c>emulated:dvd+r?speed=24&amp;dir=/tmp/discs&amp;buffer=4m&amp;name=bay1&amp;slow-at=1000000:8&amp;fail-write-at=1500000</c>.
/// </summary>
public static class EmulatedRecorderUrl
{
    /// <summary>The URL scheme, with its colon.</summary>
    public const string Scheme = "emulated:";

    /// <summary>Highest speed (multiples of 1x) <c>speed</c>, <c>read-speed</c> and <c>slow-at</c> accept.</summary>
    public const int MaxSpeedFactor = 1000;

    /// <summary>The fault parameters, as error messages and the README spell them.</summary>
    public const string FaultGrammar = "fail-write-at=LBA, hang-write-at=LBA, slow-at=LBA:SPEED, vanish-after=N, unreadable=LBA[-LBA][,...]";

    /// <summary>Most <c>unreadable</c> ranges one URL may arm.</summary>
    public const int MaxUnreadableRanges = 1024;

    private const string Grammar =
        "speed=N|max, dir=PATH, buffer=SIZE, state=blank|appendable|closed, capacity=BLOCKS, name=NAME, autoreload=true|false, discard=true|false, read-speed=N, load=PATH, "
        + FaultGrammar;

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

        // Fault LBAs are checked against the capacity, which may come later in the query: kept for after the loop.
        var faults = new List<(string Key, string Value)>();
        var seen = new HashSet<string>();
        foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var key = (eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (key is "vanish-after" or "read-speed" or "load" && !seen.Add(key))
            {
                throw Bad($"recorder URL '{url}': {key} is given twice; it takes one value ({key}={(key == "load" ? "PATH" : "N")})");
            }

            if (key is "fail-write-at" or "hang-write-at" or "slow-at" or "vanish-after" or "unreadable")
            {
                faults.Add((key, value));
                continue;
            }

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
                "read-speed" => options with { ReadSpeed = ParseReadSpeed(url, value) },
                "load" when value.Length > 0 => options with { LoadPath = Path.GetFullPath(value) },
                _ => throw Bad($"recorder URL '{url}': parameter '{pair}' is not one of {Grammar}"),
            };
        }

        if (options.LoadPath is { } master)
        {
            if (options.State == MediumState.Closed)
            {
                throw Bad($"recorder URL '{url}': load= puts a finalized master in the drive; state= cannot also be given, except state=appendable (the disc left open for another session)");
            }

            // Checked here so a bad master is a bad URL; the drive checks it again when it loads it.
            _ = EmulatedMaster.Open(master, options.Profile,
                options.CapacityBlocks ?? (options.Profile == EmulatedProfile.None ? 0 : EmulatedProfiles.DefaultCapacity(options.Profile)),
                options.State == MediumState.Appendable);
        }

        ArmFaults(url, options, faults);
        return options;
    }

    private static void ArmFaults(string url, EmulatedRecorderOptions options, List<(string Key, string Value)> faults)
    {
        // An empty drive may later take any medium: its LBAs are bounded by the 32-bit CDB address field only.
        var capacity = options.Profile == EmulatedProfile.None
            ? (long)uint.MaxValue
            : options.CapacityBlocks ?? EmulatedProfiles.DefaultCapacity(options.Profile);
        var unreadable = 0;
        foreach (var (key, value) in faults)
        {
            switch (key)
            {
                case "fail-write-at":
                    options.Faults.FailWriteAt(ParseLba(url, key, value, capacity, $"{key}=LBA"));
                    break;
                case "hang-write-at":
                    options.Faults.HangWriteAt(ParseLba(url, key, value, capacity, $"{key}=LBA"));
                    break;
                case "slow-at":
                    var colon = value.IndexOf(':');
                    if (colon < 0)
                    {
                        throw Bad($"recorder URL '{url}': slow-at '{value}' is not LBA:SPEED (slow-at=LBA:SPEED, e.g. slow-at=100000:8)");
                    }

                    var lba = ParseLba(url, key, value[..colon], capacity, "slow-at=LBA:SPEED");
                    var speedText = value[(colon + 1)..];
                    if (!int.TryParse(speedText, NumberStyles.None, CultureInfo.InvariantCulture, out var speed) || speed is < 1 or > MaxSpeedFactor)
                    {
                        throw Bad($"recorder URL '{url}': slow-at speed '{speedText}' is not 1..{MaxSpeedFactor} (slow-at=LBA:SPEED, SPEED in multiples of 1x)");
                    }

                    options.Faults.SlowWritesFrom(lba, speed);
                    break;
                case "unreadable":
                    foreach (var part in value.Split(','))
                    {
                        var dash = part.IndexOf('-');
                        var first = ParseLba(url, key, dash < 0 ? part : part[..dash], capacity, "unreadable=LBA[-LBA][,...]");
                        var last = dash < 0 ? first : ParseLba(url, key, part[(dash + 1)..], capacity, "unreadable=LBA[-LBA][,...]");
                        if (last < first)
                        {
                            throw Bad($"recorder URL '{url}': unreadable range '{part}' ends before it starts (unreadable=FIRST-LAST, FIRST <= LAST)");
                        }

                        if (++unreadable > MaxUnreadableRanges)
                        {
                            throw Bad($"recorder URL '{url}': more than {MaxUnreadableRanges} unreadable ranges");
                        }

                        options.Faults.UnreadableRange(first, last);
                    }

                    break;
                case "vanish-after":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    {
                        throw Bad($"recorder URL '{url}': vanish-after '{value}' is not a command count 0..{int.MaxValue} (vanish-after=N)");
                    }

                    options.Faults.DisconnectAfter(n);
                    break;
            }
        }
    }

    private static long ParseLba(string url, string key, string value, long capacity, string grammar) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var lba) && lba < capacity
            ? lba
            : throw Bad($"recorder URL '{url}': {key} LBA '{value}' is not 0..{capacity - 1}, inside the medium's {capacity} blocks ({grammar})");

    private static int ParseReadSpeed(string url, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && x <= MaxSpeedFactor
            ? x
            : throw Bad($"recorder URL '{url}': read-speed '{value}' is not 0..{MaxSpeedFactor} (read-speed=N in multiples of 1x, 0 = unthrottled)");

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

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && x <= MaxSpeedFactor)
        {
            return x;
        }

        throw Bad($"recorder URL '{url}': speed '{value}' is not 0..{MaxSpeedFactor}, max or unthrottled");
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
