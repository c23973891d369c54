using System.Buffers.Binary;
using System.Text.Json;
using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Images;

namespace Duplicator.Mastering.Data.PerDisc;

/// <summary>One or more whole sectors of a disc that differ from the staged image: <see cref="Data"/> is <c>n * 2048</c> bytes from <see cref="Lba"/>.</summary>
/// <param name="Lba">First sector.</param>
/// <param name="Data">The disc's bytes for those sectors.</param>
public sealed record SectorPatch(long Lba, ReadOnlyMemory<byte> Data)
{
    /// <summary>Sectors the patch covers.</summary>
    public int Sectors => Data.Length / IsoStructures.SectorSize;
}

/// <summary>A directory record holding a per-disc file's size: the sector it is in and its byte offset there.</summary>
/// <param name="Lba">Sector of the directory.</param>
/// <param name="Offset">Byte offset of the record in that sector.</param>
public readonly record struct RecordSite(long Lba, int Offset);

/// <summary>A reserved per-disc file: its path in the image, declared maximum, extent and its records in both trees.</summary>
/// <param name="Path">'/'-separated path inside the image, as reserved.</param>
/// <param name="MaxBytes">Declared maximum size: the extent holds this many bytes rounded up to sectors.</param>
/// <param name="Lba">First sector of the extent.</param>
/// <param name="Sectors">Sectors of the extent.</param>
/// <param name="Records">Its directory records (ISO 9660 and Joliet), whose data length each disc sets.</param>
public sealed record PerDiscSlot(string Path, int MaxBytes, long Lba, int Sectors, IReadOnlyList<RecordSite> Records)
{
    /// <summary>The sector of its UDF file entry in a udf-bridge image (whose size each disc sets), or null (ISO 9660 + Joliet alone).</summary>
    public long? UdfEntryLba { get; init; }
}

/// <summary>
/// What mastering reserved for per-disc data in one staged ISO 9660 + Joliet image (or udf-bridge: the UDF file entry
/// of each per-disc file is one more sector of the disc's own, the data extent is shared), and the pure function from a
/// disc's file contents (and volume name) to that disc's sectors (<see cref="Patches"/>). The staged image is
/// written once with zeros in each per-disc extent; a disc is the staged image with its patches laid over it:
/// the extent sectors, the directory sectors holding each file's size in both trees, and (when the volume name
/// varies) the primary and Joliet descriptors. Nothing else differs, so the stash is read once for every disc.
/// Immutable and thread-safe.
/// </summary>
public sealed class PerDiscPlan
{
    private const int S = IsoStructures.SectorSize;
    private const int MaxBaseSectors = 2 + 7 + 3 * JolietStaging.MaxPerDiscFiles;

    /// <summary>
    /// A udf-bridge image's sectors that carry the volume name: PVD, IUVD and LVD of the main and the reserve
    /// sequence (UdfWriter's layout: PVD, IUVD, PD, LVD, ...), and the file set descriptor at partition block 0.
    /// </summary>
    private static readonly long[] UdfVolumeSectors =
    [
        Udf.UdfWriter.MainSequenceLba, Udf.UdfWriter.MainSequenceLba + 1, Udf.UdfWriter.MainSequenceLba + 3,
        Udf.UdfWriter.ReserveSequenceLba, Udf.UdfWriter.ReserveSequenceLba + 1, Udf.UdfWriter.ReserveSequenceLba + 3,
        Udf.UdfWriter.PartitionStart + Udf.UdfLayout.FileSetBlock,
    ];
    private readonly SortedDictionary<long, byte[]> _base; // the staged image's bytes of every sector a patch may rewrite

    private PerDiscPlan(IReadOnlyList<PerDiscSlot> files, long sectorCount, SortedDictionary<long, byte[]> baseSectors)
    {
        Files = files;
        SectorCount = sectorCount;
        _base = baseSectors;
    }

    /// <summary>The per-disc files in the order they were reserved.</summary>
    public IReadOnlyList<PerDiscSlot> Files { get; }

