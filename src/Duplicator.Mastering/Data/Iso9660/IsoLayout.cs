using System.Runtime.CompilerServices;
using System.Text;

namespace Duplicator.Mastering.Data.Iso9660;

/// <summary>A file's place in the image: one run of sectors shared by both trees.</summary>
internal sealed class LayoutFile(StagedFile source)
{
    public StagedFile Source { get; } = source;

    /// <summary>First sector; 0 for an empty file (ECMA-119 allows any extent for data length 0).</summary>
    public long Lba { get; set; }

    public long Sectors => (Source.Size + IsoStructures.SectorSize - 1) / IsoStructures.SectorSize;

    /// <summary>A file of an earlier session: <see cref="Lba"/> is an absolute disc address, never offset, and the image holds no data for it.</summary>
    public bool Imported => Source.ImportedExtent is not null;
}

/// <summary>One entry of a directory in one tree: a sub-folder or a file, with that tree's identifier.</summary>
internal sealed record LayoutEntry(byte[] Identifier, string SortKey, LayoutDirectory? Directory, LayoutFile? File);

/// <summary>A folder of one tree (ISO 9660 or Joliet): its records, its place and its path-table number.</summary>
internal sealed class LayoutDirectory(StagedDirectory source, LayoutDirectory? parent, byte[] identifier)
{
    public StagedDirectory Source { get; } = source;
    public LayoutDirectory? Parent { get; } = parent;
    public byte[] Identifier { get; } = identifier;
    public List<LayoutEntry> Entries { get; } = [];
    public int Number { get; set; }
    public long Lba { get; set; }
    public int Sectors { get; set; }
    public int Depth => Parent is null ? 1 : Parent.Depth + 1;
}

/// <summary>One tree's directories in path-table order (ECMA-119 6.9.1) and its path table size.</summary>
internal sealed record LayoutTree(IReadOnlyList<LayoutDirectory> Directories, int PathTableBytes)
{
    public int PathTableSectors => (PathTableBytes + IsoStructures.SectorSize - 1) / IsoStructures.SectorSize;
    public long LPathTableLba { get; set; }
    public long MPathTableLba { get; set; }
}

/// <summary>
/// The pure first phase of mastering: every sector of the image assigned before a byte is written.
/// Order: system area (0-15), primary descriptor (16), Joliet descriptor (17), terminator (18), the four
/// path tables, the ISO 9660 directories then the Joliet directories (each in path-table order, so a
/// folder is always stored after its parent), then file data in ISO tree order, each file once.
/// </summary>
internal sealed class IsoLayout
{
    /// <summary>Largest extent of a multi-extent file: 4 GiB minus one sector, a whole number of sectors (ECMA-119 9.1.4 is 32-bit).</summary>
    public const long MaxExtentBytes = 0xFFFF_F800;

    public const int PrimaryLba = 16;
    public const int JolietLba = 17;
    public const int TerminatorLba = 18;
    public const int FirstPathTableLba = 19;

    private IsoLayout(LayoutTree iso, LayoutTree joliet, IReadOnlyList<LayoutFile> files, long metadataSectors, long totalSectors, int renamed)
    {
        Iso = iso;
        Joliet = joliet;
        Files = files;
        MetadataSectors = metadataSectors;
        TotalSectors = totalSectors;
        RenamedJolietNames = renamed;
    }

    public LayoutTree Iso { get; }
    public LayoutTree Joliet { get; }

    /// <summary>Files in data order (ascending LBA among non-empty files).</summary>
    public IReadOnlyList<LayoutFile> Files { get; }

    /// <summary>Sectors before the first file's data: descriptors, path tables, directories.</summary>
    public long MetadataSectors { get; }

    /// <summary>Volume space size.</summary>
    public long TotalSectors { get; }

    /// <summary>Joliet names changed by <see cref="JolietNamePolicy.Truncate"/>.</summary>
    public int RenamedJolietNames { get; }

    /// <summary>
    /// Lays out <paramref name="root"/>. Names Joliet cannot hold under <paramref name="policy"/> are
    /// collected in <paramref name="problems"/> (the layout is still complete, so sizes can be reported).
    /// A UDF bridge moves the path tables to <paramref name="firstPathTableLba"/> (the sectors before it
    /// hold the UDF volume structures) and keeps <paramref name="tailSectors"/> after the file data (the
    /// closing anchor); both are counted in <see cref="TotalSectors"/>. Files in <paramref name="dataOrder"/>
    /// (DVD-Video) get their data first, contiguous in that order; the rest follow in tree order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static IsoLayout Compute(StagedDirectory root, JolietNamePolicy policy, List<string> problems,
        long firstPathTableLba = FirstPathTableLba, int tailSectors = 0, IReadOnlyList<StagedFile>? dataOrder = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(firstPathTableLba, (long)FirstPathTableLba);
        ArgumentOutOfRangeException.ThrowIfNegative(tailSectors);
        var files = new Dictionary<StagedFile, LayoutFile>(ReferenceEqualityComparer.Instance);
        int renamed = 0;
        var isoRoot = BuildTree(root, null, [0], joliet: false, "", policy, problems, files, ref renamed);
        var jolietRoot = BuildTree(root, null, [0], joliet: true, "", policy, problems, files, ref renamed);
        var iso = Order(isoRoot);
        var joliet = Order(jolietRoot);

