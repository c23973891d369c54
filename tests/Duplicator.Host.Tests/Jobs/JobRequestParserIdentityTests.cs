using Duplicator.Actors.Batches;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>The duplicator.job/2 key <c>expect</c>: what the disc of a verify-only job must be, bounded, never a host path.</summary>
public sealed class JobRequestParserIdentityTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobs-expect-").FullName;

    public JobRequestParserIdentityTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "input"));
        File.WriteAllBytes(Path.Combine(_root, "input", "disc.iso"), new byte[2048]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["input"]);

    private IReadOnlyList<string> Problems(string json) => Assert.Throws<JobRejectedException>(() => Parse(json)).Problems;

    [Fact]
    public void A_verify_only_job_expecting_a_volume_and_a_file_carries_them_to_the_batch()
    {
        var job = Parse("""
            { "schema": "duplicator.job/2", "verifyAgainst": "invoices-2026-11", "drives": ["drive-1", "drive-2"],
              "expect": { "volume": "INVOICES_2026", "file": "README.TXT" } }
            """);
        Assert.Equal(new DiscIdentity("INVOICES_2026", "README.TXT"), job.Expect);
        var spec = ActorTower.ToSpec("b", job, new Duplicator.Host.Configuration.BatchDefaults(false, 0, 0, 3, true));
        Assert.Equal(job.Expect, spec.Options.Expect);
        Assert.Null(Parse("""{ "verifyAgainst": "b-1", "drives": ["d1"] }""").Expect); // none: no check, as before
        Assert.Equal(new DiscIdentity(null, "/docs/a.pdf"), Parse("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "file": "/docs/a.pdf" } }""").Expect); // no schema: allowed, as accept is
    }

    [Theory]
    [InlineData("""{ "schema": "duplicator.job/1", "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "volume": "V" } }""", "expect: checking the loaded disc needs schema 'duplicator.job/2'")]
    [InlineData("""{ "image": "input/disc.iso", "copies": 1, "expect": { "volume": "V" } }""", "expect: only a verify-only job (verifyAgainst) or an append job checks the disc it is given; the other jobs write blank media or read any disc")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": "V" }""", "expect: must be an object { volume, file }")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { } }""", "expect: name a volume, a file or both")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "volume": "V", "path": "/x" } }""", "expect.path: unknown key (known: file, volume)")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "volume": 7 } }""", "expect.volume: must be a string")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "volume": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456" } }""", "expect.volume: 33 characters, at most 32")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "file": "../../etc/passwd" } }""", "expect.file: '..' is not a name (a path on the disc, from its root)")]
    [InlineData("""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "file": "C:\\boot.ini" } }""", "expect.file: a path on the disc ('/' between names) holds no control characters nor any of \\ : * ? \" < > | ;")]
    public void A_bad_expectation_is_refused_naming_the_key_and_the_limit(string json, string problem) =>
        Assert.Contains(problem, Problems(json));

    [Fact]
    public void A_file_path_longer_than_the_limit_is_refused_before_it_is_looked_at()
    {
        var path = string.Join('/', Enumerable.Repeat("a", 600));
        Assert.Contains($"expect.file: {path.Length} characters, at most 1024", Problems($$"""{ "verifyAgainst": "b-1", "drives": ["d1"], "expect": { "file": "{{path}}" } }"""));
    }
}
