using System.Text.Json;
using System.Text.RegularExpressions;

namespace Duplicator.Host.Jobs;

/// <summary>Where accepted jobs go: the tower. Returns the batch id (an existing one for a known id).</summary>
public interface IJobSink
{
    /// <summary>Submits <paramref name="request"/> whose batch id is <paramref name="batchId"/>; idempotent per id.</summary>
    void Submit(string batchId, JobRequest request);
}

/// <summary>What happened to one job file during a scan or an update.</summary>
/// <param name="JobFile">The job's name (NAME.job).</param>
/// <param name="State">accepted, running, done or failed.</param>
/// <param name="BatchId">The batch, or null when the job was refused.</param>
/// <param name="Problems">Why a job was refused or failed.</param>
public sealed record HotFolderEvent(string JobFile, string State, string? BatchId, IReadOnlyList<string> Problems);

/// <summary>
/// The hot folder of job files (the duplicator-controller convention, Primera's .JRQ/.QRJ/.DON/.ERR):
/// drop <c>NAME.job</c> (a <c>duplicator.job/1</c> document, written elsewhere and renamed in, so it is
/// never read half-written); the host renames it <c>NAME.job.accepted</c>, <c>NAME.job.running</c>, then
/// <c>NAME.job.done</c> or <c>NAME.job.failed</c>, and keeps <c>NAME.result.json</c> beside it with the
/// state, the batch id and, for a refused or failed job, the reasons. The batch id is the job's
/// <c>id</c>, or <c>hot-NAME</c> (see <see cref="DefaultBatchId"/>): submitting the same job is idempotent, so a crash
/// between submitting and renaming only re-submits the same batch, and the tower refuses a different job under
/// an id in use. See docs/jobs.md and docs/threat-model.md.
/// </summary>
public sealed partial class HotFolder(string folder, IReadOnlyList<string> allowedRoots, IJobSink sink)
{
    /// <summary>Schema of the result files.</summary>
    public const string ResultSchema = "duplicator.result/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The folder watched.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    // Sources may lie under the allowed roots or in the hot folder itself: whoever can drop a job here can drop its files here.
    private readonly IReadOnlyList<string> _roots = [.. allowedRoots, Path.GetFullPath(folder)];

    /// <summary>
    /// Picks up every new <c>*.job</c> file: refused ones become <c>.failed</c> at once, the others are submitted and
    /// become <c>.accepted</c>. A job named like one still being burned is never merged with it: the same bytes again
    /// are absorbed (the new file is removed), other bytes are refused as <c>NAME.job.refused</c> with the reason in
    /// <c>NAME.job.refused.json</c>, and the running job's files are left as they are.
    /// </summary>
    public IReadOnlyList<HotFolderEvent> Scan()
    {
        Directory.CreateDirectory(Folder);
        var events = new List<HotFolderEvent>();
        var active = ActiveResults().ToDictionary(r => r.Name, StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(Folder, "*.job").Order(StringComparer.Ordinal))
        {
            var jobFile = Path.GetFileName(path);
            if (jobFile.StartsWith('.')) continue;
            var name = jobFile[..^".job".Length];
            string? batchId = null;
            try
            {
                var content = ReadJob(path);
                if (active.TryGetValue(name, out var running))
                {
                    events.Add(SameNameAsActive(name, path, content, running));
                    continue;
                }
                var request = JobRequestParser.Parse(content, jobFile, Folder, _roots);
                batchId = request.Id ?? DefaultBatchId(name);
                sink.Submit(batchId, request);
            }
            catch (JobRejectedException e)
            {
                events.Add(active.ContainsKey(name) ? Refuse(name, path, e.Problems) : Finish(name, "failed", null, e.Problems));
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                events.Add(active.ContainsKey(name) ? Refuse(name, path, [$"(file): {e.Message}"]) : Finish(name, "failed", batchId, [$"(file): {e.Message}"]));
                continue;
            }
            WriteResult(name, new Result(ResultSchema, jobFile, "accepted", batchId, []));
            File.Move(path, path + ".accepted", overwrite: true);
            events.Add(new HotFolderEvent(jobFile, "accepted", batchId, []));
        }
        return events;
    }


