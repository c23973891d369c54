using System.Text.Json;
using Duplicator.Actors.Batches;

namespace Duplicator.Host.Jobs;

/// <summary>The <c>expect</c> key of a job document (docs/jobs.md, "Checking the loaded disc").</summary>
public static partial class JobRequestParser
{
    private static readonly HashSet<string> ExpectKeys = new(StringComparer.Ordinal) { "volume", "file" };

    /// <summary>
    /// <c>expect</c> (<see cref="Schema2"/> or no schema): <c>{ "volume": "INVOICES_2026", "file": "/README.TXT" }</c>, what the
    /// disc loaded for a verify-only job must be before it is read (<see cref="DiscIdentity"/>); null when absent. The file
    /// is a path on the disc, checked as one (never resolved on the host).
    /// </summary>
    internal static DiscIdentity? ReadExpect(JsonElement root, string? schema, JobSourceKind kind, Action<string> problem, bool appends = false)
    {
        if (!root.TryGetProperty("expect", out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (schema == Schema)
        {
            problem($"expect: checking the loaded disc needs schema '{Schema2}'");
            return null;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            problem("expect: must be an object { volume, file }");
            return null;
        }
        if (kind != JobSourceKind.Verify && !appends)
        {
            problem("expect: only a verify-only job (verifyAgainst) or an append job checks the disc it is given; the other jobs write blank media or read any disc");
            return null;
        }
        foreach (var p in e.EnumerateObject())
            if (!ExpectKeys.Contains(p.Name))
                problem($"expect.{Show(p.Name)}: unknown key (known: {string.Join(", ", ExpectKeys.Order(StringComparer.Ordinal))})");
        string? Text(string key, int max)
        {
            if (!e.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.String)
            {
                problem($"expect.{key}: must be a string");
                return null;
            }
            var s = v.GetString()!;
            if (s.Length > max)
            {
                problem($"expect.{key}: {s.Length} characters, at most {max}");
                return null;
            }
            return s;
        }
        var identity = new DiscIdentity(Text("volume", DiscIdentity.MaxVolumeChars), Text("file", DiscIdentity.MaxFileChars));
        if (identity.Refusal() is { } why)
        {
            problem(why);
            return null;
        }
        return identity;
    }
}
