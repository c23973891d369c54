using System.Security.Cryptography;
using Duplicator.Drivers.Emulation;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Drivers.Tests.Emulation;

/// <summary><c>load=PATH</c> (a master disc from a file) and <c>unreadable=</c> (read errors), through hand-written CDBs.</summary>
public sealed class EmulatedRecorderMasterTests : IDisposable
{
    private const int Block = 2048;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-emu-master-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Iso(int blocks, string name = "m.iso")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, Pattern.Blocks(0, blocks, Block, seed: 3));
        return path;
    }

    private static string Q(string path) => Uri.EscapeDataString(path);

    [Fact]
    public void A_loaded_iso_is_a_finalized_one_track_disc_whose_sectors_are_the_files()
    {
        var iso = Iso(100);
        using var d = EmuDrive.FromUrl($"dvd+r?load={Q(iso)}");
        var di = d.InGood(Cdb.ReadDiscInfo(), 34);
        Assert.Equal(2, di[2] & 0x03);                               // complete
        Assert.Equal((1, 1, 1), (di[4], di[5], di[6]));              // one session, track 1 of 1
        var ti = d.InGood(Cdb.ReadTrackInfo(1, 1), 48);
        Assert.Equal((0u, 100u), (Pattern.U32(ti, 8), Pattern.U32(ti, 24)));
        Assert.Equal(Pattern.Blocks(40, 20, Block, seed: 3), d.InGood(Cdb.Read10(40, 20), 20 * Block));
        Sense.Is(d.In(Cdb.Read10(99, 2), 2 * Block).Result, 0x05, 0x21, 0x00); // past the last sector
        Sense.Is(d.Out(Cdb.Write10(100, 1), new byte[Block]), 0x05, 0x30, 0x05); // finalized: nothing is written
        Assert.Equal(SHA256.HashData(Pattern.Blocks(0, 100, Block, seed: 3)), SHA256.HashData(File.ReadAllBytes(iso)));
    }

    [Fact]
    public void Unreadable_blocks_fail_READ_10_12_and_READ_CD_with_03_11_00_naming_the_first_bad_LBA()
    {
        var iso = Iso(100);
        using var d = EmuDrive.FromUrl($"cd-r?load={Q(iso)}&unreadable=10-12,50&unreadable=70");
        var r = d.In(Cdb.Read10(0, 32), 32 * Block).Result;
        Sense.Is(r, 0x03, 0x11, 0x00);
        Assert.Equal(10u, Sense.Information(r));
        Assert.Equal(12u, Sense.Information(d.In(Cdb.Read12(12, 1), Block).Result));
        Assert.Equal(50u, Sense.Information(d.In(Cdb.ReadCd(45, 10, expectedType: 2), 10 * Block).Result));
        Sense.Is(d.In(Cdb.Read10(70, 1), Block).Result, 0x03, 0x11, 0x00);
        Assert.Equal(Pattern.Blocks(13, 37, Block, seed: 3), d.InGood(Cdb.Read10(13, 37), 37 * Block)); // between them all reads
        Assert.Equal(Pattern.Blocks(71, 29, Block, seed: 3), d.InGood(Cdb.Read10(71, 29), 29 * Block));
    }

    [Fact]
    public void A_disc_the_emulator_burned_loads_with_the_tracks_of_its_sidecar()
    {
        string image;
        using (var burner = EmuDrive.FromUrl("dvd+r"))
        {
            Sense.Good(burner.Out(Cdb.Write10(0, 32), Pattern.Blocks(0, 32, Block, seed: 8)));
            Sense.Good(burner.Run(Cdb.SyncCache()));
            Sense.Good(burner.Run(Cdb.Close(1, 1)));
            Sense.Good(burner.Run(Cdb.Close(6)));
            image = burner.Recorder.CurrentImagePath!;
            burner.Recorder.Dispose();
            File.Copy(image, Path.Combine(_dir, "disc-1.iso"));
            File.Copy(Path.ChangeExtension(image, ".json"), Path.Combine(_dir, "disc-1.json"));
        }

        using var d = EmuDrive.FromUrl($"dvd+r?load={Q(Path.Combine(_dir, "disc-1.iso"))}");
        Assert.Equal(Pattern.Blocks(0, 32, Block, seed: 8), d.InGood(Cdb.Read10(0, 32), 32 * Block));
        Assert.Null(d.Recorder.CurrentImagePath);
        // a sidecar saying the disc is not finished, or of another medium, is refused
        File.WriteAllText(Path.Combine(_dir, "disc-1.json"), File.ReadAllText(Path.Combine(_dir, "disc-1.json")).Replace("\"complete\"", "\"appendable\""));
        var e = Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:dvd+r?load={Q(Path.Combine(_dir, "disc-1.iso"))}"));
        Assert.Contains("takes a finalized (complete) disc", e.Message);
        var other = Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:bd-r?load={Q(Path.Combine(_dir, "disc-1.iso"))}"));
        Assert.Contains("describes a dvd+r disc, the drive holds bd-r media", other.Message);
    }

    [Theory]
    [InlineData("missing.iso", "", "no such file")]
    [InlineData("odd.iso", "", "is not a whole number of 2048-byte sectors")]
    [InlineData("m.iso", "&capacity=99", "100 sectors do not fit the dvd+r's 99 blocks")]
    [InlineData("m.iso", "&state=closed", "state= cannot also be given")]
    [InlineData("m.iso", "&load=x", "load is given twice")]
    [InlineData("m.iso", "&unreadable=20-10", "unreadable range '20-10' ends before it starts")]
    [InlineData("m.iso", "&unreadable=2295104", "unreadable LBA '2295104' is not 0..2295103")]
    [InlineData("m.iso", "&unreadable=5-x", "unreadable LBA 'x'")]
    [InlineData("m.iso", "&unreadable=", "unreadable LBA ''")]
    public void Bad_load_and_unreadable_parameters_are_InvalidInput_naming_the_limit(string file, string extra, string message)
    {
        Iso(100);
        File.WriteAllBytes(Path.Combine(_dir, "odd.iso"), new byte[3000]);
        var e = Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:dvd+r?load={Q(Path.Combine(_dir, file))}{extra}"));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void An_empty_drive_or_a_DVD_plus_RW_takes_no_master_and_unreadable_ranges_are_bounded_in_number()
    {
        var iso = Iso(10);
        Assert.Contains("not none", Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:none?load={Q(iso)}")).Message);
        Assert.Contains("not dvd+rw", Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:dvd+rw?load={Q(iso)}")).Message);
        var many = string.Join(",", Enumerable.Range(0, EmulatedRecorderUrl.MaxUnreadableRanges + 1));
        Assert.Contains("more than 1024 unreadable ranges", Assert.Throws<ImapiException>(() => EmulatedRecorder.FromUrl($"emulated:dvd+r?unreadable={many}")).Message);
    }
}
