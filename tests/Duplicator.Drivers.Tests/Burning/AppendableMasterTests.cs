using System.Security.Cryptography;
using Duplicator.Drivers.Burning;
using Duplicator.Drivers.Emulation;
using Duplicator.Drivers.Imapi;
using Duplicator.Drivers.Mmc;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

using static Duplicator.Drivers.Tests.Burning.SessionFixture;

namespace Duplicator.Drivers.Tests.Burning;

/// <summary>
/// <c>load=PATH&amp;state=appendable</c>: a pre-recorded disc loaded open for another session; a session appended to it
/// goes into the drive's own disc file (the loaded file is never written) and xorriso / isoinfo read old and new files.
/// </summary>
public sealed class AppendableMasterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-appendable-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Folder(string name, params (string Path, int Bytes)[] files) => SessionFixture.Folder(_dir, name, files);

    private static string Q(string path) => Uri.EscapeDataString(path);

    [Theory]
    [InlineData("dvd+r")]
    [InlineData("cd-r")]
    public void A_disc_the_emulator_left_appendable_loads_appendable_and_takes_a_session_in_the_drives_own_file(string profile)
    {
        var one = Folder("one", ("OLD.TXT", 5000), ("docs/a.bin", 70_000));
        var two = Folder("two", ("NEW.TXT", 3000), ("docs/b.bin", 90_000));
        string master;
        using (var burner = EmulatedRecorder.FromUrl($"emulated:{profile}?dir={_dir}&name=burner"))
        using (var drive = new MmcDevice(burner))
        {
            DataSessionWriter.Append(drive, Session(one, "S1"), new RecordOptions(), finalize: false, new Quiet(), CancellationToken.None);
            master = burner.CurrentImagePath!;
        }

        Assert.Contains("\"appendable\"", File.ReadAllText(Path.ChangeExtension(master, ".json")));
        var before = SHA256.HashData(File.ReadAllBytes(master));
        var sidecarBefore = File.ReadAllText(Path.ChangeExtension(master, ".json"));
        using var emu = EmulatedRecorder.FromUrl($"emulated:{profile}?dir={_dir}&name=bay&load={Q(master)}&state=appendable");
        using var bay = new MmcDevice(emu);
        Assert.Equal(DiscStatus.Incomplete, bay.ReadDiscInformation().Status);
        Assert.Null(emu.CurrentImagePath); // nothing written yet: the disc is read from the loaded file

        var (second, readBack) = DataSessionWriter.Append(bay, Session(two, "S2"), new RecordOptions().WithVerification(VerificationLevel.Full),
            finalize: false, new Quiet(), CancellationToken.None);
        Assert.NotNull(readBack);
        Assert.True(second > 0);
        Assert.Equal((2, 2, second), bay.ReadSessionInfo());
        var disc = emu.CurrentImagePath!;
        Assert.StartsWith(Path.Combine(_dir, "bay"), disc);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(master))); // the loaded file is never written
        Assert.Equal(sidecarBefore, File.ReadAllText(Path.ChangeExtension(master, ".json")));
        Assert.Equal(["/NEW.TXT", "/OLD.TXT", "/docs", "/docs/a.bin", "/docs/b.bin"], Sorted(Run("isoinfo", "-i", disc, "-T", second.ToString(), "-J", "-f")));
        Assert.Equal(["/OLD.TXT", "/docs", "/docs/a.bin"], Sorted(Run("isoinfo", "-i", disc, "-T", "0", "-J", "-f")));
        var outLast = Path.Combine(_dir, "x");
        Run("xorriso", "-abort_on", "FAILURE", "-indev", disc, "-load", "sbsector", second.ToString(), "-osirrox", "on", "-extract", "/", outLast);
        foreach (var (folder, rel) in new[] { (one, "OLD.TXT"), (one, "docs/a.bin"), (two, "NEW.TXT"), (two, "docs/b.bin") })
            Assert.True(File.ReadAllBytes(Path.Combine(folder, rel)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outLast, rel))), $"{rel} differs in the last session");
    }

    [Fact]
    public void A_plain_iso_loads_appendable_as_one_closed_session_and_a_closed_state_or_an_audio_disc_is_refused()
    {
        var one = Folder("one", ("OLD.TXT", 5000));
        var s = new JolietStaging(MediaKind.Dvd) { Properties = new JolietProperties(VolumeName: "PLAIN") };
        s.AddData(one, false);
        var iso = Path.Combine(_dir, "plain.iso");
        s.Build().WriteTo(iso);

        using (var emu = EmulatedRecorder.FromUrl($"emulated:dvd+r?dir={_dir}&name=bay&load={Q(iso)}&state=appendable"))
        using (var bay = new MmcDevice(emu))
        {
            Assert.Equal(DiscStatus.Incomplete, bay.ReadDiscInformation().Status);
            var (start, _) = DataSessionWriter.Append(bay, Session(Folder("two", ("NEW.TXT", 100)), "PLAIN"), new RecordOptions(), false, new Quiet(), CancellationToken.None, "plain", "OLD.TXT");
            Assert.Equal(["/NEW.TXT", "/OLD.TXT"], Sorted(Run("isoinfo", "-i", emu.CurrentImagePath!, "-T", start.ToString(), "-J", "-f")));
        }

        Assert.Contains("state= cannot also be given", Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:dvd+r?load={Q(iso)}&state=closed")).Message);
        File.WriteAllBytes(Path.Combine(_dir, "a.bin"), new byte[2352 * 4]);
        Assert.Contains("state=appendable takes a data disc", Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:cd-r?load={Q(Path.Combine(_dir, "a.bin"))}&state=appendable")).Message);
    }
}