    /// <summary>Whether the image is a udf-bridge one (its per-disc files have UDF file entries too).</summary>
    public bool HasUdf => Files.Any(f => f.UdfEntryLba is not null);

    /// <summary>Sectors of the image the plan belongs to.</summary>
    public long SectorCount { get; }

    internal static PerDiscPlan Create(IsoLayout layout, Udf.UdfLayout? udf, byte[] metadata, IReadOnlyList<(string Path, StagedFile File)> reserved)
    {
        // Build refuses UDF 2.50 (its file entries are in a metadata partition with a mirror) before it comes here.
        var slots = new List<PerDiscSlot>(reserved.Count);
        var baseSectors = new SortedDictionary<long, byte[]>
        {
            [IsoLayout.PrimaryLba] = metadata.AsSpan(IsoLayout.PrimaryLba * S, S).ToArray(),
            [IsoLayout.JolietLba] = metadata.AsSpan(IsoLayout.JolietLba * S, S).ToArray(),
        };
        if (udf is not null)
            foreach (var lba in UdfVolumeSectors)
                baseSectors[lba] = metadata.AsSpan((int)(lba * S), S).ToArray();
        foreach (var (path, file) in reserved)
        {
            var lf = layout.Files.Single(f => ReferenceEquals(f.Source, file));
            var sites = new List<RecordSite>(2);
            foreach (var tree in new[] { layout.Iso, layout.Joliet })
            {
                var dir = tree.Directories.Single(d => d.Entries.Any(e => ReferenceEquals(e.File, lf)));
                var entry = dir.Entries.Single(e => ReferenceEquals(e.File, lf));
                var site = FindRecord(metadata, dir, entry.Identifier, lf.Lba)
                    ?? throw new InvalidOperationException($"per-disc file {path}: no directory record found in the folder at sector {dir.Lba}");
                sites.Add(site);
                baseSectors.TryAdd(site.Lba, metadata.AsSpan((int)(site.Lba * S), S).ToArray());
            }
            long? udfEntry = null;
            if (udf is not null)
            {
                // The bridge's partition starts at UdfWriter.PartitionStart and holds the file structures from its block 0.
                var node = udf.Files.Single(n => ReferenceEquals(n.Source, file));
                udfEntry = Udf.UdfWriter.PartitionStart + node.EntryBlock;
                baseSectors.TryAdd(udfEntry.Value, metadata.AsSpan((int)(udfEntry.Value * S), S).ToArray());
            }
            slots.Add(new PerDiscSlot(path, checked((int)file.Size), lf.Lba, checked((int)lf.Sectors), sites) { UdfEntryLba = udfEntry });
        }
        return new PerDiscPlan(slots, layout.TotalSectors, baseSectors);
    }

    /// <summary>The record of the file at <paramref name="lba"/> named <paramref name="identifier"/> in <paramref name="dir"/>'s sectors as written.</summary>
    private static RecordSite? FindRecord(byte[] metadata, LayoutDirectory dir, byte[] identifier, long lba)
    {
        for (long sector = dir.Lba; sector < dir.Lba + dir.Sectors; sector++)
        {
            var b = metadata.AsSpan((int)(sector * S), S);
            for (int pos = 0; pos < S && b[pos] != 0; pos += b[pos]) // 6.8.1.1: a zero length byte ends a sector's records
            {
                var rec = b[pos..];
                uint extent = BinaryPrimitives.ReadUInt32LittleEndian(rec[2..]);
                bool isDir = (rec[25] & IsoStructures.FlagDirectory) != 0;
                int idLength = rec[32];
                if (!isDir && extent == lba && rec.Slice(33, idLength).SequenceEqual(identifier))
                    return new RecordSite(sector, pos);
            }
        }
        return null;
    }

