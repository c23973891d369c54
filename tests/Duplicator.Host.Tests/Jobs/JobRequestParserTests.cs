using Duplicator.Host.Jobs;
using Duplicator.Mastering.Media;

namespace Duplicator.Host.Tests.Jobs;

public sealed class JobRequestParserTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobs-").FullName;
    private readonly string _allowed;

    public JobRequestParserTests()
    {
        _allowed = Directory.CreateDirectory(Path.Combine(_root, "input")).FullName;
        Directory.CreateDirectory(Path.Combine(_allowed, "photos"));
        File.WriteAllBytes(Path.Combine(_allowed, "disc.iso"), new byte[2048]);
        File.WriteAllBytes(Path.Combine(_allowed, "a.wav"), new byte[44]);
        Directory.CreateDirectory(Path.Combine(_root, "secret"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["input"]);

    private JobRejectedException Reject(string json) => Assert.Throws<JobRejectedException>(() => Parse(json));

    [Fact]
    public void Folder_job_resolves_paths_and_leaves_unset_options_to_the_tower()
    {
        var job = Parse("""{ "schema": "duplicator.job/1", "id": "b-1", "folder": "input/photos", "copies": 8, "media": "dvd" }""");
        Assert.Equal(JobSourceKind.Folder, job.Source);
        Assert.Equal(Path.Combine(_allowed, "photos"), Assert.Single(job.Paths));
        Assert.Equal(8, job.Copies);
        Assert.Equal("b-1", job.Id);
        Assert.Equal(MediaKind.Dvd, job.Media);
        Assert.Null(job.Verify);
        Assert.Empty(job.Drives);
    }

    [Fact]
    public void Audio_job_keeps_track_order()
    {
        File.WriteAllBytes(Path.Combine(_allowed, "b.wav"), new byte[44]);
        var job = Parse("""{ "audio": ["input/b.wav", "input/a.wav"], "copies": 2, "verify": false, "drives": ["drive-1"] }""");
        Assert.Equal(JobSourceKind.Audio, job.Source);
        Assert.Equal(["b.wav", "a.wav"], job.Paths.Select(Path.GetFileName));
        Assert.False(job.Verify);
        Assert.Equal(["drive-1"], job.Drives);
    }

    [Fact]
    public void Unknown_keys_missing_source_and_zero_copies_are_all_named()
    {
        var e = Reject("""{ "folder": "input/nothing-here", "copies": 0, "colour": "red" }""");
        Assert.Contains(e.Problems, p => p.StartsWith("colour: unknown key"));
        Assert.Contains(e.Problems, p => p.StartsWith("folder: 'input/nothing-here' does not exist"));
        Assert.Contains(e.Problems, p => p.StartsWith("copies: 0 is not a whole number from 1 to 10000"));
        Assert.Equal(3, e.Problems.Count);
    }

    [Fact]
    public void Paths_outside_the_allowed_roots_are_refused_even_through_dot_dot()
    {
        var e = Reject("""{ "folder": "input/../secret", "copies": 1 }""");
        Assert.Contains("outside the allowed roots", Assert.Single(e.Problems));
        var abs = Reject($$"""{ "image": "{{Path.Combine(_root, "secret").Replace("\\", "\\\\")}}", "copies": 1 }""");
        Assert.Contains("outside the allowed roots", Assert.Single(abs.Problems));
    }

    [Theory]
    [InlineData("""{ "copies": 1 }""", "folder/image/audio: exactly one source")]
    [InlineData("""{ "folder": "input/photos", "image": "input/disc.iso", "copies": 1 }""", "folder/image/audio: exactly one source")]
    [InlineData("""{ "folder": "input/photos" }""", "copies: missing")]
    [InlineData("""{ "folder": "input/photos", "copies": 1, "media": "floppy" }""", "media: 'floppy'")]
    [InlineData("""{ "audio": ["input/a.wav"], "copies": 1, "media": "dvd" }""", "media: audio needs cd74 or cd80")]
    [InlineData("""{ "folder": "input/photos", "copies": 1, "id": "no spaces please" }""", "id: 'no spaces please'")]
    [InlineData("""{ "folder": "input/photos", "copies": 1, "schema": "duplicator.job/9" }""", "schema: 'duplicator.job/9'")]
    [InlineData("""{ "folder": "input/photos", "copies": "3" }""", "copies: \"3\" is not a whole number")]
    [InlineData("""{ "image": "input/photos", "copies": 1 }""", "image: 'input/photos' does not exist or is not a file")]
    [InlineData("""[1, 2]""", "(document): must be a JSON object")]
    [InlineData("""{ "folder": """, "(document): not valid JSON")]
    public void Bad_jobs_are_refused_with_the_key_named(string json, string expected)
    {
        var e = Reject(json);
        Assert.Contains(e.Problems, p => p.StartsWith(expected));
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/a/b/../../c", "/a", false)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/srv/x", "/", true)]
    [InlineData("/", "/", true)]
    public void IsUnder_compares_whole_path_segments(string path, string root, bool expected)
    {
        Assert.Equal(expected, JobRequestParser.IsUnder(path, root));
    }
}
