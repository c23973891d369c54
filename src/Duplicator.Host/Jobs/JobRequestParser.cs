using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Jobs;

/// <summary>A job was refused; <see cref="Problems"/> says why, one line per problem naming the key.</summary>
public sealed class JobRejectedException(string origin, IReadOnlyList<string> problems, bool forbidden = false)
    : Exception($"{origin}: job refused: " + string.Join("; ", problems))
{
    /// <summary>One line per problem, each starting with the key it concerns (at most <see cref="JobRequestParser.MaxProblems"/> and a count of the rest).</summary>
    public IReadOnlyList<string> Problems { get; } = problems;

    /// <summary>True when a source lies outside the allowed roots (or none are configured): the control API answers 403.</summary>
    public bool Forbidden { get; } = forbidden;
}

/// <summary>
/// Parses and validates <c>duplicator.job/1</c> and <c>duplicator.job/2</c> documents (/2: /1 plus the keys of
/// <see cref="Schema2Key"/>; a /1 document reads exactly as it always did). Unknown or repeated keys, invalid UTF-8, a missing or
/// unreadable source, copies out of range, strings and lists over their limits, and paths (or symbolic links inside
/// a source folder) outside the allowed roots are all refused, every problem listed (up to <see cref="MaxProblems"/>).
/// Everything is bounded before it is allocated: the document (<see cref="MaxDocumentBytes"/>), its depth, every
/// string and every list.
/// </summary>
public static partial class JobRequestParser
{
    /// <summary>The schema name a job document may carry in <c>"schema"</c>.</summary>
    public const string Schema = "duplicator.job/1";

    /// <summary>The second schema: every /1 key, plus <c>priority</c>.</summary>
    public const string Schema2 = "duplicator.job/2";

    /// <summary>Most copies one batch may ask for.</summary>
    public const int MaxCopies = 10_000;

    /// <summary>Largest job document (a hot-folder file or a submit body), in bytes.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    /// <summary>Problems listed in one refusal; the rest are counted in a last line.</summary>
    public const int MaxProblems = 20;

    /// <summary>Longest path, in UTF-8 bytes (Linux PATH_MAX less the terminating NUL).</summary>
    public const int MaxPathBytes = 4095;

    /// <summary>Longest volume name: the ISO 9660 volume identifier's 32 characters (Joliet keeps the first 16).</summary>
    public const int MaxVolumeLength = 32;

    /// <summary>Most drives a job may name (the config's limit on a tower).</summary>
    public const int MaxDrives = 64;

    /// <summary>Most audio tracks: a CD holds 99.</summary>
    public const int MaxTracks = 99;

    private const int MaxDepth = 8;
    private const int ShowChars = 64;

    private static readonly HashSet<string> Keys = new(StringComparer.Ordinal)
    {
        "schema", "id", "folder", "image", "audio", "copies", "volume", "media", "verify", "speed", "drives",
        "rejectIfNotBlank", "failedDiscThreshold", "audioMode", "master", "verifyAgainst", "archive", "cue", "perDisc", "filesystem", "audioInfo",
        "accept", // duplicator.job/2 (JobRequestParser.Policies.cs)
        "expect", // duplicator.job/2 (JobRequestParser.Identity.cs)
        "append", // duplicator.job/2 (JobRequestParser.Append.cs)
    };

    private static readonly string KnownKeys = string.Join(", ", Keys.Order(StringComparer.Ordinal));

    /// <summary>Parses <paramref name="json"/> (a string already decoded; see the UTF-8 overload for bytes as received).</summary>
    public static JobRequest Parse(string json, string origin, string baseDirectory, IReadOnlyList<string> allowedRoots)
    {
        if (json.Length > MaxDocumentBytes) // every char is at least one UTF-8 byte: too long before encoding
            throw new JobRejectedException(origin, [$"(document): {json.Length} characters, more than the {MaxDocumentBytes} bytes a job may have"]);
        return Parse(Encoding.UTF8.GetBytes(json), origin, baseDirectory, allowedRoots);
    }