    /// <summary>
    /// A disc's sectors, ascending and not overlapping: each file's extent with <paramref name="contents"/>[i] (zero
    /// padded), the directory sectors with each file's size set to its content's length, and with
    /// <paramref name="volumeName"/> the primary and Joliet descriptors (on udf-bridge also the UDF volume, logical volume
    /// and file set descriptors of both sequences) carrying it. Pure: the same arguments give the
    /// same bytes.
    /// </summary>
    /// <exception cref="ImapiException">InvalidInput: a content is longer than its file's declared maximum, or the count is wrong.</exception>
    public IReadOnlyList<SectorPatch> Patches(IReadOnlyList<ReadOnlyMemory<byte>> contents, string? volumeName)
    {
        if (contents.Count != Files.Count)
            throw new ImapiException(ImapiError.InvalidInput, $"{contents.Count} per-disc contents for {Files.Count} per-disc files");
        var sectors = new SortedDictionary<long, byte[]>();
        byte[] Sector(long lba) => sectors.TryGetValue(lba, out var s) ? s : sectors[lba] = (byte[])_base[lba].Clone();
        for (int i = 0; i < Files.Count; i++)
        {
            var f = Files[i];
            var content = contents[i].Span;
            if (content.Length > f.MaxBytes)
                throw new ImapiException(ImapiError.InvalidInput, $"per-disc file {f.Path}: {content.Length} bytes, its declared maxBytes is {f.MaxBytes}");
            for (int k = 0; k < f.Sectors; k++)
            {
                var s = new byte[S];
                int from = k * S;
                if (from < content.Length) content.Slice(from, Math.Min(S, content.Length - from)).CopyTo(s);
                sectors[f.Lba + k] = s;
            }
            foreach (var site in f.Records)
                IsoStructures.WriteBoth32(Sector(site.Lba).AsSpan(site.Offset + IsoStructures.RecordDataLengthOffset), (uint)content.Length);
            if (f.UdfEntryLba is { } entry)
                Udf.UdfStructures.SetFileEntrySize(Sector(entry), (ulong)content.Length, (ulong)f.MaxBytes);
        }
        if (volumeName is not null)
        {
            IsoStructures.WriteVolumeName(Sector(IsoLayout.PrimaryLba), joliet: false, volumeName);
            IsoStructures.WriteVolumeName(Sector(IsoLayout.JolietLba), joliet: true, volumeName);
            if (HasUdf)
                foreach (var lba in UdfVolumeSectors)
                    Udf.UdfStructures.SetVolumeName(Sector(lba), volumeName);
        }
        return [.. sectors.Select(kv => new SectorPatch(kv.Key, kv.Value))];
    }

    /// <summary>Throws <see cref="ImapiException"/> (SourceChanged) unless <paramref name="image"/> is the image this plan was made for (its size and every sector a patch rewrites).</summary>
    public void CheckAgainst(ISectorSource image)
    {
        if (image.SectorCount != SectorCount)
            throw new ImapiException(ImapiError.SourceChanged, $"the staged image has {image.SectorCount} sectors, its per-disc plan says {SectorCount}");
        var buffer = new byte[S];
        foreach (var (lba, bytes) in _base)
        {
            image.Read(lba, buffer);
            if (!buffer.AsSpan().SequenceEqual(bytes))
                throw new ImapiException(ImapiError.SourceChanged, $"sector {lba} of the staged image is not the one its per-disc plan was made with");
        }
        foreach (var f in Files)
        {
            for (long k = 0; k < f.Sectors; k++)
            {
                image.Read(f.Lba + k, buffer);
                if (buffer.AsSpan().ContainsAnyExcept((byte)0))
                    throw new ImapiException(ImapiError.SourceChanged, $"sector {f.Lba + k} of the staged image, reserved for {f.Path}, is not zero");
            }
        }
    }

    private sealed record Dto(long SectorCount, List<SlotDto> Files, Dictionary<long, string> Sectors);
    private sealed record SlotDto(string Path, int MaxBytes, long Lba, int Sectors, List<long[]> Records)
    {
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public long? Udf { get; init; }
    }
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Largest serialized plan <see cref="Parse"/> accepts.</summary>
    public const int MaxSerializedBytes = 1 << 20;

