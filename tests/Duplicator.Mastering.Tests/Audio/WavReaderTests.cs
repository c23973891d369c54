using System.Buffers.Binary;
using Duplicator.Mastering.Audio;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Tests.Oracles;

namespace Duplicator.Mastering.Tests.Audio;

public sealed class WavReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-wav-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Save(string name, byte[] bytes)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static byte[] ReadPcm(string path)
    {
        var f = WavReader.ReadCdFormat(path);
        using var s = WavReader.OpenData(path, f);
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>sox, an independent decoder, must get the same PCM out of the file.</summary>
    private byte[] SoxPcm(string path)
    {
        var raw = Path.Combine(_dir, Path.GetFileName(path) + ".raw");
        var r = ExternalTool.Run("sox", [path, "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "2", "-r", "44100", "-L", raw]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        return File.ReadAllBytes(raw);
    }

    [Fact]
    public void Plain_pcm_extensible_and_files_with_extra_odd_chunks_read_as_sox_reads_them()
    {
        var pcm = Wav.Pcm(10_001);
        var plain = Save("plain.wav", Wav.Cd(pcm));
        var ext = Save("ext.wav", Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt(extensible: true)), Wav.Chunk("data", pcm)));
        var odd = Save("odd.wav", Wav.Riff(Wav.Chunk("LIST", new byte[7]), Wav.Chunk("fmt ", Wav.Fmt()), Wav.Chunk("bext", new byte[3]), Wav.Chunk("data", pcm), Wav.Chunk("id3 ", new byte[5])));
        foreach (var f in new[] { plain, ext, odd })
        {
            Assert.Equal(pcm, ReadPcm(f));
            Assert.Equal(pcm, SoxPcm(f));
        }
    }

    [Fact]
    public void Open_ended_sizes_from_streaming_writers_take_the_rest_of_the_file()
    {
        var pcm = Wav.Pcm(500);
        var bytes = Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt()), Wav.Chunk("data", pcm, declared: 0xFFFFFFFF));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 0xFFFFFFFF);
        Assert.Equal(pcm, ReadPcm(Save("stream.wav", bytes)));
    }

    [Theory]
    [InlineData(1, 44100, 16, "1 channel(s)")]
    [InlineData(2, 48000, 16, "48000 Hz")]
    [InlineData(2, 44100, 24, "24-bit")]
    [InlineData(2, 44100, 8, "8-bit")]
    public void Other_pcm_formats_are_refused_naming_what_was_found_and_what_is_needed(int channels, int rate, int bits, string found)
    {
        var path = Save("x.wav", Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt(channels, rate, bits)), Wav.Chunk("data", Wav.Pcm(100, channels: channels, bits: bits))));
        var e = Assert.Throws<ImapiException>(() => WavReader.ReadCdFormat(path));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains(path, e.Message);
        Assert.Contains(found, e.Message);
        Assert.Contains("needs 44100 Hz, 16-bit, 2 channels", e.Message);
    }

    public static TheoryData<string, byte[], string> Broken() => new()
    {
        { "empty", [], "too short" },
        { "not riff", "RIFX\0\0\0\0WAVEfmt "u8.ToArray(), "not a RIFF/WAVE" },
        { "no fmt", Wav.Riff(Wav.Chunk("data", new byte[8])), "no fmt chunk" },
        { "no data", Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt())), "no data chunk" },
        { "truncated data", Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt()), Wav.Chunk("data", new byte[100], declared: 1_000_000)), "truncated" },
        { "chunk past end", Wav.Riff(Wav.Chunk("LIST", new byte[4], declared: 0x7FFFFFF0), Wav.Chunk("fmt ", Wav.Fmt())), "no fmt chunk" },
        { "huge fmt", Wav.Riff(Wav.Chunk("fmt ", new byte[16], declared: 0xFFFFFFFF)), "fmt chunk of 4294967295 bytes" },
        { "tiny fmt", Wav.Riff(Wav.Chunk("fmt ", new byte[4])), "fmt chunk of 4 bytes" },
        { "mp3 in wav", Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt(tag: 0x55)), Wav.Chunk("data", new byte[8])), "tag 0x0055" },
        { "float extensible", Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt(extensible: true, floatSub: true)), Wav.Chunk("data", new byte[8])), "not PCM" },
        { "zero channels", Wav.Riff(Wav.Chunk("fmt ", Wav.Fmt(channels: 0)), Wav.Chunk("data", new byte[8])), "inconsistent fmt" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Malformed_and_hostile_headers_are_a_clear_InvalidInput(string name, byte[] bytes, string expected)
    {
        var path = Save(name.Replace(' ', '_') + ".wav", bytes);
        var e = Assert.Throws<ImapiException>(() => WavReader.ReadCdFormat(path));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Random_corruption_never_crashes_only_InvalidInput_or_a_valid_format()
    {
        var good = Wav.Riff(Wav.Chunk("LIST", new byte[10]), Wav.Chunk("fmt ", Wav.Fmt()), Wav.Chunk("data", Wav.Pcm(64)));
        var rnd = new Random(7);
        for (int i = 0; i < 300; i++)
        {
            var bytes = (byte[])good.Clone();
            for (int k = 0; k < 4; k++) bytes[rnd.Next(bytes.Length)] = (byte)rnd.Next(256);
            if (rnd.Next(4) == 0) Array.Resize(ref bytes, rnd.Next(bytes.Length));
            var path = Save("fuzz.wav", bytes);
            try
            {
                var f = WavReader.ReadFormat(path);
                Assert.InRange(f.DataOffset + f.DataLength, 0, bytes.Length);
            }
            catch (ImapiException e)
            {
                Assert.Equal(ImapiError.InvalidInput, e.Code);
            }
        }
    }
}
