using System.Diagnostics;

namespace Duplicator.Host.Tests.Commands;

/// <summary>UDF images mastered by the CLI, burned with verify on emulated DVD+R and BD-R recorders, read back from the disc by 7-Zip.</summary>
public sealed class UdfBurnTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-udfburn-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData("dvd", "udf-bridge", "dvd+r")]
    [InlineData("bd25", "udf", "bd-r")]
    public void A_UDF_image_burned_with_verify_reads_back_equal_from_the_disc(string media, string fileSystem, string profile)
    {
        var src = Path.Combine(_dir, "src");
        var longName = new string('n', 150) + " ünïcødé.bin"; // beyond Joliet: only UDF holds it in full
        Directory.CreateDirectory(Path.Combine(src, "sub"));
        File.WriteAllText(Path.Combine(src, "a.txt"), "alpha");
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(Path.Combine(src, "sub", longName), bytes);
        var iso = Path.Combine(_dir, "in.iso");
        var m = CliRunner.Run("master", src, "-o", iso, "--media", media, "--filesystem", fileSystem);
        Assert.True(m.ExitCode == 0, m.StdErr);
        var r = CliRunner.Run("record", "--drive", $"emulated:{profile}?dir={Path.Combine(_dir, "discs")}&name=d", "--image", iso, "--verify");
        Assert.True(r.ExitCode == 0, r.StdErr);

        var disc = Path.Combine(_dir, "discs", "d", "disc-1.iso");
        var x = Path.Combine(_dir, "x");
        using var p = Process.Start(new ProcessStartInfo("7z", ["x", "-tudf", "-y", "-bd", "-o" + x, disc]) { RedirectStandardOutput = true })!;
        var output = p.StandardOutput.ReadToEnd(); // 7z reports its errors on stdout as well
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"7z -tudf on the burned disc: {output}");
        Assert.Equal("alpha", File.ReadAllText(Path.Combine(x, "a.txt")));
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(x, "sub", longName)));
    }
}
