using Duplicator.Host.Configuration;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;

namespace Duplicator.Host.Tests.Jobs;

/// <summary><c>duplicator.job/2</c> (priority) next to <c>duplicator.job/1</c>, which reads exactly as before.</summary>
public sealed class JobSchema2Tests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobs2-").FullName;

    public JobSchema2Tests() => Directory.CreateDirectory(Path.Combine(_root, "input", "photos"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["input"]);

    private IReadOnlyList<string> Problems(string json) => Assert.Throws<JobRejectedException>(() => Parse(json)).Problems;

    private static readonly BatchDefaults Defaults = new(true, 0, 0, 3, true);

    [Fact]
    public void A_job_2_document_carries_a_priority_into_the_batch_and_without_one_the_batch_has_4()
    {
        var high = Parse("""{ "schema": "duplicator.job/2", "folder": "input/photos", "copies": 2, "priority": 9 }""");
        Assert.Equal(9, high.Priority);
        Assert.Equal(9, ActorTower.ToSpec("b", high, Defaults).Priority);
        Assert.Equal(0, Parse("""{ "schema": "duplicator.job/2", "folder": "input/photos", "copies": 2, "priority": 0 }""").Priority);
        var none = Parse("""{ "schema": "duplicator.job/2", "folder": "input/photos", "copies": 2 }""");
        Assert.Null(none.Priority);
        Assert.Equal(4, ActorTower.ToSpec("b", none, Defaults).Priority);
    }

    [Fact]
    public void A_job_1_document_reads_as_it_always_did_and_cannot_carry_a_priority()
    {
        var v1 = Parse("""{ "schema": "duplicator.job/1", "folder": "input/photos", "copies": 3, "verify": false }""");
        var bare = Parse("""{ "folder": "input/photos", "copies": 3, "verify": false }""");
        Assert.Equal(v1 with { Paths = bare.Paths, Drives = bare.Drives }, bare);
        Assert.Null(v1.Priority);
        Assert.Equal(4, ActorTower.ToSpec("b", v1, Defaults).Priority);

        var p = Assert.Single(Problems("""{ "schema": "duplicator.job/1", "folder": "input/photos", "copies": 3, "priority": 7 }"""));
        Assert.Equal("priority: needs \"schema\": \"duplicator.job/2\" (a duplicator.job/1 document has no priority)", p);
        Assert.StartsWith("priority: needs", Assert.Single(Problems("""{ "folder": "input/photos", "copies": 3, "priority": 7 }""")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("-1")]
    [InlineData("4.5")]
    [InlineData("\"9\"")]
    [InlineData("99999999999")]
    public void A_priority_outside_0_to_9_is_refused_naming_the_key_and_the_range(string value)
    {
        var p = Assert.Single(Problems($$"""{ "schema": "duplicator.job/2", "folder": "input/photos", "copies": 1, "priority": {{value}} }"""));
        Assert.StartsWith("priority: ", p);
        Assert.EndsWith("is not a whole number from 0 to 9", p);
    }

    [Fact]
    public void A_priority_given_twice_or_an_unknown_schema_is_refused()
    {
        Assert.Contains(Problems("""{ "schema": "duplicator.job/2", "folder": "input/photos", "copies": 1, "priority": 1, "priority": 2 }"""),
            p => p.StartsWith("priority: given more than once"));
        Assert.Contains(Problems("""{ "schema": "duplicator.job/3", "folder": "input/photos", "copies": 1 }"""),
            p => p == "schema: 'duplicator.job/3' is not supported (expected 'duplicator.job/1' or 'duplicator.job/2')");
    }
}
