using System.Runtime.InteropServices;

namespace Duplicator.Mastering.Data;

/// <summary>
/// Tells regular files from FIFOs, sockets and devices, which .NET reports alike ("Normal"). Opening a
/// FIFO to check that it is readable would block AddData forever, so the type is read with stat(2) first.
/// </summary>
internal static partial class UnixFileType
{
    private const uint TypeMask = 0xF000;   // S_IFMT
    private const uint RegularFile = 0x8000; // S_IFREG

    /// <summary>True when <paramref name="path"/> (symbolic links followed) is a regular file; true on Windows.</summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux()) return true;
        // struct stat: st_mode follows st_dev, st_ino, st_nlink (8 bytes each) on x86_64; on the generic
        // layout (arm64) st_nlink is 4 bytes and comes after st_mode.
        int modeOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 24 : 16;
        Span<byte> buf = stackalloc byte[256];
        unsafe
        {
            fixed (byte* p = buf)
            {
                if (Stat(path, p) != 0) return false;
            }
        }
        uint mode = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(buf[modeOffset..]);
        return (mode & TypeMask) == RegularFile;
    }

    /// <summary>
    /// True when this process may read <paramref name="path"/>: access(2) on Linux (one syscall, no open
    /// and close per file while scanning thousands), an open elsewhere.
    /// </summary>
    public static bool CanRead(string path)
    {
        if (OperatingSystem.IsLinux()) return Access(path, 4 /* R_OK */) == 0;
        try
        {
            using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, byte* buf);
}
