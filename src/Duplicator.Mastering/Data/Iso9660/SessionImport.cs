using System.Buffers.Binary;
using System.Text;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Images;

namespace Duplicator.Mastering.Data.Iso9660;

/// <summary>
/// Reads the tree of a disc's last session, as growisofs -M and IMAPI2's ImportFileSystem do before appending one: the
/// Joliet tree when the session has one (its names), else the primary tree (";1" versions and a trailing dot cut).
/// Every file becomes a staged file whose data stay where they are (<see cref="StagedFile.ImportedExtent"/>), so an
/// appended session's directories point at the earlier session's extents. Pure over the reader; every size and
/// address read from the disc is bounded before it is used, and a structure that does not make sense is refused
/// (<see cref="ImapiError.InvalidImage"/>), never guessed.
/// </summary>
internal static class SessionImport
{
    /// <summary>Most files and folders imported from one session.</summary>
    public const int MaxEntries = 1_000_000;

    // ECMA-119 8.4 / 9.1 offsets (as DiscIdentityCheck and IsoStructures name them).
    private const int VdType = 0, VdEscapes = 88, VdRootRecord = 156;
    private const int DrLength = 0, DrExtent = 2, DrDataLength = 10, DrDate = 18, DrFlags = 25, DrIdLength = 32, DrId = 33;

    /// <summary>The tree of the session whose volume descriptors start at <paramref name="sessionStart"/> + 16.</summary>
    public static StagedDirectory Read(ISectorSource disc, long sessionStart)
    {
        if (disc.SectorSize != IsoStructures.SectorSize)
            throw Bad($"{disc.SectorSize}-byte sectors: an ISO 9660 session has 2048");
        if (sessionStart < 0 || sessionStart + 16 >= disc.SectorCount)
            throw Bad($"a session at sector {sessionStart} lies outside the disc's {disc.SectorCount} sectors");
        var sector = new byte[IsoStructures.SectorSize];
        (long Extent, long Length, DateTime Time)? primary = null, joliet = null;
        for (long lba = sessionStart + 16; lba < sessionStart + 16 + DiscIdentityCheck.MaxDescriptors && lba < disc.SectorCount; lba++)
        {
            disc.Read(lba, sector);
            if (!sector.AsSpan(1, 5).SequenceEqual("CD001"u8) || sector[VdType] == IsoStructures.TypeTerminator) break;
            if (sector[VdType] == IsoStructures.TypePrimary) primary ??= Root(sector);
            else if (sector[VdType] == IsoStructures.TypeSupplementary && sector[VdEscapes] == 0x25 && sector[VdEscapes + 1] == 0x2F
                     && sector[VdEscapes + 2] is 0x40 or 0x43 or 0x45)
                joliet ??= Root(sector);
        }
        var root = joliet ?? primary ?? throw Bad($"no ISO 9660 primary volume descriptor from sector {sessionStart + 16} on: the disc's last session holds no tree to append to");
        var tree = new StagedDirectory("", root.Time);
        int entries = 0;
        var pending = new Queue<(StagedDirectory Node, long Extent, long Length, int Depth, string Path)>();
        pending.Enqueue((tree, root.Extent, root.Length, 1, ""));
        var seen = new HashSet<long>();
        while (pending.Count > 0)
        {
            var (node, extent, length, depth, path) = pending.Dequeue();
            if (!seen.Add(extent)) throw Bad($"the folder '{path}/' at sector {extent} is reached twice (a loop)");
            foreach (var (name, childExtent, childLength, flags, time) in Records(disc, extent, length, joliet is not null, path))
            {
                if (++entries > MaxEntries) throw Bad($"more than {MaxEntries} files and folders in the last session");
                var childPath = path + "/" + name;
                if ((flags & IsoStructures.FlagDirectory) != 0)
                {
                    if (depth >= DiscIdentityCheck.MaxDepth) throw Bad($"'{childPath}' is deeper than {DiscIdentityCheck.MaxDepth} folders");
                    var sub = new StagedDirectory(name, time);
                    if (!node.Children.TryAdd(name, sub)) throw Bad($"'{childPath}' is named twice in its folder");
                    pending.Enqueue((sub, childExtent, childLength, depth + 1, childPath));
                }
                else
                {
                    if ((flags & IsoStructures.FlagMultiExtent) != 0)
                        throw Bad($"'{childPath}' is recorded in several extents (over 4 GiB): appending a session after it is not supported");
                    long sectors = (childLength + IsoStructures.SectorSize - 1) / IsoStructures.SectorSize;
                    if (childLength > 0 && (childExtent < 0 || childExtent + sectors > disc.SectorCount))
                        throw Bad($"'{childPath}' lies at sectors {childExtent}-{childExtent + sectors - 1}, outside the disc's {disc.SectorCount}");
                    var file = new StagedFile(name, "", childLength, time) { ImportedExtent = childLength == 0 ? 0 : childExtent };
                    if (!node.Children.TryAdd(name, file)) throw Bad($"'{childPath}' is named twice in its folder");
                }
            }
        }
        return tree;
    }

