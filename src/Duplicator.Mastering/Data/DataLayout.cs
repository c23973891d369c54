using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Data.Udf;

namespace Duplicator.Mastering.Data;

/// <summary>
/// The pure layout of a whole data image: the ISO 9660 + Joliet trees and, for a bridge, the UDF tree
/// sharing their file data. The UDF file structures are measured first (their size depends only on the
/// tree), so the ISO layout can start its path tables after them.
/// </summary>
internal sealed record DataLayout(IsoLayout Iso, UdfLayout? Udf, DataFileSystems FileSystems)
{
    /// <summary>Sectors of the whole image.</summary>
    public long TotalSectors => Iso.TotalSectors;

    /// <summary>
    /// Lays out <paramref name="root"/> for <paramref name="fileSystems"/>. Joliet names that do not fit are
    /// listed in <paramref name="jolietProblems"/>, names UDF cannot hold in <paramref name="udfProblems"/>.
    /// </summary>
    public static DataLayout Compute(StagedDirectory root, DataFileSystems fileSystems, JolietNamePolicy policy,
        List<string> jolietProblems, List<string> udfProblems)
    {
        switch (fileSystems)
        {
            case DataFileSystems.Joliet:
                return new DataLayout(IsoLayout.Compute(root, policy, jolietProblems), null, fileSystems);
            case DataFileSystems.UdfBridge:
                var udf = UdfLayout.Measure(root, udfProblems);
                // The Joliet side of a bridge never refuses a tree: names are cut to fit.
                var iso = IsoLayout.Compute(root, JolietNamePolicy.Truncate, jolietProblems,
                    firstPathTableLba: UdfWriter.PartitionStart + udf.MetadataBlocks, tailSectors: UdfWriter.TailSectors);
                var sectors = new Dictionary<StagedFile, long>(iso.Files.Count, ReferenceEqualityComparer.Instance);
                foreach (var f in iso.Files) sectors[f.Source] = f.Lba;
                udf.Assign(UdfWriter.PartitionStart, f => sectors[f]);
                return new DataLayout(iso, udf, fileSystems);
            default:
                throw new Imapi.ImapiException(Imapi.ImapiError.WrongFormat, $"file system {fileSystems} is not supported yet");
        }
    }

    /// <summary>Writes the metadata (everything before the file data) and the tail (after it).</summary>
    public (byte[] Metadata, byte[]? Tail) Write(JolietProperties properties, DateTimeOffset created)
    {
        var metadata = MetadataWriter.Write(Iso, properties, created);
        if (Udf is null) return (metadata, null);
        var tail = new byte[UdfWriter.TailSectors * UdfStructures.SectorSize];
        UdfWriter.Write(metadata, tail, Udf, Iso.TotalSectors, properties.VolumeName, created);
        return (metadata, tail);
    }
}
