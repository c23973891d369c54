using System.Runtime.CompilerServices;

namespace Duplicator.Mastering.Data.Udf;

/// <summary>
/// The second phase for the UDF 1.02 side of a bridge image (the DVD-ROM layout of UDF 1.02 6.9): writes the
/// volume recognition sequence, both volume descriptor sequences, the integrity sequence, the anchors and
/// the file structures of a computed <see cref="UdfLayout"/> into the metadata buffer the ISO writer filled,
/// and the closing anchor into the tail buffer. Checks every structure ended where the layout said.
/// </summary>
internal static class UdfWriter
{
    private const int S = UdfStructures.SectorSize;

    /// <summary>BEA01, NSR02, TEA01 directly after the ISO 9660 set terminator (ECMA-167 2/8.3, 3/9.1; UDF 2.2.3 DVD).</summary>
    public const int RecognitionLba = 19;

    /// <summary>Main volume descriptor sequence: at least 16 sectors (UDF 2.2.3.1).</summary>
    public const int MainSequenceLba = 32;
    public const int SequenceSectors = 16;

    /// <summary>Reserve volume descriptor sequence, a copy of the main one in its own extent (3/8.4.2).</summary>
    public const int ReserveSequenceLba = MainSequenceLba + SequenceSectors;

    /// <summary>Logical volume integrity sequence: the LVID and a terminating descriptor (3/8.4.2.2, UDF 2.2.6).</summary>
    public const int IntegrityLba = ReserveSequenceLba + SequenceSectors;
    public const int IntegritySectors = 2;

    /// <summary>The first anchor: sector 256 (3/8.4.2.1); the other is the last sector of the volume.</summary>
    public const int AnchorLba = 256;

    /// <summary>The partition begins after the first anchor and ends before the last one.</summary>
    public const int PartitionStart = AnchorLba + 1;

    /// <summary>Sectors after the file data: the closing anchor.</summary>
    public const int TailSectors = 1;

    /// <summary>UDF 2.50 without ISO 9660: the recognition sequence starts at sector 16 (2/8.3).</summary>
    public const int PureRecognitionLba = 16;

    /// <summary>
    /// UDF 2.50 (pure UDF for BD): physical partition blocks of the metadata file's entry, its mirror's,
    /// and where the metadata content starts (one allocation unit in, UDF 2.50 2.2.10).
    /// </summary>
    public const int MetadataEntryBlock = 0, MirrorEntryBlock = 1, MetadataContentBlock = UdfStructures.MetadataUnitBlocks;

    /// <summary>Blocks of the metadata partition for <paramref name="udf"/>: its file structures rounded up to whole allocation units.</summary>
    public static long MetadataPartitionBlocks(UdfLayout udf) =>
        (udf.MetadataBlocks + UdfStructures.MetadataUnitBlocks - 1) / UdfStructures.MetadataUnitBlocks * UdfStructures.MetadataUnitBlocks;

    /// <summary>UDF 2.50: sectors from the partition start to the first file's data (entries, metadata, mirror).</summary>
    public static long PureMetadataSectors(UdfLayout udf) => MetadataContentBlock + 2 * MetadataPartitionBlocks(udf);

