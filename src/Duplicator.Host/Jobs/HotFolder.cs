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
/// <c>id</c>, or <c>hot-NAME</c>: submitting is idempotent, so a crash between submitting and renaming
/// only re-submits the same batch. See docs/jobs.md.
/// </summary>
public sealed partial class HotFolder(string folder, IReadOnlyList<string> allowedRoots, IJobSink sink)
{
    /// <summary>Schema of the result files.</summary>
    public const string ResultSchema = "duplicator.result/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The folder watched.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>Picks up every new <c>*.job</c> file: refused ones become <c>.failed</c> at once, the others are submitted and become <c>.accepted</c>.</summary>
    public IReadOnlyList<HotFolderEvent> Scan()
    {
        Directory.CreateDirectory(Folder);
        var events = new List<HotFolderEvent>();
        foreach (var path in Directory.EnumerateFiles(Folder, "*.job").Order(StringComparer.Ordinal))
        {
            var jobFile = Path.GetFileName(path);
            if (jobFile.StartsWith('.')) continue;
            var name = jobFile[..^".job".Length];
            string? batchId = null;
            try
            {
                var request = JobRequestParser.Parse(File.ReadAllText(path), jobFile, Folder, allowedRoots);
                batchId = request.Id ?? DefaultBatchId(name);
                sink.Submit(batchId, request);
            }
            catch (JobRejectedException e)
            {
                events.Add(Finish(name, "failed", null, e.Problems));
                continue;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                events.Add(Finish(name, "failed", batchId, [$"(file): {e.Message}"]));
                continue;
            }
            WriteResult(name, new Result(ResultSchema, jobFile, "accepted", batchId, []));
            File.Move(path, path + ".accepted", overwrite: true);
            events.Add(new HotFolderEvent(jobFile, "accepted", batchId, []));
        }
        return events;
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
        if (!Directory.Exists(Folder)) return map;
        foreach (var r in Directory.EnumerateFiles(Folder, "*.result.json"))
        {
            var result = ReadResult(r);
            if (result is { State: "accepted" or "running", BatchId: { } id }) map[id] = r;
        }
        return map;
    }

    private HotFolderEvent? Move(string batchId, string state, IReadOnlyList<string> problems)
    {
        if (!ActiveJobs().TryGetValue(batchId, out var resultPath)) return null;
        var name = Path.GetFileName(resultPath)[..^".result.json".Length];
        return Finish(name, state, batchId, problems);
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

    /// <summary>hot-NAME with characters outside the batch-id alphabet replaced by '_', at most 64 long.</summary>
    public static string DefaultBatchId(string name)
    {
        var id = "hot-" + NotIdChar().Replace(name, "_");
        return id.Length <= 64 ? id : id[..64];
    }

    [GeneratedRegex("[^A-Za-z0-9._-]")]
    private static partial Regex NotIdChar();

    private sealed record Result(string Schema, string Job, string State, string? BatchId, IReadOnlyList<string> Problems);
}
