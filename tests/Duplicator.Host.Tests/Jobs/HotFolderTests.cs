using System.Text.Json;
using Duplicator.Actors.Batches;
using Duplicator.Host.Configuration;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;

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

    /// <summary>Records submissions, and like the tower's ledger refuses a different job under an id in use (BatchLogic.Difference).</summary>
    private sealed class RecordingSink : IJobSink
    {
        private static readonly BatchDefaults Defaults = new(true, 0, 3, 3, true);
        public List<(string Id, JobRequest Request)> Submitted { get; } = [];

        public void Submit(string batchId, JobRequest request)
        {
            var spec = ActorTower.ToSpec(batchId, request, Defaults);
            if (Submitted.FirstOrDefault(s => s.Id == batchId) is { Request: { } earlier }
                && BatchLogic.Difference(ActorTower.ToSpec(batchId, earlier, Defaults), spec) is { } differs)
                throw new JobRejectedException("request", [$"id: batch {batchId} exists with a different job ({differs})"]);
            if (!Submitted.Any(s => s.Id == batchId)) Submitted.Add((batchId, request));
        }
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
    [InlineData("my job (2)", "hot-my_job__2_-ff32f442af26")]
    public void Default_batch_ids_come_from_the_file_name(string name, string expected)
    {
        Assert.Equal(expected, HotFolder.DefaultBatchId(name));
    }

    private string[] Files() => Directory.GetFiles(_hot).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void A_different_job_under_a_finished_jobs_name_is_refused_and_the_same_job_again_is_idempotent()
    {
        const string first = """{ "folder": "../input/photos", "copies": 1 }""";
        Drop("reuse.job", first);
        var hot = Folder();
        hot.Scan();
        hot.MarkFinished("hot-reuse", true, []);

        Drop("reuse.job", """{ "folder": "../input/photos", "copies": 5 }""");
        var refused = Assert.Single(hot.Scan());
        Assert.Equal("failed", refused.State);
        Assert.StartsWith("id: batch hot-reuse exists with a different job (copies 5, not 1)", Assert.Single(refused.Problems));
        Assert.Equal(1, Assert.Single(_sink.Submitted).Request.Copies); // nothing merged into the finished batch
        Assert.Equal(["reuse.job.done", "reuse.job.failed", "reuse.result.json"], Files());

        Drop("reuse.job", first);
        Assert.Equal("accepted", Assert.Single(hot.Scan()).State);
        Assert.Single(_sink.Submitted);
    }

    [Fact]
    public void A_job_file_replaced_while_its_batch_runs_is_refused_and_the_running_jobs_files_stay()
    {
        const string job = """{ "folder": "../input/photos", "copies": 2 }""";
        Drop("x.job", job);
        var hot = Folder();
        hot.Scan();
        hot.MarkRunning("hot-x");

        Drop("x.job", """{ "folder": "../input/photos", "copies": 2, "verify": false }""");
        var e = Assert.Single(hot.Scan());
        Assert.Equal("refused", e.State);
        Assert.Contains("while batch hot-x of the earlier one is running; refused, not merged", Assert.Single(e.Problems));
        Assert.Equal(["x.job.refused", "x.job.refused.json", "x.job.running", "x.result.json"], Files());
        Assert.Equal("running", Result("x").GetProperty("state").GetString());
        Assert.Equal(job, File.ReadAllText(Path.Combine(_hot, "x.job.running")));

        Drop("x.job", job); // the same bytes again: absorbed, nothing new
        Assert.Equal("running", Assert.Single(hot.Scan()).State);
        Assert.False(File.Exists(Path.Combine(_hot, "x.job")));
        Assert.Single(_sink.Submitted);
        Assert.Equal("done", hot.MarkFinished("hot-x", true, [])!.State);
        Assert.True(File.Exists(Path.Combine(_hot, "x.job.done")));
    }

    [Fact]
    public void Names_that_clean_or_cut_to_the_same_text_get_different_batch_ids()
    {
        Drop("order 7.job", """{ "folder": "../input/photos", "copies": 1 }""");
        Drop("order_7.job", """{ "folder": "../input/photos", "copies": 2 }""");
        var longA = new string('n', 70) + "a";
        var longB = new string('n', 70) + "b";
        Drop(longA + ".job", """{ "folder": "../input/photos", "copies": 3 }""");
        Drop(longB + ".job", """{ "folder": "../input/photos", "copies": 4 }""");
        var events = Folder().Scan();
        Assert.All(events, e => Assert.Equal("accepted", e.State));
        Assert.Equal(4, events.Select(e => e.BatchId).Distinct().Count());
        Assert.Equal([1, 2, 3, 4], _sink.Submitted.Select(s => s.Request.Copies).Order());
        Assert.All(events, e => Assert.InRange(e.BatchId!.Length, 5, 64));
        Assert.Equal("hot-order_7", HotFolder.DefaultBatchId("order_7")); // a name that is an id stays as it is
    }

    [Fact]
    public void Oversized_linked_fifo_duplicate_key_and_bad_utf8_job_files_are_refused()
    {
        Drop("big.job", "{ \"folder\": \"../input/photos\", \"copies\": 1, \"volume\": \"" + new string(' ', JobRequestParser.MaxDocumentBytes) + "\" }");
        File.WriteAllText(Path.Combine(_root, "outside.json"), """{ "folder": "../input/photos", "copies": 1 }""");
        File.CreateSymbolicLink(Path.Combine(_hot, "link.job"), Path.Combine(_root, "outside.json"));
        Drop("twice.job", """{ "folder": "../input/photos", "copies": 1, "copies": 5000 }""");
        File.WriteAllBytes(Path.Combine(_hot, "utf.job"), [.. """{ "folder": "../input/photos", "copies": 1, "volume": "A"""u8, 0xC3, 0x28, .. "\" }"u8]);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(_hot, "pipe.job"))) mkfifo.WaitForExit();

        var events = Folder().Scan().ToDictionary(e => e.JobFile, e => Assert.Single(e.Problems));
        Assert.Equal($"(file): more than the {JobRequestParser.MaxDocumentBytes} bytes a job may have", events["big.job"]);
        Assert.StartsWith("(file): a symbolic link", events["link.job"]);
        Assert.StartsWith("(file): not a regular file", events["pipe.job"]);
        Assert.StartsWith("copies: given more than once", events["twice.job"]);
        Assert.StartsWith("(document): not valid UTF-8", events["utf.job"]);
        Assert.Empty(_sink.Submitted);
    }

    [Fact]
    public void Without_allowed_roots_only_sources_inside_the_hot_folder_may_be_named()
    {
        Directory.CreateDirectory(Path.Combine(_hot, "data"));
        File.WriteAllText(Path.Combine(_hot, "data", "a.txt"), "a");
        File.CreateSymbolicLink(Path.Combine(_hot, "data", "escape"), Path.Combine(_root, "input"));
        Drop("inside.job", """{ "folder": "data", "copies": 1 }""");
        Drop("outside.job", """{ "folder": "../input/photos", "copies": 1 }""");
        var events = new HotFolder(_hot, [], _sink).Scan().ToDictionary(e => e.JobFile);
        Assert.Equal("failed", events["outside.job"].State);
        Assert.Contains("outside the allowed roots", events["outside.job"].Problems[0]);
        // the link inside the trusted folder leads out of it: refused, naming the link
        Assert.Equal("failed", events["inside.job"].State);
        Assert.Contains(Path.Combine(_hot, "data", "escape") + ": symbolic link to", events["inside.job"].Problems[0]);
        File.Delete(Path.Combine(_hot, "data", "escape"));
        File.Delete(Path.Combine(_hot, "inside.job.failed"));
        Drop("inside.job", """{ "folder": "data", "copies": 1 }""");
        Assert.Equal("accepted", Assert.Single(new HotFolder(_hot, [], _sink).Scan()).State);
    }
}
