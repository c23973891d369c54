using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Duplicator.Mastering.Data;

/// <summary>
/// Copies a byte range from one file to another inside the kernel where Linux allows it
/// (copy_file_range(2), the call GNU cat and cp use), skipping the holes of sparse sources
/// (lseek SEEK_DATA/SEEK_HOLE) so they stay holes in the image. Anywhere else, or when the kernel
/// refuses (other file systems, old kernels), it falls back to reading and writing through a buffer.
/// Measured on a 2 GiB tree: the buffered path ran at ~0.3-0.6 of cat's speed, the kernel path at cat's.
/// </summary>
internal static partial class FileRangeCopy
{
    private const int SeekData = 3; // SEEK_DATA
    private const int SeekHole = 4; // SEEK_HOLE
    private const int BufferBytes = 128 * 1024;

    /// <summary>Smaller files are copied without probing for holes: two syscalls saved per file, a few zero pages at most.</summary>
    private const long HoleProbeMinBytes = 1024 * 1024;

    /// <summary>
    /// Copies <paramref name="count"/> bytes; returns false if the source ended early. With
    /// <paramref name="sourceLengthChecked"/> the caller has just seen the source hold at least
    /// <paramref name="sourceOffset"/> + <paramref name="count"/> bytes (one fstat fewer).
    /// </summary>
    public static bool Copy(SafeFileHandle source, long sourceOffset, SafeFileHandle destination, long destinationOffset, long count, CancellationToken ct, bool sourceLengthChecked = false)
    {
        if (!sourceLengthChecked && RandomAccess.GetLength(source) < sourceOffset + count) return false; // a hole at the end would hide it
        if (OperatingSystem.IsLinux())
        {
            var r = CopyLinux(source, sourceOffset, destination, destinationOffset, count, ct);
            if (r is { } done) return done;
        }
        return CopyBuffered(source, sourceOffset, destination, destinationOffset, count, ct);
    }

    /// <summary>null when the kernel path is unavailable for these files (nothing was written then).</summary>
    private static bool? CopyLinux(SafeFileHandle source, long srcOff, SafeFileHandle dest, long dstOff, long count, CancellationToken ct)
    {
        int fdIn = (int)source.DangerousGetHandle();
        int fdOut = (int)dest.DangerousGetHandle();
        long end = srcOff + count;
        long pos = srcOff;
        bool first = true;
        if (count < HoleProbeMinBytes)
        {
            long inOff = srcOff, outOff = dstOff;
            while (inOff < end)
            {
                long n = CopyFileRange(fdIn, ref inOff, fdOut, ref outOff, (nuint)(end - inOff), 0);
                if (n < 0) return first ? null : throw new IOException($"copy_file_range failed with errno {Marshal.GetLastPInvokeError()}");
                if (n == 0) return false;
                first = false;
            }
            return true;
        }
        while (pos < end)
        {
            ct.ThrowIfCancellationRequested();
            long data = LSeek(fdIn, pos, SeekData);
            if (data < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == 6 /* ENXIO: no data after pos: the rest is a hole */) return true;
                if (first) return null;  // SEEK_DATA unsupported: let the caller fall back
                return false;
            }
            if (data >= end) return true;
            long hole = LSeek(fdIn, data, SeekHole);
            if (hole < 0 || hole > end) hole = end;
            long inOff = data, outOff = dstOff + (data - srcOff);
            while (inOff < hole)
            {
                ct.ThrowIfCancellationRequested();
                long want = Math.Min(hole - inOff, 64L * 1024 * 1024);
                long n = CopyFileRange(fdIn, ref inOff, fdOut, ref outOff, (nuint)want, 0);
                if (n < 0)
                {
                    if (first) return null; // EXDEV, EINVAL, ENOSYS...: fall back before anything was copied
                    throw new IOException($"copy_file_range failed with errno {Marshal.GetLastPInvokeError()}");
                }
                if (n == 0) return false; // source shorter than staged
                first = false;
            }
            first = false;
            pos = hole;
        }
        return true;
    }

    internal static bool CopyBuffered(SafeFileHandle source, long srcOff, SafeFileHandle dest, long dstOff, long count, CancellationToken ct)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            long done = 0;
            while (done < count)
            {
                ct.ThrowIfCancellationRequested();
                int want = (int)Math.Min(BufferBytes, count - done);
                int n = RandomAccess.Read(source, buffer.AsSpan(0, want), srcOff + done);
                if (n == 0) return false;
                var span = buffer.AsSpan(0, n);
                if (span.IndexOfAnyExcept((byte)0) >= 0) // leave all-zero runs as holes
                    RandomAccess.Write(dest, span, dstOff + done);
                done += n;
            }
            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial long CopyFileRange(int fdIn, ref long offIn, int fdOut, ref long offOut, nuint len, uint flags);
}
