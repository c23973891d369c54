using System.Buffers.Binary;
using System.Diagnostics;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Tests.Audio;

/// <summary>
/// Random and mutated WAV files from a seeded generator: the reader either accepts a file (and then its
/// data stream holds exactly the bytes it promised) or refuses it with a clear <see cref="ImapiException"/>;
/// never another exception, and never memory or time driven by what a header claims.
/// </summary>
public sealed class WavReaderFuzzTests : IDisposable
{
    private const long MaxAllocatedPerInput = 1 << 20; // the reader's own buffers, not the header's sizes
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-wavfuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly uint[] Sizes = [0, 1, 15, 16, 17, 18, 40, 1023, 1024, 1025, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF];

    // A valid CD WAV, then 1-6 mutations: flipped bytes, a chunk size set to an extreme, a truncation,
    // an inserted chunk, swapped chunk ids, or a whole file of noise.
    private static byte[] Mutant(Random r)
    {
        if (r.Next(10) == 0)
        {
            var noise = new byte[r.Next(0, 200)];
            r.NextBytes(noise);
            if (noise.Length >= 12 && r.Next(2) == 0) { "RIFF"u8.CopyTo(noise); "WAVE"u8.CopyTo(noise.AsSpan(8)); }
            return noise;
        }
        var chunks = new List<byte[]> { Wav.Chunk("fmt ", r.Next(4) == 0 ? Wav.Fmt(extensible: true) : Wav.Fmt()) };
        if (r.Next(3) == 0) chunks.Insert(r.Next(2), Wav.Chunk(r.Next(2) == 0 ? "LIST" : "junk", Wav.Pcm(r.Next(0, 40), r.Next())));
        chunks.Add(Wav.Chunk("data", Wav.Pcm(r.Next(0, 3000), r.Next())));
        var b = Wav.Riff([.. chunks]);
        int mutations = r.Next(1, 7);
        for (int m = 0; m < mutations && b.Length > 0; m++)
        {
            switch (r.Next(6))
            {
                case 0: b[r.Next(b.Length)] ^= (byte)(1 << r.Next(8)); break;
                case 1: // a chunk size (or the fmt fields) set to an extreme at a chunk-header-like offset
                    int at = Math.Min(b.Length - 4, new[] { 4, 16, 20, 24, 28, 34, 36, 40, 44 + r.Next(0, 60) }[r.Next(9)]);
                    if (at >= 0) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), Sizes[r.Next(Sizes.Length)]);
                    break;
                case 2: b = b[..r.Next(b.Length)]; break;
                case 3: b[r.Next(b.Length)] = (byte)r.Next(256); break;
                case 4: // fmt fields: channels, rate, align, bits to random small or extreme values
                    if (b.Length >= 36)
                    {
                        int field = new[] { 22, 24, 32, 34 }[r.Next(4)];
                        if (field == 24) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(field), Sizes[r.Next(Sizes.Length)]);
                        else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(field), (ushort)(r.Next(2) == 0 ? r.Next(0, 65536) : r.Next(0, 9)));
                    }
                    break;
                case 5: if (b.Length >= 16) "data"u8.CopyTo(b.AsSpan(12)); break; // data before fmt
            }
        }
        return b;
    }

    [Fact]
    public void Mutated_wav_files_are_accepted_consistently_or_refused_with_a_clear_error()
    {
        var r = new Random(20261201);
        var path = Path.Combine(_dir, "fuzz.wav");
        int accepted = 0, refused = 0;
        for (int i = 0; i < 3000; i++)
        {
            var bytes = Mutant(r);
            File.WriteAllBytes(path, bytes);
            var watch = Stopwatch.StartNew();
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var f = WavReader.ReadFormat(path);
                Assert.True(f.DataOffset >= 12 && f.DataLength >= 0 && f.DataOffset + f.DataLength <= bytes.Length, $"input {i}: {f} outside a {bytes.Length}-byte file");
                Assert.Equal(0, f.DataLength % (f.Channels * f.BitsPerSample / 8));
                using var data = WavReader.OpenData(path, f);
                using var copy = new MemoryStream();
                data.CopyTo(copy);
                Assert.Equal(bytes.AsSpan((int)f.DataOffset, (int)f.DataLength).ToArray(), copy.ToArray());
                accepted++;
            }
            catch (ImapiException e)
            {
                Assert.True(e.Code == ImapiError.InvalidInput, $"input {i}: {e.Code}: {e.Message}");
                Assert.StartsWith(path, e.Message);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {i} ({Convert.ToHexString(bytes.AsSpan(0, Math.Min(64, bytes.Length)))}...): {e.GetType().Name}: {e.Message}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < MaxAllocatedPerInput + 2L * bytes.Length, $"input {i}: {allocated} bytes allocated for a {bytes.Length}-byte file");
            Assert.True(watch.Elapsed < HangGuard, $"input {i}: {watch.Elapsed}");
        }
        Assert.True(accepted > 50 && refused > 500, $"the generator must reach both outcomes: {accepted} accepted, {refused} refused");
    }

    [Fact]
    public void A_header_claiming_a_4_GB_data_chunk_costs_no_4_GB()
    {
        var path = Path.Combine(_dir, "claims.wav");
        File.WriteAllBytes(path, Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt()), Wav.Chunk("data", Wav.Pcm(100), declared: 0xFFFFFFF0)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImapiException>(() => WavReader.ReadCdFormat(path));
        Assert.Contains("declares 4294967280 bytes", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < MaxAllocatedPerInput);

        // And a sparse file that really is 4 GiB long: accepted, its header read and its data streamed
        // with the reader's fixed buffers only.
        var big = Path.Combine(_dir, "big.wav");
        var head = Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt()), Wav.Chunk("data", [], declared: 0xFFFFFFF0));
        using (var fs = new FileStream(big, FileMode.CreateNew))
        {
            fs.Write(head);
            fs.SetLength(head.Length + 0xFFFFFFF0L);
        }
        before = GC.GetAllocatedBytesForCurrentThread();
        var f = WavReader.ReadCdFormat(big);
        Assert.Equal(0xFFFFFFF0L, f.DataLength);
        using (var data = WavReader.OpenData(big, f))
        {
            var chunk = new byte[64 * 1024];
            for (int i = 0; i < 16; i++) data.ReadExactly(chunk);
        }
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < MaxAllocatedPerInput + 64 * 1024, "reading a 4 GiB file's header and first MiB");
    }
}
