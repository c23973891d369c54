using System.Diagnostics;

namespace Duplicator.Host.Tests.Commands;

/// <summary>`burn --per-disc FILE`: a section that cannot give every disc its data is refused before anything is burned.</summary>
public sealed class PerDiscBurnTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-perdisc-burn-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Config(string driveQuery = "")
    {
        var path = Path.Combine(_dir, "duplicator.json");
        var port = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        port.Start();
        int p = ((System.Net.IPEndPoint)port.LocalEndpoint).Port;
        port.Stop();
        File.WriteAllText(path, $$"""
            {
              "name": "t",
              "drives": [ { "id": "d1", "url": "emulated:dvd+r?dir={{Path.Combine(_dir, "discs")}}&name=d1{{driveQuery}}" } ],
              "storage": { "provider": "sqlite", "path": "{{Path.Combine(_dir, "ledger.db")}}" },
              "stash": "{{Path.Combine(_dir, "stash")}}",
              "control": { "listen": "http://127.0.0.1:{{p}}" }
            }
            """);
        return path;
    }

    private (int ExitCode, string StdErr) Burn(string perDiscJson, string csv, int copies)
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, "a.txt"), "a");
        File.WriteAllText(Path.Combine(_dir, "keys.csv"), csv);
        var section = Path.Combine(_dir, "perdisc.json");
        File.WriteAllText(section, perDiscJson.Replace("KEYS", Path.Combine(_dir, "keys.csv")));
        var r = CliRunner.Run("burn", "--config", Config(), "--folder", src, "--copies", copies.ToString(System.Globalization.CultureInfo.InvariantCulture), "--per-disc", section);
        return (r.ExitCode, r.StdErr);
    }

    private const string Section = """
        { "serialStart": 1000, "values": "KEYS", "volume": "DATA_{serial}",
          "files": [ { "path": "SERIAL.TXT", "maxBytes": 32, "template": "Serial {serial:000000}\nKey {key}\n" } ] }
        """;

    [Fact]
    public void A_csv_with_fewer_rows_than_copies_is_refused_naming_the_csv_and_nothing_is_burned()
    {
        var (code, err) = Burn(Section, "key\nK1\nK2\n", copies: 3);
        Assert.NotEqual(0, code);
        Assert.Contains("perDisc.values: keys.csv has 2 rows for 3 copies", err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "discs")) && Directory.EnumerateFiles(Path.Combine(_dir, "discs"), "*.iso", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void A_value_over_the_declared_size_is_refused_naming_the_row_and_the_field()
    {
        var (code, err) = Burn(Section, "key\nK1\nTHIS-KEY-IS-FAR-TOO-LONG-FOR-32-BYTES\nK3\n", copies: 3);
        Assert.NotEqual(0, code);
        Assert.Contains("row 2 of keys.csv (serial 1001): perDisc.files[0] (SERIAL.TXT) renders to 56 bytes, its maxBytes is 32", err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "stash")) && Directory.EnumerateFiles(Path.Combine(_dir, "stash"), "*.iso", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void Serial_numbered_udf_bridge_discs_burned_with_verify_read_back_with_their_own_serials_and_volume_names_on_the_udf_and_joliet_sides()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, "a.txt"), "a");
        var longName = new string('n', 120) + ".txt"; // beyond Joliet: the bridge's UDF side holds it in full
        File.WriteAllText(Path.Combine(src, longName), "long");
        File.WriteAllText(Path.Combine(_dir, "keys.csv"), "key\nK1\nK2\nK3\n");
        var section = Path.Combine(_dir, "perdisc.json");
        File.WriteAllText(section, Section.Replace("KEYS", Path.Combine(_dir, "keys.csv")));
        var r = CliRunner.Run("burn", "--config", Config("&autoreload=true"), "--folder", src, "--copies", "3", "--per-disc", section, "--filesystem", "udf-bridge", "--verify", "--wait");
        Assert.True(r.ExitCode == 0, r.StdErr);

        var serials = new HashSet<string>();
        foreach (var disc in Directory.EnumerateFiles(Path.Combine(_dir, "discs", "d1"), "disc-*.iso"))
        {
            var x = Path.Combine(_dir, "x-" + Path.GetFileNameWithoutExtension(disc));
            using (var p = Process.Start(new ProcessStartInfo("7z", ["x", "-tudf", "-y", "-bd", "-o" + x, disc]) { RedirectStandardOutput = true })!)
            {
                var output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, $"7z -tudf on {disc}: {output}");
            }
            var serial = File.ReadAllText(Path.Combine(x, "SERIAL.TXT"));
            Assert.Matches(@"^Serial 00100[0-2]\nKey K[1-3]\n$", serial);
            Assert.Equal("long", File.ReadAllText(Path.Combine(x, longName)));
            Assert.Equal("a", File.ReadAllText(Path.Combine(x, "a.txt")));
            using (var p = Process.Start(new ProcessStartInfo("isoinfo", ["-J", "-i", disc, "-x", "/SERIAL.TXT"]) { RedirectStandardOutput = true })!)
            {
                var joliet = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.Equal(serial, joliet); // the Joliet side's record carries the same file at its own size
            }
            // The volume name template reaches the UDF descriptors too (udfinfo's label is the logical volume's).
            using (var p = Process.Start(new ProcessStartInfo("udfinfo", [disc]) { RedirectStandardOutput = true })!)
            {
                var info = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.Contains($"label=DATA_{serial.Substring(7, 6).TrimStart('0')}\n", info);
            }
            serials.Add(serial);
        }
        Assert.Equal(3, serials.Count);
    }

    [Fact]
    public void A_malformed_csv_and_an_unknown_key_are_refused_naming_the_line_and_the_key()
    {
        var (code, err) = Burn(Section, "key\nK1\n\"K2\nK3\n", copies: 2);
        Assert.NotEqual(0, code);
        Assert.Contains("a quoted field is never closed", err);
        (code, err) = Burn(Section.Replace("\"volume\"", "\"colour\": 1, \"volume\""), "key\nK1\nK2\n", copies: 2);
        Assert.NotEqual(0, code);
        Assert.Contains("perDisc.colour: unknown key", err);
    }
}
