using System.Buffers.Binary;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>The PCM format a WAV file declares.</summary>
/// <param name="Channels">Channels.</param>
/// <param name="SampleRate">Samples per second per channel.</param>
/// <param name="BitsPerSample">Bits per sample.</param>
/// <param name="DataOffset">Byte offset of the PCM data in the file.</param>
/// <param name="DataLength">Bytes of PCM data.</param>
public sealed record WavFormat(int Channels, int SampleRate, int BitsPerSample, long DataOffset, long DataLength);

/// <summary>
/// Reads RIFF/WAVE files (Microsoft RIFF, "fmt " and "data" chunks): PCM (format 1) and
/// WAVE_FORMAT_EXTENSIBLE (0xFFFE) with the PCM sub-format; chunks in any order, unknown chunks (LIST,
/// bext, id3, ...) skipped, odd-sized chunks followed by their pad byte. Only CD-DA's own format,
/// 44,100 Hz, 16-bit, 2 channels, is accepted: anything else is refused with a message naming the file,
/// what it holds and what is needed, rather than converted (a resampler is not something to get subtly
/// wrong on a master). Malformed files are <see cref="ImapiError.InvalidInput"/>; header sizes are never
/// trusted for allocation, so hostile headers cost bounded memory and time.
/// </summary>
public static class WavReader
{
    private const int RiffHeader = 12;       // "RIFF" size "WAVE"
    private const int ChunkHeader = 8;       // id, size (little-endian)
    private const ushort FormatPcm = 1;
    private const ushort FormatExtensible = 0xFFFE;
    private const int MaxFmtBytes = 1024;    // fmt is 16, 18 or 40 bytes; anything this large is hostile

    // KSDATAFORMAT_SUBTYPE_PCM {00000001-0000-0010-8000-00aa00389b71}, bytes as stored in the file
    private static readonly byte[] PcmSubFormat = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Reads the header of <paramref name="path"/> and checks it is CD-DA PCM.</summary>
    public static WavFormat ReadCdFormat(string path)
    {
        var f = ReadFormat(path);
        if (f.SampleRate != 44_100 || f.BitsPerSample != 16 || f.Channels != 2)
            throw Invalid(path, $"is {f.SampleRate} Hz, {f.BitsPerSample}-bit, {f.Channels} channel(s); an audio CD needs 44100 Hz, 16-bit, 2 channels (convert it first, e.g. sox in.wav -r 44100 -b 16 -c 2 out.wav)");
        return f;
    }

    /// <summary>Reads the header of <paramref name="path"/>: any PCM format, validated for consistency.</summary>
    public static WavFormat ReadFormat(string path)
    {
        using var fs = Open(path);
        long fileLength = fs.Length;
        Span<byte> head = stackalloc byte[RiffHeader];
        if (fs.ReadAtLeast(head, RiffHeader, throwOnEndOfStream: false) < RiffHeader)
            throw Invalid(path, $"is {fileLength} bytes, too short for a RIFF/WAVE header");
        if (!head[..4].SequenceEqual("RIFF"u8) || !head[8..12].SequenceEqual("WAVE"u8))
            throw Invalid(path, "is not a RIFF/WAVE file (no RIFF....WAVE header)");
        // The RIFF size is often wrong (0, 0xFFFFFFFF from streaming writers); chunks are bounded by the file instead.
        long pos = RiffHeader;
        (int Channels, int Rate, int Bits)? fmt = null;
        long dataOffset = -1, dataLength = 0;
        Span<byte> ch = stackalloc byte[ChunkHeader];
        while (pos + ChunkHeader <= fileLength)
        {
            fs.Position = pos;
            fs.ReadExactly(ch);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(ch[4..]);
            long body = pos + ChunkHeader;
            if (ch[..4].SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > MaxFmtBytes)
                    throw Invalid(path, $"has a fmt chunk of {size} bytes (16 to {MaxFmtBytes} expected)");
                if (body + size > fileLength)
                    throw Invalid(path, $"is truncated: its fmt chunk needs {size} bytes at offset {body}, the file has {fileLength}");
                var b = new byte[size];
                fs.ReadExactly(b);
                fmt = ParseFmt(path, b);
            }
            else if (ch[..4].SequenceEqual("data"u8))
            {
                dataOffset = body;
                long available = fileLength - body;
                if (size == 0xFFFFFFFF)
                    dataLength = available; // streaming writers leave the size open
                else if (size > available)
                    throw Invalid(path, $"is truncated: its data chunk declares {size} bytes, only {available} follow");
                else
                    dataLength = size;
                break;
            }
            pos = body + size + (size & 1);
        }
        if (fmt is not { } f)
            throw Invalid(path, "has no fmt chunk before its data (or none at all)");
        if (dataOffset < 0)
            throw Invalid(path, "has no data chunk");
        int frame = f.Channels * f.Bits / 8;
        if (dataLength % frame != 0)
            dataLength -= dataLength % frame; // a torn last frame is dropped, never half-used
        return new WavFormat(f.Channels, f.Rate, f.Bits, dataOffset, dataLength);
    }

    private static (int, int, int) ParseFmt(string path, byte[] b)
    {
        // WAVEFORMATEX: tag 0, channels 2, rate 4, avg bytes/s 8, block align 12, bits 14, cbSize 16
        ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(b);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2));
        int rate = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4)));
        int align = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(12));
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(14));
        if (tag == FormatExtensible)
        {
            // WAVEFORMATEXTENSIBLE: cbSize >= 22, valid bits 18, channel mask 20, sub-format GUID 24
            if (b.Length < 40)
                throw Invalid(path, $"declares WAVE_FORMAT_EXTENSIBLE with a {b.Length}-byte fmt chunk (40 needed)");
            if (!b.AsSpan(24, 16).SequenceEqual(PcmSubFormat))
                throw Invalid(path, "is WAVE_FORMAT_EXTENSIBLE but not PCM (e.g. IEEE float); an audio CD needs 16-bit PCM");
        }
        else if (tag != FormatPcm)
        {
            throw Invalid(path, $"is compressed or non-PCM (format tag 0x{tag:X4}); an audio CD needs uncompressed PCM (tag 1)");
        }
        if (channels == 0 || rate == 0 || bits == 0 || bits % 8 != 0 || align != channels * bits / 8)
            throw Invalid(path, $"has an inconsistent fmt chunk ({channels} channels, {rate} Hz, {bits} bits, block align {align})");
        return (channels, rate, bits);
    }

    /// <summary>Streams the PCM bytes of a file read by <see cref="ReadCdFormat"/>.</summary>
    public static Stream OpenData(string path, WavFormat format)
    {
        var fs = Open(path);
        if (fs.Length < format.DataOffset + format.DataLength)
        {
            fs.Dispose();
            throw new ImapiException(ImapiError.SourceChanged, $"{path}: shorter than when its header was read");
        }
        fs.Position = format.DataOffset;
        return new BoundedStream(fs, format.DataLength);
    }

    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImapiException(ImapiError.SourceUnreadable, $"{path}: cannot be read ({e.Message})", e);
        }
    }

    private static ImapiException Invalid(string path, string what) => new(ImapiError.InvalidInput, $"{path}: {what}");

    /// <summary>A read-only view of the next <c>length</c> bytes of a stream (owns it).</summary>
    private sealed class BoundedStream(Stream inner, long length) : Stream
    {
        private readonly long _length = length;
        private long _left = length;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_left <= 0) return 0;
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            _left -= n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _length - _left; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
