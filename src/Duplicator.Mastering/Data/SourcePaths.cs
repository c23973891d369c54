using System.Runtime.InteropServices;

namespace Duplicator.Mastering.Data;

/// <summary>
/// Where a source path really leads: <see cref="RealPath"/> resolves every symbolic link (realpath(3)) and
/// <see cref="IsUnder"/> compares folders without being fooled by "..". Used to keep a staging inside the
/// folders a caller allows (see <see cref="JolietStaging.LinkRoots"/>).
/// </summary>
public static unsafe partial class SourcePaths
{
    /// <summary>
    /// <paramref name="path"/> with every symbolic link resolved (realpath(3)); null when it cannot be resolved
    /// (it, or a link on the way, does not exist).
    /// </summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return Portable(path);
        IntPtr resolved;
        try
        {
            resolved = RealPathNative(path, IntPtr.Zero);
        }
        catch (EntryPointNotFoundException)
        {
            return Portable(path);
        }
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            NativeMemory.Free((void*)resolved);
        }
    }

    private static string? Portable(string path)
    {
        var full = Path.GetFullPath(path);
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        if (!info.Exists) return null;
        return info.LinkTarget is null ? full : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or lies beneath it (after resolving "..").</summary>
    public static bool IsUnder(string path, string root)
    {
        var p = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var r = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        // "/" stays "/" after trimming: every absolute path is under it.
        return p == r || p.StartsWith(r.EndsWith(Path.DirectorySeparatorChar) ? r : r + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>True when <paramref name="realPath"/> (already resolved) lies under one of <paramref name="realRoots"/> (already resolved).</summary>
    public static bool IsUnderAny(string realPath, IReadOnlyList<string> realRoots)
    {
        foreach (var r in realRoots)
            if (IsUnder(realPath, r)) return true;
        return false;
    }

    /// <summary>The roots resolved (a root that does not exist is kept as given: nothing real is under it).</summary>
    public static IReadOnlyList<string> ResolveRoots(IEnumerable<string> roots) =>
        roots.Select(r => RealPath(Path.GetFullPath(r)) ?? Path.GetFullPath(r)).ToArray();

    /// <summary>
    /// Throws <see cref="Imapi.ImapiException"/> (SourceNotAllowed) naming <paramref name="link"/> when the symbolic link
    /// leads outside <paramref name="realRoots"/>; a dangling link passes (the scan reports it as dangling).
    /// </summary>
    internal static void CheckLink(string link, IReadOnlyList<string> realRoots)
    {
        var real = RealPath(link);
        if (real is null || IsUnderAny(real, realRoots)) return;
        throw new Imapi.ImapiException(Imapi.ImapiError.SourceNotAllowed,
            $"{link}: symbolic link to {real}, outside the allowed roots ({string.Join(", ", realRoots)}); not followed");
    }

    /// <summary>True when <paramref name="path"/> (links followed) is a regular file, not a FIFO, socket or device (stat(2) on Linux).</summary>
    public static bool IsRegularFile(string path) => UnixFileType.IsRegularFile(path);

    /// <summary>
    /// Opens <paramref name="path"/> for reading only if it is a regular file, checked on the open handle: a file
    /// swapped for a FIFO after a check by name cannot make the open hang (O_NONBLOCK on Linux), nor be read as a
    /// job. Returns null when it is not a regular file; throws <see cref="IOException"/> when it cannot be opened.
    /// </summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle? OpenRegularFile(string path)
    {
        var handle = LinuxTreeScan.TryOpenSource(path, 0, long.MaxValue)
            ?? File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        bool regular = LinuxTreeScan.TryStatHandle(handle, out _, out _, out var isRegular) ? isRegular : UnixFileType.IsRegularFile(path);
        if (regular) return handle;
        handle.Dispose();
        return null;
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPathNative(string path, IntPtr resolved);
}
