using System.Runtime.CompilerServices;
using Duplicator.Mastering.Data.Iso9660;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Data;

/// <summary>
/// IMAPI's IJolietDiscMaster for one image: folders are staged with <see cref="AddData"/> (their
/// contents go into the image root; calls overlay one another), there is no remove, only
/// <see cref="Clear"/>, and <see cref="Build"/> produces the <see cref="DataImage"/>.
/// <para>
/// Every AddData is all-or-nothing: the folder is scanned and merged into a copy of the staged tree,
/// the copy is laid out, and only if names, clashes and capacity are all fine does it replace the
/// staging. On DiscFull, FileExists, BadJolietName, an unreadable source or cancellation the staging is
/// exactly as before.
/// </para>
/// <para>
/// Overwrite: with <c>overwrite</c> on, the file added last is the one listed and the shadowed file's
/// blocks are reclaimed (IMAPI keeps counting them; here the image holds only what it lists, so
/// <see cref="UsedDataBlocks"/> is always the size of the image that <see cref="Build"/> would make).
/// A file and a folder of the same name also replace each other when overwrite is on.
/// </para>
/// Not thread-safe: one caller stages at a time, as with IMAPI.
/// </summary>
public sealed class JolietStaging
{
    private StagedDirectory _root = NewRoot();
    private long _usedBlocks;
    private DataLayout? _layout; // the layout of _root under _layoutPolicy and _layoutFileSystems, reused by Build
    private JolietNamePolicy _layoutPolicy;
    private DataFileSystems _layoutFileSystems;

    /// <summary>Staging for a medium of <paramref name="media"/>.</summary>
    public JolietStaging(MediaKind media) : this(MediaCapacity.Sectors(media)) { }