    /// <summary>
    /// Parses the UTF-8 document <paramref name="utf8"/> (a leading byte-order mark is skipped). Relative paths resolve
    /// against <paramref name="baseDirectory"/>; every path must lie under one of <paramref name="allowedRoots"/> after
    /// every symbolic link is resolved, and so must every link inside a source folder. No roots: no file access.
    /// </summary>
    public static JobRequest Parse(ReadOnlySpan<byte> utf8, string origin, string baseDirectory, IReadOnlyList<string> allowedRoots)
    {
        if (utf8.Length > MaxDocumentBytes)
            throw new JobRejectedException(origin, [$"(document): {utf8.Length} bytes, more than the {MaxDocumentBytes} a job may have"]);
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
            throw new JobRejectedException(origin, [$"(document): not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(utf8)})"]);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            throw new JobRejectedException(origin, [$"(document): not valid JSON: {Show(e.Message, 200)}"]);
        }
        using (doc)
        {
            try
            {
                return IsSet(doc.RootElement) ? ReadSet(doc.RootElement, origin, baseDirectory, allowedRoots) : Read(doc.RootElement, origin, baseDirectory, allowedRoots);
            }
            catch (InvalidOperationException e)
            {
                // A string escape System.Text.Json cannot turn into text (a lone UTF-16 surrogate, "\ud800").
                throw new JobRejectedException(origin, [$"(document): a string is not valid text: {Show(e.Message, 200)}"]);
            }
        }
    }

    private static JobRequest Read(JsonElement root, string origin, string baseDirectory, IReadOnlyList<string> allowedRoots)
    {
        var problems = new Problems();
        if (root.ValueKind != JsonValueKind.Object)
            throw new JobRejectedException(origin, ["(document): must be a JSON object"]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool v2 = root.TryGetProperty("schema", out var sv) && sv.ValueKind == JsonValueKind.String && sv.GetString() == Schema2;
        foreach (var p in root.EnumerateObject())
        {
            if (Schema2Key(p.Name) is { } since && !Keys.Contains(p.Name))
            {
                if (!v2) problems.Add($"{p.Name}: {since}");
                else if (!seen.Add(p.Name)) problems.Add($"{p.Name}: given more than once (each key once: which one would count is not for the parser to guess)");
            }
            else if (!Keys.Contains(p.Name))
                problems.Add($"{Show(p.Name)}: unknown key (known: {KnownKeys})");
            else if (!seen.Add(p.Name))
                problems.Add($"{p.Name}: given more than once (each key once: which one would count is not for the parser to guess)");
        }

        string? Str(string key, int maxLength)
        {
            if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.String)
            {
                problems.Add($"{key}: must be a string");
                return null;
            }
            var s = v.GetString()!;
            if (s.Length > maxLength)
            {
                problems.Add($"{key}: {s.Length} characters, at most {maxLength}");
                return null;
            }
            return s;
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
            problems.Add($"{key}: {Show(v.GetRawText())} is not a whole number from {min} to {max}");
            return null;
        }
        List<string> StrList(string key, int maxCount, int maxLength)
        {
            var list = new List<string>();
            if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return list;
            if (v.ValueKind != JsonValueKind.Array)
            {
                problems.Add($"{key}: must be an array of strings");
                return list;
            }
            int count = v.GetArrayLength();
            if (count > maxCount)
            {
                problems.Add($"{key}: {count} entries, at most {maxCount}");
                return list;
            }
            int i = 0;
            foreach (var e in v.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.String)
                    problems.Add($"{key}[{i}]: must be a string");
                else if (e.GetString() is { } s && s.Length > maxLength)
                    problems.Add($"{key}[{i}]: {s.Length} characters, at most {maxLength}");
                else
                    list.Add(e.GetString()!);
                i++;
            }
            return list.Count == count ? list : [];
        }

        var schema = Str("schema", ShowChars);
        if (schema != null && schema != Schema && schema != Schema2)
            problems.Add($"schema: '{Show(schema)}' is not supported (expected '{Schema}' or '{Schema2}')");
        var id = Str("id", 64);
        if (id != null && !BatchId().IsMatch(id))
            problems.Add($"id: '{Show(id)}' must be 1-64 letters, digits, '.', '-' or '_'");

        var folder = Str("folder", MaxPathBytes);
        var image = Str("image", MaxPathBytes);
        var audio = StrList("audio", MaxTracks, MaxPathBytes);
        bool Given(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;
        root.TryGetProperty("audio", out var audioValue);
        int kinds = (Given("folder") ? 1 : 0) + (Given("image") ? 1 : 0) + (Given("audio") ? 1 : 0)
            + (Given("master") ? 1 : 0) + (Given("verifyAgainst") ? 1 : 0) + (Given("archive") ? 1 : 0) + (Given("cue") ? 1 : 0);
        JobSourceKind kind = JobSourceKind.Folder;
        var paths = new List<string>();
        var realRoots = allowedRoots.Count == 0 ? [] : SourcePaths.ResolveRoots(allowedRoots.Select(r => Path.GetFullPath(r, baseDirectory)));
        bool forbidden = false;
        if (kinds != 1)
            problems.Add("folder/image/audio: exactly one source is required (a folder, an ISO image, or a list of WAV files; or cue, master, verifyAgainst, archive)");
        else if (ReadJobs.Source(root, Given, Str, problems.Add, CheckPath, realRoots, baseDirectory) is { } readJob)
        {
            kind = readJob.Kind;
            if (readJob.Path is { } p) paths.Add(p);
            forbidden |= readJob.Forbidden;
        }
        else if (Given("folder"))
        {
            kind = JobSourceKind.Folder;
            if (folder != null && CheckPath("folder", folder, mustBeDirectory: true) is { } path)
            {
                paths.Add(path);
                CheckLinks("folder", path);
            }
        }
        else if (Given("image"))
        {
            kind = JobSourceKind.Image;
            if (image != null && CheckPath("image", image, mustBeDirectory: false) is { } path) paths.Add(path);
        }
        else
        {
            kind = JobSourceKind.Audio;
            if (audio.Count == 0 && audioValue.ValueKind == JsonValueKind.Array && audioValue.GetArrayLength() == 0)
                problems.Add("audio: at least one WAV file is required");
            for (int i = 0; i < audio.Count; i++)
                if (CheckPath($"audio[{i}]", audio[i], mustBeDirectory: false) is { } path) paths.Add(path);
        }

        int copies = 0;
        var drives = StrList("drives", MaxDrives, 32);
        if (!root.TryGetProperty("copies", out _) && kinds == 1 && (Given("verifyAgainst") || Given("archive")) && drives.Count > 0)
            copies = drives.Count; // one disc per named drive
        else if (!root.TryGetProperty("copies", out _))
            problems.Add($"copies: missing (1 to {MaxCopies})");
        else
            copies = Int("copies", 1, MaxCopies) ?? 0;
        if (kinds == 1 && (Given("verifyAgainst") || Given("archive")) && drives.Count == 0)
            problems.Add($"drives: a {(Given("archive") ? "read (archive)" : "verify-only")} job reads the discs loaded in the drives it names: list them");

        var volume = Str("volume", MaxVolumeLength);
        if (volume != null && volume.Any(char.IsControl))
            problems.Add("volume: control characters are not allowed");

        MediaKind? media = null;
        if (Str("media", ShowChars) is { } m)
        {
            if (MediaCapacity.TryParse(m, out var mk)) media = mk;
            else problems.Add($"media: '{Show(m)}' is not one of cd74, cd80, dvd, dvd-dl, bd25, bd50");
        }
        if (kind == JobSourceKind.Audio && media is { } am && !MediaCapacity.IsCd(am))
            problems.Add($"media: audio needs cd74 or cd80, not {MediaCapacity.Name(am)}");

        var audioMode = Str("audioMode", ShowChars);
        if (audioMode is not (null or "tao" or "dao"))
            problems.Add($"audioMode: '{Show(audioMode)}' is not tao (track-at-once, 2 s gaps) or dao (disc-at-once, gaps as staged)");
        else if (audioMode != null && kind is not (JobSourceKind.Audio or JobSourceKind.Cue))
            problems.Add("audioMode: only for audio jobs");

        var fileSystem = FileSystem(Str("filesystem", ShowChars), kind, media, problems.Add);

        for (int i = 0; i < drives.Count; i++)
            if (!DriveId().IsMatch(drives[i]))
                problems.Add($"drives[{i}]: '{Show(drives[i])}' is not a drive id (1-32 letters, digits, '-' or '_')");

        var (verify, verifyPolicy) = ReadVerify(root, schema, problems.Add);
        var accept = ReadAccept(root, schema, problems.Add);
        var append = kinds == 1 ? ReadAppend(root, schema, kind, fileSystem, problems.Add) : null;
        var expect = kinds == 1 ? ReadExpect(root, schema, kind, problems.Add, appends: append is not null) : null;
        // Serial-numbered discs: the section, its CSV (read and embedded) and every row's rendering, checked now.
        Duplicator.Actors.Batches.PerDiscSpec? perDisc = null;
        if (root.TryGetProperty("perDisc", out var perDiscValue) && perDiscValue.ValueKind != JsonValueKind.Null)
            perDisc = PerDiscSection.Read(perDiscValue, p => CheckPath("perDisc.values", p, mustBeDirectory: false), kind, copies, id, problems.Add);
        if (append is not null && perDisc is not null) problems.Add("append: per-disc files are not written in an appended session");

        var audioInfo = ReadAudioInfo(root, kind, problems.Add);

        var request = new JobRequest(
            id, kind, paths, copies, volume, media, verify, Int("speed", 0, 64),
            drives, Bool("rejectIfNotBlank"), Int("failedDiscThreshold", 0, 1_000_000),
            audioMode switch { "dao" => Duplicator.Drivers.Imapi.AudioWriteMode.DiscAtOnce, "tao" => Duplicator.Drivers.Imapi.AudioWriteMode.TrackAtOnce, _ => null },
            v2 ? Int("priority", 0, MaxPriority) : null,
            fileSystem)
            { VerifyPolicy = verifyPolicy, MediaRules = accept, PerDisc = perDisc, AudioInfo = audioInfo, Expect = expect, Append = append };
        if (problems.Count > 0)
            throw new JobRejectedException(origin, problems.ToList(), forbidden);
        return request;

        // The full path as named (the stager checks again where it leads), or null when refused.
        string? CheckPath(string key, string path, bool mustBeDirectory)
        {
            if (path.Length == 0 || path.Contains('\0'))
            {
                problems.Add($"{key}: must be a non-empty path without NUL characters");
                return null;
            }
            if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
            {
                problems.Add($"{key}: longer than {MaxPathBytes} bytes");
                return null;
            }
            if (realRoots.Count == 0)
            {
                forbidden = true;
                problems.Add($"{key}: '{Show(path)}' refused: no file access, control.allowedRoots is empty (list the folders requests may read in the config)");
                return null;
            }
            var full = Path.GetFullPath(path, baseDirectory);
            // Compared after symbolic links are resolved on both sides: a link under a root that points
            // elsewhere must not carry a request out of the allowed roots.
            // A path that does not resolve is judged as written, so that what lies outside the roots is never
            // probed ("does not exist" would tell a caller what exists there).
            var real = SourcePaths.RealPath(full);
            if (real != null ? !SourcePaths.IsUnderAny(real, realRoots)
                    : !SourcePaths.IsUnderAny(full, realRoots) && !allowedRoots.Any(r => SourcePaths.IsUnder(full, Path.GetFullPath(r, baseDirectory))))
            {
                forbidden = true;
                problems.Add($"{key}: '{Show(path)}' is outside the allowed roots ({string.Join(", ", allowedRoots)})");
                return null;
            }
            if (real == null || (mustBeDirectory ? !Directory.Exists(real) : !File.Exists(real)))
            {
                problems.Add($"{key}: '{Show(path)}' does not exist or is not a {(mustBeDirectory ? "folder" : "file")}");
                return null;
            }
            return full;
        }

        // A link inside the folder that leads out of the roots is refused, naming the link (the stager refuses it again).
        void CheckLinks(string key, string path)
        {
            try
            {
                JolietStaging.CheckSource(path, realRoots);
            }
            catch (ImapiException e)
            {
                forbidden |= e.Code == ImapiError.SourceNotAllowed;
                problems.Add($"{key}: {e.ImapiName}: {Show(e.Message, 600)}");
            }
        }
    }

    /// <summary>
    /// The "filesystem" key: one of <see cref="FileSystemNames.All"/>, for folder jobs only, and one the medium can carry
    /// (no dvd-video on CD or BD; a job without media is staged for dvd).
    /// </summary>
    private static DataFileSystems? FileSystem(string? text, JobSourceKind kind, MediaKind? media, Action<string> problem)
    {
        if (text is null) return null;
        if (!FileSystemNames.TryParse(text, out var fs))
        {
            problem($"filesystem: '{Show(text)}' is not one of {FileSystemNames.Listed}");
            return null;
        }
        if (kind != JobSourceKind.Folder)
        {
            problem("filesystem: only for folder jobs (an image is burned as it is, audio is Red Book)");
            return null;
        }
        if (FileSystemNames.Refusal(fs, media ?? MediaKind.Dvd) is { } why)
        {
            problem($"filesystem: {why}");
            return null;
        }
        return fs;
    }

    /// <summary>Problems as listed: the first <see cref="MaxProblems"/>, then how many more there were.</summary>
    private sealed class Problems
    {
        private readonly List<string> _list = [];
        private int _more;

        public int Count => _list.Count + _more;

        public void Add(string problem)
        {
            if (_list.Count < MaxProblems) _list.Add(problem);
            else _more++;
        }

        public List<string> ToList() => _more == 0 ? _list : [.. _list, $"... and {_more} more problem(s) (only the first {MaxProblems} are listed)"];
    }

    /// <summary>A value as a problem quotes it: at most <paramref name="max"/> characters, control characters escaped.</summary>
    private static string Show(string? value, int max = ShowChars)
    {
        if (value is null) return "";
        var cut = value.Length > max ? value[..max] : value;
        var sb = new StringBuilder(cut.Length + 16);
        foreach (var c in cut)
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        if (value.Length > max) sb.Append($"... ({value.Length} characters)");
        return sb.ToString();
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        int offset = 0;
        while (offset < utf8.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(utf8[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return offset;
    }

    /// <summary>
    /// <paramref name="path"/> with every symbolic link resolved (realpath(3)); a path that does not exist (yet)
    /// is returned as given, and is refused later for not existing.
    /// </summary>
    public static string RealPath(string path) => SourcePaths.RealPath(path) ?? path;

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies beneath it (after resolving "..").</summary>
    public static bool IsUnder(string path, string root) => SourcePaths.IsUnder(path, root);

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex BatchId();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex DriveId();
}
