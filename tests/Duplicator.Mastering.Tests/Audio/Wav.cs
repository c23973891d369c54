using System.Buffers.Binary;

namespace Duplicator.Mastering.Tests.Audio;

/// <summary>Builds WAV files byte by byte, including broken ones.</summary>
public static class Wav
{
    public static byte[] Pcm(int frames, int seed = 1, int channels = 2, int bits = 16)
    {
        var pcm = new byte[frames * channels * bits / 8];
        new Random(seed).NextBytes(pcm);
        return pcm;
    }

    public static byte[] Sine(int frames, double hz = 440)
    {
        var pcm = new byte[frames * 4];
        for (int i = 0; i < frames; i++)
        {
            short v = (short)(Math.Sin(2 * Math.PI * hz * i / 44100) * 12000);
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 4), v);
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 4 + 2), (short)-v);
        }
        return pcm;
    }

    public static byte[] Fmt(int channels = 2, int rate = 44100, int bits = 16, ushort tag = 1, bool extensible = false, bool floatSub = false)
    {
        var b = new byte[extensible ? 40 : 16];
        BinaryPrimitives.WriteUInt16LittleEndian(b, extensible ? (ushort)0xFFFE : tag);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), (ushort)channels);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)rate);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), (uint)(rate * channels * bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(12), (ushort)(channels * bits / 8));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(14), (ushort)bits);
        if (extensible)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 22);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), (ushort)bits);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 3);
            byte[] sub = [floatSub ? (byte)3 : (byte)1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71];
            sub.CopyTo(b, 24);
        }
        return b;
    }

    public static byte[] Chunk(string id, byte[] body, uint? declared = null)
    {
        var b = new byte[8 + body.Length + (body.Length & 1)];
        System.Text.Encoding.ASCII.GetBytes(id).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), declared ?? (uint)body.Length);
        body.CopyTo(b, 8);
        return b;
    }

    public static byte[] Riff(params byte[][] chunks)
    {
        var body = chunks.SelectMany(c => c).ToArray();
        var b = new byte[12 + body.Length];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(4 + body.Length));
        "WAVE"u8.CopyTo(b.AsSpan(8));
        body.CopyTo(b, 12);
        return b;
    }

    public static byte[] Cd(byte[] pcm) => Riff(Chunk("fmt ", Fmt()), Chunk("data", pcm));
}