    /// <summary>Staging for a medium of <paramref name="totalDataBlocks"/> 2048-byte blocks.</summary>
    public JolietStaging(long totalDataBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalDataBlocks, 64L);
        TotalDataBlocks = totalDataBlocks;
        _usedBlocks = UsedBlocks(_root, _fileSystems);
    }

    /// <summary>Bytes per data block (IJolietDiscMaster::GetDataBlockSize).</summary>
    public int DataBlockSize => IsoStructures.SectorSize;

    /// <summary>Blocks the medium holds (GetTotalDataBlocks).</summary>
    public long TotalDataBlocks { get; }

    /// <summary>
    /// Blocks the image needs now (GetUsedDataBlocks): the 16-sector system area, the descriptors, the four
    /// path tables, both directory trees and every listed file's data rounded up to whole blocks. An empty
    /// staging already uses a few blocks (descriptors and empty root folders).
    /// </summary>
    public long UsedDataBlocks => _usedBlocks;

    /// <summary>Volume name, publisher, dates and the long-name policy (Get/SetJolietProperties).</summary>
    public JolietProperties Properties { get; set; } = new();

    /// <summary>
    /// The file systems the image carries (IMAPI2's FileSystemsToCreate): Joliet (the default) or a UDF
    /// bridge, whose Joliet side always uses <see cref="JolietNamePolicy.Truncate"/>. Set it before AddData:
    /// each AddData checks names and capacity for the file systems chosen at that moment, and Build checks
    /// again if it changed.
    /// </summary>
    /// <exception cref="ImapiException">WrongFormat for a file system this build cannot write yet.</exception>
    public DataFileSystems FileSystems
    {
        get => _fileSystems;
        set
        {
            _usedBlocks = UsedBlocks(_root, value); // throws before anything changes if unsupported
            _fileSystems = value;
        }
    }

    private DataFileSystems _fileSystems = DataFileSystems.Joliet;

    /// <summary>
    /// Where symbolic links inside an added folder may lead. Null (the default, as <c>duplicator master</c> stages)
    /// follows every link: a disc holds files, not links. Otherwise a link whose fully resolved target is not under
    /// one of these folders makes <see cref="AddData"/> fail with SourceNotAllowed naming the link, which is not
    /// followed (the control API and the hot folder stage this way, with the host's allowed roots).
    /// </summary>
    public IReadOnlyList<string>? LinkRoots { get; set; }

    /// <summary>Files currently staged.</summary>
    public int FileCount => _root.Count().Files;

    /// <summary>
    /// Adds the contents of <paramref name="folder"/> to the image root (IJolietDiscMaster::AddData).
    /// Symbolic links are followed (within <see cref="LinkRoots"/> when set); anything that is neither a file nor a folder is refused.
    /// </summary>
    /// <exception cref="ImapiException">FileExists, DiscFull, BadJolietName, SourceUnreadable, SourceNotAllowed or UserAbort;
    /// the staging is unchanged.</exception>
    public void AddData(string folder, bool overwrite, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default)
    {
        var source = new DirectoryInfo(Path.GetFullPath(folder));
        if (!source.Exists)
            throw new ImapiException(ImapiError.SourceUnreadable, $"{folder}: no such folder");

        var scanned = Scan(source, LinkRoots is null ? null : SourcePaths.ResolveRoots(LinkRoots), progress, cancellationToken);
        var merged = _root.Clone();
        var clashes = new List<string>();
        Merge(merged, scanned, overwrite, "", clashes);
        if (clashes.Count > 0)
            throw new ImapiException(ImapiError.FileExists,
                $"{folder}: {clashes.Count} name(s) already staged and overwrite is off: {Sample(clashes)}");

        var problems = new List<string>();
        var udfProblems = new List<string>();
        var formatProblems = new List<string>();
        var layout = DataLayout.Compute(merged, FileSystems, Properties.LongNames, problems, udfProblems, formatProblems);
        ThrowOnNames(folder + ": ", problems, udfProblems, formatProblems);
        if (layout.TotalSectors > TotalDataBlocks)
            throw new ImapiException(ImapiError.DiscFull,
                $"{folder}: the image would need {layout.TotalSectors} blocks of {DataBlockSize} bytes, the medium holds {TotalDataBlocks} ({layout.TotalSectors - TotalDataBlocks} too many)");
        if (cancellationToken.IsCancellationRequested || progress?.QueryCancel() == true)
            throw new ImapiException(ImapiError.UserAbort, $"{folder}: AddData was cancelled; nothing was staged");

        _root = merged;
        _usedBlocks = layout.TotalSectors;
        _layout = layout;
        _layoutPolicy = Properties.LongNames;
        _layoutFileSystems = FileSystems;
    }

    /// <summary>
    /// The staged folders as a session appended to a disc (growisofs -M, IMAPI2's ImportFileSystem): the tree of the
    /// disc's last session, read from <paramref name="disc"/> at <paramref name="previousSessionStart"/> (null: a blank
    /// disc, no earlier session), with the staged files laid over it (a staged file or folder replaces one of the same
    /// name; folders of both are merged); laid out from disc sector <paramref name="startLba"/> on (the next writable
    /// address). The earlier files keep their extents on the disc (the session's directories point there); the image
    /// holds the new session's metadata and the staged files' data. ISO 9660 + Joliet only, no per-disc files.
    /// </summary>
    public DataImage BuildSession(Images.ISectorSource? disc, long? previousSessionStart, long startLba)
    {
        if (FileSystems != DataFileSystems.Joliet)
            throw new ImapiException(ImapiError.WrongFormat, $"an appended session carries ISO 9660 + Joliet, not {FileSystems}");
        if (_reserved.Count > 0)
            throw new ImapiException(ImapiError.WrongFormat, "an appended session has no per-disc files");
        if (previousSessionStart is not null && disc is null)
            throw new ArgumentNullException(nameof(disc), "an earlier session is read from the disc");
        var merged = previousSessionStart is { } previous ? Iso9660.SessionImport.Read(disc!, previous) : new StagedDirectory("", DateTime.UnixEpoch);
        Merge(merged, _root.Clone(), overwrite: true, "", []);
        var problems = new List<string>();
        var udfProblems = new List<string>();
        var layout = DataLayout.Compute(merged, DataFileSystems.Joliet, Properties.LongNames, problems, udfProblems, []);
        ThrowOnNames("appended session: ", problems, udfProblems, []);
        var created = Properties.CreationTime ?? DateTimeOffset.UtcNow;
        var (metadata, tail) = layout.Write(Properties, created, startLba);
        return new DataImage(layout, metadata, Properties, tail) { Created = created, BaseLba = startLba };
    }

    /// <summary>Most per-disc files one image may reserve.</summary>
    public const int MaxPerDiscFiles = 16;

    /// <summary>Largest declared size of one per-disc file (its content is rendered in memory for every disc).</summary>
    public const int MaxPerDiscFileBytes = 1 << 20;

    /// <summary>
    /// Reserves a per-disc file at <paramref name="imagePath"/> ('/'-separated, folders made as needed) of at most
    /// <paramref name="maxBytes"/> bytes: the layout gives it an extent of that many bytes rounded up to sectors, the
    /// staged image holds zeros there, and <see cref="DataImage.PerDisc"/> says which sectors each disc gets of its own.
    /// ISO 9660 + Joliet or udf-bridge (whose UDF file entry is patched too; UDF 2.50 is refused). Reserve after the
    /// last <see cref="AddData"/>: a later AddData with overwrite on would replace the reservation.
    /// </summary>
    /// <exception cref="ImapiException">InvalidInput (bad path or size, too many), FileExists, WrongFormat (not Joliet),
    /// BadJolietName or DiscFull; the staging is unchanged.</exception>
    public void ReservePerDiscFile(string imagePath, int maxBytes, DateTime modifiedUtc)
    {
        if (FileSystems is not (DataFileSystems.Joliet or DataFileSystems.UdfBridge))
            throw new ImapiException(ImapiError.WrongFormat, $"per-disc file {imagePath}: per-disc files are made for ISO 9660 + Joliet and udf-bridge images, not {FileSystems}");
        if (maxBytes < 1 || maxBytes > MaxPerDiscFileBytes)
            throw new ImapiException(ImapiError.InvalidInput, $"per-disc file {imagePath}: maxBytes {maxBytes} is outside 1..{MaxPerDiscFileBytes}");
        if (_reserved.Count >= MaxPerDiscFiles)
            throw new ImapiException(ImapiError.InvalidInput, $"per-disc file {imagePath}: at most {MaxPerDiscFiles} per-disc files");
        var parts = (imagePath ?? "").Split('/');
        if (parts.Length > 8 || parts.Any(p => p.Length == 0 || p is "." or ".." || p.Length > 255 || p.Any(c => c < 0x20 || c == '\\')))
            throw new ImapiException(ImapiError.InvalidInput, $"per-disc file '{imagePath}': a path inside the image is 1-8 '/'-separated names, none empty, '.', '..' or with control characters");
        var merged = _root.Clone();
        var dir = merged;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (!dir.Children.TryGetValue(parts[i], out var node))
                dir.Children[parts[i]] = node = new StagedDirectory(parts[i], modifiedUtc);
            dir = node as StagedDirectory
                ?? throw new ImapiException(ImapiError.FileExists, $"per-disc file {imagePath}: {string.Join('/', parts[..(i + 1)])} is a staged file, not a folder");
        }
        if (dir.Children.ContainsKey(parts[^1]))
            throw new ImapiException(ImapiError.FileExists, $"per-disc file {imagePath}: the source already has that name");
        var file = new StagedFile(parts[^1], "", maxBytes, modifiedUtc, reserved: true);
        dir.Children[parts[^1]] = file;
        var problems = new List<string>();
        var udfProblems = new List<string>();
        var layout = DataLayout.Compute(merged, FileSystems, Properties.LongNames, problems, udfProblems);
        ThrowOnNames($"per-disc file {imagePath}: ", problems, udfProblems, []);
        if (layout.TotalSectors > TotalDataBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"per-disc file {imagePath}: the image would need {layout.TotalSectors} blocks, the medium holds {TotalDataBlocks}");
        _root = merged;
        _reserved.Add((string.Join('/', parts), file));
        _usedBlocks = layout.TotalSectors;
        _layout = layout;
        _layoutPolicy = Properties.LongNames;
        _layoutFileSystems = FileSystems;
    }

    private readonly List<(string Path, StagedFile File)> _reserved = [];

    /// <summary>Discards everything staged (IDiscMaster::ClearFormatContent).</summary>
    public void Clear()
    {
        _root = NewRoot();
        _reserved.Clear();
        _usedBlocks = UsedBlocks(_root, _fileSystems);
        _layout = null;
    }

    /// <summary>
    /// Lays out the staged tree and returns the image. The staging stays as it is (more AddData calls
    /// change later builds, not this image). Fails with BadJolietName if <see cref="Properties"/> changed
    /// the policy so that staged names no longer fit.
    /// </summary>
    public DataImage Build()
    {
        var problems = new List<string>();
        var udfProblems = new List<string>();
        var formatProblems = new List<string>();
        var layout = _layout is { } cached && _layoutPolicy == Properties.LongNames && _layoutFileSystems == FileSystems
            ? cached
            : DataLayout.Compute(_root, FileSystems, Properties.LongNames, problems, udfProblems, formatProblems);
        ThrowOnNames("staged ", problems, udfProblems, formatProblems);
        if (layout.TotalSectors > TotalDataBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"the image needs {layout.TotalSectors} blocks, the medium holds {TotalDataBlocks}");
        var created = Properties.CreationTime ?? DateTimeOffset.UtcNow;
        var (metadata, tail) = layout.Write(Properties, created);
        if (_reserved.Count > 0 && (layout.Iso is null || layout.Udf is { HasMetadataPartition: true }))
            throw new ImapiException(ImapiError.WrongFormat, $"per-disc files are made for ISO 9660 + Joliet and udf-bridge images, not {layout.FileSystems}");
        return new DataImage(layout, metadata, Properties, tail)
        {
            Created = created,
            PerDisc = _reserved.Count == 0 ? null : PerDisc.PerDiscPlan.Create(layout.Iso!, layout.Udf, metadata, _reserved),
        };
    }

    /// <summary>Blocks of the image of <paramref name="root"/> whatever its names (sizes do not depend on the name checks).</summary>
    private static long UsedBlocks(StagedDirectory root, DataFileSystems fileSystems) =>
        DataLayout.Compute(root, fileSystems, JolietNamePolicy.Strict, new List<string>(), new List<string>()).TotalSectors;

    /// <summary>
    /// BadJolietName listing every name the chosen file systems cannot hold (IMAPI has no UDF name code);
    /// InvalidImage listing what a DVD-Video player would reject.
    /// </summary>
    private void ThrowOnNames(string what, List<string> joliet, List<string> udf, List<string> format)
    {
        if (format.Count > 0)
            throw new ImapiException(ImapiError.InvalidImage,
                $"{what}{format.Count} problem(s) a DVD-Video player would reject: {Sample(format)}");
        if (joliet.Count > 0)
            throw new ImapiException(ImapiError.BadJolietName,
                $"{what}{joliet.Count} name(s) Joliet cannot hold under the {Properties.LongNames} policy: {Sample(joliet)}");
        if (udf.Count > 0)
            throw new ImapiException(ImapiError.BadJolietName,
                $"{what}{udf.Count} name(s) or file(s) UDF cannot hold: {Sample(udf)}");
    }

    private static StagedDirectory NewRoot() => new("", DateTime.UnixEpoch);

    private static string Sample(List<string> items) =>
        string.Join("; ", items.Take(20)) + (items.Count > 20 ? $"; and {items.Count - 20} more" : "");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge(StagedDirectory into, StagedDirectory from, bool overwrite, string path, List<string> clashes)
    {
        foreach (var (name, node) in from.Children)
        {
            var childPath = path + "/" + name;
            if (!into.Children.TryGetValue(name, out var existing))
            {
                into.Children[name] = node;
            }
            else if (existing is StagedDirectory ed && node is StagedDirectory nd)
            {
                Merge(ed, nd, overwrite, childPath, clashes);
            }
            else if (overwrite)
            {
                into.Children[name] = node;
            }
            else
            {
                clashes.Add(childPath);
            }
        }
    }

    /// <summary>
    /// Scans <paramref name="folder"/> as <see cref="AddData"/> would (every file readable, no device, pipe, socket,
    /// dangling link or link loop, and with <paramref name="linkRoots"/> no link leading outside them, nor the folder
    /// itself) without staging anything; returns the number of files. A front end checks a submission with it
    /// before accepting it.
    /// </summary>
    /// <exception cref="ImapiException">SourceUnreadable, SourceNotAllowed or UserAbort.</exception>
    public static int CheckSource(string folder, IReadOnlyList<string>? linkRoots, CancellationToken cancellationToken = default)
    {
        var source = new DirectoryInfo(Path.GetFullPath(folder));
        if (!source.Exists)
            throw new ImapiException(ImapiError.SourceUnreadable, $"{folder}: no such folder");
        return Scan(source, linkRoots is null ? null : SourcePaths.ResolveRoots(linkRoots), null, cancellationToken).Count().Files;
    }

    /// <summary>Reads the folder tree (names, sizes, times) and checks every file is readable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static StagedDirectory Scan(DirectoryInfo source, IReadOnlyList<string>? linkRoots, IDiscMasterProgressEvents? progress, CancellationToken ct)
    {
        if (linkRoots != null && SourcePaths.RealPath(source.FullName) is { } realSource && !SourcePaths.IsUnderAny(realSource, linkRoots))
            throw new ImapiException(ImapiError.SourceNotAllowed,
                $"{source.FullName}: leads to {realSource}, outside the allowed roots ({string.Join(", ", linkRoots)})");
        var files = new List<string>();
        // Linux: one statx and one faccessat per file, relative to the open folder; the files it could
        // not read are listed rather than thrown, so the errors come in the same order as below.
        var unreadable = new List<string>();
        var root = OperatingSystem.IsLinux() ? LinuxTreeScan.TryScan(source.FullName, files, unreadable, CheckCancel, linkRoots) : null;
        bool accessChecked = root is not null;
        if (root is null)
        {
            files.Clear();
            root = ScanPortable(source, files, CheckCancel, linkRoots);
        }
        var firstUnreadable = unreadable.Count > 0 ? unreadable[0] : null;
        long total = files.Count, done = 0;
        foreach (var f in files)
        {
            CheckCancel();
            if (accessChecked ? ReferenceEquals(f, firstUnreadable) : !UnixFileType.CanRead(f))
                throw new ImapiException(ImapiError.SourceUnreadable, $"{f}: cannot be read (permission denied)");
            if (++done % 64 == 0 || done == total) progress?.NotifyAddProgress(done, total);
        }
        return root;

        void CheckCancel()
        {
            if (ct.IsCancellationRequested || progress?.QueryCancel() == true)
                throw new ImapiException(ImapiError.UserAbort, $"{source.FullName}: AddData was cancelled; nothing was staged");
        }
    }

    /// <summary>
    /// The scan through .NET's file system enumeration (every platform; on Linux only where libc lacks a call
    /// <see cref="LinuxTreeScan"/> needs). Lists every file in <paramref name="files"/>; readability is not checked here.
    /// </summary>
    internal static StagedDirectory ScanPortable(DirectoryInfo source, List<string> files, Action checkCancel, IReadOnlyList<string>? linkRoots = null)
    {
        var root = new StagedDirectory("", source.LastWriteTimeUtc);
        var active = new HashSet<string>(StringComparer.Ordinal);
        Walk(source, root);
        return root;

        void Walk(DirectoryInfo dir, StagedDirectory node)
        {
            checkCancel();
            // ReparsePoint is set from lstat for symbolic links: cheaper than asking every entry for LinkTarget.
            var real = IsLink(dir) ? (dir.ResolveLinkTarget(true)?.FullName ?? dir.FullName) : dir.FullName;
            if (!active.Add(real))
                throw new ImapiException(ImapiError.SourceUnreadable, $"{dir.FullName}: symbolic link loop (leads back to {real})");
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = dir.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false }).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ImapiException(ImapiError.SourceUnreadable, $"{dir.FullName}: folder cannot be read ({e.Message})", e);
            }
            foreach (var entry in entries)
            {
                FileSystemInfo target = entry;
                if (IsLink(entry))
                {
                    if (linkRoots != null) SourcePaths.CheckLink(entry.FullName, linkRoots);
                    target = entry.ResolveLinkTarget(true)
                        ?? throw new ImapiException(ImapiError.SourceUnreadable, $"{entry.FullName}: dangling symbolic link");
                    if (!target.Exists)
                        throw new ImapiException(ImapiError.SourceUnreadable, $"{entry.FullName}: dangling symbolic link to {target.FullName}");
                }
                if (target is DirectoryInfo || (target.Attributes & FileAttributes.Directory) != 0)
                {
                    var d = new DirectoryInfo(entry.FullName);
                    var child = new StagedDirectory(entry.Name, target.LastWriteTimeUtc);
                    node.Children[entry.Name] = child;
                    Walk(d, child);
                }
                else if (target is FileInfo fi && IsRegular(fi))
                {
                    node.Children[entry.Name] = new StagedFile(entry.Name, entry.FullName, fi.Length, fi.LastWriteTimeUtc);
                    files.Add(entry.FullName);
                }
                else
                {
                    throw new ImapiException(ImapiError.SourceUnreadable, $"{entry.FullName}: not a regular file or folder (device, pipe or socket)");
                }
            }
            active.Remove(real);
        }
    }

    private static bool IsLink(FileSystemInfo info) => (info.Attributes & FileAttributes.ReparsePoint) != 0 && info.LinkTarget != null;

    private static bool IsRegular(FileInfo fi) => UnixFileType.IsRegularFile(fi.FullName);
}
