using System.Text.Json;
using Duplicator.Actors.Batches;

namespace Duplicator.Host.Jobs;

/// <summary>A disc set job (the <c>set</c> key): <see cref="Count"/> complete sets of the images of <see cref="Members"/>, member k's batch being <c>ID~k</c>.</summary>
/// <param name="Count">Complete sets wanted (each member's copies).</param>
/// <param name="Members">One job per image, in order, each with the set job's options and <see cref="Count"/> copies.</param>
public sealed record JobSet(int Count, IReadOnlyList<JobRequest> Members);

/// <summary>The <c>set</c> key of a <c>duplicator.job/2</c> document (docs/jobs.md, "Disc sets").</summary>
public static partial class JobRequestParser
{
    private static readonly HashSet<string> SetKeys = new(StringComparer.Ordinal) { "images", "count" };
    private static readonly HashSet<string> SetImageKeys = new(StringComparer.Ordinal) { "folder", "image", "audio", "cue", "volume" };

    // Keys a set job gives per image (in set.images) or as set.count, never at the top.
    private static readonly string[] NotInSets = ["folder", "image", "audio", "cue", "master", "verifyAgainst", "archive", "copies", "perDisc", "append"];

    private static bool IsSet(JsonElement root) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty("set", out _);

    /// <summary>
    /// A set job: each image is checked as a single job's source is, by reading it as that job (the document's other keys,
    /// the image's source key and <c>copies</c> = <c>set.count</c>), so a member's problems are exactly a single job's,
    /// named by its index (<c>set.images[1]: image: ... does not exist</c>). Returns member 1's job carrying the set.
    /// </summary>
    private static JobRequest ReadSet(JsonElement root, string origin, string baseDirectory, IReadOnlyList<string> allowedRoots)
    {
        var problems = new Problems();
        bool forbidden = false;
        var set = root.GetProperty("set");
        if (!(root.TryGetProperty("schema", out var sv) && sv.ValueKind == JsonValueKind.String && sv.GetString() == Schema2))
            problems.Add($"set: needs \"schema\": \"{Schema2}\" (a {Schema} document burns one image)");
        foreach (var key in NotInSets)
            if (root.TryGetProperty(key, out _))
                problems.Add(key == "copies" ? "copies: a set job gives the sets wanted as set.count"
                    : key == "append" ? "append: a disc set burns blank media; it does not append sessions"
                    : $"{key}: a set job names its images in set.images ({key} is not for sets)");
        int count = 0;
        var images = new List<JsonElement>();
        if (set.ValueKind != JsonValueKind.Object) problems.Add("set: must be an object { images, count }");
        else
        {
            foreach (var p in set.EnumerateObject())
                if (!SetKeys.Contains(p.Name)) problems.Add($"set.{Show(p.Name)}: unknown key (known: count, images)");
            if (!set.TryGetProperty("count", out var c)) problems.Add($"set.count: missing (1 to {MaxCopies} complete sets)");
            else if (c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) && n is >= 1 and <= MaxCopies) count = n;
            else problems.Add($"set.count: {Show(c.GetRawText())} is not a whole number from 1 to {MaxCopies}");
            if (!set.TryGetProperty("images", out var list) || list.ValueKind != JsonValueKind.Array)
                problems.Add($"set.images: an array of {DiscSets.MinImages} to {DiscSets.MaxImages} images, each {{ \"folder\" | \"image\" | \"audio\" | \"cue\", \"volume\" }}");
            else if (list.GetArrayLength() is < DiscSets.MinImages or > DiscSets.MaxImages)
                problems.Add($"set.images: {list.GetArrayLength()} image(s); a set has {DiscSets.MinImages} to {DiscSets.MaxImages} images");
            else images.AddRange(list.EnumerateArray());
        }
        var members = new List<JobRequest>();
        for (int k = 0; k < images.Count && problems.Count == 0; k++)
        {
            var image = images[k];
            string at = $"set.images[{k}]";
            if (image.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{at}: must be an object naming one source (folder, image, audio or cue)");
                continue;
            }
            var unknown = image.EnumerateObject().Select(p => p.Name).Where(n => !SetImageKeys.Contains(n)).ToArray();
            if (unknown.Length > 0)
            {
                problems.Add($"{at}.{Show(unknown[0])}: unknown key (known: audio, cue, folder, image, volume)");
                continue;
            }
            try
            {
                using var member = JsonDocument.Parse(MemberDocument(root, image, count), new JsonDocumentOptions { MaxDepth = MaxDepth });
                members.Add(Read(member.RootElement, origin, baseDirectory, allowedRoots));
            }
            catch (JobRejectedException e)
            {
                forbidden |= e.Forbidden;
                foreach (var p in e.Problems) problems.Add($"{at}: {p}");
            }
        }
        string? id = null;
        if (root.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String)
        {
            id = idValue.GetString()!;
            if (!BatchId().IsMatch(id)) problems.Add($"id: '{Show(id)}' must be 1-64 letters, digits, '.', '-' or '_'");
            else if (DiscSets.Refusal(id, images.Count) is { } bad) problems.Add($"id: {bad}");
        }
        else if (root.TryGetProperty("id", out _)) problems.Add("id: must be a string");
        if (problems.Count > 0) throw new JobRejectedException(origin, problems.ToList(), forbidden);
        return members[0] with { Id = id, Set = new JobSet(count, members) };
    }

    // The job one image of the set is: every top-level key but set and id, the image's own keys, copies = count.
    private static byte[] MemberDocument(JsonElement root, JsonElement image, int count)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var p in root.EnumerateObject())
                if (p.Name is not ("set" or "id") && !image.TryGetProperty(p.Name, out _)) p.WriteTo(w);
            foreach (var p in image.EnumerateObject()) p.WriteTo(w);
            w.WriteNumber("copies", count);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
