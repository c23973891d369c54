namespace Duplicator.Mastering.Data;

/// <summary>
/// The file systems a data image carries (IMAPI2's IFileSystemImage.FileSystemsToCreate, as the choices
/// disc-publishing suites offer). The staging's AddData semantics are the same for every choice.
/// </summary>
public enum DataFileSystems
{
    /// <summary>ISO 9660 + Joliet: CD's file system, names under <see cref="JolietProperties.LongNames"/>. The default for CD.</summary>
    Joliet,

    /// <summary>
    /// ISO 9660 + Joliet + UDF 1.02 sharing every file's data (the DVD-ROM bridge). UDF carries every
    /// name in full (up to 255 bytes of OSTA CS0) and files of 4 GiB and more as one file; the Joliet side
    /// cuts names to fit (<see cref="JolietNamePolicy.Truncate"/>), so every file is reachable from both
    /// sides. The default for DVD.
    /// </summary>
    UdfBridge,

    /// <summary>
    /// Pure UDF 2.50 (no ISO 9660): the file structures in a metadata partition with its mirror, as BD-R and
    /// BD-RE readers expect; file data in the physical partition. Names up to 255 bytes of OSTA CS0.
    /// </summary>
    Udf,

    /// <summary>
    /// A UDF bridge laid out for DVD-Video players: VIDEO_TS and AUDIO_TS upper-cased, VIDEO_TS's files first
    /// and contiguous in player order, each one extent. A tree players would reject (no VIDEO_TS, an IFO
    /// without its BUP, a VOB over 1 GiB, a file DVD-Video does not name) fails with InvalidImage.
    /// </summary>
    DvdVideo,
}
