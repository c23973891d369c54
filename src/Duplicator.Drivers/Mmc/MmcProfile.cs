namespace Duplicator.Drivers.Mmc;

/// <summary>MMC-6 Table 91 profiles this project meets.</summary>
public enum MmcProfile : ushort
{
    /// <summary>No current profile (no medium).</summary>
    None = 0x0000,
    /// <summary>CD-ROM.</summary>
    CdRom = 0x0008,
    /// <summary>CD-R.</summary>
    CdR = 0x0009,
    /// <summary>CD-RW.</summary>
    CdRw = 0x000A,
    /// <summary>DVD-ROM.</summary>
    DvdRom = 0x0010,
    /// <summary>DVD-R sequential recording.</summary>
    DvdMinusR = 0x0011,
    /// <summary>DVD-RW restricted overwrite.</summary>
    DvdMinusRwRestricted = 0x0013,
    /// <summary>DVD-RW sequential recording.</summary>
    DvdMinusRwSequential = 0x0014,
    /// <summary>DVD+RW.</summary>
    DvdPlusRw = 0x001A,
    /// <summary>DVD+R.</summary>
    DvdPlusR = 0x001B,
    /// <summary>DVD+R dual layer.</summary>
    DvdPlusRDl = 0x002B,
    /// <summary>BD-ROM.</summary>
    BdRom = 0x0040,
    /// <summary>BD-R sequential recording.</summary>
    BdR = 0x0041,
    /// <summary>BD-RE.</summary>
    BdRe = 0x0043,
}

/// <summary>Names and families of profiles.</summary>
public static class MmcProfiles
{
    /// <summary>The usual name, e.g. "DVD+R".</summary>
    public static string Name(MmcProfile p) => p switch
    {
        MmcProfile.None => "no medium",
        MmcProfile.CdRom => "CD-ROM",
        MmcProfile.CdR => "CD-R",
        MmcProfile.CdRw => "CD-RW",
        MmcProfile.DvdRom => "DVD-ROM",
        MmcProfile.DvdMinusR => "DVD-R",
        MmcProfile.DvdMinusRwRestricted or MmcProfile.DvdMinusRwSequential => "DVD-RW",
        MmcProfile.DvdPlusRw => "DVD+RW",
        MmcProfile.DvdPlusR => "DVD+R",
        MmcProfile.DvdPlusRDl => "DVD+R DL",
        MmcProfile.BdRom => "BD-ROM",
        MmcProfile.BdR => "BD-R",
        MmcProfile.BdRe => "BD-RE",
        _ => $"profile {(ushort)p:X4}h",
    };

    /// <summary>CD media.</summary>
    public static bool IsCd(MmcProfile p) => p is MmcProfile.CdR or MmcProfile.CdRw or MmcProfile.CdRom;

    /// <summary>Media a data disc can be recorded on sequentially by this project.</summary>
    public static bool IsWritable(MmcProfile p) =>
        p is MmcProfile.CdR or MmcProfile.CdRw or MmcProfile.DvdMinusR or MmcProfile.DvdMinusRwSequential or MmcProfile.DvdPlusR or MmcProfile.DvdPlusRDl or MmcProfile.BdR;

    /// <summary>Rewritable media.</summary>
    public static bool IsRewritable(MmcProfile p) => p is MmcProfile.CdRw or MmcProfile.DvdPlusRw or MmcProfile.DvdMinusRwRestricted or MmcProfile.DvdMinusRwSequential or MmcProfile.BdRe;
}
