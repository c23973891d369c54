using Duplicator.Actors.Batches;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>The duplicator.job/2 key <c>append</c>: a folder job appending a session, its <c>expect</c>, and the jobs refused naming why.</summary>
public sealed class JobRequestParserAppendTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobs-append-").FullName;

    public JobRequestParserAppendTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "input", "docs"));
        File.WriteAllText(Path.Combine(_root, "input", "docs", "a.txt"), "a");
        File.WriteAllBytes(Path.Combine(_root, "input", "disc.iso"), new byte[2048]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["input"]);

    private IReadOnlyList<string> Problems(string json) => Assert.Throws<JobRejectedException>(() => Parse(json)).Problems;

    private static BatchSpec Spec(JobRequest job) => ActorTower.ToSpec("b", job, new Duplicator.Host.Configuration.BatchDefaults(false, 0, 0, 3, true));

    [Fact]
    public void A_folder_job_that_appends_carries_append_and_expect_to_the_batch_as_a_joliet_session()
    {
        var job = Parse("""
            { "schema": "duplicator.job/2", "folder": "input/docs", "copies": 3, "volume": "INVOICES_2026",
              "append": true, "expect": { "volume": "INVOICES_2026", "file": "/README.TXT" } }
            """);
        Assert.Equal(new AppendSpec(Finalize: false), job.Append);
        var spec = Spec(job);
        Assert.Equal(new AppendSpec(), spec.Options.Append);
        Assert.Equal(new DiscIdentity("INVOICES_2026", "/README.TXT"), spec.Options.Expect);
        Assert.Equal("joliet", spec.FileSystem); // not the DVD default (udf-bridge): a session chains ISO 9660 + Joliet
        Assert.Equal(new AppendSpec(Finalize: true), Parse("""{ "folder": "input/docs", "copies": 1, "append": { "finalize": true } }""").Append);
        Assert.Null(Parse("""{ "folder": "input/docs", "copies": 1, "append": false }""").Append);
        Assert.Null(Spec(Parse("""{ "folder": "input/docs", "copies": 1 }""")).Options.Append); // none: blank media, as before
    }

    [Theory]
    [InlineData("""{ "schema": "duplicator.job/1", "folder": "input/docs", "copies": 1, "append": true }""", "append: appending a session needs schema 'duplicator.job/2'")]
    [InlineData("""{ "image": "input/disc.iso", "copies": 1, "append": true }""", "append: only a folder job appends a session (its files laid over the disc's); an image job is written as it is staged")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "append": true }""", "append: only a folder job appends a session (its files laid over the disc's); a verify-only job (it writes nothing) is written as it is staged")]
    [InlineData("""{ "folder": "input/docs", "copies": 1, "filesystem": "udf", "append": true }""", "append: an appended session carries ISO 9660 + Joliet (filesystem joliet), not udf: UDF has no session chaining here")]
    [InlineData("""{ "folder": "input/docs", "copies": 1, "append": "yes" }""", "append: must be true, false or { \"finalize\": true|false }")]
    [InlineData("""{ "folder": "input/docs", "copies": 1, "append": { "close": true } }""", "append.close: unknown key (known: finalize)")]
    [InlineData("""{ "folder": "input/docs", "copies": 1, "append": { "finalize": 1 } }""", "append.finalize: must be true (close the disc after the session) or false (leave it appendable)")]
    [InlineData("""{ "folder": "input/docs", "copies": 1, "expect": { "volume": "V" } }""", "expect: only a verify-only job (verifyAgainst) or an append job checks the disc it is given; the other jobs write blank media or read any disc")]
    [InlineData("""{ "schema": "duplicator.job/2", "set": { "count": 2, "images": [ { "folder": "input/docs" }, { "image": "input/disc.iso" } ] }, "append": true }""", "append: a disc set burns blank media; it does not append sessions")]
    public void Append_where_it_cannot_work_is_refused_naming_why(string json, string problem) =>
        Assert.Contains(problem, Problems(json));

    [Fact]
    public void The_ledger_refuses_an_append_batch_of_another_kind_or_file_system_and_a_resubmission_that_differs_in_append()
    {
        var folder = new BatchSpec("b", SourceKind.Folder, [Path.Combine(_root, "input", "docs")], 1,
            new BatchOptions(false, 0, 0, true, []) { Append = new AppendSpec() }, FileSystem: "joliet");
        Assert.Null(AppendSpec.Refusal(folder));
        Assert.Contains("not udf-bridge", AppendSpec.Refusal(folder with { FileSystem = "udf-bridge" }));
        Assert.Contains("only a folder job appends", AppendSpec.Refusal(folder with { Source = SourceKind.Image }));
        var state = BatchLogic.Apply(BatchState.Empty, new BatchSubmitted(folder, DateTimeOffset.UnixEpoch));
        var again = BatchLogic.Decide(state, new SubmitBatch(folder with { Options = folder.Options with { Append = new AppendSpec(Finalize: true) } }, DateTimeOffset.UnixEpoch));
        Assert.Contains("append AppendSpec { Finalize = True }, not AppendSpec { Finalize = False }", again.Refused);
    }
}
