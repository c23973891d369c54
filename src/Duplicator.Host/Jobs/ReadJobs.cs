using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Jobs;

/// <summary>
/// The job sources beside folder, image and audio, for <see cref="JobRequestParser"/>: <c>"master"</c> (a drive id),
/// <c>"verifyAgainst"</c> (a batch id), <c>"archive"</c> (an output folder under the allowed roots that the job will own),
/// <c>"cue"</c> (a foreign BIN/CUE, parsed strictly at submission: the line and the limit named, its BIN held to the
/// allowed roots like the sheet). Ids are checked as ids and never become paths.
/// </summary>
internal static partial class ReadJobs
{
    /// <summary>The source found: its kind and path (null when refused; the problem was reported), and whether the refusal is a 403.</summary>
    internal sealed record Found(JobSourceKind Kind, string? Path, bool Forbidden = false);

    /// <summary>The source <paramref name="root"/> names among the read-job keys, or null when it names none of them.</summary>
    internal static Found? Source(JsonElement root, Func<string, bool> given, Func<string, int, string?> str, Action<string> problem,
        Func<string, string, bool, string?> checkPath, IReadOnlyList<string> realRoots, string baseDirectory)
    {
        if (given("master"))
        {
            var drive = str("master", 32);
            if (drive is null) return new(JobSourceKind.Master, null);
            if (!DriveId().IsMatch(drive))
            {
                problem($"master: '{Show(drive)}' is not a drive id (1-32 letters, digits, '-' or '_')");
                return new(JobSourceKind.Master, null);
            }
            return new(JobSourceKind.Master, drive);
        }
        if (given("verifyAgainst"))
        {
            var batch = str("verifyAgainst", 64);
            if (batch is null) return new(JobSourceKind.Verify, null);
            if (!BatchId().IsMatch(batch))
            {
                problem($"verifyAgainst: '{Show(batch)}' is not a batch id (1-64 letters, digits, '.', '-' or '_')");
                return new(JobSourceKind.Verify, null);
            }
            return new(JobSourceKind.Verify, batch);
        }
        if (given("archive"))
        {
            var folder = str("archive", JobRequestParser.MaxPathBytes);
            return folder is null ? new(JobSourceKind.Archive, null) : Archive(folder, problem, realRoots, baseDirectory);
        }
        if (given("cue"))
        {
            var cue = str("cue", JobRequestParser.MaxPathBytes);
            if (cue is null || checkPath("cue", cue, false) is not { } path) return new(JobSourceKind.Cue, null);
            return Cue(path, problem, realRoots);
        }
        return null;
    }

    // The folder may not exist yet: its parent must, under the roots; an existing folder must be a real one, empty or
    // made by a read job (the batch's ownership is settled when it starts, see ArchiveFolder).
    private static Found Archive(string folder, Action<string> problem, IReadOnlyList<string> realRoots, string baseDirectory)
    {
        if (folder.Length == 0 || folder.Contains('\0') || Encoding.UTF8.GetByteCount(folder) > JobRequestParser.MaxPathBytes)
        {
            problem($"archive: must be a non-empty path without NUL characters, at most {JobRequestParser.MaxPathBytes} bytes");
            return new(JobSourceKind.Archive, null);
        }
        if (realRoots.Count == 0)
        {
            problem($"archive: '{Show(folder)}' refused: no file access, control.allowedRoots is empty (list the folders requests may use in the config)");
            return new(JobSourceKind.Archive, null, Forbidden: true);
        }
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder, baseDirectory));
        var parent = Path.GetDirectoryName(full);
        var realParent = parent is null ? null : SourcePaths.RealPath(parent);
        if (realParent is null || !SourcePaths.IsUnderAny(Path.Combine(realParent, Path.GetFileName(full)), realRoots))
        {
            problem($"archive: '{Show(folder)}' is outside the allowed roots or its parent folder does not exist");
            return new(JobSourceKind.Archive, null, Forbidden: realParent != null);
        }
        var info = new DirectoryInfo(full);
        if (info.LinkTarget != null || File.Exists(full))
        {
            problem($"archive: '{Show(folder)}' is a symbolic link or a file; a read job writes into a folder of its own");
            return new(JobSourceKind.Archive, null);
        }
        if (info.Exists && !File.Exists(Path.Combine(full, Actors.Images.ArchiveFolder.MarkerName)) && info.EnumerateFileSystemInfos().Any())
        {
            problem($"archive: '{Show(folder)}' is not empty and was not made by a read job; a read job never writes among files it did not make");
            return new(JobSourceKind.Archive, null);
        }
        return new(JobSourceKind.Archive, full);
    }

    private static Found Cue(string path, Action<string> problem, IReadOnlyList<string> realRoots)
    {
        try
        {
            var sheet = CueSheetImage.Open(path);
            if (SourcePaths.RealPath(sheet.BinPath) is not { } bin || !SourcePaths.IsUnderAny(bin, realRoots))
            {
                problem($"cue: its BIN '{Show(sheet.BinPath, 200)}' is outside the allowed roots");
                return new(JobSourceKind.Cue, null, Forbidden: true);
            }
            return new(JobSourceKind.Cue, path);
        }
        catch (ImapiException e)
        {
            problem($"cue: {e.ImapiName}: {Show(e.Message, 600)}");
            return new(JobSourceKind.Cue, null);
        }
    }

    private static string Show(string value, int max = 64)
    {
        var cut = value.Length > max ? value[..max] + $"... ({value.Length} characters)" : value;
        return string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex BatchId();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex DriveId();
}
