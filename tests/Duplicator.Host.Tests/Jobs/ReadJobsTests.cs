using Duplicator.Host.Jobs;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>Job documents of copy, verify-only and read jobs, and foreign BIN/CUE sources: each bad input named with its key.</summary>
public sealed class ReadJobsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dup-readjobs-").FullName;
    private readonly string _allowed;

    public ReadJobsTests()
    {
        _allowed = Directory.CreateDirectory(Path.Combine(_root, "input")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "secret"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["input"]);

    private JobRejectedException Reject(string json) => Assert.Throws<JobRejectedException>(() => Parse(json));

    [Fact]
    public void Master_job_names_a_drive_and_copies()
    {
        var job = Parse("""{ "master": "drive-1", "copies": 4, "drives": ["drive-2", "drive-3"] }""");
        Assert.Equal(JobSourceKind.Master, job.Source);
        Assert.Equal(["drive-1"], job.Paths);
        Assert.Equal(4, job.Copies);
    }

    [Theory]
    [InlineData("""{ "master": "../etc", "copies": 1 }""", "master: '../etc' is not a drive id")]
    [InlineData("""{ "master": "drive-1" }""", "copies: missing")]
    [InlineData("""{ "master": "drive-1", "folder": "input", "copies": 1 }""", "folder/image/audio: exactly one source")]
    [InlineData("""{ "verifyAgainst": "b/../x", "drives": ["d1"] }""", "verifyAgainst: 'b/../x' is not a batch id")]
    [InlineData("""{ "verifyAgainst": "b-1" }""", "drives: a verify-only job reads the discs loaded in the drives it names")]
    [InlineData("""{ "archive": "input/out" }""", "drives: a read (archive) job reads the discs loaded in the drives it names")]
    [InlineData("""{ "archive": "secret/out", "drives": ["d1"] }""", "archive: 'secret/out' is outside the allowed roots")]
    [InlineData("""{ "archive": "input/missing/out", "drives": ["d1"] }""", "archive: 'input/missing/out' is outside the allowed roots or its parent folder does not exist")]
    [InlineData("""{ "master": "drive-1", "copies": 1, "audioMode": "dao" }""", "audioMode: only for audio jobs")]
    public void Bad_read_job_documents_are_refused_naming_the_key(string json, string problem)
    {
        var e = Reject(json);
        Assert.Contains(e.Problems, p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void Verify_and_archive_jobs_check_one_disc_per_named_drive_unless_copies_say_otherwise()
    {
        var verify = Parse("""{ "verifyAgainst": "b-1", "drives": ["d1", "d2"] }""");
        Assert.Equal((JobSourceKind.Verify, "b-1", 2), (verify.Source, verify.Paths.Single(), verify.Copies));
        var archive = Parse("""{ "archive": "input/out", "drives": ["d1", "d2", "d3"], "copies": 9 }""");
        Assert.Equal((JobSourceKind.Archive, Path.Combine(_allowed, "out"), 9), (archive.Source, archive.Paths.Single(), archive.Copies));
        Assert.False(Directory.Exists(Path.Combine(_allowed, "out"))); // parsing makes nothing: the batch makes its folder
    }

    [Fact]
    public void Archive_into_a_folder_holding_files_it_did_not_make_is_refused()
    {
        var theirs = Directory.CreateDirectory(Path.Combine(_allowed, "theirs")).FullName;
        File.WriteAllText(Path.Combine(theirs, "1.iso"), "not ours");
        var e = Reject("""{ "archive": "input/theirs", "drives": ["d1"] }""");
        Assert.Contains(e.Problems, p => p.StartsWith("archive: 'input/theirs' is not empty and was not made by a read job"));
        Assert.Equal("not ours", File.ReadAllText(Path.Combine(theirs, "1.iso")));
    }

    private string Cue(string name, string sheet, int binSectors = 400)
    {
        File.WriteAllBytes(Path.Combine(_allowed, "album.bin"), new byte[binSectors * 2352]);
        var path = Path.Combine(_allowed, name);
        File.WriteAllText(path, sheet);
        return path;
    }

    [Fact]
    public void Cue_job_is_an_audio_image_burned_as_it_is_and_may_ask_for_disc_at_once()
    {
        Cue("album.cue", "FILE \"album.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 AUDIO\nINDEX 00 00:02:00\nINDEX 01 00:04:00\n");
        var job = Parse("""{ "cue": "input/album.cue", "copies": 2, "audioMode": "dao" }""");
        Assert.Equal(JobSourceKind.Cue, job.Source);
        Assert.Equal(Path.Combine(_allowed, "album.cue"), job.Paths.Single());
        Assert.Equal(Duplicator.Drivers.Imapi.AudioWriteMode.DiscAtOnce, job.AudioMode);
    }

    [Fact]
    public void Cue_sheet_with_a_bad_line_is_refused_naming_the_line()
    {
        Cue("bad.cue", "FILE \"album.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\nTRACK 02 MODE1/2352\n");
        var e = Reject("""{ "cue": "input/bad.cue", "copies": 1 }""");
        Assert.Contains(e.Problems, p => p.StartsWith("cue: IMAPI_E_INVALIDINPUT:") && p.Contains("bad.cue:4: track mode MODE1/2352: only AUDIO tracks are supported"));
    }

    [Fact]
    public void Cue_sheet_larger_than_the_limit_is_refused_naming_the_limit()
    {
        Cue("huge.cue", "REM " + new string('x', Duplicator.Mastering.Audio.CueSheetImage.MaxCueBytes) + "\n");
        var e = Reject("""{ "cue": "input/huge.cue", "copies": 1 }""");
        Assert.Contains(e.Problems, p => p.Contains($"larger than the {Duplicator.Mastering.Audio.CueSheetImage.MaxCueBytes} bytes a CUE sheet may be"));
    }

    [Fact]
    public void Cue_sheet_whose_BIN_lies_outside_the_allowed_roots_is_forbidden()
    {
        File.WriteAllBytes(Path.Combine(_root, "secret", "stolen.bin"), new byte[100 * 2352]);
        File.WriteAllText(Path.Combine(_allowed, "escape.cue"), "FILE \"../secret/stolen.bin\" BINARY\nTRACK 01 AUDIO\nINDEX 01 00:00:00\n");
        var e = Reject("""{ "cue": "input/escape.cue", "copies": 1 }""");
        Assert.True(e.Forbidden);
        Assert.Contains(e.Problems, p => p.StartsWith("cue: its BIN") && p.Contains("outside the allowed roots"));
    }
}