    private static (long Extent, long Length, DateTime Time) Root(byte[] sector)
    {
        var r = sector.AsSpan(VdRootRecord, 34);
        if (r[DrLength] < 34 || (r[DrFlags] & IsoStructures.FlagDirectory) == 0) throw Bad("a volume descriptor has no root directory record");
        return (BinaryPrimitives.ReadUInt32LittleEndian(r[DrExtent..]), BinaryPrimitives.ReadUInt32LittleEndian(r[DrDataLength..]), Time(r));
    }

    private static List<(string Name, long Extent, long Length, byte Flags, DateTime Time)> Records(ISectorSource disc, long extent, long length, bool joliet, string path)
    {
        if (length <= 0 || length > DiscIdentityCheck.MaxDirectoryBytes)
            throw Bad($"the folder '{path}/' of {length} bytes: 1 to {DiscIdentityCheck.MaxDirectoryBytes} are read");
        long sectors = (length + IsoStructures.SectorSize - 1) / IsoStructures.SectorSize;
        if (extent < 0 || extent + sectors > disc.SectorCount)
            throw Bad($"the folder '{path}/' at sectors {extent}-{extent + sectors - 1} lies outside the disc's {disc.SectorCount}");
        var bytes = new byte[sectors * IsoStructures.SectorSize];
        disc.Read(extent, bytes);
        var list = new List<(string, long, long, byte, DateTime)>();
        int at = 0;
        while (at < length)
        {
            int len = bytes[at + DrLength];
            if (len == 0) { at = (at / IsoStructures.SectorSize + 1) * IsoStructures.SectorSize; continue; } // padding to the sector's end
            if (len < 34 || at + len > bytes.Length) throw Bad($"a record of {len} bytes at byte {at} of the folder '{path}/'");
            var r = bytes.AsSpan(at, len);
            int idLength = r[DrIdLength];
            if (33 + idLength > len) throw Bad($"a record at byte {at} of the folder '{path}/' names {idLength} bytes in {len}");
            var id = r.Slice(DrId, idLength);
            at += len;
            if (idLength == 1 && id[0] is 0 or 1) continue; // "." and ".."
            var name = joliet ? Encoding.BigEndianUnicode.GetString(id) : Encoding.ASCII.GetString(id);
            int version = name.LastIndexOf(';');
            if (version >= 0) name = name[..version];
            if (!joliet && name.EndsWith('.')) name = name[..^1];
            if (name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Any(char.IsControl))
                throw Bad($"a name '{name}' in the folder '{path}/' is not one a file system holds");
            list.Add((name, BinaryPrimitives.ReadUInt32LittleEndian(r[DrExtent..]), BinaryPrimitives.ReadUInt32LittleEndian(r[DrDataLength..]), r[DrFlags], Time(r)));
        }
        return list;
    }

    // ECMA-119 9.1.5: years since 1900, month, day, hour, minute, second, offset from GMT in 15-minute steps.
    private static DateTime Time(ReadOnlySpan<byte> r)
    {
        var d = r.Slice(DrDate, 7);
        try
        {
            var local = new DateTime(1900 + d[0], d[1], d[2], d[3], d[4], d[5], DateTimeKind.Unspecified);
            return DateTime.SpecifyKind(local.AddMinutes(-15 * (sbyte)d[6]), DateTimeKind.Utc);
        }
        catch (ArgumentOutOfRangeException)
        {
            return DateTime.UnixEpoch; // an unset or impossible date: kept as the epoch rather than refused
        }
    }

    private static ImapiException Bad(string why) => new(ImapiError.InvalidImage, $"the disc's last session: {why}");
}