    /// <summary>
    /// Writes the UDF structures. <paramref name="meta"/> is the image from sector 0 up to the file data
    /// (for a bridge its sectors 19-21, 32-65, 256 and the partition's first <see cref="UdfLayout.MetadataBlocks"/>
    /// blocks must be free of ISO structures); <paramref name="tail"/> is the last sector. A UDF 2.50 layout
    /// gets the metadata file, its mirror and the metadata partition map; its file structures are written once
    /// and copied to the mirror.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Write(Span<byte> meta, Span<byte> tail, UdfLayout udf, long totalSectors, string volumeId, DateTimeOffset created)
    {
        ushort rev = udf.Revision;
        bool pure = udf.HasMetadataPartition;
        long metaBlocks = pure ? MetadataPartitionBlocks(udf) : 0;
        long structuresSector = PartitionStart + (pure ? MetadataContentBlock : 0); // where partition block 0 of the file structures is
        long needed = pure ? PartitionStart + PureMetadataSectors(udf) : PartitionStart + udf.MetadataBlocks;
        if (meta.Length < needed * S)
            throw new InvalidOperationException($"metadata buffer of {meta.Length} bytes ends inside the UDF file structures");
        long lastSector = totalSectors - 1;
        long partitionLength = lastSector - PartitionStart;
        if (partitionLength < needed - PartitionStart || lastSector > uint.MaxValue)
            throw new InvalidOperationException($"volume of {totalSectors} sectors cannot hold a UDF partition of {needed - PartitionStart} blocks");

        int vrs = pure ? PureRecognitionLba : RecognitionLba;
        UdfStructures.WriteVolumeStructure(meta.Slice(vrs * S, S), UdfStructures.Bea01);
        UdfStructures.WriteVolumeStructure(meta.Slice((vrs + 1) * S, S), pure ? UdfStructures.Nsr03Vsd : UdfStructures.Nsr02Vsd);
        UdfStructures.WriteVolumeStructure(meta.Slice((vrs + 2) * S, S), UdfStructures.Tea01);

        var metadata = pure
            ? new UdfStructures.MetadataPartition(MetadataEntryBlock, MirrorEntryBlock, MetadataContentBlock, (uint)(MetadataContentBlock + metaBlocks), (uint)metaBlocks)
            : null;
        var fields = new UdfStructures.VolumeFields(
            volumeId, UdfStructures.VolumeSetId(created, volumeId), created.UtcDateTime,
            PartitionStart, (uint)partitionLength, (uint)UdfLayout.FileSetBlock,
            IntegrityLba, IntegritySectors * S, udf.Files.Count, udf.Directories.Count, udf.NextUniqueId, rev, metadata);
        foreach (int at in new[] { MainSequenceLba, ReserveSequenceLba })
            UdfStructures.WriteVolumeDescriptorSequence(meta.Slice(at * S, SequenceSectors * S), (uint)at, fields);
        UdfStructures.WriteIntegrity(meta.Slice(IntegrityLba * S, S), IntegrityLba, fields);
        UdfStructures.WriteTerminating(meta.Slice((IntegrityLba + 1) * S, S), IntegrityLba + 1, rev);

        const uint sequenceBytes = SequenceSectors * S;
        UdfStructures.WriteAnchor(meta.Slice(AnchorLba * S, S), AnchorLba, MainSequenceLba, ReserveSequenceLba, sequenceBytes, rev);
        tail[..S].Clear();
        UdfStructures.WriteAnchor(tail[..S], (uint)lastSector, MainSequenceLba, ReserveSequenceLba, sequenceBytes, rev);

        if (metadata is { } m)
        {
            // UDF 2.50 2.2.13: the metadata file and its mirror are files of the physical partition (short_ads into it).
            var physical = meta[(PartitionStart * S)..];
            foreach (var (block, type, content) in new[] { (m.FileEntryBlock, UdfStructures.FileTypeMetadata, m.ContentBlock), (m.MirrorEntryBlock, UdfStructures.FileTypeMetadataMirror, m.MirrorContentBlock) })
            {
                var fe = physical.Slice((int)block * S, S);
                fe.Clear();
                UdfStructures.WriteFileEntry(fe, block,
                    new UdfStructures.FileEntryFields(type, 1, (ulong)metaBlocks * S, 0, created.UtcDateTime, rev), content);
            }
        }

        var partition = meta[(int)(structuresSector * S)..];
        ushort structuresRef = pure ? (ushort)1 : (ushort)0;
        ushort? dataRef = pure ? 0 : null; // files' data: long_ads into the physical partition when the entries are in the metadata one
        UdfStructures.WriteFileSet(partition.Slice((int)UdfLayout.FileSetBlock * S, S), (uint)UdfLayout.FileSetBlock, volumeId, created.UtcDateTime,
            (uint)udf.Root.EntryBlock, rev, structuresRef);
        UdfStructures.WriteTerminating(partition.Slice((int)(UdfLayout.FileSetBlock + 1) * S, S), (uint)(UdfLayout.FileSetBlock + 1), rev);

        long end = UdfLayout.FileSetBlock + 2;
        foreach (var d in udf.Directories)
        {
            if (d.EntryBlock != end)
                throw new InvalidOperationException($"UDF folder entry written at block {end}, the layout said {d.EntryBlock}");
            ushort subfolders = 0;
            foreach (var c in d.Children) if (c.IsDirectory) subfolders++;
            var time = d.Parent is null ? created.UtcDateTime : d.Source.ModifiedUtc;
            var block = partition.Slice((int)d.EntryBlock * S, S);
            block.Clear();
            UdfStructures.WriteFileEntry(block, (uint)d.EntryBlock,
                new UdfStructures.FileEntryFields(UdfStructures.FileTypeDirectory, checked((ushort)(1 + subfolders)), d.Size, d.UniqueId, time, rev), (uint)d.DataBlock);
            WriteDirectory(partition.Slice((int)d.DataBlock * S, d.DirectorySectors * S), d, rev, structuresRef);
            end = d.DataBlock + d.DirectorySectors;
            foreach (var c in d.Children)
            {
                if (c.IsDirectory) continue;
                if (c.EntryBlock != end)
                    throw new InvalidOperationException($"UDF file entry written at block {end}, the layout said {c.EntryBlock}");
                var fe = partition.Slice((int)c.EntryBlock * S, S);
                fe.Clear();
                UdfStructures.WriteFileEntry(fe, (uint)c.EntryBlock,
                    new UdfStructures.FileEntryFields(UdfStructures.FileTypeFile, 1, c.Size, c.UniqueId, c.Source.ModifiedUtc, rev, dataRef), (uint)c.DataBlock);
                end++;
            }
        }
        if (end != udf.MetadataBlocks)
            throw new InvalidOperationException($"UDF file structures ended at block {end}, the layout said {udf.MetadataBlocks}");
        if (metadata is { } mm)
        {
            var content = partition[..(int)(metaBlocks * S)];
            content.CopyTo(meta[(int)((PartitionStart + mm.MirrorContentBlock) * S)..]); // descriptors locate themselves in the metadata partition: the copy is exact
        }
    }

    /// <summary>The FIDs of one folder: the parent first (4/14.4, UDF 2.3.4.3), then each child; FIDs may cross blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteDirectory(Span<byte> b, UdfNode d, ushort revision, ushort partition)
    {
        b.Clear();
        int pos = 0;
        uint first = (uint)d.DataBlock;
        var parent = d.Parent ?? d;
        pos += UdfStructures.WriteFid(b, first, UdfStructures.FidDirectory | UdfStructures.FidParent, [], (uint)parent.EntryBlock, revision, partition, parent.UniqueId);
        foreach (var c in d.Children)
        {
            uint block = first + (uint)(pos / S);
            pos += UdfStructures.WriteFid(b[pos..], block, c.IsDirectory ? UdfStructures.FidDirectory : (byte)0, c.Identifier, (uint)c.EntryBlock,
                revision, partition, c.UniqueId);
        }
        if (pos != d.DirectoryBytes)
            throw new InvalidOperationException($"UDF folder of {pos} bytes, the layout said {d.DirectoryBytes}");
    }
}
