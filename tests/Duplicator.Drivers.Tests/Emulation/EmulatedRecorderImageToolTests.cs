using System.Diagnostics;
using Duplicator.Drivers.Emulation;

namespace Duplicator.Drivers.Tests.Emulation;

/// <summary>The burned image file is checked by tools nobody here wrote (xorriso makes the ISO, isoinfo reads the burn).</summary>
public sealed class EmulatedRecorderImageToolTests
{
    private static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start (is it installed? scripts/install-deps.sh)");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }

    [Fact]
    public void Iso_made_by_xorriso_burned_to_DVD_plus_R_is_listed_by_isoinfo_from_the_burned_file()
    {
        using var d = new EmuDrive(EmulatedProfile.DvdPlusR);
        var source = Path.Combine(d.Root, "src");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "HELLO.TXT"), string.Concat(Enumerable.Repeat("emulated burn ", 5000)));
        var iso = Path.Combine(d.Root, "in.iso");
        Run("xorriso", "-as", "mkisofs", "-quiet", "-V", "EMUTEST", "-o", iso, source);

        var image = File.ReadAllBytes(iso);
        Assert.Equal(0, image.Length % 2048);
        var blocks = image.Length / 2048;
        for (var lba = 0; lba < blocks; lba += 32)
        {
            var n = Math.Min(32, blocks - lba);
            Sense.Good(d.Out(Cdb.Write10(lba, n), image[(lba * 2048)..((lba + n) * 2048)]));
        }

        Sense.Good(d.Run(Cdb.SyncCache()));
        Sense.Good(d.Run(Cdb.Close(1, 1)));
        Sense.Good(d.Run(Cdb.Close(2)));
        Sense.Good(d.Run(Cdb.Close(6)));

        var burned = d.Recorder.CurrentImagePath!;
        Assert.Equal(image, File.ReadAllBytes(burned));
        var pvd = Run("isoinfo", "-d", "-i", burned);
        Assert.Contains("Volume id: EMUTEST", pvd);
        var listing = Run("isoinfo", "-f", "-i", burned);
        Assert.Contains("/HELLO.TXT", listing.ToUpperInvariant());
    }
}
