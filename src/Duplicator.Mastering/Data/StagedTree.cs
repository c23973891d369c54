using System.Runtime.CompilerServices;
namespace Duplicator.Mastering.Data;

/// <summary>A node of the staged tree: what AddData has collected, before any layout.</summary>
internal abstract class StagedNode(string name, DateTime modifiedUtc)
{
    /// <summary>The name as found in the source folder.</summary>
    public string Name { get; } = name;

    /// <summary>Source modification time (UTC): recorded in directory records and checked before reading.</summary>
    public DateTime ModifiedUtc { get; } = modifiedUtc;
}

/// <summary>A staged file: a reference to its source, never its bytes.</summary>
internal sealed class StagedFile(string name, string sourcePath, long size, DateTime modifiedUtc, bool reserved = false) : StagedNode(name, modifiedUtc)
{
    /// <summary>
    /// A per-disc file: no source, <see cref="Size"/> is its declared maximum, its sectors are zero in the staged image
    /// and each disc gets its own content there (see <see cref="PerDisc.PerDiscPlan"/>).
    /// </summary>
    public bool Reserved { get; } = reserved;

    /// <summary>Absolute path of the source file.</summary>
    public string SourcePath { get; } = sourcePath;

    /// <summary>Size when staged; reading fails with SourceChanged if it differs later.</summary>
    public long Size { get; } = size;

    /// <summary>
    /// A file of an earlier session (<see cref="Iso9660.SessionImport"/>): its data are already on the disc from this
    /// absolute sector on; an appended session's directories point there and the image holds none of its bytes. Null
    /// for a file staged from the host.
    /// </summary>
    public long? ImportedExtent { get; init; }
}

/// <summary>A staged folder. Children are keyed by exact (case-sensitive) name, as on the source file system.</summary>
internal sealed class StagedDirectory(string name, DateTime modifiedUtc) : StagedNode(name, modifiedUtc)
{
    public Dictionary<string, StagedNode> Children { get; } = new(StringComparer.Ordinal);

    /// <summary>A copy of the directory skeleton (files are immutable and shared), so a failed AddData can be discarded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public StagedDirectory Clone()
    {
        var copy = new StagedDirectory(Name, ModifiedUtc);
        foreach (var (key, child) in Children)
            copy.Children[key] = child is StagedDirectory d ? d.Clone() : child;
        return copy;
    }

    /// <summary>Counts files and folders below this one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (int Files, int Directories) Count()
    {
        int files = 0, dirs = 0;
        foreach (var child in Children.Values)
        {
            if (child is StagedDirectory d)
            {
                var (f, s) = d.Count();
                files += f;
                dirs += s + 1;
            }
            else
            {
                files++;
            }
        }
        return (files, dirs);
    }
}
