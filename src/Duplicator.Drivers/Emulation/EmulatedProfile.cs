using Duplicator.Mastering.Media;

namespace Duplicator.Drivers.Emulation;

/// <summary>The MMC-6 profiles (§5.3.1, table 89) the emulated recorder can hold; the value is the profile number.</summary>
public enum EmulatedProfile : ushort
{
    /// <summary>No medium (current profile 0000h).</summary>
    None = 0x0000,
    /// <summary>CD-R, 0009h.</summary>
    CdR = 0x0009,
    /// <summary>CD-RW, 000Ah.</summary>
    CdRw = 0x000A,
    /// <summary>DVD-R sequential recording, 0011h.</summary>
    DvdMinusR = 0x0011,
    /// <summary>DVD-RW sequential recording, 0014h (written like DVD-R, erased with BLANK).</summary>
    DvdMinusRwSequential = 0x0014,
    /// <summary>DVD+RW, 001Ah.</summary>
    DvdPlusRw = 0x001A,
    /// <summary>DVD+R, 001Bh.</summary>
    DvdPlusR = 0x001B,
    /// <summary>BD-R sequential recording mode, 0041h.</summary>
    BdR = 0x0041,
}

/// <summary>What is already on a medium when it is loaded.</summary>
public enum MediumState
{
    /// <summary>Nothing recorded (DVD+RW: unformatted).</summary>
    Blank,
    /// <summary>One closed session holding one data track; another session may be appended.</summary>
    Appendable,
    /// <summary>One closed session holding one data track; the disc is finalized (DVD+RW: formatted and full of data).</summary>
    Closed,
}

/// <summary>Facts per profile: family, default capacity, 1x rate, rated speeds.</summary>
public static class EmulatedProfiles
{
    /// <summary>1x user-data rate of CD Mode 1 (75 × 2048 bytes/s).</summary>
    public const double CdData1x = 153_600;
    /// <summary>1x rate of CD-DA (75 × 2352 bytes/s).</summary>
    public const double CdAudio1x = 176_400;
    /// <summary>1x rate of DVD (MMC: 1385 kB/s, kB = 1000 bytes).</summary>
    public const double Dvd1x = 1_385_000;
    /// <summary>1x rate of BD (MMC: 4495 kB/s).</summary>
    public const double Bd1x = 4_495_000;

    /// <summary>True for CD-R and CD-RW.</summary>
    public static bool IsCd(EmulatedProfile p) => p is EmulatedProfile.CdR or EmulatedProfile.CdRw;

    /// <summary>True for the DVD profiles.</summary>
    public static bool IsDvd(EmulatedProfile p) => p is EmulatedProfile.DvdMinusR or EmulatedProfile.DvdMinusRwSequential or EmulatedProfile.DvdPlusR or EmulatedProfile.DvdPlusRw;

    /// <summary>True for the sequentially recorded DVD "dash" media (DVD-R, DVD-RW sequential): page 05h, test write, closing finalizes.</summary>
    public static bool IsDash(EmulatedProfile p) => p is EmulatedProfile.DvdMinusR or EmulatedProfile.DvdMinusRwSequential;

    /// <summary>True for media BLANK erases (CD-RW, DVD-RW).</summary>
    public static bool IsBlankable(EmulatedProfile p) => p is EmulatedProfile.CdRw or EmulatedProfile.DvdMinusRwSequential;

    /// <summary>True for media the drive can erase or overwrite (CD-RW and DVD-RW by BLANK, DVD+RW by FORMAT UNIT).</summary>
    public static bool IsErasable(EmulatedProfile p) => p is EmulatedProfile.CdRw or EmulatedProfile.DvdMinusRwSequential or EmulatedProfile.DvdPlusRw;

