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

    [Fact]
    public void A_symbolic_link_under_an_allowed_root_that_points_outside_it_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_allowed, "escape"), Path.Combine(_root, "secret"));
        Directory.CreateSymbolicLink(Path.Combine(_allowed, "inside"), Path.Combine(_allowed, "photos"));

        var e = Reject("""{ "folder": "input/escape", "copies": 1 }""");
        Assert.Contains(e.Problems, p => p.StartsWith("folder: 'input/escape' is outside the allowed roots"));
        Assert.Equal(Path.Combine(_allowed, "inside"), Parse("""{ "folder": "input/inside", "copies": 1 }""").Paths[0]); // a link that stays inside is fine
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

    [Fact]
    public void A_key_given_twice_is_refused_naming_it_rather_than_the_last_one_winning()
    {
        var e = Reject("""{ "folder": "input/photos", "copies": 1, "copies": 5000 }""");
        Assert.Equal("copies: given more than once (each key once: which one would count is not for the parser to guess)", Assert.Single(e.Problems));
        var escaped = Reject("""{ "folder": "input/photos", "copies": 1, "cop\u0069es": 5000 }""");
        Assert.StartsWith("copies: given more than once", Assert.Single(escaped.Problems));
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_its_offset_and_a_byte_order_mark_is_skipped()
    {
        var bytes = """{ "folder": "input/photos", "copies": 1, "volume": "AB" }"""u8.ToArray();
        int at = Array.IndexOf(bytes, (byte)'B');
        bytes[at] = 0xFF; // never valid in UTF-8
        var e = Assert.Throws<JobRejectedException>(() => JobRequestParser.Parse(bytes, "job", _root, ["input"]));
        Assert.Equal($"(document): not valid UTF-8 (first bad byte at offset {at})", Assert.Single(e.Problems));

        byte[] bom = [0xEF, 0xBB, 0xBF, .. """{ "folder": "input/photos", "copies": 2 }"""u8];
        Assert.Equal(2, JobRequestParser.Parse(bom, "job", _root, ["input"]).Copies);
    }

    [Fact]
    public void A_lone_surrogate_escape_is_a_clear_problem()
    {
        var e = Reject("""{ "folder": "input/photos", "copies": 1, "volume": "\ud800" }""");
        Assert.StartsWith("(document):", Assert.Single(e.Problems));
    }

    [Fact]
    public void Strings_lists_and_documents_over_their_limits_are_refused_naming_the_limit()
    {
        Assert.Equal("volume: 33 characters, at most 32", Assert.Single(Reject($$"""{ "folder": "input/photos", "copies": 1, "volume": "{{new string('V', 33)}}" }""").Problems));
        Assert.Equal("volume: control characters are not allowed", Assert.Single(Reject("""{ "folder": "input/photos", "copies": 1, "volume": "A\u0001" }""").Problems));
        var drives = string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"d{i}\""));
        Assert.Equal("drives: 65 entries, at most 64", Assert.Single(Reject($$"""{ "folder": "input/photos", "copies": 1, "drives": [{{drives}}] }""").Problems));
        var tracks = string.Join(",", Enumerable.Range(0, 100).Select(_ => "\"input/a.wav\""));
        Assert.Equal("audio: 100 entries, at most 99", Assert.Single(Reject($$"""{ "audio": [{{tracks}}], "copies": 1 }""").Problems));
        Assert.Equal("folder: 4102 characters, at most 4095", Assert.Single(Reject($$"""{ "folder": "input/{{new string('p', 4096)}}", "copies": 1 }""").Problems));
        Assert.Equal("folder: longer than 4095 bytes", Assert.Single(Reject($$"""{ "folder": "input/{{new string('\u00e9', 2100)}}", "copies": 1 }""").Problems));
        Assert.StartsWith("drives[0]: 'drive 1!' is not a drive id", Assert.Single(Reject("""{ "folder": "input/photos", "copies": 1, "drives": ["drive 1!"] }""").Problems));
        Assert.Equal("folder: must be a non-empty path without NUL characters", Assert.Single(Reject("""{ "folder": "input/\u0000x", "copies": 1 }""").Problems));
        var big = $$"""{ "folder": "input/photos", "copies": 1, "volume": "{{new string(' ', JobRequestParser.MaxDocumentBytes)}}" }""";
        Assert.StartsWith("(document): ", Assert.Single(Reject(big).Problems));
    }

    [Fact]
    public void Thousands_of_unknown_keys_give_twenty_problems_and_a_count_of_the_rest()
    {
        var keys = string.Join(",", Enumerable.Range(0, 3000).Select(i => $"\"k{i}\": 1"));
        var e = Reject($$"""{ {{keys}}, "folder": "input/photos", "copies": 1 }""");
        Assert.Equal(JobRequestParser.MaxProblems + 1, e.Problems.Count);
        Assert.Equal("... and 2980 more problem(s) (only the first 20 are listed)", e.Problems[^1]);
        Assert.True(string.Join("", e.Problems).Length < 8000, "the refusal stays small");
    }

    [Fact]
    public void No_allowed_roots_means_no_file_access_and_the_refusal_is_forbidden()
    {
        var e = Assert.Throws<JobRejectedException>(() => JobRequestParser.Parse("""{ "image": "/etc/passwd", "copies": 1 }""", "request", _root, []));
        Assert.True(e.Forbidden);
        Assert.StartsWith("image: '/etc/passwd' refused: no file access, control.allowedRoots is empty", Assert.Single(e.Problems));
        Assert.True(Reject("""{ "folder": "secret", "copies": 1 }""").Forbidden);
        Assert.False(Reject("""{ "folder": "input/photos", "copies": 0 }""").Forbidden);
    }

    [Fact]
    public void A_path_outside_the_roots_that_does_not_exist_is_outside_not_missing()
    {
        // "does not exist" would tell a caller what exists outside the roots.
        var e = Reject($$"""{ "image": "{{Path.Combine(_root, "secret", "nothing.iso")}}", "copies": 1 }""");
        Assert.Contains("outside the allowed roots", Assert.Single(e.Problems));
        Assert.True(e.Forbidden);
    }

    [Fact]
    public void A_link_inside_a_source_folder_that_leads_outside_the_roots_is_refused_naming_the_link()
    {
        File.WriteAllText(Path.Combine(_root, "secret", "passwd"), "root:x:0:0");
        File.WriteAllText(Path.Combine(_allowed, "photos", "a.jpg"), "jpeg");
        var link = Path.Combine(_allowed, "photos", "sub", "passwd");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, Path.Combine(_root, "secret", "passwd"));

        var e = Reject("""{ "folder": "input/photos", "copies": 1 }""");
        Assert.True(e.Forbidden);
        var problem = Assert.Single(e.Problems);
        Assert.StartsWith($"folder: IMAPI_E_SOURCENOTALLOWED: {link}: symbolic link to {Path.Combine(_root, "secret", "passwd")}, outside the allowed roots", problem);

        File.Delete(link);
        File.CreateSymbolicLink(link, Path.Combine(_allowed, "disc.iso")); // a link that stays inside is followed
        Assert.Equal(Path.Combine(_allowed, "photos"), Parse("""{ "folder": "input/photos", "copies": 1 }""").Paths[0]);
    }
}
