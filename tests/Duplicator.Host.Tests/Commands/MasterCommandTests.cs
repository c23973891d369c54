namespace Duplicator.Host.Tests.Commands;

public sealed class MasterCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Folder(string name, params (string Path, string Text)[] files)
    {
        var root = Path.Combine(_dir, name);
        Directory.CreateDirectory(root);
        foreach (var (p, t) in files)
        {
            var full = Path.Combine(root, p);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, t);
        }
        return root;
    }

    private string Out => Path.Combine(_dir, "out.iso");

    private void AssertNoOutput()
    {
        Assert.False(File.Exists(Out), "a failed master must leave no image");
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.TopDirectoryOnly).Concat(Directory.GetFiles(_dir, ".out.iso*")));
    }

    [Fact]
    public void Master_writes_the_image_and_prints_used_and_total_blocks()
    {
        var a = Folder("a", ("one.txt", "1"));
        var b = Folder("b", ("two/three.txt", "3"));
        var r = CliRunner.Run("master", a, b, "-o", Out, "--volume", "CLI", "--media", "cd80");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Matches(@"2 files, \d+ of 360000 blocks of 2048 bytes used \(cd80\)", r.StdOut);
        Assert.True(new FileInfo(Out).Length > 18 * 2048);
        var x = Path.Combine(_dir, "x");
        Directory.CreateDirectory(x);
        var psi = System.Diagnostics.Process.Start("bsdtar", ["--options", "iso9660:!rockridge", "-xf", Out, "-C", x])!;
        psi.WaitForExit();
        Assert.Equal("3", File.ReadAllText(Path.Combine(x, "two", "three.txt")));
    }

    [Fact]
    public void Missing_folder_exits_non_zero_naming_it_and_writes_nothing()
    {
        var missing = Path.Combine(_dir, "no-such-folder");
        var r = CliRunner.Run("master", missing, "-o", Out);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("IMAPI_E_SOURCEUNREADABLE", r.StdErr);
        Assert.Contains(missing, r.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void Clash_without_overwrite_is_FileExists_and_with_it_succeeds()
    {
        var a = Folder("a", ("same.txt", "1"));
        var b = Folder("b", ("same.txt", "2"));
        var r = CliRunner.Run("master", a, b, "-o", Out);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("IMAPI_E_FILEEXISTS", r.StdErr);
        Assert.Contains("/same.txt", r.StdErr);
        AssertNoOutput();
        Assert.Equal(0, CliRunner.Run("master", a, b, "-o", Out, "--overwrite").ExitCode);
    }

    [Fact]
    public void Too_much_data_for_the_media_is_DiscFull_naming_the_limit()
    {
        var a = Folder("a");
        using (var f = File.Create(Path.Combine(a, "sparse 700 MB.bin"))) f.SetLength(700L * 1024 * 1024);
        var r = CliRunner.Run("master", a, "-o", Out, "--media", "cd74");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("IMAPI_E_DISCFULL", r.StdErr);
        Assert.Contains("the medium holds 333000", r.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void Long_names_are_BadJolietName_unless_a_policy_is_chosen()
    {
        var name = new string('l', 70) + ".txt";
        var a = Folder("a", (name, "long"));
        var r = CliRunner.Run("master", a, "-o", Out, "--filesystem", "joliet");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("IMAPI_E_BADJOLIETNAME", r.StdErr);
        Assert.Contains(name, r.StdErr);
        AssertNoOutput();
        Assert.Equal(0, CliRunner.Run("master", a, "-o", Out, "--filesystem", "joliet", "--joliet-names", "long").ExitCode);
        var t = CliRunner.Run("master", a, "-o", Out, "--filesystem", "joliet", "--joliet-names", "truncate", "--force");
        Assert.Equal(0, t.ExitCode);
        Assert.Contains("1 Joliet name(s) shortened", t.StdOut);
    }

    [Fact]
    public void A_DVD_is_mastered_as_a_UDF_bridge_by_default_that_keeps_long_names_in_full_on_its_UDF_side()
    {
        var name = new string('l', 200) + ".txt";
        var a = Folder("a", (name, "long"), ("sub/x.txt", "x"));
        var r = CliRunner.Run("master", a, "-o", Out, "--media", "dvd");
        Assert.True(r.ExitCode == 0, r.StdErr);
        var x = Path.Combine(_dir, "x");
        var p = System.Diagnostics.Process.Start("7z", ["x", "-tudf", "-y", "-bd", "-o" + x, Out])!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal("long", File.ReadAllText(Path.Combine(x, name)));
        Assert.Equal("x", File.ReadAllText(Path.Combine(x, "sub", "x.txt")));
    }

    [Fact]
    public void A_CD_is_mastered_as_Joliet_by_default_and_an_unknown_filesystem_is_a_usage_error()
    {
        var a = Folder("a", ("x.txt", "x"));
        Assert.Equal(0, CliRunner.Run("master", a, "-o", Out, "--media", "cd80").ExitCode);
        var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("7z", ["l", "-tudf", Out]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        p.WaitForExit();
        Assert.NotEqual(0, p.ExitCode); // no UDF volume on a CD image
        File.Delete(Out);
        var r = CliRunner.Run("master", a, "-o", Out, "--filesystem", "hfs");
        Assert.Equal(2, r.ExitCode); // a usage error
        Assert.Contains("--filesystem hfs", r.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void A_BD_is_mastered_as_pure_UDF_2_50_by_default_and_dvd_video_refuses_a_tree_without_VIDEO_TS()
    {
        var a = Folder("a", ("x.txt", "x"));
        Assert.Equal(0, CliRunner.Run("master", a, "-o", Out, "--media", "bd25").ExitCode);
        var image = File.ReadAllBytes(Out);
        Assert.Equal("BEA01", System.Text.Encoding.ASCII.GetString(image, 16 * 2048 + 1, 5)); // no ISO 9660 descriptor at 16
        Assert.Equal("NSR03", System.Text.Encoding.ASCII.GetString(image, 17 * 2048 + 1, 5));
        File.Delete(Out);
        var r = CliRunner.Run("master", a, "-o", Out, "--filesystem", "dvd-video");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("IMAPI_E_INVALIDIMAGE", r.StdErr);
        Assert.Contains("no VIDEO_TS folder", r.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void Unknown_media_and_missing_output_are_usage_errors()
    {
        var a = Folder("a", ("x.txt", "x"));
        var r = CliRunner.Run("master", a, "-o", Out, "--media", "floppy");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--media floppy", r.StdErr);
        var missing = CliRunner.Run("master", a);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Option '--output' is required", missing.StdErr);
        AssertNoOutput();
    }

    [Fact]
    public void Unreadable_file_exits_non_zero_naming_it()
    {
        if (Environment.UserName == "root" || OperatingSystem.IsWindows()) // root reads anything: use a dangling link instead
        {
            var a = Folder("a");
            File.CreateSymbolicLink(Path.Combine(a, "dangling"), Path.Combine(_dir, "nowhere"));
            var r = CliRunner.Run("master", a, "-o", Out);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("dangling", r.StdErr);
        }
        else
        {
            var a = Folder("a", ("secret.txt", "x"));
            File.SetUnixFileMode(Path.Combine(a, "secret.txt"), UnixFileMode.None);
            var r = CliRunner.Run("master", a, "-o", Out);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("secret.txt", r.StdErr);
        }
        AssertNoOutput();
    }
}
