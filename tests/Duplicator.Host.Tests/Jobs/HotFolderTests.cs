using System.Text.Json;
using Duplicator.Host.Jobs;

namespace Duplicator.Host.Tests.Jobs;

public sealed class HotFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-hot-").FullName;
    private readonly string _hot;
    private readonly RecordingSink _sink = new();

    public HotFolderTests()
    {
        _hot = Directory.CreateDirectory(Path.Combine(_root, "hot")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "input", "photos"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed class RecordingSink : IJobSink
    {
        public List<(string Id, JobRequest Request)> Submitted { get; } = [];
        public void Submit(string batchId, JobRequest request) => Submitted.Add((batchId, request));
    }

    private HotFolder Folder() => new(_hot, [Path.Combine(_root, "input")], _sink);

    private void Drop(string name, string json) => File.WriteAllText(Path.Combine(_hot, name), json);

    private JsonElement Result(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(_hot, name + ".result.json"))).RootElement;

    [Fact]
    public void A_job_goes_accepted_running_done_with_a_result_file_at_each_step()
    {
        Drop("photos.job", """{ "folder": "../input/photos", "copies": 3 }""");
        var hot = Folder();
        var e = Assert.Single(hot.Scan());
        Assert.Equal(("photos.job", "accepted", "hot-photos"), (e.JobFile, e.State, e.BatchId));
        Assert.True(File.Exists(Path.Combine(_hot, "photos.job.accepted")));
        Assert.Equal("accepted", Result("photos").GetProperty("state").GetString());
        var (id, request) = Assert.Single(_sink.Submitted);
        Assert.Equal("hot-photos", id);
        Assert.Equal(3, request.Copies);

        Assert.Empty(hot.Scan()); // not picked up twice
        Assert.Equal("running", hot.MarkRunning("hot-photos")!.State);
        Assert.True(File.Exists(Path.Combine(_hot, "photos.job.running")));
        Assert.Equal("done", hot.MarkFinished("hot-photos", true, [])!.State);
        Assert.True(File.Exists(Path.Combine(_hot, "photos.job.done")));
        Assert.Equal("done", Result("photos").GetProperty("state").GetString());
        Assert.Equal("hot-photos", Result("photos").GetProperty("batchId").GetString());
        Assert.Null(hot.MarkRunning("hot-photos")); // finished jobs are no longer active
    }

    [Fact]
    public void A_bad_job_is_failed_at_once_with_the_reasons_in_its_result_file()
    {
        Drop("bad.job", """{ "folder": "../input/missing", "copies": 0, "colour": "red" }""");
        var e = Assert.Single(Folder().Scan());
        Assert.Equal("failed", e.State);
        Assert.Empty(_sink.Submitted);
        Assert.True(File.Exists(Path.Combine(_hot, "bad.job.failed")));
        var problems = Result("bad").GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains(problems, p => p.StartsWith("colour: unknown key"));
        Assert.Contains(problems, p => p.StartsWith("copies: 0"));
        Assert.Contains(problems, p => p.StartsWith("folder: '../input/missing' does not exist"));
    }

    [Fact]
    public void Sources_outside_the_allowed_roots_are_refused()
    {
        Directory.CreateDirectory(Path.Combine(_root, "private"));
        Drop("sneaky.job", """{ "folder": "../private", "copies": 1 }""");
        Assert.Equal("failed", Assert.Single(Folder().Scan()).State);
        Assert.Contains("outside the allowed roots", Result("sneaky").GetProperty("problems")[0].GetString());
    }

    [Fact]
    public void Active_jobs_are_found_again_after_a_restart_and_an_explicit_id_is_kept()
    {
        Drop("a.job", """{ "id": "batch-7", "folder": "../input/photos", "copies": 1 }""");
        Drop("b.job", """{ "folder": "../input/photos", "copies": 1 }""");
        var first = Folder();
        first.Scan();
        first.MarkRunning("batch-7");
        var restarted = Folder();
        var active = restarted.ActiveJobs();
        Assert.Equal(["batch-7", "hot-b"], active.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("failed", restarted.MarkFinished("batch-7", false, ["3 discs failed, threshold 3"])!.State);
        Assert.True(File.Exists(Path.Combine(_hot, "a.job.failed")));
        Assert.Equal("3 discs failed, threshold 3", Result("a").GetProperty("problems")[0].GetString());
    }

    [Theory]
    [InlineData("photos", "hot-photos")]
    [InlineData("my job (2)", "hot-my_job__2_")]
    public void Default_batch_ids_come_from_the_file_name(string name, string expected)
    {
        Assert.Equal(expected, HotFolder.DefaultBatchId(name));
    }
}
