using Duplicator.Host.Configuration;
using Duplicator.Host.Jobs;
using Duplicator.Host.Serving;

namespace Duplicator.Host.Tests.Jobs;

/// <summary>The job key <c>audioInfo</c>: CD-TEXT, catalog and ISRCs of an audio job, parsed strictly and carried into the batch.</summary>
public sealed class JobAudioInfoTests : IDisposable
{
    private static readonly BatchDefaults Defaults = new(true, 0, 3, 3, true);
    private readonly string _root = Directory.CreateTempSubdirectory("dup-jobai-").FullName;

    public JobAudioInfoTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "in", "photos"));
        File.WriteAllBytes(Path.Combine(_root, "in", "a.wav"), new byte[44]);
        File.WriteAllBytes(Path.Combine(_root, "in", "b.wav"), new byte[44]);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private JobRequest Parse(string json) => JobRequestParser.Parse(json, "job.json", _root, ["in"]);

    private string[] Problems(string json) => [.. Assert.Throws<JobRejectedException>(() => Parse(json)).Problems];

    [Fact]
    public void An_audio_job_carries_its_album_text_catalog_and_track_texts_into_the_batch()
    {
        var job = Parse("""
            { "audio": ["in/a.wav", "in/b.wav"], "copies": 1, "audioMode": "dao",
              "audioInfo": { "title": "Album", "performer": "Band", "catalog": "4006381333931",
                             "tracks": [ { "title": "One", "isrc": "DEA120000001" }, { "title": "Two", "performer": "Guest" } ] } }
            """);

        var spec = ActorTower.ToSpec("b", job, Defaults);

        Assert.Equal(("Album", "Band", "4006381333931"), (spec.AudioInfo!.Title, spec.AudioInfo.Performer, spec.AudioInfo.Catalog));
        Assert.Equal([("One", null, "DEA120000001"), ("Two", "Guest", null)], spec.AudioInfo.Tracks.Select(t => (t.Title, t.Performer, t.Isrc)));
        Assert.True(spec.Options.DiscAtOnce);
    }

    [Theory]
    [InlineData("""{ "folder": "in/photos", "copies": 1, "audioInfo": { "title": "x" } }""", "audioInfo: CD-TEXT, catalog and ISRCs are for audio jobs")]
    [InlineData("""{ "audio": ["in/a.wav"], "copies": 1, "audioInfo": { "titel": "x" } }""", "audioInfo.titel: unknown key")]
    [InlineData("""{ "audio": ["in/a.wav"], "copies": 1, "audioInfo": { "tracks": [ { "title": 7 } ] } }""", "audioInfo.tracks[0].title: must be a string of at most 160 characters")]
    [InlineData("""{ "audio": ["in/a.wav"], "copies": 1, "audioInfo": "Album" }""", "audioInfo: must be an object")]
    public void An_audio_info_section_that_is_not_one_is_refused_naming_the_key(string json, string expected)
    {
        Assert.Contains(Problems(json), p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_text_over_the_limit_is_refused_naming_it()
    {
        var title = new string('x', 161);
        Assert.Contains("audioInfo.title: must be a string of at most 160 characters",
            Problems($$"""{ "audio": ["in/a.wav"], "copies": 1, "audioInfo": { "title": "{{title}}" } }"""));
    }
}
