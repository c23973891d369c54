using System.Collections.Immutable;
using System.Text.Json;
using Duplicator.Actors.Batches;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Jobs;

/// <summary>The <c>verify</c> and <c>accept</c> keys of a job document (docs/jobs.md, "Verify policy" and "Media rules").</summary>
public static partial class JobRequestParser
{
    private static readonly HashSet<string> VerifyKeys = new(StringComparer.Ordinal) { "mode", "every", "first", "escalateUntilGood" };
    private static readonly HashSet<string> AcceptKeys = new(StringComparer.Ordinal) { "profiles", "minBlocks" };

    /// <summary>
    /// <c>verify</c>: <c>true</c>/<c>false</c> (both schemas: every disc in full, or none), or in <see cref="Schema2"/> (or a
    /// document naming no schema) a level <c>"none"|"quick"|"full"</c> or an object
    /// <c>{ "mode": level, "every": N, "first": bool, "escalateUntilGood": K }</c>. Returns the flag and the policy (null: the flag alone).
    /// </summary>
    internal static (bool? Flag, VerifyPolicy? Policy) ReadVerify(JsonElement root, string? schema, Action<string> problem)
    {
        if (!root.TryGetProperty("verify", out var v) || v.ValueKind == JsonValueKind.Null) return (null, null);
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return (v.GetBoolean(), null);
        if (v.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
        {
            problem("verify: must be true, false, \"none\", \"quick\", \"full\" or an object { mode, every, first, escalateUntilGood }");
            return (null, null);
        }
        if (schema == Schema)
        {
            problem($"verify: a level or a sampling policy needs schema '{Schema2}' (in '{Schema}' verify is true or false)");
            return (null, null);
        }
        VerifyMode? Mode(JsonElement e, string key)
        {
            if (e.ValueKind == JsonValueKind.String)
                switch (e.GetString())
                {
                    case "none": return VerifyMode.None;
                    case "quick": return VerifyMode.Quick;
                    case "full": return VerifyMode.Full;
                }
            problem($"{key}: {Show(e.GetRawText())} is not \"none\", \"quick\" (disc and track information and a sample of sectors) or \"full\" (every sector)");
            return null;
        }
        if (v.ValueKind == JsonValueKind.String)
            return Mode(v, "verify") is { } m ? (m != VerifyMode.None, new VerifyPolicy(m)) : (null, null);

        foreach (var p in v.EnumerateObject())
            if (!VerifyKeys.Contains(p.Name))
                problem($"verify.{Show(p.Name)}: unknown key (known: {string.Join(", ", VerifyKeys.Order(StringComparer.Ordinal))})");
        VerifyMode mode = VerifyMode.Full;
        if (v.TryGetProperty("mode", out var me) && Mode(me, "verify.mode") is { } given) mode = given;
        int every = ObjectInt(v, "verify.every", "every", 0, VerifyPolicy.MaxEvery, problem) ?? 0;
        int escalate = ObjectInt(v, "verify.escalateUntilGood", "escalateUntilGood", 0, VerifyPolicy.MaxEvery, problem) ?? 3;
        bool first = false;
        if (v.TryGetProperty("first", out var fe))
        {
            if (fe.ValueKind is JsonValueKind.True or JsonValueKind.False) first = fe.GetBoolean();
            else problem("verify.first: must be true or false");
        }
        var policy = new VerifyPolicy(mode, every, first, escalate);
        if (policy.Refusal() is { } why) problem($"verify: {why}");
        return (mode != VerifyMode.None, policy);
    }

    /// <summary>
    /// <c>accept</c> (<see cref="Schema2"/> or no schema): <c>{ "profiles": ["DVD+R", ...], "minBlocks": N | "dvd" }</c>, the
    /// media a batch accepts (see <see cref="MediaRules"/>); null when absent.
    /// </summary>
    internal static MediaRules? ReadAccept(JsonElement root, string? schema, Action<string> problem)
    {
        if (!root.TryGetProperty("accept", out var a) || a.ValueKind == JsonValueKind.Null) return null;
        if (schema == Schema)
        {
            problem($"accept: media rules need schema '{Schema2}'");
            return null;
        }
        if (a.ValueKind != JsonValueKind.Object)
        {
            problem("accept: must be an object { profiles, minBlocks }");
            return null;
        }
        foreach (var p in a.EnumerateObject())
            if (!AcceptKeys.Contains(p.Name))
                problem($"accept.{Show(p.Name)}: unknown key (known: {string.Join(", ", AcceptKeys.Order(StringComparer.Ordinal))})");
        var profiles = ImmutableArray<string>.Empty;
        if (a.TryGetProperty("profiles", out var pe))
        {
            if (pe.ValueKind != JsonValueKind.Array) problem("accept.profiles: must be an array of profile names");
            else if (pe.GetArrayLength() > MediaRules.MaxProfiles) problem($"accept.profiles: {pe.GetArrayLength()} entries, at most {MediaRules.MaxProfiles}");
            else
            {
                var list = new List<string>();
                int i = 0;
                foreach (var e in pe.EnumerateArray())
                {
                    var name = e.ValueKind == JsonValueKind.String ? e.GetString()! : null;
                    if (name is null || !MediaRules.KnownProfiles.Contains(name, StringComparer.OrdinalIgnoreCase))
                        problem($"accept.profiles[{i}]: {Show(e.GetRawText())} is not one of {string.Join(", ", MediaRules.KnownProfiles)}");
                    else list.Add(MediaRules.KnownProfiles.First(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)));
                    i++;
                }
                profiles = [.. list];
            }
        }
        long minBlocks = 0;
        if (a.TryGetProperty("minBlocks", out var mb))
        {
            if (mb.ValueKind == JsonValueKind.Number && mb.TryGetInt64(out var n) && n is >= 0 and <= uint.MaxValue) minBlocks = n;
            else if (mb.ValueKind == JsonValueKind.String && MediaCapacity.TryParse(mb.GetString(), out var kind)) minBlocks = MediaCapacity.Sectors(kind);
            else problem($"accept.minBlocks: {Show(mb.GetRawText())} is not a number of blocks from 0 to {uint.MaxValue} or one of cd74, cd80, dvd, dvd-dl, bd25, bd50");
        }
        return new MediaRules(profiles, minBlocks);
    }

    private static int? ObjectInt(JsonElement o, string name, string key, int min, int max, Action<string> problem)
    {
        if (!o.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= min && i <= max) return i;
        problem($"{name}: {Show(v.GetRawText())} is not a whole number from {min} to {max}");
        return null;
    }
}
