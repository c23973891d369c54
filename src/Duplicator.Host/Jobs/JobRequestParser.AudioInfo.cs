using System.Collections.Immutable;
using System.Text.Json;
using Duplicator.Actors.Batches;

namespace Duplicator.Host.Jobs;

/// <summary>The <c>audioInfo</c> key of a job document (docs/jobs.md, "CD-TEXT, catalog and ISRCs of an audio job").</summary>
public static partial class JobRequestParser
{
    private static readonly HashSet<string> AudioInfoKeys = new(StringComparer.Ordinal) { "title", "performer", "catalog", "tracks" };
    private static readonly HashSet<string> AudioTrackKeys = new(StringComparer.Ordinal) { "title", "performer", "isrc" };

    /// <summary>
    /// <c>audioInfo</c>: <c>{ "title", "performer", "catalog", "tracks": [ { "title", "performer", "isrc" }, ... ] }</c> on an
    /// audio job, every key optional, strings bounded. The rules between fields (one track entry per WAV, the catalog's
    /// and ISRCs' forms, what CD-TEXT can hold) are the ledger's (<see cref="AudioInfoSpec.Refusal"/>), checked at submission.
    /// </summary>
    internal static AudioInfoSpec? ReadAudioInfo(JsonElement root, JobSourceKind kind, Action<string> problem)
    {
        if (!root.TryGetProperty("audioInfo", out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (kind != JobSourceKind.Audio)
        {
            problem("audioInfo: CD-TEXT, catalog and ISRCs are for audio jobs (\"audio\": [WAV files])");
            return null;
        }
        if (v.ValueKind != JsonValueKind.Object)
        {
            problem("audioInfo: must be an object { title, performer, catalog, tracks }");
            return null;
        }
        bool ok = true;
        string? Text(JsonElement o, string key, string path)
        {
            if (!o.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return null;
            if (e.ValueKind != JsonValueKind.String || e.GetString() is not { } s || s.Length > AudioInfoSpec.MaxTextLength)
            {
                problem($"{path}.{key}: must be a string of at most {AudioInfoSpec.MaxTextLength} characters");
                ok = false;
                return null;
            }
            return s;
        }
        void Keys(JsonElement o, HashSet<string> known, string path)
        {
            foreach (var p in o.EnumerateObject())
                if (!known.Contains(p.Name))
                {
                    problem($"{path}.{Show(p.Name)}: unknown key (known: {string.Join(", ", known)})");
                    ok = false;
                }
        }
        Keys(v, AudioInfoKeys, "audioInfo");
        var tracks = ImmutableArray.CreateBuilder<AudioTrackText>();
        if (v.TryGetProperty("tracks", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() > MaxTracks)
            {
                problem($"audioInfo.tracks: must be a list of at most {MaxTracks} objects {{ title, performer, isrc }}");
                return null;
            }
            int i = 0;
            foreach (var e in t.EnumerateArray())
            {
                var path = $"audioInfo.tracks[{i++}]";
                if (e.ValueKind != JsonValueKind.Object)
                {
                    problem($"{path}: must be an object {{ title, performer, isrc }}");
                    ok = false;
                    continue;
                }
                Keys(e, AudioTrackKeys, path);
                tracks.Add(new AudioTrackText(Text(e, "title", path), Text(e, "performer", path), Text(e, "isrc", path)));
            }
        }
        var info = new AudioInfoSpec(Text(v, "title", "audioInfo"), Text(v, "performer", "audioInfo"), Text(v, "catalog", "audioInfo"), tracks.ToImmutable());
        return ok ? info : null;
    }
}
