namespace Duplicator.Mastering.Media;

/// <summary>The media capacities an image can be staged for.</summary>
public enum MediaKind
{
    /// <summary>CD-R/RW, 74 minutes: 333,000 sectors.</summary>
    Cd74,
    /// <summary>CD-R/RW, 80 minutes: 360,000 sectors.</summary>
    Cd80,
    /// <summary>DVD±R single layer, 4.7 GB: 2,295,104 sectors.</summary>
    Dvd,
    /// <summary>DVD±R dual layer, 8.5 GB: 4,173,824 sectors.</summary>
    DvdDl,
    /// <summary>BD-R single layer, 25 GB: 12,219,392 sectors.</summary>
    Bd25,
    /// <summary>BD-R dual layer, 50 GB: 24,438,784 sectors.</summary>
    Bd50,
}

/// <summary>Capacities and names of <see cref="MediaKind"/>.</summary>
public static class MediaCapacity
{
    /// <summary>Logical block size of data media (ECMA-119 logical sector, MMC user data block).</summary>
    public const int DataBlockSize = 2048;

    /// <summary>Sector size of Red Book CD-DA (588 stereo 16-bit samples).</summary>
    public const int AudioBlockSize = 2352;

    /// <summary>Sectors a blank medium of <paramref name="kind"/> holds (2048-byte data blocks or 2352-byte CD-DA blocks on CD).</summary>
    public static long Sectors(MediaKind kind) => kind switch
    {
        MediaKind.Cd74 => 333_000,
        MediaKind.Cd80 => 360_000,
        MediaKind.Dvd => 2_295_104,
        MediaKind.DvdDl => 4_173_824,
        MediaKind.Bd25 => 12_219_392,
        MediaKind.Bd50 => 24_438_784,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown media kind"),
    };

    /// <summary>True for the CD kinds (the only ones that can hold Red Book audio).</summary>
    public static bool IsCd(MediaKind kind) => kind is MediaKind.Cd74 or MediaKind.Cd80;

    /// <summary>Parses the CLI / config spelling: cd74, cd80, dvd, dvd-dl, bd25, bd50.</summary>
    public static bool TryParse(string? text, out MediaKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "cd74" or "cd": kind = MediaKind.Cd74; return true;
            case "cd80": kind = MediaKind.Cd80; return true;
            case "dvd" or "dvd+r" or "dvd-r": kind = MediaKind.Dvd; return true;
            case "dvd-dl" or "dvddl": kind = MediaKind.DvdDl; return true;
            case "bd25" or "bd": kind = MediaKind.Bd25; return true;
            case "bd50": kind = MediaKind.Bd50; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>The CLI / config spelling of <paramref name="kind"/>.</summary>
    public static string Name(MediaKind kind) => kind switch
    {
        MediaKind.Cd74 => "cd74",
        MediaKind.Cd80 => "cd80",
        MediaKind.Dvd => "dvd",
        MediaKind.DvdDl => "dvd-dl",
        MediaKind.Bd25 => "bd25",
        MediaKind.Bd50 => "bd50",
        _ => kind.ToString(),
    };
}
