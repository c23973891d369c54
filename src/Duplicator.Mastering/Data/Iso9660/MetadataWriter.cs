using System.Runtime.CompilerServices;
namespace Duplicator.Mastering.Data.Iso9660;

/// <summary>
/// The second phase for everything that is not file data: writes the descriptors, path tables and
/// directories of a computed <see cref="IsoLayout"/> into one buffer of <see cref="IsoLayout.MetadataSectors"/>
/// sectors. Its size grows with the number of files and folders, never with their bytes. With a base
/// (<c>baseLba</c>, a session appended at a disc's next writable address, as mkisofs -C does) every address written
/// (path tables, directory extents, the root) is the layout's plus the base and the volume space size counts the
/// sectors before it; the sectors themselves and the file data are the same, so only these metadata sectors differ
/// between two bases.
/// </summary>
internal static class MetadataWriter
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] Write(IsoLayout layout, JolietProperties properties, DateTimeOffset created, long baseLba = 0)
    {
        if (baseLba < 0 || baseLba + layout.TotalSectors > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(baseLba), baseLba, $"a session of {layout.TotalSectors} sectors must start at 0 or more and end within 32-bit addresses");
        uint At(long lba) => checked((uint)(baseLba + lba));
        const int S = IsoStructures.SectorSize;
        var meta = new byte[checked((int)(layout.MetadataSectors * S))];
        var span = meta.AsSpan();
        var rootTime = created.UtcDateTime;

        foreach (var (tree, joliet, lba) in new[] { (layout.Iso, false, IsoLayout.PrimaryLba), (layout.Joliet, true, IsoLayout.JolietLba) })
        {
            var root = tree.Directories[0];
            IsoStructures.WriteVolumeDescriptor(span.Slice(lba * S, S), new IsoStructures.VolumeDescriptorFields(
                joliet,
                joliet ? IsoNames.CutUnits(properties.VolumeName, 16) : IsoNames.IsoVolumeId(properties.VolumeName),
                properties.Publisher, properties.DataPreparer, properties.Application,
                At(layout.TotalSectors), (uint)tree.PathTableBytes,
                At(tree.LPathTableLba), At(tree.MPathTableLba),
                At(root.Lba), (uint)(root.Sectors * S), rootTime, created));
            WritePathTable(span[(int)(tree.LPathTableLba * S)..], tree, bigEndian: false, baseLba);
            WritePathTable(span[(int)(tree.MPathTableLba * S)..], tree, bigEndian: true, baseLba);
            foreach (var d in tree.Directories)
                WriteDirectory(span.Slice((int)(d.Lba * S), d.Sectors * S), d, rootTime, baseLba);
        }
        IsoStructures.WriteTerminator(span.Slice(IsoLayout.TerminatorLba * S, S));
        return meta;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WritePathTable(Span<byte> b, LayoutTree tree, bool bigEndian, long baseLba)
    {
        int pos = 0;
        foreach (var d in tree.Directories)
            pos += IsoStructures.WritePathRecord(b[pos..], d.Identifier, (uint)(baseLba + d.Lba), (ushort)(d.Parent?.Number ?? 1), bigEndian);
        if (pos != tree.PathTableBytes)
            throw new InvalidOperationException($"path table is {pos} bytes, the layout said {tree.PathTableBytes}");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteDirectory(Span<byte> b, LayoutDirectory d, DateTime rootTime, long baseLba)
    {
        // The records of IsoLayout.Records(d), written without the iterator: ".", "..", then each entry's extents.
        const int S = IsoStructures.SectorSize;
        int pos = 0, sector = 0;
        ReadOnlySpan<byte> dot = [0], dotDot = [1];
        Dot(b, dot, d);
        Dot(b, dotDot, d.Parent ?? d);
        foreach (var entry in d.Entries)
        {
            var id = entry.Identifier;
            if (entry.Directory is { } sub)
            {
                IsoStructures.WriteDirectoryRecord(Next(b, id.Length), id, (uint)(baseLba + sub.Lba), (uint)(sub.Sectors * S), sub.Source.ModifiedUtc, IsoStructures.FlagDirectory);
                continue;
            }
            var f = entry.File!;
            long size = f.Source.Size;
            int count = IsoLayout.ExtentCount(size);
            for (int extent = 0; extent < count; extent++)
            {
                long offset = extent * IsoLayout.MaxExtentBytes;
                uint length = (uint)Math.Min(IsoLayout.MaxExtentBytes, size - offset);
                uint lba = size == 0 ? 0 : (uint)((f.Imported ? 0 : baseLba) + f.Lba + offset / S); // an earlier session's file stays where it is
                byte flags = extent < count - 1 ? IsoStructures.FlagMultiExtent : (byte)0;
                IsoStructures.WriteDirectoryRecord(Next(b, id.Length), id, lba, length, f.Source.ModifiedUtc, flags);
            }
        }
        if (sector + 1 != d.Sectors)
            throw new InvalidOperationException($"directory used {sector + 1} sectors, the layout said {d.Sectors}");

        void Dot(Span<byte> b, ReadOnlySpan<byte> id, LayoutDirectory target)
        {
            var time = target.Parent is null ? rootTime : target.Source.ModifiedUtc;
            IsoStructures.WriteDirectoryRecord(Next(b, id.Length), id, (uint)(baseLba + target.Lba), (uint)(target.Sectors * S), time, IsoStructures.FlagDirectory);
        }

        Span<byte> Next(Span<byte> b, int idLength)
        {
            int len = IsoStructures.RecordLength(idLength);
            if (pos + len > S) { sector++; pos = 0; } // 6.8.1.1: records do not cross sectors
            var rec = b[(sector * S + pos)..];
            pos += len;
            return rec;
        }
    }
}
