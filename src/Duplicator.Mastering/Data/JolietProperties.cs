namespace Duplicator.Mastering.Data;

/// <summary>What to do with names Joliet cannot hold as they are.</summary>
public enum JolietNamePolicy
{
    /// <summary>
    /// Joliet as specified: at most 64 UCS-2 units, none of <c>* / : ; ? \</c> or control characters.
    /// Any other name fails AddData with BadJolietName listing every offending path. The default.
    /// </summary>
    Strict,

    /// <summary>
    /// Up to 103 UCS-2 units, as genisoimage/xorriso's "-joliet-long" (Windows and Linux readers accept
    /// it; it breaks the Joliet specification). Forbidden characters still fail with BadJolietName.
    /// </summary>
    Long103,

    /// <summary>
    /// Opt-in renaming: names are cut to 64 units keeping their extension (up to 16 units), forbidden
    /// characters become '_', and a clash that this causes is resolved with a "~N" suffix. The source
    /// name is never dropped: every file still appears, under its shortened name.
    /// </summary>
    Truncate,
}

/// <summary>IMAPI's Joliet properties (IJolietDiscMaster::Get/SetJolietProperties) and the name policy.</summary>
/// <param name="VolumeName">Volume label: the Joliet volume identifier keeps its first 16 characters, the ISO 9660 one an upper-case d-character form of its first 32.</param>
/// <param name="Publisher">Publisher identifier (up to 128 bytes in ISO 9660, 64 characters in Joliet).</param>
/// <param name="DataPreparer">Data preparer identifier.</param>
/// <param name="Application">Application identifier.</param>
/// <param name="CreationTime">Volume creation time; null = the moment <see cref="JolietStaging.Build"/> is called. Also the time of the root directory.</param>
/// <param name="LongNames">How names longer than Joliet allows are handled.</param>
public sealed record JolietProperties(
    string VolumeName = "DUPLICATOR",
    string? Publisher = null,
    string? DataPreparer = null,
    string Application = "DUPLICATOR",
    DateTimeOffset? CreationTime = null,
    JolietNamePolicy LongNames = JolietNamePolicy.Strict);
