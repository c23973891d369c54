using Duplicator.Mastering.Data;

namespace Duplicator.Actors.Batches;

/// <summary>
/// A folder batch that appends a session to the disc each drive holds instead of burning a blank one (growisofs -M,
/// docs/jobs.md "Appending a session"): the disc must be appendable and, with <see cref="BatchOptions.Expect"/>, the one
/// expected; the session holds the disc's last session's files with the batch's folder laid over them.
/// </summary>
/// <param name="Finalize">Close the disc after the session (no further session can be added); false leaves it appendable.</param>
public sealed record AppendSpec(bool Finalize = false)
{
    /// <summary>
    /// Why <paramref name="spec"/> cannot append (null: it can): only a folder batch of ISO 9660 + Joliet without per-disc
    /// files or a disc set, since the session's metadata are made per disc over the disc's own tree.
    /// </summary>
    public static string? Refusal(BatchSpec spec)
    {
        if (spec.Source != SourceKind.Folder)
            return $"append: only a folder job appends a session (its files laid over the disc's); a {spec.Source.ToString().ToLowerInvariant()} job is written as it is staged";
        if (spec.PerDisc is not null) return "append: per-disc files are not written in an appended session";
        if (spec.Set is not null) return "append: a disc set burns blank media";
        if (BatchFileSystem.Of(spec) is var fs && fs != DataFileSystems.Joliet)
            return $"append: an appended session carries ISO 9660 + Joliet (filesystem joliet), not {FileSystemNames.Name(fs)}: UDF has no session chaining here";
        return null;
    }
}