    /// <summary>The plan as JSON (kept beside the staged image so a restarted host can use the stash as it is).</summary>
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(new Dto(SectorCount,
        [.. Files.Select(f => new SlotDto(f.Path, f.MaxBytes, f.Lba, f.Sectors, [.. f.Records.Select(r => new[] { r.Lba, r.Offset })]) { Udf = f.UdfEntryLba })],
        _base.ToDictionary(kv => kv.Key, kv => Convert.ToBase64String(kv.Value))), Json);

    /// <summary>Reads what <see cref="Serialize"/> wrote, bounding every count and offset; InvalidImage for anything else.</summary>
    public static PerDiscPlan Parse(ReadOnlySpan<byte> json)
    {
        static ImapiException Bad(string why) => new(ImapiError.InvalidImage, $"per-disc plan: {why}");
        if (json.Length > MaxSerializedBytes) throw Bad($"{json.Length} bytes, at most {MaxSerializedBytes}");
        Dto? dto;
        try { dto = JsonSerializer.Deserialize<Dto>(json, Json); }
        catch (JsonException e) { throw Bad(e.Message); }
        if (dto?.Files is null || dto.Sectors is null || dto.SectorCount <= 0) throw Bad("incomplete");
        if (dto.Files.Count is 0 or > JolietStaging.MaxPerDiscFiles || dto.Sectors.Count > MaxBaseSectors) throw Bad("too many files or sectors");
        var baseSectors = new SortedDictionary<long, byte[]>();
        foreach (var (lba, b64) in dto.Sectors)
        {
            var bytes = b64 is null ? null : Convert.TryFromBase64String(b64, new byte[S], out int n) && n == S ? Convert.FromBase64String(b64) : null;
            if (bytes is null || lba < 0 || lba >= dto.SectorCount) throw Bad($"sector {lba} is not {S} bytes inside the image");
            baseSectors[lba] = bytes;
        }
        if (!baseSectors.ContainsKey(IsoLayout.PrimaryLba) || !baseSectors.ContainsKey(IsoLayout.JolietLba)) throw Bad("no descriptors");
        var slots = new List<PerDiscSlot>();
        foreach (var f in dto.Files)
        {
            if (f?.Path is null || f.Records is null || f.MaxBytes is < 1 or > JolietStaging.MaxPerDiscFileBytes
                || f.Sectors != (f.MaxBytes + S - 1) / S || f.Lba < 0 || f.Lba + f.Sectors > dto.SectorCount || f.Records.Count != 2)
                throw Bad("a file out of bounds");
            var sites = new List<RecordSite>();
            foreach (var r in f.Records)
            {
                if (r is not { Length: 2 } || !baseSectors.ContainsKey(r[0]) || r[1] < 0 || r[1] > S - 34) throw Bad($"a record of {f.Path} out of bounds");
                sites.Add(new RecordSite(r[0], (int)r[1]));
            }
            if (f.Udf is { } u && !baseSectors.ContainsKey(u)) throw Bad($"the UDF file entry of {f.Path} out of bounds");
            slots.Add(new PerDiscSlot(f.Path, f.MaxBytes, f.Lba, f.Sectors, sites) { UdfEntryLba = f.Udf });
        }
        if (slots.Any(f => f.UdfEntryLba is null) && slots.Any(f => f.UdfEntryLba is not null)) throw Bad("UDF file entries for some files only");
        if (slots[0].UdfEntryLba is not null)
        {
            if (!UdfVolumeSectors.All(baseSectors.ContainsKey)) throw Bad("no UDF volume descriptors");
            // What Patches will rewrite must be what it expects there: a file entry of one short_ad, a descriptor naming the volume.
            try
            {
                foreach (var f in slots) Udf.UdfStructures.SetFileEntrySize((byte[])baseSectors[f.UdfEntryLba!.Value].Clone(), 0, (ulong)f.MaxBytes);
                foreach (var lba in UdfVolumeSectors) Udf.UdfStructures.SetVolumeName((byte[])baseSectors[lba].Clone(), "X");
            }
            catch (InvalidOperationException e)
            {
                throw Bad($"a UDF sector is not what a udf-bridge image has there: {e.Message}");
            }
        }
        return new PerDiscPlan(slots, dto.SectorCount, baseSectors);
    }
}
