using System.Runtime.CompilerServices;
using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Images;
using Microsoft.Win32.SafeHandles;

namespace Duplicator.Mastering.Data;

/// <summary>
/// A staged data image (ISO 9660 + Joliet, a UDF bridge, UDF 2.50 or DVD-Video: <see cref="FileSystems"/>):
/// a read-only, random-access run of 2048-byte sectors. Descriptors, path tables, directories and UDF file
/// structures are held in memory (they grow with the number of files), as is a UDF image's closing anchor
/// after the file data; file bytes are
/// read from the source files on demand. Before a file's bytes are used its size and modification time
/// are compared with what was staged: a changed source fails the read with
/// <see cref="ImapiError.SourceChanged"/> rather than putting wrong bytes on a disc.
/// Thread-safe: concurrent <see cref="Read"/> calls share nothing mutable.
/// </summary>
public sealed class DataImage : IDiscImage
{
    private const int S = IsoStructures.SectorSize;
    private readonly byte[] _metadata;
    private readonly LayoutFile[] _files;   // ascending Lba, non-empty files only
    private readonly long[] _starts;         // _files[i].Lba, for binary search
    private readonly byte[] _tail;           // the sectors after the file data (a UDF bridge's closing anchor)
    private readonly long _tailStart;        // byte offset of _tail in the image

    private readonly DataLayout _layout;

    internal DataImage(DataLayout layout, byte[] metadata, JolietProperties properties, byte[]? tail)
    {
        _layout = layout;
        _metadata = metadata;
        _tail = tail ?? [];
        _tailStart = layout.TotalSectors * S - _tail.LongLength;
        FileSystems = layout.FileSystems;
        _files = [.. layout.Files];
        _starts = [.. _files.Select(f => f.Lba)];
        SectorCount = layout.TotalSectors;
        Properties = properties;
        Tracks = [new TrackInfo(1, TrackKind.Data, 0, SectorCount, 0)];
        FileCount = layout.Files.Count;
        RenamedJolietNames = layout.RenamedJolietNames;
    }

    /// <inheritdoc />
    public int SectorSize => S;

    /// <inheritdoc />
    public long SectorCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<TrackInfo> Tracks { get; }

    /// <summary>The properties the image was built with.</summary>
    public JolietProperties Properties { get; }

    /// <summary>The file systems the image carries.</summary>
    public DataFileSystems FileSystems { get; }

    /// <summary>Non-empty files whose data the image holds.</summary>
    public int FileCount { get; }

    /// <summary>Joliet names shortened or cleaned under <see cref="JolietNamePolicy.Truncate"/>.</summary>
    public int RenamedJolietNames { get; }

    /// <summary>The creation time written into the descriptors (kept so <see cref="At"/> writes the same).</summary>
    internal DateTimeOffset Created { get; init; }

    /// <summary>The sector of the disc this image's sector 0 is written to (0 unless made by <see cref="At"/>).</summary>
    public long BaseLba { get; internal init; }

    /// <summary>Sectors of descriptors, path tables and directories before the first file's data (the sectors <see cref="At"/> rewrites).</summary>
    public long MetadataSectors => _layout.MetadataSectors;

    /// <summary>
    /// This image as a session written from disc sector <paramref name="baseLba"/> on (a disc's next writable address, as
    /// mkisofs -C lays out a session to append): the same layout and file data, its metadata written again with every
    /// address plus <paramref name="baseLba"/> (<see cref="Iso9660.MetadataWriter"/>). Sector i of the result goes to
    /// disc sector <paramref name="baseLba"/> + i; only its first <see cref="MetadataSectors"/> sectors differ from
    /// this image's. ISO 9660 + Joliet images without per-disc files only.
    /// </summary>
    public DataImage At(long baseLba)
    {
        if (PerDisc is not null)
            throw new ImapiException(ImapiError.WrongFormat, "an image with per-disc files is not relocated to another start sector");
        var (metadata, tail) = _layout.Write(Properties, Created, baseLba);
        return new DataImage(_layout, metadata, Properties, tail) { Created = Created, BaseLba = baseLba };
    }

    /// <summary>Where each disc's own sectors go, when per-disc files were reserved (<see cref="JolietStaging.ReservePerDiscFile"/>); else null.</summary>
    public PerDisc.PerDiscPlan? PerDisc { get; init; }

    /// <inheritdoc />
    public void Read(long firstSector, Span<byte> destination)
    {
        using var reader = new Reader(this);
        reader.Read(firstSector, destination);
    }

