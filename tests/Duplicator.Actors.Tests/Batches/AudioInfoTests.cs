using Duplicator.Actors.Batches;

namespace Duplicator.Actors.Tests.Batches;

public sealed class AudioInfoTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 2, 3, 0, 0, TimeSpan.Zero);

    private static BatchSpec Audio(AudioInfoSpec info, bool dao = true, SourceKind source = SourceKind.Audio) =>
        new("a1", source, ["/srv/1.wav", "/srv/2.wav"], 1, new BatchOptions(true, 0, 0, true, [], DiscAtOnce: dao), Media: "cd80", AudioInfo: info);

    private static AudioInfoSpec Info(string? catalog = null, params AudioTrackText[] tracks) => new("Album", "Band", catalog, [.. tracks]);

    [Theory]
    [InlineData("dao", "audioInfo: CD-TEXT, the catalog number and ISRCs are written disc-at-once: the job needs \"audioMode\": \"dao\"")]
    [InlineData("count", "audioInfo.tracks: 1 entries for 2 WAV files: one per file, in order, or none")]
    [InlineData("catalog", "audioInfo.catalog: '12345' is not 13 digits")]
    [InlineData("isrc", "audioInfo.tracks[1].isrc: 'de-a12-00-1' is not an ISRC (12 characters CCOOOYYNNNNN)")]
    [InlineData("folder", "audioInfo: CD-TEXT, catalog and ISRCs go on audio discs, not a folder source")]
    [InlineData("latin1", "audioInfo: ")]
    public void Audio_info_that_cannot_be_written_is_refused_at_submission_naming_the_field(string fault, string expected)
    {
        var spec = fault switch
        {
            "dao" => Audio(Info(), dao: false),
            "count" => Audio(Info(null, new AudioTrackText("One"))),
            "catalog" => Audio(Info("12345")),
            "isrc" => Audio(Info(null, new AudioTrackText("One", null, "DEA120000001"), new AudioTrackText("Two", null, "de-a12-00-1"))),
            "folder" => Audio(Info(), source: SourceKind.Folder),
            _ => Audio(new AudioInfoSpec("日本の歌", null, null, [])),
        };

        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, At));

        Assert.NotNull(d.Refused);
        Assert.StartsWith(expected, d.Refused);
        Assert.Empty(d.Events);
    }

    [Fact]
    public void Audio_info_that_fits_is_accepted_and_persists_with_the_spec()
    {
        var spec = Audio(Info("4006381333931", new AudioTrackText("One", "A", "DEA120000001"), new AudioTrackText("Two", "B", null)));

        var d = BatchLogic.Decide(BatchState.Empty, new SubmitBatch(spec, At));

        Assert.Null(d.Refused);
        var submitted = Assert.IsType<BatchSubmitted>(Assert.Single(d.Events));
        Assert.True(spec.AudioInfo!.SameAs(submitted.Spec.AudioInfo));
    }
}
