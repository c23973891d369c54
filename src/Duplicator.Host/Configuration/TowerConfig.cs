namespace Duplicator.Host.Configuration;

/// <summary>
/// The tower host's configuration (config/duplicator.json, overridden by DUPLICATOR_* environment
/// variables). Relative paths are resolved against the working directory the host starts in.
/// </summary>
/// <param name="Name">A name for the tower, shown in status output.</param>
/// <param name="Drives">The recorders: SG paths, iscsi:// URLs or emulated: URLs.</param>
/// <param name="Storage">Where the batch ledger lives.</param>
/// <param name="StashDirectory">Where staged images (the IMAPI stash) are kept.</param>
/// <param name="Defaults">Batch options used when a job does not say.</param>
/// <param name="Control">The HTTP/JSON control endpoint.</param>
/// <param name="HotFolder">The hot folder of job files.</param>
/// <param name="LogLevel">Minimum log level (Trace, Debug, Information, Warning, Error).</param>
/// <param name="LogFormat">"text" (one line per entry) or "json" (one JSON object per line, for journald and log collectors).</param>
public sealed record TowerConfig(
    string Name,
    IReadOnlyList<DriveConfig> Drives,
    StorageConfig Storage,
    string StashDirectory,
    BatchDefaults Defaults,
    ControlConfig Control,
    HotFolderConfig HotFolder,
    string LogLevel,
    string LogFormat = "text")
{
    /// <summary>This tower's place in a floor of towers (config section <c>cluster</c>); null: the tower runs alone.</summary>
    public ClusterConfig? Cluster { get; init; }
}

/// <summary>One recorder of the tower.</summary>
/// <param name="Id">Short unique name used in logs, the API and disc paths (letters, digits, '-', '_').</param>
/// <param name="Url">/dev/sg*, /dev/sr*, iscsi://host:port/iqn/lun or emulated:profile?speed=..&amp;dir=..</param>
public sealed record DriveConfig(string Id, string Url);

/// <summary>The ledger's database.</summary>
/// <param name="Provider">"sqlite" (default: one file, one tower) or "postgres" (a PostgreSQL database; "postgresql" too).</param>
/// <param name="ConnectionString">Full connection string; for SQLite built from <paramref name="Path"/> when empty.</param>
/// <param name="Path">SQLite file path (ignored when a connection string is given).</param>
public sealed record StorageConfig(string Provider, string? ConnectionString, string Path)
{
    /// <summary>Whether <paramref name="provider"/> names the SQLite ledger.</summary>
    public static bool IsSqlite(string provider) => string.Equals(provider, "sqlite", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="provider"/> names the PostgreSQL ledger.</summary>
    public static bool IsPostgres(string provider) =>
        string.Equals(provider, "postgres", StringComparison.OrdinalIgnoreCase) || string.Equals(provider, "postgresql", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Batch options a job inherits unless it sets them.</summary>
/// <param name="Verify">Read every disc back and compare its SHA-256 with the image.</param>
/// <param name="Speed">Write speed as a multiple of 1x; 0 = the drive's maximum.</param>
/// <param name="FailedDiscThreshold">A batch stops after this many failed discs (0 = never).</param>
/// <param name="QuarantineAfter">A drive that fails this many discs in a row is quarantined.</param>
/// <param name="RejectIfNotBlank">Refuse media that is not blank instead of appending to it.</param>
public sealed record BatchDefaults(bool Verify, int Speed, int FailedDiscThreshold, int QuarantineAfter, bool RejectIfNotBlank);

/// <summary>The control endpoint.</summary>
/// <param name="Listen">http://address:port; loopback by default.</param>
/// <param name="Token">Bearer token; required when <paramref name="Listen"/> is not a loopback address.</param>
/// <param name="AllowedRoots">Source paths named by requests must lie under one of these folders; none: requests may name no file.</param>
/// <param name="AllowedHosts">Names a request's Host header may carry besides the listen address (and, on loopback, localhost).</param>
public sealed record ControlConfig(string Listen, string? Token, IReadOnlyList<string> AllowedRoots, IReadOnlyList<string>? AllowedHosts = null);

/// <summary>The hot folder.</summary>
/// <param name="Enabled">Watch the folder for job files.</param>
/// <param name="Path">The folder.</param>
public sealed record HotFolderConfig(bool Enabled, string Path);