    /// <summary>Default capacity in blocks of a blank medium: CD 80 min (360,000), DVD 4.7 GB, BD 25 GB (<see cref="MediaCapacity"/>).</summary>
    public static long DefaultCapacity(EmulatedProfile p) => p switch
    {
        EmulatedProfile.CdR or EmulatedProfile.CdRw => MediaCapacity.Sectors(MediaKind.Cd80),
        EmulatedProfile.DvdMinusR or EmulatedProfile.DvdMinusRwSequential or EmulatedProfile.DvdPlusR or EmulatedProfile.DvdPlusRw => MediaCapacity.Sectors(MediaKind.Dvd),
        EmulatedProfile.BdR => MediaCapacity.Sectors(MediaKind.Bd25),
        _ => 0,
    };

    /// <summary>Bytes per second at 1x for user data of <paramref name="blockSize"/> on <paramref name="p"/>.</summary>
    public static double OneX(EmulatedProfile p, int blockSize) =>
        IsCd(p) ? (blockSize == MediaCapacity.AudioBlockSize ? CdAudio1x : CdData1x)
        : IsDvd(p) ? Dvd1x : Bd1x;

    /// <summary>1x in the kB/s (1000 bytes) that MMC speed fields use: CD 176 (MMC rounds 176.4), DVD 1385, BD 4495.</summary>
    public static int OneXKilobytes(EmulatedProfile p) => IsCd(p) ? 176 : IsDvd(p) ? 1385 : 4495;

    /// <summary>Write speeds (multiples of 1x) a drive of this family offers, fastest first.</summary>
    public static IReadOnlyList<int> RatedSpeeds(EmulatedProfile p) =>
        IsCd(p) ? [52, 48, 40, 32, 24, 16, 10, 4]
        : IsDvd(p) ? [24, 16, 12, 8, 4]
        : [12, 10, 8, 6, 4, 2];

    /// <summary>
    /// A realistic highest read speed (multiples of 1x) of a recorder of this family reading a recorded disc: CD 40x,
    /// DVD 16x, BD 8x (CAV drives reach it at the outer edge; the emulator reads at it throughout).
    /// </summary>
    public static int DefaultReadSpeed(EmulatedProfile p) => IsCd(p) ? 40 : IsDvd(p) ? 16 : 8;

    /// <summary>ECC block in sectors: tracks on DVD (16) and BD (32) start on such a boundary; CD 1.</summary>
    public static int Blocking(EmulatedProfile p) => IsCd(p) ? 1 : IsDvd(p) ? 16 : 32;

    /// <summary>The spelling used in emulated: URLs: cd-r, cd-rw, dvd-r, dvd-rw, dvd+r, dvd+rw, bd-r, none.</summary>
    public static string Name(EmulatedProfile p) => p switch
    {
        EmulatedProfile.CdR => "cd-r",
        EmulatedProfile.CdRw => "cd-rw",
        EmulatedProfile.DvdMinusR => "dvd-r",
        EmulatedProfile.DvdMinusRwSequential => "dvd-rw",
        EmulatedProfile.DvdPlusR => "dvd+r",
        EmulatedProfile.DvdPlusRw => "dvd+rw",
        EmulatedProfile.BdR => "bd-r",
        _ => "none",
    };

    /// <summary>Parses <see cref="Name"/>'s spelling (case-insensitive; "cdr", "dvdr", "bdr" also accepted).</summary>
    public static bool TryParse(string? text, out EmulatedProfile profile)
    {
        profile = (text ?? "").Trim().ToLowerInvariant() switch
        {
            "cd-r" or "cdr" => EmulatedProfile.CdR,
            "cd-rw" or "cdrw" => EmulatedProfile.CdRw,
            "dvd-r" or "dvdr" => EmulatedProfile.DvdMinusR,
            "dvd-rw" or "dvdrw" => EmulatedProfile.DvdMinusRwSequential,
            "dvd+r" or "dvdplusr" => EmulatedProfile.DvdPlusR,
            "dvd+rw" or "dvdplusrw" => EmulatedProfile.DvdPlusRw,
            "bd-r" or "bdr" => EmulatedProfile.BdR,
            "none" or "empty" => EmulatedProfile.None,
            _ => (EmulatedProfile)0xFFFF,
        };
        return profile != (EmulatedProfile)0xFFFF;
    }
}
