using System.Buffers.Binary;

namespace Duplicator.Mastering.Data.Udf;

/// <summary>
/// Byte layouts of the ECMA-167 (3rd edition) structures that OSTA UDF 1.02 uses, with the UDF
/// restrictions applied. Offsets are named after the clauses that define them: "1/7.2" is part 1,
/// clause 7.2; "UDF 2.2.4" is a section of the OSTA UDF 1.02 specification. All integers are
/// little-endian (ECMA-167 1/7.1.3, 1/7.1.5).
/// </summary>
internal static class UdfStructures
{
    public const int SectorSize = 2048;

    /// <summary>UDF 1.02 as a revision number (UDF 2.1.5.3): the bridge's revision.</summary>
    public const ushort Revision102 = 0x0102;

    /// <summary>UDF 2.50 (metadata partition): the BD revision.</summary>
    public const ushort Revision250 = 0x0250;

    /// <summary>NSR02 descriptors carry tag version 2, NSR03 (UDF 2.00 on) version 3 (3/7.2.2; UDF 2.2.1).</summary>
    public static ushort TagVersionOf(ushort revision) => revision >= 0x0200 ? (ushort)3 : (ushort)2;

    /// <summary>Largest extent a short_ad can hold as a whole number of blocks: the length field has 30 bits (4/14.14.1.1).</summary>
    public const long MaxExtentBytes = 0x3FFF_F800;

    // ECMA-167 3/7.2 (and 4/7.2): descriptor tag
    private const int TagIdentifier = 0;     // 3/7.2.1
    private const int TagVersion = 2;        // 3/7.2.2
    private const int TagChecksum = 4;       // 3/7.2.3
    private const int TagSerial = 6;         // 3/7.2.5
    private const int TagCrc = 8;            // 3/7.2.6
    private const int TagCrcLength = 10;     // 3/7.2.7
    private const int TagLocation = 12;      // 3/7.2.8
    public const int TagLength = 16;

    // Tag identifiers: 3/7.2.1 and 4/7.2.1
    public const ushort TagPrimaryVolume = 1;
    public const ushort TagAnchor = 2;
    public const ushort TagImplementationUse = 4;
    public const ushort TagPartition = 5;
    public const ushort TagLogicalVolume = 6;
    public const ushort TagUnallocatedSpace = 7;
    public const ushort TagTerminating = 8;
    public const ushort TagIntegrity = 9;
    public const ushort TagFileSet = 256;
    public const ushort TagFileIdentifier = 257;
    public const ushort TagFileEntry = 261;

    // 2/9.1: volume structure descriptors of the volume recognition sequence
    private const int VsdType = 0;
    private const int VsdIdentifier = 1;
    private const int VsdVersion = 6;

    // 3/10.2: anchor volume descriptor pointer
    private const int AvdpMainExtent = 16;
    private const int AvdpReserveExtent = 24;
    private const int AvdpLength = 512;

    // 3/10.1: primary volume descriptor
    private const int PvdSequenceNumber = 16;
    private const int PvdNumber = 20;
    private const int PvdVolumeId = 24;            // dstring[32]
    private const int PvdVolumeSequence = 56;
    private const int PvdMaxVolumeSequence = 58;
    private const int PvdInterchangeLevel = 60;
    private const int PvdMaxInterchangeLevel = 62;
    private const int PvdCharacterSetList = 64;
    private const int PvdMaxCharacterSetList = 68;
    private const int PvdVolumeSetId = 72;         // dstring[128]
    private const int PvdDescriptorCharset = 200;  // charspec
    private const int PvdExplanatoryCharset = 264; // charspec
    private const int PvdApplicationId = 344;      // regid
    private const int PvdRecordingTime = 376;      // timestamp
    private const int PvdImplementationId = 388;   // regid
    private const int PvdLength = 512;

    // 3/10.4 + UDF 2.2.7: implementation use volume descriptor holding the LV information
    private const int IuvdSequenceNumber = 16;
    private const int IuvdImplementationId = 20;   // "*UDF LV Info"
    private const int IuvdLviCharset = 52;
    private const int IuvdLogicalVolumeId = 116;   // dstring[128]
    private const int IuvdLvInfoImplementationId = 352;
    private const int IuvdLength = 512;

    // 3/10.5: partition descriptor
    private const int PdSequenceNumber = 16;
    private const int PdFlags = 20;
    private const int PdNumber = 22;
    private const int PdContents = 24;             // regid "+NSR02"
    private const int PdAccessType = 184;
    private const int PdStart = 188;
    private const int PdLength = 192;
    private const int PdImplementationId = 196;
    private const int PdDescriptorLength = 512;

    /// <summary>3/10.5.7: access type 1 = read-only (no space bitmaps needed, UDF 2.2.12).</summary>
    private const uint AccessReadOnly = 1;

    // 3/10.6: logical volume descriptor
    private const int LvdSequenceNumber = 16;
    private const int LvdDescriptorCharset = 20;
    private const int LvdLogicalVolumeId = 84;     // dstring[128]
    private const int LvdBlockSize = 212;
    private const int LvdDomainId = 216;           // regid, UDF 2.2.4.1
    private const int LvdContentsUse = 248;        // long_ad of the FSD (UDF 2.2.4.3)
    private const int LvdMapTableLength = 264;
    private const int LvdMapCount = 268;
    private const int LvdImplementationId = 272;
    private const int LvdIntegrityExtent = 432;    // extent_ad
    private const int LvdPartitionMaps = 440;
    private const int Type1MapLength = 6;          // 3/10.7.2

