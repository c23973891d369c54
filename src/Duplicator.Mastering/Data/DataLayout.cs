using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Data.Udf;

namespace Duplicator.Mastering.Data;

/// <summary>
/// The pure layout of a whole data image: every sector assigned before a byte is written. Joliet: the ISO
/// 9660 + Joliet trees. UDF bridge: the same plus a UDF 1.02 tree sharing their file data (the UDF file
/// structures are measured first, since their size depends only on the tree, so the ISO layout can start
/// its path tables after them). UDF: a UDF 2.50 tree alone, its file structures in a metadata partition
/// and its mirror, then the file data.
/// </summary>
/// <param name="Iso">The ISO 9660 + Joliet trees; null for pure UDF.</param>
/// <param name="Udf">The UDF tree; null for Joliet.</param>
/// <param name="FileSystems">What the image carries.</param>
/// <param name="Files">Non-empty files in data order (ascending sector), each once.</param>
/// <param name="MetadataSectors">Sectors before the first file's data.</param>
/// <param name="TotalSectors">Sectors of the whole image (the closing anchor of UDF included).</param>
internal sealed record DataLayout(IsoLayout? Iso, UdfLayout? Udf, DataFileSystems FileSystems,
    IReadOnlyList<LayoutFile> Files, long MetadataSectors, long TotalSectors)
{
    /// <summary>Joliet names changed by the Truncate policy (0 for pure UDF).</summary>
    public int RenamedJolietNames => Iso?.RenamedJolietNames ?? 0;

    /// <summary>
    /// Lays out <paramref name="root"/> for <paramref name="fileSystems"/>. Joliet names that do not fit are
    /// listed in <paramref name="jolietProblems"/>, names UDF cannot hold in <paramref name="udfProblems"/>.
    /// </summary>
    public static DataLayout Compute(StagedDirectory root, DataFileSystems fileSystems, JolietNamePolicy policy,
        List<string> jolietProblems, List<string> udfProblems) =>
        Compute(root, fileSystems, policy, jolietProblems, udfProblems, []);

    /// <summary>
    /// As above; what a DVD-Video player would reject (<see cref="DataFileSystems.DvdVideo"/>) is listed in
    /// <paramref name="formatProblems"/>.
    /// </summary>
    public static DataLayout Compute(StagedDirectory root, DataFileSystems fileSystems, JolietNamePolicy policy,
        List<string> jolietProblems, List<string> udfProblems, List<string> formatProblems)
    {
        switch (fileSystems)
        {
            case DataFileSystems.Joliet:
            {
                var iso = IsoLayout.Compute(root, policy, jolietProblems);
                return new DataLayout(iso, null, fileSystems, iso.Files, iso.MetadataSectors, iso.TotalSectors);
            }
            case DataFileSystems.UdfBridge or DataFileSystems.DvdVideo:
            {
                List<StagedFile>? order = null;
                if (fileSystems == DataFileSystems.DvdVideo) (root, order) = DvdVideo.Prepare(root, formatProblems);
                var udf = UdfLayout.Measure(root, udfProblems);
                // The Joliet side of a bridge never refuses a tree: names are cut to fit.
                var iso = IsoLayout.Compute(root, JolietNamePolicy.Truncate, jolietProblems,
                    firstPathTableLba: UdfWriter.PartitionStart + udf.MetadataBlocks, tailSectors: UdfWriter.TailSectors, dataOrder: order);
                var sectors = new Dictionary<StagedFile, long>(iso.Files.Count, ReferenceEqualityComparer.Instance);
                foreach (var f in iso.Files) sectors[f.Source] = f.Lba;
                udf.Assign(UdfWriter.PartitionStart, f => sectors[f]);
                return new DataLayout(iso, udf, fileSystems, iso.Files, iso.MetadataSectors, iso.TotalSectors);
            }
            case DataFileSystems.Udf:
            {
                var udf = UdfLayout.Measure(root, udfProblems, UdfStructures.Revision250);
                long lba = UdfWriter.PartitionStart + UdfWriter.PureMetadataSectors(udf);
                long metadata = lba;
                var files = new List<LayoutFile>(udf.Files.Count);
                var sectors = new Dictionary<StagedFile, long>(udf.Files.Count, ReferenceEqualityComparer.Instance);
                foreach (var n in udf.Files)
                {
                    var f = (StagedFile)n.Source;
                    if (f.Size == 0 || sectors.ContainsKey(f)) continue;
                    var lf = new LayoutFile(f) { Lba = lba };
                    sectors[f] = lba;
                    lba += lf.Sectors;
                    files.Add(lf);
                }
                udf.Assign(UdfWriter.PartitionStart, f => sectors[f]);
                return new DataLayout(null, udf, fileSystems, files, metadata, lba + UdfWriter.TailSectors);
            }
            default:
                throw new Imapi.ImapiException(Imapi.ImapiError.WrongFormat, $"file system {fileSystems} is not supported yet");
        }
    }

    /// <summary>
    /// Writes the metadata (everything before the file data) and the tail (after it); with <paramref name="baseLba"/> the
    /// addresses of an image written from that sector on (ISO 9660 + Joliet only: a UDF image is not relocated).
    /// </summary>
    public (byte[] Metadata, byte[]? Tail) Write(JolietProperties properties, DateTimeOffset created, long baseLba = 0)
    {
        if (baseLba != 0 && FileSystems != DataFileSystems.Joliet)
            throw new Imapi.ImapiException(Imapi.ImapiError.WrongFormat, $"an image written at sector {baseLba} (an appended session) carries ISO 9660 + Joliet only, not {FileSystems}");
        var metadata = Iso is not null
            ? MetadataWriter.Write(Iso, properties, created, baseLba)
            : new byte[checked((int)(MetadataSectors * UdfStructures.SectorSize))];
        if (metadata.LongLength != MetadataSectors * UdfStructures.SectorSize)
            throw new InvalidOperationException($"metadata of {metadata.LongLength} bytes, the layout said {MetadataSectors} sectors");
        if (Udf is null) return (metadata, null);
        var tail = new byte[UdfWriter.TailSectors * UdfStructures.SectorSize];
        UdfWriter.Write(metadata, tail, Udf, TotalSectors, properties.VolumeName, created);
        return (metadata, tail);
    }
}
