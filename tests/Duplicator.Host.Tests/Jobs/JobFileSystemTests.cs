using Duplicator.Actors.Batches;
using Duplicator.Host.Configuration;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;
using Duplicator.Mastering.Data;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>The job key <c>filesystem</c>: parsed, refused where it cannot apply, and recorded in the batch with the medium's default.</summary>
public sealed class JobFileSystemTests : IDisposable
{
    private static readonly BatchDefaults Defaults = new(true, 0, 3, 3, true);
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobfs-").FullName;

    public JobFileSystemTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "in", "photos"));
        File.WriteAllBytes(Path.Combine(_root, "in", "disc.iso"), new byte[2048]);
        File.WriteAllBytes(Path.Combine(_root, "in", "a.wav"), new byte[44]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["in"]);

    private string[] Problems(string json) => [.. Assert.Throws<JobRejectedException>(() => Parse(json)).Problems];

    [Theory]
    [InlineData("joliet", DataFileSystems.Joliet)]
    [InlineData("udf-bridge", DataFileSystems.UdfBridge)]
    [InlineData("udf", DataFileSystems.Udf)]
    [InlineData("dvd-video", DataFileSystems.DvdVideo)]
    public void A_folder_job_names_its_file_system_and_the_batch_records_it(string name, DataFileSystems expected)
    {
        var job = Parse($$"""{ "folder": "in/photos", "copies": 2, "filesystem": "{{name}}" }""");
        Assert.Equal(expected, job.FileSystem);
        Assert.Equal(name, ActorTower.ToSpec("b", job, Defaults).FileSystem);
    }

    [Theory]
    [InlineData(null, "udf-bridge")]
    [InlineData("dvd", "udf-bridge")]
    [InlineData("dvd-dl", "udf-bridge")]
    [InlineData("cd74", "joliet")]
    [InlineData("cd80", "joliet")]
    [InlineData("bd25", "udf")]
    [InlineData("bd50", "udf")]
    public void A_folder_job_without_one_records_its_mediums_default(string? media, string expected)
    {
        var job = Parse(media is null ? """{ "folder": "in/photos", "copies": 1 }""" : $$"""{ "folder": "in/photos", "copies": 1, "media": "{{media}}" }""");
        Assert.Null(job.FileSystem);
        var spec = ActorTower.ToSpec("b", job, Defaults);
        Assert.Equal(expected, spec.FileSystem); // never null for a new folder batch: null in the ledger means a batch from before the key (joliet)
        Assert.Null(BatchFileSystem.Refusal(spec));
    }

    [Fact]
    public void Image_and_audio_jobs_record_no_file_system()
    {
        Assert.Null(ActorTower.ToSpec("i", Parse("""{ "image": "in/disc.iso", "copies": 1 }"""), Defaults).FileSystem);
        Assert.Null(ActorTower.ToSpec("a", Parse("""{ "audio": ["in/a.wav"], "copies": 1 }"""), Defaults).FileSystem);
    }

    [Theory]
    [InlineData("""{ "folder": "in/photos", "copies": 1, "filesystem": "hfs" }""", "filesystem: 'hfs' is not one of joliet, udf-bridge, udf, dvd-video")]
    [InlineData("""{ "folder": "in/photos", "copies": 1, "filesystem": "UDF" }""", "filesystem: 'UDF' is not one of")]
    [InlineData("""{ "folder": "in/photos", "copies": 1, "filesystem": 250 }""", "filesystem: must be a string")]
    [InlineData("""{ "folder": "in/photos", "copies": 1, "filesystem": "dvd-video", "media": "cd80" }""", "filesystem: dvd-video goes on dvd or dvd-dl media only (DVD players read DVD-Video from a DVD), not on cd80")]
    [InlineData("""{ "folder": "in/photos", "copies": 1, "filesystem": "dvd-video", "media": "bd25" }""", "not on bd25")]
    [InlineData("""{ "image": "in/disc.iso", "copies": 1, "filesystem": "udf" }""", "filesystem: only for folder jobs")]
    [InlineData("""{ "audio": ["in/a.wav"], "copies": 1, "filesystem": "joliet" }""", "filesystem: only for folder jobs")]
    [InlineData("""{ "folder": "in/photos", "copies": 1, "filesystem": "udf\u0000\u001b[31m" }""", @"'udf\u0000\u001b[31m' is not one of")]
    public void A_file_system_the_job_cannot_have_is_refused_naming_the_key(string json, string expected) =>
        Assert.Contains(Problems(json), p => p.Contains(expected));

    [Fact]
    public void An_overlong_file_system_is_refused_by_its_length_before_anything_else()
    {
        var problems = Problems($$"""{ "folder": "in/photos", "copies": 1, "filesystem": "{{new string('u', 100_00)}}" }""");
        Assert.Equal(["filesystem: 10000 characters, at most 64"], problems);
    }

    [Fact]
    public void The_same_job_submitted_again_is_the_same_batch_and_another_file_system_is_another_job()
    {
        var spec = ActorTower.ToSpec("b", Parse("""{ "folder": "in/photos", "copies": 1 }"""), Defaults);
        Assert.Null(BatchLogic.Difference(spec, ActorTower.ToSpec("b", Parse("""{ "folder": "in/photos", "copies": 1, "filesystem": "udf-bridge" }"""), Defaults)));
        Assert.Equal("filesystem 'udf', not 'udf-bridge'",
            BatchLogic.Difference(spec, ActorTower.ToSpec("b", Parse("""{ "folder": "in/photos", "copies": 1, "filesystem": "udf" }"""), Defaults)));
    }
}