    // 3/10.8: unallocated space descriptor (no extents: the whole volume is allocated or outside the partition)
    private const int UsdSequenceNumber = 16;
    private const int UsdLength = 24;

    // 3/10.10: logical volume integrity descriptor (one partition, UDF 2.2.6.4 implementation use)
    private const int LvidRecordingTime = 16;
    private const int LvidIntegrityType = 28;      // 1 = close
    private const int LvidContentsUse = 40;        // logical volume header descriptor (4/14.15): next unique id
    private const int LvidPartitionCount = 72;
    private const int LvidImplUseLength = 76;
    private const int LvidTables = 80;             // free space table, then size table, 4 bytes per partition
    private const int LvidImplUseBytes = 46;       // regid, files, directories, min read, min write, max write

    // 4/14.1: file set descriptor
    private const int FsdRecordingTime = 16;
    private const int FsdInterchangeLevel = 28;
    private const int FsdMaxInterchangeLevel = 30;
    private const int FsdCharacterSetList = 32;
    private const int FsdMaxCharacterSetList = 36;
    private const int FsdLogicalVolumeCharset = 48;
    private const int FsdLogicalVolumeId = 112;    // dstring[128]
    private const int FsdFileSetCharset = 240;
    private const int FsdFileSetId = 304;          // dstring[32]
    private const int FsdRootIcb = 400;            // long_ad
    private const int FsdDomainId = 416;
    private const int FsdLength = 512;

    // 4/14.4: file identifier descriptor
    private const int FidVersion = 16;
    private const int FidCharacteristics = 18;
    private const int FidIdentifierLength = 19;
    private const int FidIcb = 20;                 // long_ad
    private const int FidImplUseLength = 36;
    private const int FidFixed = 38;

    /// <summary>4/14.4.3: the entry is a directory.</summary>
    public const byte FidDirectory = 0x02;

    /// <summary>4/14.4.3: the entry is the parent directory (its identifier is empty).</summary>
    public const byte FidParent = 0x08;

    // 4/14.9: file entry, with its 4/14.6 ICB tag at 16
    private const int FeIcbTag = 16;
    private const int IcbStrategy = 4;             // 4/14.6.2 (UDF 2.3.5.1: strategy 4)
    private const int IcbMaxEntries = 8;
    private const int IcbFileType = 11;            // 4/14.6.6
    private const int IcbFlags = 18;               // 4/14.6.8, bits 0-2 = 0: short_ad
    private const int FeUid = 36;
    private const int FeGid = 40;
    private const int FePermissions = 44;
    private const int FeLinkCount = 48;
    private const int FeInformationLength = 56;
    private const int FeBlocksRecorded = 64;
    private const int FeAccessTime = 72;
    private const int FeModificationTime = 84;
    private const int FeAttributeTime = 96;
    private const int FeCheckpoint = 108;
    private const int FeImplementationId = 128;
    private const int FeUniqueId = 160;
    private const int FeEaLength = 168;
    private const int FeAdLength = 172;
    public const int FeFixed = 176;

    public const byte FileTypeDirectory = 4;
    public const byte FileTypeFile = 5;

    /// <summary>Short allocation descriptor size (4/14.14.1).</summary>
    public const int ShortAdLength = 8;

    /// <summary>
    /// 4/14.9.5: read for everyone, and search (execute) on folders; owner/group/other in bits 10-14 / 5-9 / 0-4.
    /// </summary>
    private const uint PermissionsFile = 0x04 | (0x04 << 5) | (0x04 << 10);
    private const uint PermissionsDirectory = 0x05 | (0x05 << 5) | (0x05 << 10);

    /// <summary>UDF 3.3.3.1: -1 is "no uid/gid recorded" (readers substitute their own).</summary>
    private const uint NoId = 0xFFFF_FFFF;

    private static ReadOnlySpan<byte> OstaCs0 => "OSTA Compressed Unicode"u8;
    private static ReadOnlySpan<byte> DomainId => "*OSTA UDF Compliant"u8;
    private static ReadOnlySpan<byte> LvInfoId => "*UDF LV Info"u8;
    private static ReadOnlySpan<byte> ImplementationId => "*Duplicator"u8;
    private static ReadOnlySpan<byte> Nsr02 => "+NSR02"u8;
    private static ReadOnlySpan<byte> Nsr03 => "+NSR03"u8;
    private static ReadOnlySpan<byte> MetadataPartitionId => "*UDF Metadata Partition"u8;

    /// <summary>UDF 6.3 OS class 4 = UNIX, identifier 5 = Linux.</summary>
    private const byte OsClassUnix = 4, OsLinux = 5;

    // ---------------------------------------------------------------- tags and checks

    /// <summary>CRC of 3/7.2.6: CRC-ITU-T, generator x^16 + x^12 + x^5 + 1, initial value 0, no reflection.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static ushort Crc(ReadOnlySpan<byte> data)
    {
        var table = CrcTable;
        uint crc = 0;
        foreach (byte b in data)
            crc = (crc << 8) ^ table[(int)(((crc >> 8) ^ b) & 0xFF)];
        return (ushort)crc;
    }

