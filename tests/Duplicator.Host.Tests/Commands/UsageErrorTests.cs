namespace Duplicator.Host.Tests.Commands;

/// <summary>
/// Bad command lines and bad inputs tried for real against the executable: usage errors exit 2, other
/// refusals 1, each with one line on stderr and never a stack trace.
/// </summary>
public sealed class UsageErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-usage-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static void AssertOneLine(CliRunner.Result r, int exit, string contains)
    {
        Assert.True(r.ExitCode == exit, $"exit {r.ExitCode}, expected {exit}: {r.StdErr}{r.StdOut}");
        Assert.Contains(contains, r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr + r.StdOut);
        Assert.DoesNotContain("Exception", r.StdErr);
    }

    [Theory]
    [InlineData("frob")]
    [InlineData("master", "--no-such-option")]
    [InlineData("record", "--drive", "emulated:dvd+r", "--speed", "fast", "--image", "x.iso")]
    [InlineData("burn", "--copies", "many", "--folder", "x")]
    public void A_command_line_that_does_not_parse_exits_2(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("duplicator: ", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Theory]
    [InlineData("SRC_DIR: empty path", "master", "", "-o", "x.iso")]
    [InlineData("WAV: empty path", "audio", " ", "-o", "x.cue")]
    [InlineData("--stash: empty path", "audio", "a.wav", "-o", "x.cue", "--stash", "")]
    [InlineData("--image: empty path", "record", "--drive", "emulated:dvd+r", "--image", "")]
    [InlineData("--folder: empty path", "record", "--drive", "emulated:dvd+r", "--folder", "")]
    [InlineData("--speed -5: a multiple of 1x", "record", "--drive", "emulated:dvd+r", "--image", "x.iso", "--speed", "-5")]
    [InlineData("--image: empty path", "burn", "--image", "", "--copies", "1")]
    [InlineData("--joliet-names wide: not one of strict, long, truncate", "master", ".", "-o", "never.iso", "--joliet-names", "wide")]
    public void Empty_paths_and_impossible_values_are_usage_errors_of_one_line(string says, params string[] args)
    {
        var r = CliRunner.Run(args);
        AssertOneLine(r, 2, says);
        Assert.Equal($"duplicator: {says}", r.StdErr.Trim()[..(says.Length + 12)]);
    }

    [Theory]
    [InlineData("iscsi://", "expected iscsi://host:port/iqn/lun")]
    [InlineData("iscsi://h:99999/iqn.x:y/0", "port '99999' is not 1 to 65535")]
    [InlineData("iscsi://h/iqn.x:y/0?login-timeout=0", "login-timeout=SECONDS")]
    [InlineData("emulated:floppy", "profile 'floppy'")]
    [InlineData("emulated:dvd+r?speed=fast", "speed")]
    [InlineData("ftp://x", "not a recorder location")]
    [InlineData("", "empty")]
    public void A_drive_url_that_does_not_parse_is_a_usage_error(string url, string says)
    {
        var iso = Path.Combine(_dir, "x.iso");
        File.WriteAllBytes(iso, new byte[2048]);
        AssertOneLine(CliRunner.Run("record", "--drive", url, "--image", iso), 2, says);
    }

    [Fact]
    public void Dev_null_as_a_drive_is_refused_in_one_line()
    {
        var iso = Path.Combine(_dir, "x.iso");
        File.WriteAllBytes(iso, new byte[2048]);
        var r = CliRunner.Run("record", "--drive", "/dev/null", "--image", iso);
        AssertOneLine(r, 1, "/dev/null: not a SCSI generic or CD device");
        Assert.Equal(Duplicator.Mastering.Images.FileKind.CharacterDevice, Duplicator.Mastering.Images.FileIdentity.Of("/dev/null", followLinks: false).Kind);
        var file = CliRunner.Run("record", "--drive", "/dev/../" + iso.TrimStart('/'), "--image", iso);
        AssertOneLine(file, 1, "not a SCSI device: it is a regular file");
    }

    [Fact]
    public void An_unreadable_or_endless_config_is_refused_in_one_line()
    {
        AssertOneLine(CliRunner.Run("status", "--config", _dir), 1, "it is a directory, not a regular file");
        AssertOneLine(CliRunner.Run("status", "--config", "/dev/zero"), 1, "it is a character device, not a regular file");
        var fifo = Path.Combine(_dir, "fifo.json");
        using (var p = System.Diagnostics.Process.Start("mkfifo", fifo)) p.WaitForExit();
        AssertOneLine(CliRunner.Run("serve", "--config", fifo), 1, "it is a FIFO, not a regular file");
        var big = Path.Combine(_dir, "big.json");
        using (var f = File.Create(big)) f.SetLength(64L << 20);
        AssertOneLine(CliRunner.Run("burn", "--config", big, "--folder", _dir, "--copies", "1"), 1, "larger than 1048576 bytes");
    }

    [Fact]
    public void A_ledger_path_that_is_a_folder_or_a_device_is_refused_in_one_line()
    {
        var config = Path.Combine(_dir, "c.json");
        foreach (var ledger in new[] { _dir, "/dev/null" })
        {
            File.WriteAllText(config, $$"""
                { "drives": [ { "id": "d1", "url": "emulated:dvd+r?dir={{_dir}}/discs&name=d1" } ],
                  "storage": { "path": "{{ledger}}" }, "stash": "{{_dir}}/stash", "control": { "listen": "http://127.0.0.1:9" }, "hotFolder": { "enabled": false } }
                """);
            var r = CliRunner.Run("burn", "--config", config, "--folder", _dir, "--copies", "1", "--wait");
            AssertOneLine(r, 1, $"storage:path: '{ledger}' is a");
            Assert.Contains("not a ledger file", r.StdErr);
        }
        Assert.False(Directory.Exists(Path.Combine(_dir, "discs")));
    }
}
