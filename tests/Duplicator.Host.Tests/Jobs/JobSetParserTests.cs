using Duplicator.Actors.Batches;
using Duplicator.Host.Configuration;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>The <c>set</c> key of <c>duplicator.job/2</c>: K images as member jobs, each source checked as a single job's is.</summary>
public sealed class JobSetParserTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobset-").FullName;

    public JobSetParserTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "input", "a"));
        File.WriteAllBytes(Path.Combine(_root, "input", "b.iso"), new byte[2048]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["input"]);

    private IReadOnlyList<string> Problems(string json) => Assert.Throws<JobRejectedException>(() => Parse(json)).Problems;

    private static readonly BatchDefaults Defaults = new(true, 0, 0, 3, true);

    [Fact]
    public void A_set_job_becomes_one_member_job_per_image_with_the_sets_options_and_count_as_copies()
    {
        var job = Parse("""
            { "schema": "duplicator.job/2", "id": "kit", "priority": 7, "drives": ["drive-1", "drive-2"], "volume": "KIT",
              "set": { "count": 4, "images": [ { "folder": "input/a", "volume": "DISC_A" }, { "image": "input/b.iso" } ] } }
            """);
        var set = Assert.IsType<JobSet>(job.Set);
        Assert.Equal(("kit", 4, 2), (job.Id, set.Count, set.Members.Count));
        Assert.Equal((JobSourceKind.Folder, "DISC_A", 4, 7), (set.Members[0].Source, set.Members[0].Volume, set.Members[0].Copies, set.Members[0].Priority));
        Assert.Equal((JobSourceKind.Image, "KIT"), (set.Members[1].Source, set.Members[1].Volume));
        Assert.Equal(Path.Combine(_root, "input", "b.iso"), set.Members[1].Paths.Single());

        var specs = ActorTower.ToSpecs("kit", job, Defaults);
        Assert.Equal(["kit~1", "kit~2"], specs.Select(s => s.BatchId));
        Assert.Equal([new SetMember("kit", 1, 2), new SetMember("kit", 2, 2)], specs.Select(s => s.Set));
        Assert.All(specs, s => Assert.Equal(["drive-1", "drive-2"], s.Options.Drives.ToArray()));
        Assert.Null(DiscSets.Refusal(specs));
    }

    [Fact]
    public void A_members_source_is_checked_as_a_single_jobs_and_named_by_its_index()
    {
        var problems = Problems("""{ "schema": "duplicator.job/2", "set": { "count": 2, "images": [ { "folder": "input/a" }, { "image": "input/missing.iso" } ] } }""");
        Assert.Equal(["set.images[1]: image: 'input/missing.iso' does not exist or is not a file"], problems);
        var outside = Assert.Throws<JobRejectedException>(() => Parse("""{ "schema": "duplicator.job/2", "set": { "count": 2, "images": [ { "folder": "/etc" }, { "folder": "input/a" } ] } }"""));
        Assert.True(outside.Forbidden);
        Assert.StartsWith("set.images[0]: folder: '/etc' is outside the allowed roots", outside.Problems.Single());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    public void A_set_of_1_or_17_images_is_refused(int k)
    {
        var images = string.Join(", ", Enumerable.Repeat("""{ "folder": "input/a" }""", k));
        Assert.Equal([$"set.images: {k} image(s); a set has 2 to 16 images"], Problems($$"""{ "schema": "duplicator.job/2", "set": { "count": 2, "images": [ {{images}} ] } }"""));
    }

    [Fact]
    public void A_set_needs_schema_2_a_count_and_no_source_or_copies_of_its_own()
    {
        Assert.Contains("set: needs \"schema\": \"duplicator.job/2\" (a duplicator.job/1 document burns one image)",
            Problems("""{ "set": { "count": 2, "images": [ { "folder": "input/a" }, { "folder": "input/a" } ] } }"""));
        var p = Problems("""{ "schema": "duplicator.job/2", "copies": 3, "folder": "input/a", "set": { "count": 0, "images": [ { "folder": "input/a" }, { "folder": "input/a", "copies": 2 } ], "extra": 1 } }""");
        Assert.Contains("copies: a set job gives the sets wanted as set.count", p);
        Assert.Contains("folder: a set job names its images in set.images (folder is not for sets)", p);
        Assert.Contains("set.count: 0 is not a whole number from 1 to 10000", p);
        Assert.Contains("set.extra: unknown key (known: count, images)", p);
        Assert.Contains("set.images[1].copies: unknown key (known: audio, cue, folder, image, volume)",
            Problems("""{ "schema": "duplicator.job/2", "set": { "count": 1, "images": [ { "folder": "input/a" }, { "folder": "input/a", "copies": 2 } ] } }"""));
        Assert.Contains("id: 'a~1' must be 1-64 letters, digits, '.', '-' or '_'",
            Problems("""{ "schema": "duplicator.job/2", "id": "a~1", "set": { "count": 1, "images": [ { "folder": "input/a" }, { "folder": "input/a" } ] } }"""));
    }
}
