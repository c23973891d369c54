using System.Buffers.Binary;

namespace Duplicator.Drivers.Mmc;

/// <summary>
/// The answer of READ BUFFER CAPACITY (MMC-6 6.25): data length 0-1, byte 3 bit 0 BLOCK, buffer length
/// 4-7 (bytes; reserved in block form), blank length of buffer 8-11 (bytes, or blocks in block form).
/// </summary>
/// <param name="InBlocks">True when the drive answered in block form (BLOCK = 1): <paramref name="BlankLength"/> counts blocks, <paramref name="BufferLength"/> is 0.</param>
/// <param name="BufferLength">Size of the drive's write buffer, bytes.</param>
/// <param name="BlankLength">Free space in the buffer, bytes (or blocks).</param>
public sealed record BufferCapacity(bool InBlocks, long BufferLength, long BlankLength)
{
    private const int BlockOffset = 3;             // bit 0 BLOCK
    private const int BufferLengthOffset = 4;
    private const int BlankLengthOffset = 8;
    private const int Size = 12;

    /// <summary>Bytes in the buffer waiting to be written (byte form only).</summary>
    public long FilledBytes => InBlocks ? 0 : Math.Max(0, BufferLength - BlankLength);

    /// <summary>Decodes the 12-byte answer.</summary>
    /// <exception cref="InvalidDataException">Fewer than 12 bytes.</exception>
    public static BufferCapacity Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < Size)
            throw new InvalidDataException($"READ BUFFER CAPACITY: {data.Length} bytes, needs {Size}");
        bool blocks = (data[BlockOffset] & 0x01) != 0;
        return new BufferCapacity(blocks,
            blocks ? 0 : BinaryPrimitives.ReadUInt32BigEndian(data[BufferLengthOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[BlankLengthOffset..]));
    }
}