    /// <summary>
    /// Writes the whole image to <paramref name="path"/>: into a temporary file beside it, renamed into
    /// place only when every sector is written, so a failure leaves no partial image. File data is copied
    /// inside the kernel where possible (<see cref="FileRangeCopy"/>) and the holes of sparse sources stay
    /// holes. Each source is checked against what was staged before and after its copy. Throws if the
    /// writer did not end at the sector the layout said. The rename never replaces anything but a regular
    /// file, and replaces an existing one only with <paramref name="replace"/> (see <see cref="OutputTarget.Commit"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteTo(string path, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default, bool replace = true)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var output = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                RandomAccess.Write(output, _metadata, 0);
                long end = _metadata.LongLength;
                foreach (var f in _files)
                {
                    if (cancellationToken.IsCancellationRequested || progress?.QueryCancel() == true)
                        throw new OperationCanceledException();
                    if (f.Source.Reserved)
                    {
                        end = (f.Lba + f.Sectors) * S; // a per-disc file's sectors stay zero (a hole) in the staged image
                        continue;
                    }
                    using (var source = OpenChecked(f.Source))
                    {
                        if (!FileRangeCopy.Copy(source, 0, output, f.Lba * S, f.Source.Size, cancellationToken, sourceLengthChecked: true))
                            throw new ImapiException(ImapiError.SourceChanged, $"{f.Source.SourcePath}: ended before byte {f.Source.Size}, the size it was staged with");
                        Check(source, f.Source); // changed while it was being copied?
                    }
                    end = (f.Lba + f.Sectors) * S;
                    progress?.NotifyBlockProgress(f.Lba + f.Sectors, SectorCount);
                }
                if (_tail.Length > 0)
                {
                    if (end > _tailStart)
                        throw new InvalidOperationException($"file data ends at byte {end}, after the tail the layout put at {_tailStart}");
                    RandomAccess.Write(output, _tail, _tailStart);
                    end = _tailStart + _tail.LongLength;
                }
                if (end != SectorCount * S)
                    throw new InvalidOperationException($"image writer ended at byte {end}, the layout said {SectorCount * S}");
                RandomAccess.SetLength(output, end);
            }
            OutputTarget.Commit(temp, full, replace);
        }
        catch (OperationCanceledException e)
        {
            TryDelete(temp);
            throw new ImapiException(ImapiError.UserAbort, $"{path}: writing the image was cancelled; nothing was written", e);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Opens a staged source and checks that it is still what was staged.</summary>
    private static SafeFileHandle OpenChecked(StagedFile f)
    {
        SafeFileHandle handle;
        try
        {
            handle = (OperatingSystem.IsLinux() ? LinuxTreeScan.TryOpenSource(f.SourcePath, f.Size, SequentialAdviceMinBytes) : null)
                ?? File.OpenHandle(f.SourcePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImapiException(ImapiError.SourceChanged, $"{f.SourcePath}: staged file can no longer be read ({e.Message})", e);
        }
        try
        {
            Check(handle, f);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        return handle;
    }

    /// <summary>Sources from this size on are opened with sequential read-ahead advice (FileOptions.SequentialScan does it for all).</summary>
    private const long SequentialAdviceMinBytes = 1024 * 1024;

    /// <summary>Throws SourceChanged unless the open source has the size and modification time it was staged with (and is still a regular file).</summary>
    private static void Check(SafeFileHandle handle, StagedFile f)
    {
        long size;
        DateTime mtime;
        if (OperatingSystem.IsLinux() && LinuxTreeScan.TryStatHandle(handle, out size, out mtime, out bool regular))
        {
            if (!regular)
                throw new ImapiException(ImapiError.SourceChanged, $"{f.SourcePath}: changed since it was staged (no longer a regular file); stage it again");
        }
        else
        {
            size = RandomAccess.GetLength(handle);
            mtime = File.GetLastWriteTimeUtc(handle);
        }
        if (size != f.Size || mtime != f.ModifiedUtc)
            throw new ImapiException(ImapiError.SourceChanged,
                $"{f.SourcePath}: changed since it was staged (size {f.Size} -> {size}, modified {f.ModifiedUtc:O} -> {mtime:O}); stage it again");
    }

    /// <summary>Reads sectors keeping the current source file open across calls (sequential streaming opens each file once).</summary>
    private sealed class Reader(DataImage image) : IDisposable
    {
        private int _openIndex = -1;
        private SafeFileHandle? _handle;

        public void Read(long firstSector, Span<byte> destination)
        {
            SectorIo.CheckRange(image, firstSector, destination.Length);

            long pos = firstSector * S;
            long end = pos + destination.Length;
            var dest = destination;
            // metadata
            long metaEnd = image._metadata.LongLength;
            if (pos < metaEnd)
            {
                int n = (int)Math.Min(metaEnd, end) - (int)pos;
                image._metadata.AsSpan((int)pos, n).CopyTo(dest);
                dest = dest[n..];
                pos += n;
            }
            if (pos >= end) return;
            // the tail (after every file's data)
            if (end > image._tailStart)
            {
                long from = Math.Max(pos, image._tailStart);
                var tailPart = dest[(int)(from - pos)..];
                image._tail.AsSpan((int)(from - image._tailStart), tailPart.Length).CopyTo(tailPart);
                dest = dest[..(int)(from - pos)];
                end = from;
                if (pos >= end) return;
            }
            // file data; sectors after a file's last byte up to the next file are zero padding
            int i = Array.BinarySearch(image._starts, pos / S);
            if (i < 0) i = ~i - 1;
            while (pos < end)
            {
                if (i < 0 || i >= image._files.Length) { dest.Clear(); return; }
                var f = image._files[i];
                long fStart = f.Lba * S;
                long fEnd = fStart + f.Source.Size;
                long extentEnd = fStart + f.Sectors * S;
                if (pos < fStart)
                {
                    int zeros = (int)(Math.Min(fStart, end) - pos);
                    dest[..zeros].Clear();
                    dest = dest[zeros..];
                    pos += zeros;
                    continue;
                }
                if (pos < fEnd)
                {
                    int n = (int)(Math.Min(fEnd, end) - pos);
                    ReadFile(i, pos - fStart, dest[..n]);
                    dest = dest[n..];
                    pos += n;
                }
                if (pos < extentEnd && pos < end)
                {
                    int pad = (int)(Math.Min(extentEnd, end) - pos);
                    dest[..pad].Clear();
                    dest = dest[pad..];
                    pos += pad;
                }
                i++;
            }
        }

        private void ReadFile(int index, long offset, Span<byte> dest)
        {
            var f = image._files[index].Source;
            if (f.Reserved)
            {
                dest.Clear();
                return;
            }
            if (_openIndex != index)
            {
                _handle?.Dispose();
                _handle = null;
                _openIndex = -1;
                _handle = OpenChecked(f);
                _openIndex = index;
            }
            SectorIo.ReadExactly(_handle!, dest, offset, f.SourcePath);
        }

        public void Dispose() => _handle?.Dispose();
    }
}
