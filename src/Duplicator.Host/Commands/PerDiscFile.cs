using System.Text.Json;
using System.Text.Json.Nodes;
using Duplicator.Host.Jobs;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Commands;

/// <summary>
/// <c>burn --per-disc FILE</c>: a JSON file holding what a job's <c>perDisc</c> section holds. Read bounded (a regular
/// file of at most a job document's size); a relative <c>values</c> path is made absolute against the working
/// directory, as every path of the command line. The section's content is checked by the job parser, like a job's.
/// </summary>
internal static class PerDiscFile
{
    public static JsonNode Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || !Mastering.Data.PerDisc.ValuesCsv.IsRegularFile(path))
            throw new ImapiException(ImapiError.SourceUnreadable, $"--per-disc {path}: no such regular file");
        if (info.Length > JobRequestParser.MaxDocumentBytes)
            throw new ImapiException(ImapiError.InvalidInput, $"--per-disc {path}: {info.Length} bytes, at most {JobRequestParser.MaxDocumentBytes}");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllBytes(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 6 });
        }
        catch (JsonException e)
        {
            throw new ImapiException(ImapiError.InvalidInput, $"--per-disc {path}: not valid JSON: {e.Message}");
        }
        if (node is not JsonObject section)
            throw new ImapiException(ImapiError.InvalidInput, $"--per-disc {path}: must hold a JSON object (the perDisc section: serialStart, values, volume, files, onFailure)");
        if (section["values"] is JsonValue v && v.TryGetValue<string>(out var values) && values.Length > 0 && !values.Contains('\0'))
            section["values"] = Path.GetFullPath(values);
        return section;
    }
}
