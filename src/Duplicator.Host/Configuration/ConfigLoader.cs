using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Duplicator.Host.Configuration;

/// <summary>The configuration was refused; <see cref="Problems"/> names each key and what is wrong.</summary>
public sealed class ConfigException(string source, IReadOnlyList<string> problems)
    : Exception(problems.Count == 1 ? $"{source}: invalid configuration: {problems[0]}"
        : $"{source}: invalid configuration:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems))
{
    /// <summary>One line per problem, each starting with the key it concerns.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Loads <see cref="TowerConfig"/> from a JSON file plus environment variables (prefix DUPLICATOR_,
/// sections separated by a double underscore: DUPLICATOR_control__listen). Unknown keys are errors, not
/// silently ignored: a misspelt key in a tower's config must not fall back to a default unnoticed.
/// </summary>
public static partial class ConfigLoader
{
    /// <summary>Prefix of environment variables that override keys.</summary>
    public const string EnvironmentPrefix = "DUPLICATOR_";

    /// <summary>
    /// Variables of the prefix that are switches of the process, not config keys (DUPLICATOR_TRACE=1: an unexpected
    /// failure's stack trace; DUPLICATOR_TIMING=1: master's phase times); without this list, setting one made every
    /// config refuse to load ("TRACE: unknown key").
    /// </summary>
    public static readonly IReadOnlySet<string> ProcessSwitches = new HashSet<string>([TraceSwitch, TimingSwitch], StringComparer.OrdinalIgnoreCase);

    /// <summary>The switch that adds an unexpected failure's stack trace to its one line (<c>=1</c>).</summary>
    public const string TraceSwitch = EnvironmentPrefix + "TRACE";

    /// <summary>The switch that makes <c>master</c> print its phase times (<c>=1</c>).</summary>
    public const string TimingSwitch = EnvironmentPrefix + "TIMING";

    private static readonly string[] KnownKeys =
    [
        "name", "drives", "drives:*", "drives:*:id", "drives:*:url",
        "storage", "storage:provider", "storage:connectionString", "storage:path",
        "stash",
        "defaults", "defaults:verify", "defaults:speed", "defaults:failedDiscThreshold", "defaults:quarantineAfter", "defaults:rejectIfNotBlank",
        "control", "control:listen", "control:token", "control:allowedRoots", "control:allowedRoots:*", "control:allowedHosts", "control:allowedHosts:*",
        "hotFolder", "hotFolder:enabled", "hotFolder:path",
        "logging", "logging:level", "logging:format",
    ];

    /// <summary>Largest config file read (a tower's config is a few kilobytes; 1 MiB leaves room for comments).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>At most this many problems are listed; the rest are counted.</summary>
    public const int MaxProblems = 50;

    /// <summary>
    /// Loads and validates; throws <see cref="ConfigException"/> listing every problem. The file must be a
    /// regular file of at most <see cref="MaxFileBytes"/> bytes (a FIFO or a device would block or never
    /// end); every drive URL is parsed with the drivers' own parser, drive ids are unique and no two
    /// emulated drives write to the same folder.
    /// </summary>
    public static TowerConfig Load(string path, IDictionary<string, string?>? environment = null)
    {
        var builder = new ConfigurationBuilder();
        builder.AddJsonStream(new MemoryStream(ReadBounded(path)));
        var env = environment ?? Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        builder.AddInMemoryCollection(env
            .Where(kv => kv.Key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && !ProcessSwitches.Contains(kv.Key))
            .Select(kv => new KeyValuePair<string, string?>(kv.Key[EnvironmentPrefix.Length..].Replace("__", ":"), kv.Value)));
        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (Exception e)
        {
            throw new ConfigException(path, [$"(file): {e.InnerException?.Message ?? e.Message}"]);
        }
        return Bind(root, path);
    }

    // Reads the whole file, refusing what is not a regular file and stopping one byte past the limit, so
    // neither a FIFO nor /dev/zero nor a huge file is ever read without end.
    private static byte[] ReadBounded(string path)
    {
        if (string.IsNullOrWhiteSpace(path) || path.Contains('\0'))
            throw new ConfigException(path, ["(file): the config path is empty or holds a NUL character"]);
        var id = Duplicator.Mastering.Images.FileIdentity.Of(path);
        if (id.Kind == Duplicator.Mastering.Images.FileKind.Missing)
            throw new ConfigException(path, ["(file): not found"]);
        if (id.Kind != Duplicator.Mastering.Images.FileKind.Regular)
            throw new ConfigException(path, [$"(file): it is {Duplicator.Mastering.Images.FileIdentity.Describe(id.Kind)}, not a regular file"]);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[Math.Min(MaxFileBytes + 1, Math.Max(0, stream.Length) + 1)];
            int total = 0, n;
            while (total < buffer.Length && (n = stream.Read(buffer, total, buffer.Length - total)) > 0)
                total += n;
            if (total > MaxFileBytes)
                throw new ConfigException(path, [$"(file): larger than {MaxFileBytes} bytes, the limit of a config file"]);
            return buffer[..total];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, [$"(file): cannot be read: {e.Message}"]);
        }
    }

    private static TowerConfig Bind(IConfiguration root, string source)
    {
        var problems = new List<string>();
        foreach (var kv in root.AsEnumerable())
        {
            var pattern = NumericSegment().Replace(kv.Key, ":*");
            if (!KnownKeys.Contains(pattern, StringComparer.OrdinalIgnoreCase) && !ClusterKeys.Contains(pattern, StringComparer.OrdinalIgnoreCase))
                problems.Add($"{kv.Key}: unknown key");
        }

        string Str(string key, string fallback) => root[key] is { Length: > 0 } v ? v : fallback;
        bool Bool(string key, bool fallback)
        {
            var v = root[key];
            if (string.IsNullOrEmpty(v)) return fallback;
            if (bool.TryParse(v, out var b)) return b;
            problems.Add($"{key}: '{v}' is not true or false");
            return fallback;
        }
        int Int(string key, int fallback, int min, int max)
        {
            var v = root[key];
            if (string.IsNullOrEmpty(v)) return fallback;
            if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= min && i <= max) return i;
            problems.Add($"{key}: '{v}' is not a whole number from {min} to {max}");
            return fallback;
        }

        var drives = new List<DriveConfig>();
        var emulatedFolders = new Dictionary<string, string>(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        foreach (var child in root.GetSection("drives").GetChildren())
        {
            var key = $"drives:{child.Key}";
            var id = child["id"];
            var url = child["url"];
            if (string.IsNullOrWhiteSpace(id) || !DriveId().IsMatch(id))
                problems.Add($"{key}:id: '{id}' must be 1-32 letters, digits, '-' or '_'");
            else if (drives.Any(d => string.Equals(d.Id, id, StringComparison.OrdinalIgnoreCase)))
                problems.Add($"{key}:id: '{id}' is used by another drive");
            if (string.IsNullOrWhiteSpace(url))
                problems.Add($"{key}:url: missing (a /dev/sg* or /dev/sr* path, iscsi://host:port/iqn/lun, or emulated:profile)");
            else if (!(url.StartsWith("/dev/", StringComparison.Ordinal) || url.StartsWith("iscsi://", StringComparison.OrdinalIgnoreCase)
                       || url.StartsWith("emulated:", StringComparison.OrdinalIgnoreCase)))
                problems.Add($"{key}:url: '{url}' is not a /dev/ path, an iscsi:// URL or an emulated: URL");
            else
            {
                // The drivers' own parser, now: a URL that would fail when the drive opens fails the config.
                try
                {
                    if (Duplicator.Drivers.Imapi.RecorderLocator.Validate(url) is { } emulated)
                    {
                        var folder = Path.Combine(Duplicator.Mastering.Images.FileIdentity.Resolve(emulated.OutputDirectory), emulated.Name);
                        if (emulatedFolders.TryGetValue(folder, out var other))
                            problems.Add($"{key}:url: drive '{id}' writes its discs to {folder}, as drive '{other}' does; give each emulated drive its own name= or dir=");
                        else
                            emulatedFolders[folder] = id ?? key;
                    }
                }
                catch (Duplicator.Mastering.Imapi.ImapiException e)
                {
                    problems.Add($"{key}:url: {e.Message}");
                }
            }
            drives.Add(new DriveConfig(id ?? "", url ?? ""));
        }
        if (drives.Count == 0)
            problems.Add("drives: at least one drive is required");
        if (drives.Count > 64)
            problems.Add($"drives: {drives.Count} drives, at most 64 are supported");

        var provider = Str("storage:provider", "sqlite");
        var storage = new StorageConfig(provider, root["storage:connectionString"], Str("storage:path", "var/ledger.db"));
        if (!StorageConfig.IsSqlite(provider) && !StorageConfig.IsPostgres(provider))
            problems.Add($"storage:provider: '{provider}' is not one of sqlite, postgres");
        else if (StorageConfig.IsPostgres(provider))
        {
            if (string.IsNullOrWhiteSpace(storage.ConnectionString))
                problems.Add($"storage:connectionString: required for provider '{provider}'");
            else
            {
                try
                {
                    Serving.PostgresLedger.Describe(storage.ConnectionString);
                }
                catch (ArgumentException e)
                {
                    // Npgsql's messages name the keyword, never a value: the password stays out of the log.
                    problems.Add($"storage:connectionString: not a PostgreSQL connection string: {e.Message}");
                }
            }
        }
        if (StorageConfig.IsSqlite(provider) && string.IsNullOrWhiteSpace(storage.ConnectionString))
        {
            if (storage.Path.Contains('\0'))
                problems.Add("storage:path: holds a NUL character");
            else if (Duplicator.Mastering.Images.FileIdentity.Of(storage.Path) is var ledger && ledger.Kind is not (Duplicator.Mastering.Images.FileKind.Missing or Duplicator.Mastering.Images.FileKind.Regular))
                problems.Add($"storage:path: '{storage.Path}' is {Duplicator.Mastering.Images.FileIdentity.Describe(ledger.Kind)}, not a ledger file");
        }

        var cluster = BindCluster(root, storage, problems);

        var defaults = new BatchDefaults(
            Bool("defaults:verify", true),
            Int("defaults:speed", 0, 0, 64),
            Int("defaults:failedDiscThreshold", 3, 0, 1_000_000),
            Int("defaults:quarantineAfter", 3, 1, 1000),
            Bool("defaults:rejectIfNotBlank", true));

        var listen = Str("control:listen", "http://127.0.0.1:8750");
        var token = root["control:token"];
        if (!Uri.TryCreate(listen, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.Port <= 0)
            problems.Add($"control:listen: '{listen}' is not http://address:port");
        else if (!IsLoopback(uri.Host) && string.IsNullOrWhiteSpace(token))
            problems.Add($"control:token: required because control:listen '{listen}' is not a loopback address");
        var roots = root.GetSection("control:allowedRoots").GetChildren().Select(c => c.Value ?? "").Where(v => v.Length > 0).ToList();

        var level = Str("logging:level", "Information");
        if (!Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(level, ignoreCase: true, out _))
            problems.Add($"logging:level: '{level}' is not one of Trace, Debug, Information, Warning, Error, Critical, None");
        var logFormat = Str("logging:format", "text");
        if (logFormat is not ("text" or "json"))
            problems.Add($"logging:format: '{logFormat}' is not text or json");

        if (problems.Count > MaxProblems)
            problems = [.. problems.Take(MaxProblems), $"... and {problems.Count - MaxProblems} more problems"];
        if (problems.Count > 0)
            throw new ConfigException(source, problems);
        return new TowerConfig(
            Str("name", "tower"),
            drives,
            storage,
            Str("stash", "var/stash"),
            defaults,
            new ControlConfig(listen, token, roots,
                root.GetSection("control:allowedHosts").GetChildren().Select(c => c.Value ?? "").Where(v => v.Length > 0).ToList()),
            new HotFolderConfig(Bool("hotFolder:enabled", true), Str("hotFolder:path", "var/hotfolder")),
            level,
            logFormat)
        {
            Cluster = cluster,
        };
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    [GeneratedRegex(@":\d+(?=:|$)")]
    private static partial Regex NumericSegment();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex DriveId();
}
