using System.Text.Json;
using System.Text.RegularExpressions;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Jobs;

/// <summary>A job was refused; <see cref="Problems"/> says why, one line per problem naming the key.</summary>
public sealed class JobRejectedException(string origin, IReadOnlyList<string> problems)
    : Exception($"{origin}: job refused: " + string.Join("; ", problems))
{
    /// <summary>One line per problem, each starting with the key it concerns.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Parses and validates <c>duplicator.job/1</c> documents. Unknown keys, a missing or unreadable source,
/// copies out of range and paths outside the allowed roots are all refused, every problem listed.
/// </summary>
public static unsafe partial class JobRequestParser
{
    /// <summary>The schema name a job document may carry in <c>"schema"</c>.</summary>
    public const string Schema = "duplicator.job/1";

    /// <summary>Most copies one batch may ask for.</summary>
    public const int MaxCopies = 10_000;

    private static readonly HashSet<string> Keys = new(StringComparer.Ordinal)
    {
        "schema", "id", "folder", "image", "audio", "copies", "volume", "media", "verify", "speed", "drives",
        "rejectIfNotBlank", "failedDiscThreshold", "audioMode",
    };

    /// <summary>
    /// Parses <paramref name="json"/>. Relative paths resolve against <paramref name="baseDirectory"/>;
    /// when <paramref name="allowedRoots"/> is not empty every path must lie under one of them.
    /// </summary>
    public static JobRequest Parse(string json, string origin, string baseDirectory, IReadOnlyList<string> allowedRoots)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new JobRejectedException(origin, [$"(document): not valid JSON: {e.Message}"]);
        }
        using (doc)
        {
            var problems = new List<string>();
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new JobRejectedException(origin, ["(document): must be a JSON object"]);
            foreach (var p in root.EnumerateObject())
                if (!Keys.Contains(p.Name))
                    problems.Add($"{p.Name}: unknown key (known: {string.Join(", ", Keys.Order())})");

            string? Str(string key)
            {
                if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind == JsonValueKind.String) return v.GetString();
                problems.Add($"{key}: must be a string");
                return null;
            }
            bool? Bool(string key)
            {
                if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
                problems.Add($"{key}: must be true or false");
                return null;
            }
            int? Int(string key, int min, int max)
            {
                if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
                if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= min && i <= max) return i;
                problems.Add($"{key}: {v.GetRawText()} is not a whole number from {min} to {max}");
                return null;
            }
            List<string> StrList(string key)
            {
                var list = new List<string>();
                if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return list;
                if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                {
                    problems.Add($"{key}: must be an array of strings");
                    return list;
                }
                list.AddRange(v.EnumerateArray().Select(e => e.GetString()!));
                return list;
            }

            var schema = Str("schema");
            if (schema != null && schema != Schema)
                problems.Add($"schema: '{schema}' is not supported (expected '{Schema}')");
            var id = Str("id");
            if (id != null && !BatchId().IsMatch(id))
                problems.Add($"id: '{id}' must be 1-64 letters, digits, '.', '-' or '_'");

            var folder = Str("folder");
            var image = Str("image");
            var audio = StrList("audio");
            int kinds = (folder != null ? 1 : 0) + (image != null ? 1 : 0) + (audio.Count > 0 ? 1 : 0);
            JobSourceKind kind = JobSourceKind.Folder;
            var paths = new List<string>();
            if (kinds != 1)
                problems.Add("folder/image/audio: exactly one source is required (a folder, an ISO image, or a list of WAV files)");
            else if (folder != null)
            {
                kind = JobSourceKind.Folder;
                paths.Add(CheckPath("folder", folder, mustBeDirectory: true));
            }
            else if (image != null)
            {
                kind = JobSourceKind.Image;
                paths.Add(CheckPath("image", image, mustBeDirectory: false));
            }
            else
            {
                kind = JobSourceKind.Audio;
                if (audio.Count > 99)
                    problems.Add($"audio: {audio.Count} tracks, a CD holds at most 99");
                for (int i = 0; i < audio.Count; i++)
                    paths.Add(CheckPath($"audio[{i}]", audio[i], mustBeDirectory: false));
            }

            int copies = 0;
            if (!root.TryGetProperty("copies", out _))
                problems.Add($"copies: missing (1 to {MaxCopies})");
            else
                copies = Int("copies", 1, MaxCopies) ?? 0;

            MediaKind? media = null;
            if (Str("media") is { } m)
            {
                if (MediaCapacity.TryParse(m, out var mk)) media = mk;
                else problems.Add($"media: '{m}' is not one of cd74, cd80, dvd, dvd-dl, bd25, bd50");
            }
            if (kind == JobSourceKind.Audio && media is { } am && !MediaCapacity.IsCd(am))
                problems.Add($"media: audio needs cd74 or cd80, not {MediaCapacity.Name(am)}");

            var audioMode = Str("audioMode");
            if (audioMode is not (null or "tao" or "dao"))
                problems.Add($"audioMode: '{audioMode}' is not tao (track-at-once, 2 s gaps) or dao (disc-at-once, gaps as staged)");
            else if (audioMode != null && kind != JobSourceKind.Audio)
                problems.Add("audioMode: only for audio jobs");

            var request = new JobRequest(
                id, kind, paths, copies, Str("volume"), media, Bool("verify"), Int("speed", 0, 64),
                StrList("drives"), Bool("rejectIfNotBlank"), Int("failedDiscThreshold", 0, 1_000_000),
                audioMode switch { "dao" => Duplicator.Drivers.Imapi.AudioWriteMode.DiscAtOnce, "tao" => Duplicator.Drivers.Imapi.AudioWriteMode.TrackAtOnce, _ => null });
            if (problems.Count > 0)
                throw new JobRejectedException(origin, problems);
            return request;

            string CheckPath(string key, string path, bool mustBeDirectory)
            {
                var full = Path.GetFullPath(path, baseDirectory);
                // Compared after symbolic links are resolved on both sides: a link under a root that points
                // elsewhere must not carry a request out of the allowed roots.
                var real = RealPath(full);
                if (allowedRoots.Count > 0 && !allowedRoots.Any(r => IsUnder(real, RealPath(Path.GetFullPath(r, baseDirectory)))))
                    problems.Add($"{key}: '{path}' is outside the allowed roots ({string.Join(", ", allowedRoots)})");
                else if (mustBeDirectory ? !Directory.Exists(full) : !File.Exists(full))
                    problems.Add($"{key}: '{path}' does not exist or is not a {(mustBeDirectory ? "folder" : "file")}");
                return full;
            }
        }
    }

    /// <summary>
    /// <paramref name="path"/> with every symbolic link resolved (realpath(3)); a path that does not exist (yet)
    /// is returned as given, and is refused later for not existing.
    /// </summary>
    public static string RealPath(string path)
    {
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return path;
        try
        {
            return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(resolved) ?? path;
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free((void*)resolved);
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies beneath it (after resolving "..").</summary>
    public static bool IsUnder(string path, string root)
    {
        var p = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var r = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        // "/" stays "/" after trimming: every absolute path is under it.
        return p == r || p.StartsWith(r.EndsWith(Path.DirectorySeparatorChar) ? r : r + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex BatchId();
}
