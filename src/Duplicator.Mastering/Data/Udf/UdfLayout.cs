using System.Runtime.CompilerServices;

namespace Duplicator.Mastering.Data.Udf;

/// <summary>A file or folder of the UDF tree: its CS0 identifier, its file entry and (folders) its FIDs.</summary>
internal sealed class UdfNode(StagedNode source, UdfNode? parent, byte[] identifier)
{
    public StagedNode Source { get; } = source;
    public UdfNode? Parent { get; } = parent;

    /// <summary>OSTA CS0 file identifier, compression id first; empty for the root.</summary>
    public byte[] Identifier { get; } = identifier;

    public List<UdfNode> Children { get; } = [];
    public bool IsDirectory => Source is StagedDirectory;

    /// <summary>Partition block of the file entry.</summary>
    public long EntryBlock { get; set; }

    /// <summary>Folders: partition block of the FIDs and their byte count; files: the data's partition block.</summary>
    public long DataBlock { get; set; }
    public int DirectoryBytes { get; set; }
    public int DirectorySectors => (DirectoryBytes + UdfStructures.SectorSize - 1) / UdfStructures.SectorSize;

    /// <summary>4/14.9.15 (UDF 3.2.1.1): 0 for the root, from 16 on for everything else.</summary>
    public ulong UniqueId { get; set; }

    public ulong Size => Source is StagedFile f ? (ulong)f.Size : (ulong)DirectoryBytes;
}

/// <summary>
/// The UDF 1.02 half of a bridge image, pure like <see cref="Iso9660.IsoLayout"/>: <see cref="Measure"/>
/// names every entry and counts the partition blocks the file structures need (they depend only on the
/// tree), then <see cref="Assign"/> gives each file entry and directory its block and each file the data
/// extent the ISO layout gave it, so both trees share every file's bytes.
/// <para>
/// Partition contents, from partition block 0: the file set descriptor, its terminating descriptor, then
/// for each folder in breadth-first order its file entry, its FIDs and the file entries of its files.
/// </para>
/// </summary>
internal sealed class UdfLayout
{
    private UdfLayout(UdfNode root, List<UdfNode> directories, List<UdfNode> files, long sectors, ushort revision)
    {
        Revision = revision;
        Root = root;
        Directories = directories;
        Files = files;
        MetadataBlocks = sectors;
    }

    public UdfNode Root { get; }

    /// <summary>0x0102 (the bridge: file structures and data in one partition) or 0x0250 (file structures in the metadata partition).</summary>
    public ushort Revision { get; }

    /// <summary>UDF 2.50: file entries, FIDs and the FSD are in the metadata partition, file data in the physical one.</summary>
    public bool HasMetadataPartition => Revision >= UdfStructures.Revision250;

    /// <summary>Folders, breadth-first (a folder after its parent).</summary>
    public IReadOnlyList<UdfNode> Directories { get; }

    /// <summary>Files, in block order of their file entries.</summary>
    public IReadOnlyList<UdfNode> Files { get; }

    /// <summary>Partition blocks of the file structures: FSD, TD, file entries, FIDs.</summary>
    public long MetadataBlocks { get; }

    /// <summary>First partition block of the file structures.</summary>
    public const long FileSetBlock = 0;

    /// <summary>
    /// Builds the UDF tree of <paramref name="root"/>. Names UDF cannot hold (more than 255 bytes of OSTA
    /// CS0) and files too large for one file entry are listed in <paramref name="problems"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static UdfLayout Measure(StagedDirectory root, List<string> problems, ushort revision = UdfStructures.Revision102)
    {
        int maxAds = revision >= UdfStructures.Revision250 ? UdfStructures.MaxLongAdsPerEntry : UdfStructures.MaxAdsPerEntry;
        var top = new UdfNode(root, null, []);
        var dirs = new List<UdfNode>();
        var files = new List<UdfNode>();
        var queue = new Queue<(UdfNode Node, string Path)>();
        queue.Enqueue((top, ""));
        long blocks = 2; // FSD + its terminating descriptor (4/8.3.1)
        while (queue.Count > 0)
        {
            var (node, path) = queue.Dequeue();
            dirs.Add(node);
            var dir = (StagedDirectory)node.Source;
            var children = new StagedNode[dir.Children.Count];
            dir.Children.Values.CopyTo(children, 0);
            Array.Sort(children, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            int bytes = UdfStructures.FidLength(0); // the parent FID (4/14.4, UDF 2.3.4.3)
            foreach (var c in children)
            {
                var id = UdfStructures.Cs0(c.Name);
                var childPath = path + "/" + c.Name;
                if (id.Length > UdfStructures.MaxIdentifierBytes)
                    problems.Add($"{childPath} ({id.Length} bytes in OSTA CS0, UDF holds {UdfStructures.MaxIdentifierBytes})");
                var child = new UdfNode(c, node, id.Length > UdfStructures.MaxIdentifierBytes ? id[..UdfStructures.MaxIdentifierBytes] : id);
                node.Children.Add(child);
                bytes += UdfStructures.FidLength(child.Identifier.Length);
                if (c is StagedDirectory) queue.Enqueue((child, childPath));
                else
                {
                    if (UdfStructures.AdCount((ulong)((StagedFile)c).Size) > maxAds)
                        problems.Add($"{childPath} ({((StagedFile)c).Size} bytes: one UDF file entry holds at most {(long)maxAds * UdfStructures.MaxExtentBytes})");
                    files.Add(child);
                    blocks++;
                }
            }
            node.DirectoryBytes = bytes;
            blocks += 1 + node.DirectorySectors;
        }
        return new UdfLayout(top, dirs, files, blocks, revision);
    }

    /// <summary>
    /// Assigns blocks: file structures from block 0 of their partition, file data where the data layout put
    /// it (<paramref name="fileSector"/> gives a non-empty file's first sector, <paramref name="partitionStart"/>
    /// the physical partition's). Returns the next free block, which must equal <see cref="MetadataBlocks"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long Assign(long partitionStart, Func<StagedFile, long> fileSector)
    {
        long block = FileSetBlock + 2;
        ulong unique = 16;
        foreach (var d in Directories)
        {
            d.UniqueId = d.Parent is null ? 0 : unique++;
            d.EntryBlock = block++;
            d.DataBlock = block;
            block += d.DirectorySectors;
            foreach (var c in d.Children)
            {
                if (c.IsDirectory) continue;
                c.UniqueId = unique++;
                c.EntryBlock = block++;
                var f = (StagedFile)c.Source;
                c.DataBlock = f.Size == 0 ? 0 : fileSector(f) - partitionStart;
                if (f.Size != 0 && !HasMetadataPartition && c.DataBlock < MetadataBlocks)
                    throw new InvalidOperationException($"{f.SourcePath}: data at partition block {c.DataBlock}, inside the file structures");
            }
        }
        if (block != MetadataBlocks)
            throw new InvalidOperationException($"UDF file structures took {block} blocks, measured {MetadataBlocks}");
        NextUniqueId = unique;
        return block;
    }

    /// <summary>The unique id after the last one given (the LVID's logical volume header, 4/14.15).</summary>
    public ulong NextUniqueId { get; private set; }
}