        long lba = firstPathTableLba;
        foreach (var t in new[] { iso, joliet })
        {
            t.LPathTableLba = lba;
            lba += t.PathTableSectors;
            t.MPathTableLba = lba;
            lba += t.PathTableSectors;
        }
        foreach (var t in new[] { iso, joliet })
        {
            foreach (var d in t.Directories)
            {
                d.Sectors = DirectorySectors(d);
                d.Lba = lba;
                lba += d.Sectors;
            }
        }
        long metadata = lba;
        var ordered = new List<LayoutFile>(files.Count);
        HashSet<LayoutFile>? placed = null;
        if (dataOrder is not null)
        {
            placed = new HashSet<LayoutFile>(ReferenceEqualityComparer.Instance);
            foreach (var source in dataOrder)
            {
                if (!files.TryGetValue(source, out var f) || f.Source.Size == 0 || f.Imported || !placed.Add(f)) continue;
                f.Lba = lba;
                lba += f.Sectors;
                ordered.Add(f);
            }
        }
        foreach (var d in iso.Directories)
        {
            foreach (var e in d.Entries)
            {
                if (e.File is not { } f) continue;
                if (f.Source.Size == 0) { f.Lba = 0; continue; }
                if (f.Source.ImportedExtent is { } extent) { f.Lba = extent; continue; } // on the disc already
                if (placed is not null && placed.Contains(f)) continue;
                f.Lba = lba;
                lba += f.Sectors;
                ordered.Add(f);
            }
        }
        return new IsoLayout(iso, joliet, ordered, metadata, lba + tailSectors, renamed);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static LayoutDirectory BuildTree(StagedDirectory dir, LayoutDirectory? parent, byte[] identifier, bool joliet, string path,
        JolietNamePolicy policy, List<string> problems, Dictionary<StagedFile, LayoutFile> files, ref int renamed)
    {
        var node = new LayoutDirectory(dir, parent, identifier);
        var children = new StagedNode[dir.Children.Count];
        dir.Children.Values.CopyTo(children, 0);
        var shape = new (string Name, bool IsDirectory)[children.Length];
        for (int i = 0; i < children.Length; i++) shape[i] = (children[i].Name, children[i] is StagedDirectory);
        string[] names = joliet
            ? IsoNames.AssignJoliet(shape, policy, path, problems)
            : IsoNames.AssignIso(shape);
        for (int i = 0; i < children.Length; i++)
        {
            var name = names[i];
            if (joliet && name != children[i].Name) renamed++;
            byte[] id = joliet ? IsoStructures.JolietBytes(name) : Encoding.ASCII.GetBytes(name);
            string key = joliet ? name : IsoSortKey(name, children[i] is StagedDirectory);
            if (children[i] is StagedDirectory sub)
            {
                var child = BuildTree(sub, node, id, joliet, path + "/" + children[i].Name, policy, problems, files, ref renamed);
                node.Entries.Add(new LayoutEntry(id, key, child, null));
            }
            else
            {
                var f = (StagedFile)children[i];
                if (!files.TryGetValue(f, out var lf)) files[f] = lf = new LayoutFile(f);
                node.Entries.Add(new LayoutEntry(id, key, null, lf));
            }
        }
        // ECMA-119 9.3 for ISO (name, then extension, space-padded: the \u0001 separator sorts below every
        // d-character, which gives the same order); plain UCS-2 code unit order for Joliet.
        node.Entries.Sort(static (a, b) => string.CompareOrdinal(a.SortKey, b.SortKey));
        return node;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string IsoSortKey(string identifier, bool isDirectory)
    {
        if (isDirectory) return identifier;
        int semi = identifier.IndexOf(';');
        var bare = semi < 0 ? identifier : identifier[..semi];
        int dot = bare.IndexOf('.');
        return dot < 0 ? bare : bare[..dot] + "\u0001" + bare[(dot + 1)..];
    }

    /// <summary>Breadth-first, children in sort order: level, then parent number, then identifier (6.9.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static LayoutTree Order(LayoutDirectory root)
    {
        var list = new List<LayoutDirectory>();
        var queue = new Queue<LayoutDirectory>();
        queue.Enqueue(root);
        int bytes = 0;
        while (queue.Count > 0)
        {
            var d = queue.Dequeue();
            list.Add(d);
            d.Number = list.Count;
            bytes += IsoStructures.PathRecordLength(d.Identifier.Length);
            foreach (var e in d.Entries)
                if (e.Directory is { } sub) queue.Enqueue(sub);
        }
        if (list.Count > ushort.MaxValue)
            throw new Imapi.ImapiException(Imapi.ImapiError.InvalidImage,
                $"{list.Count} folders: ISO 9660 path tables number folders with 16 bits, at most {ushort.MaxValue}");
        return new LayoutTree(list, bytes);
    }

    /// <summary>Records of a directory: ".", "..", then one per entry (a file over 4 GiB has one per extent).</summary>
    public static IEnumerable<(byte[] Id, LayoutEntry? Entry, int Extent)> Records(LayoutDirectory d)
    {
        yield return ([0], null, 0);
        yield return ([1], null, 0);
        foreach (var e in d.Entries)
        {
            int extents = e.File is { } f ? ExtentCount(f.Source.Size) : 1;
            for (int x = 0; x < extents; x++) yield return (e.Identifier, e, x);
        }
    }

    public static int ExtentCount(long size) => size <= MaxExtentBytes ? 1 : (int)((size + MaxExtentBytes - 1) / MaxExtentBytes);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int DirectorySectors(LayoutDirectory d)
    {
        // The records of Records(d), counted without the iterator: "." and ".." (one byte each) always fit.
        int sectors = 1, pos = 2 * IsoStructures.RecordLength(1);
        foreach (var e in d.Entries)
        {
            int len = IsoStructures.RecordLength(e.Identifier.Length);
            int extents = e.File is { } f ? ExtentCount(f.Source.Size) : 1;
            for (int x = 0; x < extents; x++)
            {
                if (pos + len > IsoStructures.SectorSize) { sectors++; pos = 0; } // 6.8.1.1: records do not cross sectors
                pos += len;
            }
        }
        return sectors;
    }
}