    /// <summary>The job file's bytes, refusing what is not a plain file (a link, a FIFO, a device) or is too long to be a job.</summary>
    private static byte[] ReadJob(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget != null)
            throw new JobRejectedException(info.Name, [$"(file): a symbolic link (to {info.LinkTarget}); a job file must be a plain file"]);
        if (!Duplicator.Mastering.Data.SourcePaths.IsRegularFile(path))
            throw new JobRejectedException(info.Name, ["(file): not a regular file (a FIFO, socket or device); a job file must be a plain file"]);
        // Checked again on the open handle: a file swapped for a FIFO since the check above must not hang the scan.
        using var stream = Duplicator.Mastering.Data.SourcePaths.OpenRegularFile(path) is { } handle ? new FileStream(handle, FileAccess.Read, 1)
            : throw new JobRejectedException(info.Name, ["(file): not a regular file (a FIFO, socket or device); a job file must be a plain file"]);
        var buffer = new byte[JobRequestParser.MaxDocumentBytes + 1];
        int length = 0, n;
        while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0) length += n;
        if (length > JobRequestParser.MaxDocumentBytes)
            throw new JobRejectedException(info.Name, [$"(file): more than the {JobRequestParser.MaxDocumentBytes} bytes a job may have"]);
        return buffer[..length];
    }

    /// <summary>A new NAME.job while NAME's job is accepted or running.</summary>
    private HotFolderEvent SameNameAsActive(string name, string path, byte[] content, ActiveResult running)
    {
        var jobFile = name + ".job";
        var held = new[] { ".accepted", ".running" }.Select(s => Path.Combine(Folder, jobFile + s)).FirstOrDefault(File.Exists);
        if (held != null && File.ReadAllBytes(held).AsSpan().SequenceEqual(content))
        {
            File.Delete(path); // the very job already being burned: nothing new to do
            return new HotFolderEvent(jobFile, running.State, running.BatchId, ["(file): the same job is already " + running.State + "; the copy was removed"]);
        }
        return Refuse(name, path, [$"(file): a different {jobFile} while batch {running.BatchId} of the earlier one is {running.State}; refused, not merged (give the new job another name)"]);
    }

    /// <summary>Refuses NAME.job beside an active job of that name: NAME.job.refused and NAME.job.refused.json, the active job's files untouched.</summary>
    private HotFolderEvent Refuse(string name, string path, IReadOnlyList<string> problems)
    {
        var jobFile = name + ".job";
        var refused = Path.Combine(Folder, jobFile + ".refused");
        var temp = refused + ".json.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new Result(ResultSchema, jobFile, "refused", null, problems), Json));
        File.Move(temp, refused + ".json", overwrite: true);
        File.Move(path, refused, overwrite: true);
        return new HotFolderEvent(jobFile, "refused", null, problems);
    }

    /// <summary>The batch of an accepted job started burning.</summary>
    public HotFolderEvent? MarkRunning(string batchId) => Move(batchId, "running", []);

    /// <summary>The batch ended: done with its good discs, or failed with reasons.</summary>
    public HotFolderEvent? MarkFinished(string batchId, bool success, IReadOnlyList<string> problems) =>
        Move(batchId, success ? "done" : "failed", problems);

    /// <summary>Batch ids of jobs accepted or running (e.g. after a restart, to follow their batches again).</summary>
    public IReadOnlyDictionary<string, string> ActiveJobs()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in ActiveResults()) map[r.BatchId] = r.Path;
        return map;
    }

    private sealed record ActiveResult(string Name, string Path, string BatchId, string State);

    private List<ActiveResult> ActiveResults()
    {
        var list = new List<ActiveResult>();
        if (!Directory.Exists(Folder)) return list;
        foreach (var r in Directory.EnumerateFiles(Folder, "*.result.json"))
        {
            if (ReadResult(r) is { State: "accepted" or "running", BatchId: { } id } result)
                list.Add(new ActiveResult(Path.GetFileName(r)[..^".result.json".Length], r, id, result.State));
        }
        return list;
    }

    // Every job following the batch (two files with the same content and the same explicit id follow one batch).
    private HotFolderEvent? Move(string batchId, string state, IReadOnlyList<string> problems)
    {
        HotFolderEvent? last = null;
        foreach (var r in ActiveResults().Where(r => r.BatchId == batchId))
            last = Finish(r.Name, state, batchId, problems);
        return last;
    }

    private HotFolderEvent Finish(string name, string state, string? batchId, IReadOnlyList<string> problems)
    {
        var jobFile = name + ".job";
        WriteResult(name, new Result(ResultSchema, jobFile, state, batchId, problems));
        var current = new[] { "", ".accepted", ".running" }.Select(s => Path.Combine(Folder, jobFile + s)).FirstOrDefault(File.Exists);
        if (current != null) File.Move(current, Path.Combine(Folder, jobFile + "." + state), overwrite: true);
        return new HotFolderEvent(jobFile, state, batchId, problems);
    }

    private void WriteResult(string name, Result result)
    {
        var path = Path.Combine(Folder, name + ".result.json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(result, Json));
        File.Move(temp, path, overwrite: true);
    }

    private static Result? ReadResult(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Result>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// hot-NAME for a name that is a batch id as it is (letters, digits, '.', '-', '_'; hot-NAME at most 64 long);
    /// any other name keeps a cleaned, cut form and adds the first 12 hex digits of its SHA-256, so two names
    /// (<c>order 7</c>, <c>order_7</c>, two long names alike in their first 60 characters) never share a batch.
    /// </summary>
    public static string DefaultBatchId(string name)
    {
        var clean = NotIdChar().Replace(name, "_");
        if (clean == name && clean.Length <= 60) return "hot-" + clean;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..12].ToLowerInvariant();
        return "hot-" + clean[..Math.Min(clean.Length, 64 - 4 - 13)] + "-" + hash;
    }

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex NotIdChar();

    private sealed record Result(string Schema, string Job, string State, string? BatchId, IReadOnlyList<string> Problems);
}
