using System.Net;
using System.Net.Sockets;

namespace Duplicator.Host.Tests.Commands;

/// <summary><c>duplicator copy</c> as a real process on a temp config of emulated drives, the tower run in-process.</summary>
public sealed class CopyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-copy-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Discs => Path.Combine(_dir, "discs");


    /// <summary>A config with drive-1 holding <paramref name="master"/> and two blank DVD+R recorders; nobody listens on its control port.</summary>
    private string Config(string master)
    {
        var path = Path.Combine(_dir, "duplicator.json");
        File.WriteAllText(path, $$"""
            {
              "name": "copy",
              "drives": [
                { "id": "drive-1", "url": "emulated:dvd+r?dir={{Discs}}&name=drive-1&load={{master}}" },
                { "id": "drive-2", "url": "emulated:dvd+r?dir={{Discs}}&name=drive-2" },
                { "id": "drive-3", "url": "emulated:dvd+r?dir={{Discs}}&name=drive-3" }
              ],
              "storage": { "provider": "sqlite", "path": "{{Path.Combine(_dir, "ledger.db")}}" },
              "stash": "{{Path.Combine(_dir, "stash")}}",
              "defaults": { "verify": true, "speed": 0, "failedDiscThreshold": 0, "quarantineAfter": 3, "rejectIfNotBlank": true },
              "control": { "listen": "http://127.0.0.1:{{Duplicator.Tests.FreePorts.Next()}}", "allowedRoots": [ "{{_dir}}" ] },
              "hotFolder": { "enabled": false, "path": "{{Path.Combine(_dir, "hot")}}" },
              "logging": { "level": "Warning" }
            }
            """);
        return path;
    }

    private string MasterIso()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, "readme.txt"), "the master");
        File.WriteAllBytes(Path.Combine(src, "data.bin"), Enumerable.Range(0, 400_000).Select(i => (byte)(i * 13)).ToArray());
        var iso = Path.Combine(_dir, "master.iso");
        var m = CliRunner.Run("master", src, "-o", iso, "--media", "dvd");
        Assert.True(m.ExitCode == 0, m.StdErr);
        return iso;
    }

    [Fact]
    public void Copy_from_the_master_drive_burns_verified_copies_equal_to_the_master_on_the_other_drives()
    {
        var iso = MasterIso();
        var r = CliRunner.Run("copy", "--from", "drive-1", "--copies", "2", "--config", Config(iso), "--wait", "--id", "c1");

        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Contains("batch c1 completed: 2 of 2 good discs", r.StdErr);
        var master = File.ReadAllBytes(iso);
        var copies = Directory.GetFiles(Discs, "disc-*.iso", SearchOption.AllDirectories).Where(f => new FileInfo(f).Length > 0).ToArray();
        Assert.Equal(2, copies.Length);
        Assert.DoesNotContain(copies, c => c.Contains(Path.DirectorySeparatorChar + "drive-1" + Path.DirectorySeparatorChar));
        Assert.All(copies, c => Assert.True(File.ReadAllBytes(c).AsSpan(0, master.Length).SequenceEqual(master), c));
    }

    [Fact]
    public void Copy_from_a_drive_the_config_does_not_have_is_a_usage_error_naming_the_drives()
    {
        var iso = Path.Combine(_dir, "some.iso");
        File.WriteAllBytes(iso, new byte[64 * 2048]);
        var r = CliRunner.Run("copy", "--from", "drive-9", "--copies", "1", "--config", Config(iso));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--from 'drive-9' is not a drive of the config (it has drive-1, drive-2, drive-3)", r.StdErr);
        Assert.False(File.Exists(Path.Combine(_dir, "ledger.db")));
    }
}
