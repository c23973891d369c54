using System.Collections.Immutable;
using System.Text.Json;
using Duplicator.Actors.Batches;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Jobs;

/// <summary>
/// The <c>perDisc</c> section of a job document (docs/jobs.md), parsed strictly: known keys once each, bounded values,
/// the CSV read (bounded, through <see cref="ValuesCsv"/>) and embedded, every template parsed and every row rendered
/// within its declared sizes, so that a batch that cannot give every disc its data is refused before anything is burned.
/// </summary>
public static class PerDiscSection
{
    /// <summary>Keys of the section.</summary>
    public static readonly IReadOnlySet<string> Keys = new HashSet<string>(StringComparer.Ordinal) { "serialStart", "values", "volume", "files", "onFailure" };

    private static readonly IReadOnlySet<string> FileKeys = new HashSet<string>(StringComparer.Ordinal) { "path", "maxBytes", "template" };

    /// <summary>Longest path of a per-disc file inside the image.</summary>
    public const int MaxPathLength = 255;

    /// <summary>
    /// Reads <paramref name="section"/>; <paramref name="checkValuesPath"/> resolves and admits the CSV's path (allowed
    /// roots) or returns null having said why. Problems go to <paramref name="problem"/>; the result is null when there was one.
    /// </summary>
    public static PerDiscSpec? Read(JsonElement section, Func<string, string?> checkValuesPath, JobSourceKind source, int copies, string? batchId,
        Action<string> problem)
    {
        int before = 0;
        void Problem(string p)
        {
            before++;
            problem(p);
        }
        if (section.ValueKind != JsonValueKind.Object)
        {
            Problem("perDisc: must be an object (serialStart, values, volume, files, onFailure)");
            return null;
        }
        CheckKeys(section, "perDisc", Keys, Problem);
        if (source != JobSourceKind.Folder) Problem("perDisc: only for folder jobs (the per-disc files are mastered into the folder's image)");

        long serialStart = 1;
        if (section.TryGetProperty("serialStart", out var ss) && ss.ValueKind != JsonValueKind.Null)
        {
            if (ss.ValueKind == JsonValueKind.Number && ss.TryGetInt64(out var s) && s is >= 0 and <= PerDiscSpec.MaxSerial) serialStart = s;
            else Problem($"perDisc.serialStart: {Show(ss.GetRawText())} is not a whole number from 0 to {PerDiscSpec.MaxSerial}");
        }

        var failed = FailedSerial.Void;
        var onFailure = String(section, "onFailure", 16, Problem);
        if (onFailure is "reissue") failed = FailedSerial.Reissue;
        else if (onFailure is not (null or "void")) Problem($"perDisc.onFailure: '{Show(onFailure)}' is not void (a failed disc's serial is never used again) or reissue (its remake gets it)");

        var volume = String(section, "volume", DiscTemplate.MaxLength, Problem);

        ValuesCsv? csv = null;
        string? valuesName = null;
        if (String(section, "values", JobRequestParser.MaxPathBytes, Problem) is { } valuesPath)
        {
            valuesName = Path.GetFileName(valuesPath);
            if (checkValuesPath(valuesPath) is { } full)
            {
                try
                {
                    csv = ValuesCsv.Load(full);
                }
                catch (ImapiException e)
                {
                    Problem($"perDisc.values: {e.ImapiName}: {e.Message}");
                }
            }
        }

        var files = ImmutableArray.CreateBuilder<PerDiscFileSpec>();
        if (section.TryGetProperty("files", out var fv) && fv.ValueKind != JsonValueKind.Null)
        {
            if (fv.ValueKind != JsonValueKind.Array) Problem("perDisc.files: must be an array of { path, maxBytes, template }");
            else if (fv.GetArrayLength() > JolietStaging.MaxPerDiscFiles) Problem($"perDisc.files: {fv.GetArrayLength()} files, at most {JolietStaging.MaxPerDiscFiles}");
            else
            {
                int i = 0;
                foreach (var f in fv.EnumerateArray())
                {
                    var key = $"perDisc.files[{i++}]";
                    if (f.ValueKind != JsonValueKind.Object)
                    {
                        Problem($"{key}: must be an object {{ path, maxBytes, template }}");
                        continue;
                    }
                    CheckKeys(f, key, FileKeys, Problem);
                    var path = String(f, "path", MaxPathLength, Problem, key);
                    var template = String(f, "template", DiscTemplate.MaxLength, Problem, key);
                    int maxBytes = 0;
                    if (f.TryGetProperty("maxBytes", out var mb) && mb.ValueKind == JsonValueKind.Number && mb.TryGetInt32(out var m) && m is >= 1 and <= JolietStaging.MaxPerDiscFileBytes)
                        maxBytes = m;
                    else Problem($"{key}.maxBytes: {(f.TryGetProperty("maxBytes", out var raw) ? Show(raw.GetRawText()) : "missing")}: a whole number from 1 to {JolietStaging.MaxPerDiscFileBytes}");
                    if (path is null || template is null) Problem($"{key}: path and template are required");
                    else if (path.Split('/').Any(p => p.Length == 0 || p is "." or ".." || p.Any(char.IsControl) || p.Contains('\\')))
                        Problem($"{key}.path: '{Show(path)}' is not '/'-separated names inside the image (none empty, '.', '..', with a backslash or control characters)");
                    else if (maxBytes > 0) files.Add(new PerDiscFileSpec(path, maxBytes, template));
                }
            }
        }
        if (before > 0) return null;
        var spec = new PerDiscSpec(serialStart, files.ToImmutable(), volume, csv?.Columns ?? [], csv?.Rows ?? [], valuesName, failed, DateTimeOffset.UtcNow);
        // The templates, the row count and every row's rendering, checked now: refused before anything is burned.
        if (PerDiscLogic.Refusal(spec, copies, batchId ?? "batch") is { } why)
        {
            Problem(why);
            return null;
        }
        return spec;
    }

    private static void CheckKeys(JsonElement obj, string where, IReadOnlySet<string> keys, Action<string> problem)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
        {
            if (!keys.Contains(p.Name)) problem($"{where}.{Show(p.Name)}: unknown key (known: {string.Join(", ", keys.Order(StringComparer.Ordinal))})");
            else if (!seen.Add(p.Name)) problem($"{where}.{p.Name}: given more than once");
        }
    }

    private static string? String(JsonElement obj, string key, int maxLength, Action<string> problem, string where = "perDisc")
    {
        if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
        {
            problem($"{where}.{key}: must be a string");
            return null;
        }
        var s = v.GetString()!;
        if (s.Length <= maxLength) return s;
        problem($"{where}.{key}: {s.Length} characters, at most {maxLength}");
        return null;
    }

    private static string Show(string? s) => s is null ? "" : s.Length > 64 ? s[..64] + "..." : string.Concat(s.Select(c => char.IsControl(c) ? '?' : c));
}
