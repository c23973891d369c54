using System.Collections.Immutable;
using Duplicator.Mastering.Audio;

namespace Duplicator.Actors.Batches;

/// <summary>One track's text and code in an audio batch's <see cref="AudioInfoSpec"/>.</summary>
/// <param name="Title">CD-TEXT title, or null.</param>
/// <param name="Performer">CD-TEXT performer, or null.</param>
/// <param name="Isrc">ISRC (12 characters, CCOOOYYNNNNN), or null.</param>
public sealed record AudioTrackText(string? Title = null, string? Performer = null, string? Isrc = null);

/// <summary>
/// What an audio (WAV) batch writes besides the sound: album and track CD-TEXT, the catalog number (MCN) and ISRCs,
/// as <c>duplicator audio --title/--track-title/--catalog</c> does for a BIN/CUE. Written disc-at-once (CD-TEXT lives in
/// the lead-in); the ledger keeps it so a restage gives the same disc.
/// </summary>
/// <param name="Title">Album title, or null.</param>
/// <param name="Performer">Album performer, or null.</param>
/// <param name="Catalog">Media catalog number, 13 digits, or null.</param>
/// <param name="Tracks">Per track in the order of the batch's WAV files: as many as there are files, or none.</param>
public sealed record AudioInfoSpec(string? Title, string? Performer, string? Catalog, ImmutableArray<AudioTrackText> Tracks)
{
    /// <summary>Longest text field accepted (a CD-TEXT block holds about 3 KB for the whole disc).</summary>
    public const int MaxTextLength = 160;

    /// <summary>The same content (the track list compared by value).</summary>
    public bool SameAs(AudioInfoSpec? other) => other is not null && Title == other.Title && Performer == other.Performer && Catalog == other.Catalog
        && (Tracks.IsDefault ? [] : Tracks).SequenceEqual(other.Tracks.IsDefault ? [] : other.Tracks);

    /// <summary>Why <paramref name="spec"/>'s audio info cannot be written, or null.</summary>
    public static string? Refusal(BatchSpec spec)
    {
        if (spec.AudioInfo is not { } info) return null;
        if (spec.Source != SourceKind.Audio) return $"audioInfo: CD-TEXT, catalog and ISRCs go on audio discs, not a {spec.Source.ToString().ToLowerInvariant()} source";
        if (!spec.Options.DiscAtOnce) return "audioInfo: CD-TEXT, the catalog number and ISRCs are written disc-at-once: the job needs \"audioMode\": \"dao\"";
        var tracks = info.Tracks.IsDefault ? [] : info.Tracks;
        if (tracks.Length != 0 && tracks.Length != spec.Paths.Length)
            return $"audioInfo.tracks: {tracks.Length} entries for {spec.Paths.Length} WAV files: one per file, in order, or none";
        if (info.Catalog is { } mcn && (mcn.Length != 13 || !mcn.All(char.IsAsciiDigit)))
            return $"audioInfo.catalog: {BatchIds.Show(mcn)} is not 13 digits";
        for (int i = 0; i < tracks.Length; i++)
            if (tracks[i].Isrc is { } isrc && !IsIsrc(isrc))
                return $"audioInfo.tracks[{i}].isrc: {BatchIds.Show(isrc)} is not an ISRC (12 characters CCOOOYYNNNNN)";
        foreach (var (name, text) in new[] { ("title", info.Title), ("performer", info.Performer) }
                     .Concat(tracks.SelectMany((t, i) => new[] { ($"tracks[{i}].title", t.Title), ($"tracks[{i}].performer", t.Performer) })))
            if (text is { Length: > MaxTextLength })
                return $"audioInfo.{name}: {text.Length} characters, at most {MaxTextLength}";
        try
        {
            var text = new CdText(info.Title, info.Performer, null, [.. tracks.Select(t => new CdTextTrack(t.Title, t.Performer))]);
            if (!text.IsEmpty) _ = CdTextPacks.Encode(text);
        }
        catch (Mastering.Imapi.ImapiException e)
        {
            return $"audioInfo: {e.Message}";
        }
        return null;
    }

    /// <summary>Track <paramref name="index"/>'s info for staging (null fields: the staging's defaults).</summary>
    public AudioTrackInfo? Track(int index) =>
        !Tracks.IsDefault && index < Tracks.Length && Tracks[index] is var t ? new AudioTrackInfo(t.Title, t.Performer, t.Isrc) : null;

    // The staging's rule, and a country code of letters (ISO 3901), which a job is held to before anything is staged.
    private static bool IsIsrc(string s) => RedbookStaging.IsIsrc(s) && s[..2].All(char.IsAsciiLetterUpper);
}
