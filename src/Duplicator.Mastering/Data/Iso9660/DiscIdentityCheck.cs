using System.Buffers.Binary;
using System.Text;
using Duplicator.Mastering.Images;

namespace Duplicator.Mastering.Data.Iso9660;

/// <summary>
/// What a pre-recorded disc is, read from its ISO 9660 / Joliet structures through any <see cref="ISectorSource"/> (a
/// drive's data track, an image file): PTBurn's CheckVolumeIDOnDisc and CheckFileOnDisc, for jobs that verify or append
/// to a disc that is already in the drive. Pure over the reader; every size read from the disc is bounded before
/// anything is allocated, and a structure that does not make sense is reported, never guessed. On a multisession disc
/// the volume that counts is the last session's: its descriptors start 16 sectors after the session's first sector
/// (<c>sessionStart</c>), and its directory extents are addresses on the disc, as growisofs -M and the Linux isofs
/// read them.
/// </summary>
public static class DiscIdentityCheck
{
    /// <summary>Volume descriptors read from sector 16 on before giving up (ECMA-119 8: a set ends with a terminator).</summary>
    public const int MaxDescriptors = 32;

    /// <summary>Largest directory read while looking for a file: 4 MiB (about 40,000 entries).</summary>
    public const int MaxDirectoryBytes = 4 << 20;

    /// <summary>Most path components a file to look for may have (ECMA-119 allows 8; Joliet and Rock Ridge trees go deeper).</summary>
    public const int MaxDepth = 64;

    // ECMA-119 8.4 / 8.5 offsets (the writer's IsoStructures names the same ones).
    private const int VdType = 0, VdVolumeId = 40, VdEscapes = 88, VdRootRecord = 156;
    private const int DrLength = 0, DrExtent = 2, DrDataLength = 10, DrFlags = 25, DrIdLength = 32, DrId = 33;

    /// <summary>The volume identifiers a disc carries: the primary's (d-characters) and the Joliet one's (UCS-2), trailing spaces cut.</summary>
    public sealed record VolumeIds(string Primary, string? Joliet);

    /// <summary>The disc's volume identifiers; throws <see cref="InvalidDataException"/> when it has no ISO 9660 primary volume descriptor.</summary>
    public static VolumeIds ReadVolumeIds(ISectorSource disc, long sessionStart = 0) => Read(disc, sessionStart).Ids;

    /// <summary>
    /// True when the volume identifier (primary or Joliet) equals <paramref name="expected"/>, ignoring case and trailing
    /// spaces, as PTBurn's CheckVolumeIDOnDisc compares; <paramref name="found"/> says what the disc carries.
    /// </summary>
    public static bool HasVolumeId(ISectorSource disc, string expected, out VolumeIds found) => HasVolumeId(disc, expected, 0, out found);

