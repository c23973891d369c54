using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Duplicator.Mastering.Images;

/// <summary>What kind of file system object a path names (the S_IFMT bits of stat(2)).</summary>
public enum FileKind
{
    /// <summary>Nothing exists at the path.</summary>
    Missing,
    /// <summary>A regular file.</summary>
    Regular,
    /// <summary>A directory.</summary>
    Directory,
    /// <summary>A symbolic link (only reported when links are not followed).</summary>
    SymbolicLink,
    /// <summary>A character device (/dev/null, /dev/sg0).</summary>
    CharacterDevice,
    /// <summary>A block device.</summary>
    BlockDevice,
    /// <summary>A FIFO (named pipe).</summary>
    Fifo,
    /// <summary>A Unix domain socket.</summary>
    Socket,
    /// <summary>Something else, or a path stat(2) could not examine (permission, loop).</summary>
    Other,
}

/// <summary>
/// A file's identity: its device and inode (two paths name the same file exactly when these are equal,
/// whatever links or mounts lie between), and its kind. On systems without stat(2) the identity is the
/// full path with links resolved.
/// </summary>
/// <param name="Kind">What the path names.</param>
/// <param name="Device">st_dev (0 without stat).</param>
/// <param name="Inode">st_ino (0 without stat).</param>
/// <param name="Path">The path, made absolute.</param>
public readonly partial record struct FileIdentity(FileKind Kind, ulong Device, ulong Inode, string Path)
{
    /// <summary>True when both name the same existing file system object.</summary>
    public bool SameFileAs(FileIdentity other) =>
        Kind != FileKind.Missing && other.Kind != FileKind.Missing
        && (OperatingSystem.IsLinux() ? Device == other.Device && Inode == other.Inode
            : string.Equals(Path, other.Path, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Examines <paramref name="path"/>: with <paramref name="followLinks"/> the object a symbolic link
    /// names (stat), otherwise the link itself (lstat). Never opens the file, so a FIFO cannot block it.
    /// </summary>
    public static FileIdentity Of(string path, bool followLinks = true)
    {
        if (path.Contains('\0')) return new FileIdentity(FileKind.Other, 0, 0, path); // no file has such a name
        var full = System.IO.Path.GetFullPath(path);
        if (!OperatingSystem.IsLinux())
        {
            var info = new FileInfo(full);
            if (info.Exists) return new FileIdentity(FileKind.Regular, 0, 0, full);
            if (System.IO.Directory.Exists(full)) return new FileIdentity(FileKind.Directory, 0, 0, full);
            return new FileIdentity(FileKind.Missing, 0, 0, full);
        }
        // struct stat: st_dev and st_ino (8 bytes each) first on every Linux ABI; st_mode follows st_nlink
        // (8 bytes) on x86_64, and precedes a 4-byte st_nlink on the generic layout (arm64).
        int modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        Span<byte> buf = stackalloc byte[256];
        int rc;
        unsafe
        {
            fixed (byte* p = buf)
                rc = followLinks ? Stat(full, p) : LStat(full, p);
        }
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return new FileIdentity(errno is 2 or 20 /* ENOENT, ENOTDIR */ ? FileKind.Missing : FileKind.Other, 0, 0, full);
        }
        uint mode = BinaryPrimitives.ReadUInt32LittleEndian(buf[modeOffset..]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
        return new FileIdentity(kind, BinaryPrimitives.ReadUInt64LittleEndian(buf), BinaryPrimitives.ReadUInt64LittleEndian(buf[8..]), full);
    }

    /// <summary>
    /// <paramref name="path"/> made absolute with every symbolic link resolved (realpath(3)); a part that
    /// does not exist yet is kept as written below the longest existing, resolved ancestor.
    /// </summary>
    public static string Resolve(string path)
    {
        if (path.Contains('\0')) throw new ArgumentException($"{path}: holds a NUL character", nameof(path));
        var full = System.IO.Path.GetFullPath(path);
        if (!OperatingSystem.IsLinux()) return full;
        var tail = new Stack<string>();
        var current = full;
        while (true)
        {
            if (RealPathOf(current) is { } real)
            {
                foreach (var part in tail) real = System.IO.Path.Combine(real, part);
                return real;
            }
            var parent = System.IO.Path.GetDirectoryName(current);
            if (parent is null) return full;
            tail.Push(System.IO.Path.GetFileName(current));
            current = parent;
        }
    }

    private static string? RealPathOf(string path)
    {
        IntPtr p = RealPath(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>Lower-case words for <paramref name="kind"/>, for error messages.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO",
        FileKind.Socket => "a socket",
        _ => "not a file that can be examined",
    };

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, byte* buf);

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int LStat(string path, byte* buf);

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr p);
}
