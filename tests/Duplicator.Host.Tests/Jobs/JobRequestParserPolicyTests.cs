using Duplicator.Actors.Batches;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>The duplicator.job/2 keys verify (levels and sampling) and accept (media rules); /1 documents as before.</summary>
public sealed class JobRequestParserPolicyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobs2-").FullName;

    public JobRequestParserPolicyTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "input"));
        File.WriteAllBytes(Path.Combine(_root, "input", "disc.iso"), new byte[2048]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["input"]);

    private JobRejectedException Reject(string json) => Assert.Throws<JobRejectedException>(() => Parse(json));

    [Fact]
    public void A_sampling_policy_and_media_rules_are_read_and_reach_the_batch()
    {
        var job = Parse("""
            { "schema": "duplicator.job/2", "image": "input/disc.iso", "copies": 20,
              "verify": { "mode": "quick", "every": 5, "first": true, "escalateUntilGood": 2 },
              "accept": { "profiles": ["dvd+r", "BD-R"], "minBlocks": "dvd" } }
            """);
        Assert.Equal(new VerifyPolicy(VerifyMode.Quick, 5, true, 2), job.VerifyPolicy);
        Assert.True(job.Verify);
        Assert.Equal(["DVD+R", "BD-R"], job.MediaRules!.Profiles.ToArray()); // spelled as drives report them
        Assert.Equal(2_295_104, job.MediaRules.MinBlocks);
        var spec = ActorTower.ToSpec("b", job, new Duplicator.Host.Configuration.BatchDefaults(false, 0, 0, 3, true));
        Assert.Equal(job.VerifyPolicy, spec.Options.VerifyPolicy);
        Assert.True(spec.Options.MediaRules!.SameAs(job.MediaRules));
        Assert.True(spec.Options.Verify);
    }

    [Theory]
    [InlineData("\"quick\"", VerifyMode.Quick, true)]
    [InlineData("\"full\"", VerifyMode.Full, true)]
    [InlineData("\"none\"", VerifyMode.None, false)]
    public void A_level_alone_verifies_every_disc_at_that_level(string value, VerifyMode mode, bool flag)
    {
        var job = Parse($$"""{ "schema": "duplicator.job/2", "image": "input/disc.iso", "copies": 1, "verify": {{value}} }""");
        Assert.Equal(new VerifyPolicy(mode), job.VerifyPolicy);
        Assert.Equal(flag, job.Verify);
    }

    [Fact]
    public void A_job_1_document_keeps_working_and_its_verify_stays_a_flag()
    {
        var job = Parse("""{ "schema": "duplicator.job/1", "image": "input/disc.iso", "copies": 2, "verify": true }""");
        Assert.True(job.Verify);
        Assert.Null(job.VerifyPolicy);
        Assert.Null(job.MediaRules);
        var e = Reject("""{ "schema": "duplicator.job/1", "image": "input/disc.iso", "copies": 2, "verify": "quick", "accept": { "profiles": ["DVD+R"] } }""");
        Assert.Contains(e.Problems, p => p == "verify: a level or a sampling policy needs schema 'duplicator.job/2' (in 'duplicator.job/1' verify is true or false)");
        Assert.Contains(e.Problems, p => p == "accept: media rules need schema 'duplicator.job/2'");
    }

    [Fact]
    public void Bad_policies_and_rules_are_refused_naming_each_key()
    {
        var e = Reject("""
            { "schema": "duplicator.job/2", "image": "input/disc.iso", "copies": 1,
              "verify": { "mode": "fast", "every": -2, "first": "yes", "escalateUntilGood": 100000, "sample": 3 },
              "accept": { "profiles": ["DVD-RAM", 7], "minBlocks": "huge", "colour": 1 } }
            """);
        Assert.Contains(e.Problems, p => p.StartsWith("verify.mode: \"fast\" is not \"none\", \"quick\""));
        Assert.Contains(e.Problems, p => p == "verify.every: -2 is not a whole number from 0 to 10000");
        Assert.Contains(e.Problems, p => p == "verify.first: must be true or false");
        Assert.Contains(e.Problems, p => p == "verify.escalateUntilGood: 100000 is not a whole number from 0 to 10000");
        Assert.Contains(e.Problems, p => p.StartsWith("verify.sample: unknown key"));
        Assert.Contains(e.Problems, p => p.StartsWith("accept.profiles[0]: \"DVD-RAM\" is not one of CD-R, CD-RW"));
        Assert.Contains(e.Problems, p => p.StartsWith("accept.profiles[1]: 7 is not one of"));
        Assert.Contains(e.Problems, p => p.StartsWith("accept.minBlocks: \"huge\" is not a number of blocks"));
        Assert.Contains(e.Problems, p => p.StartsWith("accept.colour: unknown key"));
        var many = Reject($$"""{ "image": "input/disc.iso", "copies": 1, "accept": { "profiles": [{{string.Join(",", Enumerable.Repeat("\"CD-R\"", 17))}}] } }""");
        Assert.Contains(many.Problems, p => p == "accept.profiles: 17 entries, at most 16");
        Assert.Contains(Reject("""{ "schema": "duplicator.job/3", "image": "input/disc.iso", "copies": 1 }""").Problems,
            p => p == "schema: 'duplicator.job/3' is not supported (expected 'duplicator.job/1' or 'duplicator.job/2')");
        Assert.Contains(Reject("""{ "image": "input/disc.iso", "copies": 1, "verify": 3 }""").Problems, p => p.StartsWith("verify: must be true, false"));
    }
}