    /// <summary><see cref="HasVolumeId(ISectorSource, string, out VolumeIds)"/> of the session starting at <paramref name="sessionStart"/>.</summary>
    public static bool HasVolumeId(ISectorSource disc, string expected, long sessionStart, out VolumeIds found)
    {
        found = ReadVolumeIds(disc, sessionStart);
        var want = expected.TrimEnd();
        return string.Equals(found.Primary, want, StringComparison.OrdinalIgnoreCase)
            || (found.Joliet is { } j && string.Equals(j, want, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// True when <paramref name="path"/> ("/docs/readme.txt") names a file on the disc: looked up in the Joliet tree when
    /// there is one (names compared ignoring case), else in the primary tree (";1" versions and a trailing dot ignored).
    /// </summary>
    public static bool HasFile(ISectorSource disc, string path, long sessionStart = 0)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Length > MaxDepth)
            throw new ArgumentException($"file '{path}': 1 to {MaxDepth} path components, it has {parts.Length}", nameof(path));
        var (_, root, joliet) = Read(disc, sessionStart);
        var (extent, length, isDir) = (root.Extent, root.Length, true);
        for (int i = 0; i < parts.Length; i++)
        {
            if (!isDir) return false;
            var next = Find(disc, extent, length, parts[i], joliet);
            if (next is null) return false;
            (extent, length, isDir) = next.Value;
        }
        return !isDir;
    }

    /// <summary>
    /// PTBurn's two checks together: null when the disc has <paramref name="volumeId"/> (if given) and
    /// <paramref name="file"/> (if given), else why not, naming what was expected and what was found.
    /// </summary>
    public static string? Refusal(ISectorSource disc, string? volumeId, string? file, string where, long sessionStart = 0)
    {
        try
        {
            if (volumeId is { } v && !HasVolumeId(disc, v, sessionStart, out var found))
                return $"{where}: the disc's volume ID is '{found.Primary}'{(found.Joliet is { } j && j != found.Primary ? $" (Joliet '{j}')" : "")}, the job wants '{v}'";
            if (file is { } f && !HasFile(disc, f, sessionStart))
                return $"{where}: the disc (volume ID '{ReadVolumeIds(disc, sessionStart).Primary}') has no file '{f}'";
            return null;
        }
        catch (InvalidDataException e)
        {
            return $"{where}: the disc cannot be checked: {e.Message}";
        }
    }

    private readonly record struct Dir(long Extent, long Length);

    private static (VolumeIds Ids, Dir Root, bool Joliet) Read(ISectorSource disc, long sessionStart)
    {
        if (sessionStart < 0 || sessionStart >= disc.SectorCount)
            throw new InvalidDataException($"a session at sector {sessionStart} lies outside the disc's {disc.SectorCount} sectors");
        if (disc.SectorSize != IsoStructures.SectorSize)
            throw new InvalidDataException($"{disc.SectorSize}-byte sectors: an ISO 9660 volume has 2048");
        var sector = new byte[IsoStructures.SectorSize];
        string? primary = null, joliet = null;
        Dir? primaryRoot = null, jolietRoot = null;
        for (long lba = sessionStart + 16; lba < sessionStart + 16 + MaxDescriptors && lba < disc.SectorCount; lba++)
        {
            disc.Read(lba, sector);
            if (!sector.AsSpan(1, 5).SequenceEqual("CD001"u8)) break;
            byte type = sector[VdType];
            if (type == IsoStructures.TypeTerminator) break;
            if (type == IsoStructures.TypePrimary && primary is null)
            {
                primary = Encoding.ASCII.GetString(sector, VdVolumeId, 32).TrimEnd(' ', '\0');
                primaryRoot = RootOf(sector, lba);
            }
            else if (type == IsoStructures.TypeSupplementary && joliet is null && sector[VdEscapes] == 0x25 && sector[VdEscapes + 1] == 0x2F
                     && sector[VdEscapes + 2] is 0x40 or 0x43 or 0x45) // "%/@", "%/C", "%/E": Joliet UCS-2 levels 1-3
            {
                joliet = Encoding.BigEndianUnicode.GetString(sector, VdVolumeId, 32).TrimEnd(' ', '\0');
                jolietRoot = RootOf(sector, lba);
            }
        }
        if (primary is null || primaryRoot is null)
            throw new InvalidDataException($"no ISO 9660 primary volume descriptor from sector {sessionStart + 16} on");
        return (new VolumeIds(primary, joliet), jolietRoot ?? primaryRoot.Value, jolietRoot is not null);
    }

    private static Dir RootOf(byte[] sector, long lba)
    {
        var root = sector.AsSpan(VdRootRecord, 34);
        long extent = BinaryPrimitives.ReadUInt32LittleEndian(root[DrExtent..]);
        long length = BinaryPrimitives.ReadUInt32LittleEndian(root[DrDataLength..]);
        if (root[DrLength] < 34 || (root[DrFlags] & IsoStructures.FlagDirectory) == 0)
            throw new InvalidDataException($"the volume descriptor at sector {lba} has no root directory record");
        return new Dir(extent, length);
    }

    private static (long Extent, long Length, bool IsDir)? Find(ISectorSource disc, long extent, long length, string name, bool joliet)
    {
        if (length <= 0 || length > MaxDirectoryBytes)
            throw new InvalidDataException($"a directory of {length} bytes at sector {extent}: at most {MaxDirectoryBytes} are read");
        long sectors = (length + IsoStructures.SectorSize - 1) / IsoStructures.SectorSize;
        if (extent < 0 || extent + sectors > disc.SectorCount)
            throw new InvalidDataException($"a directory at sectors {extent}-{extent + sectors - 1} lies outside the disc's {disc.SectorCount} sectors");
        var bytes = new byte[sectors * IsoStructures.SectorSize];
        disc.Read(extent, bytes);
        int at = 0;
        while (at < length)
        {
            int len = bytes[at + DrLength];
            if (len == 0) // records never cross a sector: the rest of this one is padding (ECMA-119 6.8.1.1)
            {
                at = (at / IsoStructures.SectorSize + 1) * IsoStructures.SectorSize;
                continue;
            }
            if (len < 34 || at + len > bytes.Length)
                throw new InvalidDataException($"a directory record of {len} bytes at byte {at} of the directory at sector {extent}");
            var record = bytes.AsSpan(at, len);
            int idLength = record[DrIdLength];
            if (33 + idLength > len)
                throw new InvalidDataException($"a directory record at byte {at} of sector {extent} names {idLength} bytes in {len}");
            var id = record.Slice(DrId, idLength);
            if (!(idLength == 1 && id[0] is 0 or 1)) // not "." or ".."
            {
                var entry = joliet ? Encoding.BigEndianUnicode.GetString(id) : Encoding.ASCII.GetString(id);
                if (Matches(entry, name, joliet))
                    return (BinaryPrimitives.ReadUInt32LittleEndian(record[DrExtent..]), BinaryPrimitives.ReadUInt32LittleEndian(record[DrDataLength..]),
                        (record[DrFlags] & IsoStructures.FlagDirectory) != 0);
            }
            at += len;
        }
        return null;
    }

    private static bool Matches(string entry, string name, bool joliet)
    {
        int version = entry.LastIndexOf(';');
        if (version >= 0) entry = entry[..version];
        if (!joliet && entry.EndsWith('.')) entry = entry[..^1]; // "README." for a name without extension
        return string.Equals(entry, name, StringComparison.OrdinalIgnoreCase);
    }
}