    /// <summary>The CRC of every byte value (one table lookup per byte instead of eight shifts: a file entry per file adds up).</summary>
    private static readonly ushort[] CrcTable = BuildCrcTable();

    private static ushort[] BuildCrcTable()
    {
        var t = new ushort[256];
        for (int v = 0; v < 256; v++)
        {
            uint crc = (uint)v << 8;
            for (int i = 0; i < 8; i++)
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            t[v] = (ushort)crc;
        }
        return t;
    }

    /// <summary>
    /// Fills the 16-byte tag of the descriptor in <paramref name="d"/> (its whole length, tag included):
    /// the CRC over the bytes after the tag (3/7.2.6), then the checksum of the tag bytes 0-3 and 5-15 (3/7.2.3).
    /// <paramref name="location"/> is the sector (volume structures) or the partition block (file structures) holding it.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void WriteTag(Span<byte> d, ushort identifier, uint location, ushort revision)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(d[TagIdentifier..], identifier);
        BinaryPrimitives.WriteUInt16LittleEndian(d[TagVersion..], TagVersionOf(revision));
        d[TagChecksum + 1] = 0; // reserved
        BinaryPrimitives.WriteUInt16LittleEndian(d[TagSerial..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(d[TagCrcLength..], checked((ushort)(d.Length - TagLength)));
        BinaryPrimitives.WriteUInt32LittleEndian(d[TagLocation..], location);
        Retag(d);
    }

    /// <summary>3/7.2.3: sum modulo 256 of tag bytes 0-3 and 5-15.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static byte TagSum(ReadOnlySpan<byte> tag)
    {
        int sum = 0;
        for (int i = 0; i < TagLength; i++)
            if (i != TagChecksum) sum += tag[i];
        return (byte)sum;
    }

    // ---------------------------------------------------------------- basic types

    /// <summary>1/7.2.1 + UDF 2.1.2: the CS0 character set specification "OSTA Compressed Unicode".</summary>
    private static void WriteCharspec(Span<byte> b)
    {
        b[..64].Clear();
        b[0] = 0; // CS0
        OstaCs0.CopyTo(b[1..]);
    }

    /// <summary>1/7.4 + UDF 2.1.5: an entity identifier with its suffix.</summary>
    private static void WriteRegid(Span<byte> b, ReadOnlySpan<byte> id, ReadOnlySpan<byte> suffix)
    {
        b[..32].Clear();
        id.CopyTo(b[1..24]);
        suffix.CopyTo(b[24..32]);
    }

    /// <summary>UDF 2.1.5.3: domain identifier suffix (revision, domain flags 0).</summary>
    private static void WriteDomainId(Span<byte> b, ushort revision)
    {
        Span<byte> suffix = stackalloc byte[8];
        suffix.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(suffix, revision);
        WriteRegid(b, DomainId, suffix);
    }

    /// <summary>UDF 2.1.5.3: "UDF identifier" suffix (revision, OS class, OS identifier).</summary>
    private static void WriteUdfId(Span<byte> b, ReadOnlySpan<byte> id, ushort revision)
    {
        Span<byte> suffix = stackalloc byte[8];
        suffix.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(suffix, revision);
        suffix[2] = OsClassUnix;
        suffix[3] = OsLinux;
        WriteRegid(b, id, suffix);
    }

    /// <summary>UDF 2.1.5.3: implementation identifier suffix (OS class, OS identifier).</summary>
    private static void WriteImplementationId(Span<byte> b)
    {
        Span<byte> suffix = stackalloc byte[8];
        suffix.Clear();
        suffix[0] = OsClassUnix;
        suffix[1] = OsLinux;
        WriteRegid(b, ImplementationId, suffix);
    }

    /// <summary>
    /// 1/7.3 + UDF 2.1.4: timestamp, type 1 (local time) with the offset from UTC in minutes (0: times are
    /// written in UTC), then year .. microseconds.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void WriteTimestamp(Span<byte> b, DateTime t)
    {
        t = t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t;
        if (t.Year < 1) t = DateTime.UnixEpoch;
        BinaryPrimitives.WriteUInt16LittleEndian(b, 0x1000); // type 1, timezone +0 minutes
        BinaryPrimitives.WriteInt16LittleEndian(b[2..], (short)Math.Clamp(t.Year, 1, 9999));
        b[4] = (byte)t.Month;
        b[5] = (byte)t.Day;
        b[6] = (byte)t.Hour;
        b[7] = (byte)t.Minute;
        b[8] = (byte)t.Second;
        long ticksInSecond = t.Ticks % TimeSpan.TicksPerSecond; // 100 ns units
        long micro = ticksInSecond / 10;
        b[9] = (byte)(micro / 10_000);          // centiseconds
        b[10] = (byte)(micro / 100 % 100);      // hundreds of microseconds
        b[11] = (byte)(micro % 100);            // microseconds
    }

    /// <summary>4/14.14.1: short_ad, extent type 0 (recorded and allocated) in the top two bits of the length.</summary>
    public static void WriteShortAd(Span<byte> b, uint lengthBytes, uint block)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, lengthBytes & 0x3FFF_FFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], block);
    }

    /// <summary>
    /// 4/14.14.2: long_ad in partition reference <paramref name="partition"/>; UDF 2.00 on puts the
    /// target's unique id (low 32 bits) in bytes 12-15 of its implementation use (UDF 2.3.4.3).
    /// </summary>
    public static void WriteLongAd(Span<byte> b, uint lengthBytes, uint block, ushort partition = 0, uint uniqueId = 0)
    {
        b[..LongAdLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b, lengthBytes & 0x3FFF_FFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], block);
        BinaryPrimitives.WriteUInt16LittleEndian(b[8..], partition);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], uniqueId);
    }

    /// <summary>Long allocation descriptor size (4/14.14.2).</summary>
    public const int LongAdLength = 16;

    /// <summary>3/7.1 extent_ad: length in bytes, then location.</summary>
    private static void WriteExtentAd(Span<byte> b, uint lengthBytes, uint sector)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, lengthBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], sector);
    }

    // ---------------------------------------------------------------- OSTA CS0 (UDF 2.1.1)

    /// <summary>Longest file identifier: L_FI is one byte (4/14.4.4), compression id included.</summary>
    public const int MaxIdentifierBytes = 255;

    /// <summary>
    /// OSTA compressed unicode: compression id 8 (one byte per character) when every UTF-16 unit is below
    /// 256, else 16 (big-endian UTF-16 units). The result starts with the compression id.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static byte[] Cs0(string s)
    {
        bool narrow = true;
        foreach (char c in s) if (c > 0xFF) { narrow = false; break; }
        var bytes = new byte[1 + s.Length * (narrow ? 1 : 2)];
        bytes[0] = narrow ? (byte)8 : (byte)16;
        for (int i = 0; i < s.Length; i++)
        {
            if (narrow) bytes[1 + i] = (byte)s[i];
            else BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1 + 2 * i), s[i]);
        }
        return bytes;
    }

    /// <summary>1/7.2.12 dstring: CS0 bytes, zero-padded, the last byte the number of bytes used (0 if empty). Cut to fit.</summary>
    private static void WriteDString(Span<byte> field, string text)
    {
        field.Clear();
        if (text.Length == 0) return;
        int maxBytes = field.Length - 1;
        var cs0 = Cs0(text);
        int unit = cs0[0] == 8 ? 1 : 2;
        int used = Math.Min(cs0.Length, 1 + (maxBytes - 1) / unit * unit);
        cs0.AsSpan(0, used).CopyTo(field);
        field[^1] = (byte)used;
    }

    // ---------------------------------------------------------------- volume structures

    /// <summary>2/9.1: a volume structure descriptor (BEA01, NSR02, TEA01) in one sector.</summary>
    public static void WriteVolumeStructure(Span<byte> b, ReadOnlySpan<byte> identifier)
    {
        b[..SectorSize].Clear();
        b[VsdType] = 0;
        identifier.CopyTo(b[VsdIdentifier..]);
        b[VsdVersion] = 1;
    }

    /// <summary>3/10.2: anchor volume descriptor pointer (UDF 2.2.3).</summary>
    public static void WriteAnchor(Span<byte> b, uint sector, uint mainSector, uint reserveSector, uint sequenceBytes, ushort revision)
    {
        var d = b[..AvdpLength];
        d.Clear();
        WriteExtentAd(d[AvdpMainExtent..], sequenceBytes, mainSector);
        WriteExtentAd(d[AvdpReserveExtent..], sequenceBytes, reserveSector);
        WriteTag(d, TagAnchor, sector, revision);
    }

    /// <summary>
    /// What the volume descriptors say about the volume. Revision: 0x0102 (bridge) or 0x0250 (metadata
    /// partition); Metadata, UDF 2.50 only: the metadata partition's file entries and size, in physical partition blocks.
    /// </summary>
    public sealed record VolumeFields(string VolumeId, string VolumeSetId, DateTime Created, uint PartitionStart, uint PartitionLength,
        uint FsdBlock, uint IntegritySector, uint IntegrityBytes, int Files, int Directories, ulong NextUniqueId,
        ushort Revision, MetadataPartition? Metadata);

    /// <summary>
    /// UDF 2.50 2.2.10: where the metadata file and its mirror have their file entries (physical partition
    /// blocks) and how many blocks the metadata partition has.
    /// </summary>
    public sealed record MetadataPartition(uint FileEntryBlock, uint MirrorEntryBlock, uint ContentBlock, uint MirrorContentBlock, uint Blocks);

    /// <summary>UDF 2.50 2.2.10: allocation and alignment unit of BD (one 32-sector ECC cluster).</summary>
    public const int MetadataUnitBlocks = 32;

    // UDF 2.50 2.2.10: type 2 partition map of the metadata partition
    private const int MetaMapLength = 64;
    private const int MetaMapTypeId = 4;           // regid "*UDF Metadata Partition"
    private const int MetaMapVolumeSequence = 36;
    private const int MetaMapPartition = 38;
    private const int MetaMapFile = 40;
    private const int MetaMapMirror = 44;
    private const int MetaMapBitmap = 48;          // 0xFFFFFFFF: no bitmap (read-only)
    private const int MetaMapAllocationUnit = 52;
    private const int MetaMapAlignmentUnit = 56;
    private const int MetaMapFlags = 58;           // bit 0: the mirror is a duplicate

    /// <summary>
    /// Writes a volume descriptor sequence (3/8.4.2; UDF 2.2.2-2.2.7): PVD, IUVD, PD, LVD, USD, TD in six
    /// consecutive sectors from <paramref name="firstSector"/>.
    /// </summary>
    public static void WriteVolumeDescriptorSequence(Span<byte> b, uint firstSector, VolumeFields f)
    {
        b[..(6 * SectorSize)].Clear();
        uint vdsn = 0;

        var pvd = b[..PvdLength];
        BinaryPrimitives.WriteUInt32LittleEndian(pvd[PvdSequenceNumber..], vdsn++);
        BinaryPrimitives.WriteUInt32LittleEndian(pvd[PvdNumber..], 0);
        WriteDString(pvd.Slice(PvdVolumeId, 32), f.VolumeId);
        BinaryPrimitives.WriteUInt16LittleEndian(pvd[PvdVolumeSequence..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(pvd[PvdMaxVolumeSequence..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(pvd[PvdInterchangeLevel..], 2);    // UDF 2.2.2.1: single volume
        BinaryPrimitives.WriteUInt16LittleEndian(pvd[PvdMaxInterchangeLevel..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(pvd[PvdCharacterSetList..], 1);    // UDF 2.2.2.2: CS0 only
        BinaryPrimitives.WriteUInt32LittleEndian(pvd[PvdMaxCharacterSetList..], 1);
        WriteDString(pvd.Slice(PvdVolumeSetId, 128), f.VolumeSetId);
        WriteCharspec(pvd[PvdDescriptorCharset..]);
        WriteCharspec(pvd[PvdExplanatoryCharset..]);
        WriteImplementationId(pvd[PvdApplicationId..]);
        WriteTimestamp(pvd[PvdRecordingTime..], f.Created);
        WriteImplementationId(pvd[PvdImplementationId..]);
        WriteTag(pvd, TagPrimaryVolume, firstSector, f.Revision);

        var iuvd = b.Slice(SectorSize, IuvdLength);
        BinaryPrimitives.WriteUInt32LittleEndian(iuvd[IuvdSequenceNumber..], vdsn++);
        WriteUdfId(iuvd[IuvdImplementationId..], LvInfoId, f.Revision);
        WriteCharspec(iuvd[IuvdLviCharset..]);
        WriteDString(iuvd.Slice(IuvdLogicalVolumeId, 128), f.VolumeId);
        WriteImplementationId(iuvd[IuvdLvInfoImplementationId..]);
        WriteTag(iuvd, TagImplementationUse, firstSector + 1, f.Revision);

        var pd = b.Slice(2 * SectorSize, PdDescriptorLength);
        BinaryPrimitives.WriteUInt32LittleEndian(pd[PdSequenceNumber..], vdsn++);
        BinaryPrimitives.WriteUInt16LittleEndian(pd[PdFlags..], 1); // allocated
        BinaryPrimitives.WriteUInt16LittleEndian(pd[PdNumber..], 0);
        WriteRegid(pd[PdContents..], f.Revision >= 0x0200 ? Nsr03 : Nsr02, default);
        BinaryPrimitives.WriteUInt32LittleEndian(pd[PdAccessType..], AccessReadOnly);
        BinaryPrimitives.WriteUInt32LittleEndian(pd[PdStart..], f.PartitionStart);
        BinaryPrimitives.WriteUInt32LittleEndian(pd[PdLength..], f.PartitionLength);
        WriteImplementationId(pd[PdImplementationId..]);
        WriteTag(pd, TagPartition, firstSector + 2, f.Revision);

        int maps = f.Metadata is null ? Type1MapLength : Type1MapLength + MetaMapLength;
        var lvd = b.Slice(3 * SectorSize, LvdPartitionMaps + maps);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd[LvdSequenceNumber..], vdsn++);
        WriteCharspec(lvd[LvdDescriptorCharset..]);
        WriteDString(lvd.Slice(LvdLogicalVolumeId, 128), f.VolumeId);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd[LvdBlockSize..], SectorSize);
        WriteDomainId(lvd[LvdDomainId..], f.Revision);
        // the file set lives in the metadata partition (reference 1) when there is one
        WriteLongAd(lvd[LvdContentsUse..], 2 * SectorSize, f.FsdBlock, f.Metadata is null ? (ushort)0 : (ushort)1);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd[LvdMapTableLength..], (uint)maps);
        BinaryPrimitives.WriteUInt32LittleEndian(lvd[LvdMapCount..], f.Metadata is null ? 1u : 2u);
        WriteImplementationId(lvd[LvdImplementationId..]);
        WriteExtentAd(lvd[LvdIntegrityExtent..], f.IntegrityBytes, f.IntegritySector);
        // 3/10.7.2: type 1 partition map: volume sequence 1, partition 0
        lvd[LvdPartitionMaps] = 1;
        lvd[LvdPartitionMaps + 1] = Type1MapLength;
        BinaryPrimitives.WriteUInt16LittleEndian(lvd[(LvdPartitionMaps + 2)..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(lvd[(LvdPartitionMaps + 4)..], 0);
        if (f.Metadata is { } m)
        {
            var map = lvd.Slice(LvdPartitionMaps + Type1MapLength, MetaMapLength);
            map[0] = 2;
            map[1] = MetaMapLength;
            WriteUdfId(map[MetaMapTypeId..], MetadataPartitionId, f.Revision);
            BinaryPrimitives.WriteUInt16LittleEndian(map[MetaMapVolumeSequence..], 1);
            BinaryPrimitives.WriteUInt16LittleEndian(map[MetaMapPartition..], 0);
            BinaryPrimitives.WriteUInt32LittleEndian(map[MetaMapFile..], m.FileEntryBlock);
            BinaryPrimitives.WriteUInt32LittleEndian(map[MetaMapMirror..], m.MirrorEntryBlock);
            BinaryPrimitives.WriteUInt32LittleEndian(map[MetaMapBitmap..], 0xFFFF_FFFF);
            BinaryPrimitives.WriteUInt32LittleEndian(map[MetaMapAllocationUnit..], MetadataUnitBlocks);
            BinaryPrimitives.WriteUInt16LittleEndian(map[MetaMapAlignmentUnit..], MetadataUnitBlocks);
            map[MetaMapFlags] = 1;
        }
        WriteTag(lvd, TagLogicalVolume, firstSector + 3, f.Revision);

        var usd = b.Slice(4 * SectorSize, UsdLength);
        BinaryPrimitives.WriteUInt32LittleEndian(usd[UsdSequenceNumber..], vdsn);
        WriteTag(usd, TagUnallocatedSpace, firstSector + 4, f.Revision);

        WriteTerminating(b.Slice(5 * SectorSize, SectorSize), firstSector + 5, f.Revision);
    }

    /// <summary>3/10.9 (and 4/14.2): terminating descriptor.</summary>
    public static void WriteTerminating(Span<byte> b, uint location, ushort revision)
    {
        var d = b[..512];
        d.Clear();
        WriteTag(d, TagTerminating, location, revision);
    }

    /// <summary>3/10.10 + UDF 2.2.6: a closed logical volume integrity descriptor for one read-only partition.</summary>
    public static void WriteIntegrity(Span<byte> b, uint sector, VolumeFields f)
    {
        int partitions = f.Metadata is null ? 1 : 2; // one entry per partition map (3/10.10.6)
        int implUse = LvidTables + 8 * partitions;
        var d = b[..(implUse + LvidImplUseBytes)];
        d.Clear();
        WriteTimestamp(d[LvidRecordingTime..], f.Created);
        BinaryPrimitives.WriteUInt32LittleEndian(d[LvidIntegrityType..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(d[LvidContentsUse..], f.NextUniqueId);
        BinaryPrimitives.WriteUInt32LittleEndian(d[LvidPartitionCount..], (uint)partitions);
        BinaryPrimitives.WriteUInt32LittleEndian(d[LvidImplUseLength..], LvidImplUseBytes);
        // free space 0 everywhere (read-only); sizes: the physical partition, then the metadata partition
        BinaryPrimitives.WriteUInt32LittleEndian(d[(LvidTables + 4 * partitions)..], f.PartitionLength);
        if (f.Metadata is { } m) BinaryPrimitives.WriteUInt32LittleEndian(d[(LvidTables + 4 * partitions + 4)..], m.Blocks);
        var iu = d[implUse..];
        WriteImplementationId(iu);
        BinaryPrimitives.WriteUInt32LittleEndian(iu[32..], (uint)f.Files);
        BinaryPrimitives.WriteUInt32LittleEndian(iu[36..], (uint)f.Directories);
        BinaryPrimitives.WriteUInt16LittleEndian(iu[40..], f.Revision); // minimum read revision
        BinaryPrimitives.WriteUInt16LittleEndian(iu[42..], f.Revision); // minimum write revision
        BinaryPrimitives.WriteUInt16LittleEndian(iu[44..], f.Revision); // maximum write revision
        WriteTag(d, TagIntegrity, sector, f.Revision);
    }

    // ---------------------------------------------------------------- file structures

    /// <summary>4/14.1 + UDF 2.3.2: file set descriptor at partition block <paramref name="block"/>.</summary>
    public static void WriteFileSet(Span<byte> b, uint block, string volumeId, DateTime created, uint rootBlock, ushort revision, ushort partition)
    {
        var d = b[..FsdLength];
        d.Clear();
        WriteTimestamp(d[FsdRecordingTime..], created);
        BinaryPrimitives.WriteUInt16LittleEndian(d[FsdInterchangeLevel..], 3);
        BinaryPrimitives.WriteUInt16LittleEndian(d[FsdMaxInterchangeLevel..], 3);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FsdCharacterSetList..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FsdMaxCharacterSetList..], 1);
        WriteCharspec(d[FsdLogicalVolumeCharset..]);
        WriteDString(d.Slice(FsdLogicalVolumeId, 128), volumeId);
        WriteCharspec(d[FsdFileSetCharset..]);
        WriteDString(d.Slice(FsdFileSetId, 32), volumeId);
        WriteLongAd(d[FsdRootIcb..], SectorSize, rootBlock, partition);
        WriteDomainId(d[FsdDomainId..], revision);
        WriteTag(d, TagFileSet, block, revision);
    }

    /// <summary>Length of a file identifier descriptor: 38 bytes + identifier, padded to a multiple of 4 (4/14.4.9).</summary>
    public static int FidLength(int identifierBytes) => (FidFixed + identifierBytes + 3) & ~3;

    /// <summary>Writes one FID (4/14.4) pointing at the file entry in <paramref name="icbBlock"/>; returns its length.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int WriteFid(Span<byte> b, uint block, byte characteristics, ReadOnlySpan<byte> identifier, uint icbBlock,
        ushort revision, ushort partition, ulong uniqueId)
    {
        int len = FidLength(identifier.Length);
        var d = b[..len];
        d.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(d[FidVersion..], 1);
        d[FidCharacteristics] = characteristics;
        d[FidIdentifierLength] = checked((byte)identifier.Length);
        WriteLongAd(d[FidIcb..], SectorSize, icbBlock, partition, revision >= 0x0200 ? (uint)uniqueId : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(d[FidImplUseLength..], 0);
        identifier.CopyTo(d[FidFixed..]);
        WriteTag(d, TagFileIdentifier, block, revision);
        return len;
    }

    /// <summary>
    /// What a file entry records. FileType (4/14.6.6): 4 folder, 5 file; UDF 2.50 2.2.13: 250 metadata file,
    /// 251 its mirror. DataPartition null: short_ads in the entry's own partition; else long_ads into that partition reference.
    /// </summary>
    public readonly record struct FileEntryFields(byte FileType, ushort LinkCount, ulong Size, ulong UniqueId, DateTime Modified,
        ushort Revision, ushort? DataPartition = null)
    {
        public bool Directory => FileType == FileTypeDirectory;
    }

    public const byte FileTypeMetadata = 250;
    public const byte FileTypeMetadataMirror = 251;

    /// <summary>
    /// Writes a file entry (4/14.9; UDF 2.3.6) at partition block <paramref name="block"/> whose data is the
    /// contiguous run of the entry's size in bytes from partition block <paramref name="dataBlock"/>,
    /// described by short_ads of at most <see cref="MaxExtentBytes"/>. Returns the descriptor length.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int WriteFileEntry(Span<byte> b, uint block, FileEntryFields f, uint dataBlock)
    {
        int ads = AdCount(f.Size);
        int adLength = f.DataPartition is null ? ShortAdLength : LongAdLength;
        int len = FeFixed + ads * adLength;
        if (len > SectorSize)
            throw new InvalidOperationException($"file entry of {ads} extents does not fit one block");
        var d = b[..len];
        d.Clear();
        var icb = d[FeIcbTag..];
        BinaryPrimitives.WriteUInt16LittleEndian(icb[IcbStrategy..], 4);
        BinaryPrimitives.WriteUInt16LittleEndian(icb[IcbMaxEntries..], 1);
        icb[IcbFileType] = f.FileType;
        BinaryPrimitives.WriteUInt16LittleEndian(icb[IcbFlags..], f.DataPartition is null ? (ushort)0 : (ushort)1); // short_ad / long_ad
        BinaryPrimitives.WriteUInt32LittleEndian(d[FeUid..], NoId);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FeGid..], NoId);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FePermissions..], f.Directory ? PermissionsDirectory : PermissionsFile);
        BinaryPrimitives.WriteUInt16LittleEndian(d[FeLinkCount..], f.LinkCount);
        BinaryPrimitives.WriteUInt64LittleEndian(d[FeInformationLength..], f.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(d[FeBlocksRecorded..], (f.Size + SectorSize - 1) / SectorSize);
        WriteTimestamp(d[FeAccessTime..], f.Modified);
        WriteTimestamp(d[FeModificationTime..], f.Modified);
        WriteTimestamp(d[FeAttributeTime..], f.Modified);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FeCheckpoint..], 1);
        WriteImplementationId(d[FeImplementationId..]);
        BinaryPrimitives.WriteUInt64LittleEndian(d[FeUniqueId..], f.UniqueId);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FeEaLength..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FeAdLength..], (uint)(ads * adLength));
        ulong left = f.Size;
        uint at = dataBlock;
        for (int i = 0; i < ads; i++)
        {
            uint n = (uint)Math.Min((ulong)MaxExtentBytes, left);
            if (f.DataPartition is { } p) WriteLongAd(d[(FeFixed + i * adLength)..], n, at, p);
            else WriteShortAd(d[(FeFixed + i * adLength)..], n, at);
            at += (uint)(MaxExtentBytes / SectorSize);
            left -= n;
        }
        WriteTag(d, TagFileEntry, block, f.Revision);
        return len;
    }

    /// <summary>
    /// Sets the size of the file whose entry (4/14.9, one short_ad, as <see cref="WriteFileEntry"/> wrote it for a
    /// per-disc file) is in <paramref name="block"/>: information length, logical blocks recorded, the short_ad's
    /// extent length (4/14.14.1.1), then the tag's CRC and checksum again (3/7.2). Everything else stays, so a disc's
    /// file entry differs from the staged one in its size alone.
    /// </summary>
    /// <exception cref="InvalidOperationException">The block holds no file entry of one short_ad, or the size does not fit its extent.</exception>
    public static void SetFileEntrySize(Span<byte> block, ulong size, ulong maxBytes)
    {
        var icb = block[FeIcbTag..];
        if (BinaryPrimitives.ReadUInt16LittleEndian(block[TagIdentifier..]) != TagFileEntry
            || BinaryPrimitives.ReadUInt32LittleEndian(block[FeEaLength..]) != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(block[FeAdLength..]) != ShortAdLength
            || (BinaryPrimitives.ReadUInt16LittleEndian(icb[IcbFlags..]) & 7) != 0)
            throw new InvalidOperationException("not the file entry of one short_ad that a per-disc file has");
        if (size > maxBytes || maxBytes > (ulong)MaxExtentBytes)
            throw new InvalidOperationException($"per-disc file of {size} bytes, its extent holds {maxBytes}");
        int crcLength = BinaryPrimitives.ReadUInt16LittleEndian(block[TagCrcLength..]);
        if (crcLength != FeFixed + ShortAdLength - TagLength)
            throw new InvalidOperationException($"file entry's tag covers {crcLength} bytes, not one short_ad's");
        BinaryPrimitives.WriteUInt64LittleEndian(block[FeInformationLength..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(block[FeBlocksRecorded..], (size + SectorSize - 1) / SectorSize);
        BinaryPrimitives.WriteUInt32LittleEndian(block[FeFixed..], (uint)size); // extent type 0 (recorded) in the top two bits
        Retag(block);
    }

    /// <summary>
    /// Sets the volume name in the descriptor of <paramref name="sector"/> as <see cref="WriteVolumeDescriptorSequence"/>
    /// and <see cref="WriteFileSet"/> wrote it: the PVD's volume identifier (3/10.1.4), the IUVD's and the LVD's logical
    /// volume identifier (UDF 2.2.7.2, 3/10.6.4), the FSD's logical volume and file set identifiers (4/14.1.11, 4/14.1.15),
    /// and the PVD's volume set identifier after its 16 unique characters (UDF 2.2.2.5, as <see cref="VolumeSetId"/> made
    /// it), then the tag's CRC and checksum again.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sector holds none of those descriptors.</exception>
    public static void SetVolumeName(Span<byte> sector, string volumeId)
    {
        switch (BinaryPrimitives.ReadUInt16LittleEndian(sector[TagIdentifier..]))
        {
            case TagPrimaryVolume:
                WriteDString(sector.Slice(PvdVolumeId, 32), volumeId);
                // The volume set identifier is 16 unique hex digits and the volume name (VolumeSetId): the digits stay.
                var set = sector.Slice(PvdVolumeSetId, 128);
                var unique = set[0] switch
                {
                    8 when set[^1] >= 17 => System.Text.Encoding.Latin1.GetString(set.Slice(1, 16)),
                    16 when set[^1] >= 33 => System.Text.Encoding.BigEndianUnicode.GetString(set.Slice(1, 32)),
                    _ => null,
                };
                if (unique is not null) WriteDString(set, unique + volumeId.Replace(" ", "_", StringComparison.Ordinal));
                break;
            case TagImplementationUse: WriteDString(sector.Slice(IuvdLogicalVolumeId, 128), volumeId); break;
            case TagLogicalVolume: WriteDString(sector.Slice(LvdLogicalVolumeId, 128), volumeId); break;
            case TagFileSet:
                WriteDString(sector.Slice(FsdLogicalVolumeId, 128), volumeId);
                WriteDString(sector.Slice(FsdFileSetId, 32), volumeId);
                break;
            default: throw new InvalidOperationException("no volume, logical volume or file set descriptor in this sector");
        }
        Retag(sector);
    }

    /// <summary>The CRC (over the length the tag names) and the checksum of a descriptor (3/7.2.3, 3/7.2.6): after <see cref="WriteTag"/> and whenever its body changed.</summary>
    private static void Retag(Span<byte> d)
    {
        int crcLength = BinaryPrimitives.ReadUInt16LittleEndian(d[TagCrcLength..]);
        if (crcLength > d.Length - TagLength) throw new InvalidOperationException($"descriptor tag covers {crcLength} bytes, past its sector");
        BinaryPrimitives.WriteUInt16LittleEndian(d[TagCrc..], Crc(d.Slice(TagLength, crcLength)));
        d[TagChecksum] = TagSum(d);
    }

    /// <summary>short_ads a file of <paramref name="size"/> bytes needs (none when empty).</summary>
    public static int AdCount(ulong size) => (int)((size + (ulong)MaxExtentBytes - 1) / (ulong)MaxExtentBytes);

    /// <summary>The most short_ads one file entry block holds: the largest file is this many times <see cref="MaxExtentBytes"/>.</summary>
    public const int MaxAdsPerEntry = (SectorSize - FeFixed) / ShortAdLength;

    /// <summary>The same with long_ads (files of a UDF 2.50 volume).</summary>
    public const int MaxLongAdsPerEntry = (SectorSize - FeFixed) / LongAdLength;

    /// <summary>Identifiers of the volume recognition sequence (2/9.1.2, 3/9.1.2).</summary>
    public static ReadOnlySpan<byte> Bea01 => "BEA01"u8;
    public static ReadOnlySpan<byte> Nsr02Vsd => "NSR02"u8;
    public static ReadOnlySpan<byte> Nsr03Vsd => "NSR03"u8;
    public static ReadOnlySpan<byte> Tea01 => "TEA01"u8;

    /// <summary>Encoding helper for volume set ids (UDF 2.2.2.5: the first 16 characters unique, hex digits).</summary>
    public static string VolumeSetId(DateTimeOffset created, string volumeId) =>
        created.ToUnixTimeSeconds().ToString("X16", System.Globalization.CultureInfo.InvariantCulture) + volumeId.Replace(" ", "_", StringComparison.Ordinal);
}
