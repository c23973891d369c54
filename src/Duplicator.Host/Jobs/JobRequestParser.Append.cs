using System.Text.Json;
using Duplicator.Actors.Batches;
using Duplicator.Mastering.Data;

namespace Duplicator.Host.Jobs;

/// <summary>The <c>append</c> key of a job document (docs/jobs.md, "Appending a session").</summary>
public static partial class JobRequestParser
{
    /// <summary>
    /// <c>append</c> (<see cref="Schema2"/> or no schema): <c>true</c> (leave the disc appendable), <c>false</c> (absent:
    /// burn blank media), or <c>{ "finalize": true|false }</c>. Only a folder job of ISO 9660 + Joliet appends; image,
    /// audio, cue and the jobs that read discs are refused naming why (sets and perDisc where those are read).
    /// </summary>
    internal static AppendSpec? ReadAppend(JsonElement root, string? schema, JobSourceKind kind, DataFileSystems? fileSystem, Action<string> problem)
    {
        if (!root.TryGetProperty("append", out var a) || a.ValueKind is JsonValueKind.Null or JsonValueKind.False) return null;
        if (schema == Schema)
        {
            problem($"append: appending a session needs schema '{Schema2}'");
            return null;
        }
        AppendSpec? spec = null;
        if (a.ValueKind == JsonValueKind.True) spec = new AppendSpec();
        else if (a.ValueKind == JsonValueKind.Object)
        {
            bool ok = true;
            foreach (var p in a.EnumerateObject())
                if (p.Name != "finalize")
                {
                    problem($"append.{Show(p.Name)}: unknown key (known: finalize)");
                    ok = false;
                }
            bool finalize = false;
            if (a.TryGetProperty("finalize", out var f))
            {
                if (f.ValueKind is JsonValueKind.True or JsonValueKind.False) finalize = f.GetBoolean();
                else
                {
                    problem("append.finalize: must be true (close the disc after the session) or false (leave it appendable)");
                    ok = false;
                }
            }
            if (ok) spec = new AppendSpec(finalize);
        }
        else
        {
            problem("append: must be true, false or { \"finalize\": true|false }");
            return null;
        }
        if (kind != JobSourceKind.Folder)
        {
            problem($"append: only a folder job appends a session (its files laid over the disc's); {KindName(kind)} is written as it is staged");
            return null;
        }
        if (fileSystem is { } fs && fs != DataFileSystems.Joliet)
        {
            problem($"append: an appended session carries ISO 9660 + Joliet (filesystem joliet), not {FileSystemNames.Name(fs)}: UDF has no session chaining here");
            return null;
        }
        return spec;
    }

    private static string KindName(JobSourceKind kind) => kind switch
    {
        JobSourceKind.Image => "an image job",
        JobSourceKind.Audio => "an audio job",
        JobSourceKind.Cue => "a BIN/CUE job",
        JobSourceKind.Master => "a copy job",
        JobSourceKind.Verify => "a verify-only job (it writes nothing)",
        JobSourceKind.Archive => "a read job (it writes nothing)",
        _ => $"a {kind.ToString().ToLowerInvariant()} job",
    };
}
