using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Duplicator.Host.Configuration;

/// <summary>The <c>cluster</c> section (a floor of towers): <see cref="ClusterConfig"/>.</summary>
public static partial class ConfigLoader
{
    private static readonly string[] ClusterKeys =
    [
        "cluster", "cluster:tower", "cluster:host", "cluster:port", "cluster:seeds", "cluster:seeds:*", "cluster:roles", "cluster:roles:*",
        "cluster:failureDetectorPauseMs", "cluster:stableAfterMs", "cluster:downRemovalMarginMs",
    ];

    // Null when the config has no cluster section (the tower runs alone); problems are added one line per key.
    private static ClusterConfig? BindCluster(IConfiguration root, StorageConfig storage, List<string> problems)
    {
        var section = root.GetSection("cluster");
        if (!section.Exists()) return null;

        var tower = section["tower"];
        if (string.IsNullOrWhiteSpace(tower))
            problems.Add("cluster:tower: missing (this tower's id on the floor: 1-32 letters, digits, '-' or '_')");
        else if (!DriveId().IsMatch(tower))
            problems.Add($"cluster:tower: '{tower}' must be 1-32 letters, digits, '-' or '_'");

        var host = section["host"];
        if (string.IsNullOrWhiteSpace(host))
            problems.Add("cluster:host: missing (the address the other towers reach this one at)");
        else if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
            problems.Add($"cluster:host: '{host}' is not a host name or an IP address");

        int port = 0;
        var portText = section["port"];
        if (string.IsNullOrEmpty(portText))
            problems.Add("cluster:port: missing (remoting's TCP port, 1 to 65535)");
        else if (!int.TryParse(portText, NumberStyles.Integer, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            problems.Add($"cluster:port: '{portText}' is not a whole number from 1 to 65535");

        var seeds = new List<Uri>();
        var seedEntries = section.GetSection("seeds").GetChildren().ToList();
        if (seedEntries.Count == 0)
            problems.Add($"cluster:seeds: at least one seed node is required (akka.tcp://{ClusterConfig.SystemName}@HOST:PORT)");
        else if (seedEntries.Count > ClusterConfig.MaxSeeds)
            problems.Add($"cluster:seeds: {seedEntries.Count} seed nodes, at most {ClusterConfig.MaxSeeds}");
        else
            foreach (var seed in seedEntries)
            {
                if (ParseSeed(seed.Value) is { } why) problems.Add($"cluster:seeds:{seed.Key}: {why}");
                else seeds.Add(new Uri(seed.Value!));
            }

        var roles = new List<string>();
        var roleEntries = section.GetSection("roles").GetChildren().ToList();
        if (roleEntries.Count > ClusterConfig.MaxRoles)
            problems.Add($"cluster:roles: {roleEntries.Count} roles, at most {ClusterConfig.MaxRoles}");
        else
            foreach (var role in roleEntries)
            {
                if (string.IsNullOrEmpty(role.Value) || !DriveId().IsMatch(role.Value))
                    problems.Add($"cluster:roles:{role.Key}: '{role.Value}' must be 1-32 letters, digits, '-' or '_'");
                else roles.Add(role.Value);
            }

        TimeSpan Millis(string key, TimeSpan fallback, int min, int max)
        {
            var v = section[key];
            if (string.IsNullOrEmpty(v)) return fallback;
            if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms >= min && ms <= max) return TimeSpan.FromMilliseconds(ms);
            problems.Add($"cluster:{key}: '{v}' is not a whole number of milliseconds from {min} to {max}");
            return fallback;
        }
        var pause = Millis("failureDetectorPauseMs", ClusterConfig.DefaultFailureDetectorPause, 500, 60_000);
        var stable = Millis("stableAfterMs", ClusterConfig.DefaultStableAfter, 500, 120_000);
        var margin = Millis("downRemovalMarginMs", ClusterConfig.DefaultDownRemovalMargin, 0, 120_000);

        // One SQLite file cannot be shared by hosts: every tower of a floor writes the same PostgreSQL ledger.
        if (!StorageConfig.IsPostgres(storage.Provider))
            problems.Add($"cluster: requires storage:provider 'postgres' (is '{storage.Provider}'): the towers of a floor share one PostgreSQL ledger, and one SQLite file cannot be shared by hosts");

        return new ClusterConfig(tower ?? "", host ?? "", port, seeds, roles, pause, stable, margin);
    }

    // Null when <paramref name="seed"/> is akka.tcp://duplicator@HOST:PORT, else what is wrong.
    private static string? ParseSeed(string? seed)
    {
        var form = $"akka.tcp://{ClusterConfig.SystemName}@HOST:PORT";
        if (string.IsNullOrWhiteSpace(seed)) return $"empty (a seed is {form})";
        var shown = seed.Length > 200 ? seed[..200] + "..." : seed;
        var m = SeedPattern().Match(seed);
        if (!m.Success) return $"'{shown}' is not {form}";
        if (!string.Equals(m.Groups["system"].Value, ClusterConfig.SystemName, StringComparison.Ordinal))
            return $"'{shown}' names the actor system '{m.Groups["system"].Value}', not '{ClusterConfig.SystemName}' ({form})";
        if (Uri.CheckHostName(m.Groups["host"].Value.Trim('[', ']')) == UriHostNameType.Unknown)
            return $"'{shown}': '{m.Groups["host"].Value}' is not a host name or an IP address";
        if (!int.TryParse(m.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            return $"'{shown}': port '{m.Groups["port"].Value}' is not from 1 to 65535";
        return Uri.TryCreate(seed, UriKind.Absolute, out _) ? null : $"'{shown}' is not {form}";
    }

    [GeneratedRegex(@"^akka\.tcp://(?<system>[^@/]+)@(?<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]@]+):(?<port>\d{1,6})$")]
    private static partial Regex SeedPattern();
}
