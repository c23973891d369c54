using System.Diagnostics;
using Duplicator.Mastering.Data;
using Duplicator.Mastering.Images;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Images;

public sealed class OutputTargetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Src => Path.Combine(_dir, "src");

    private string SourceFile()
    {
        Directory.CreateDirectory(Src);
        var f = Path.Combine(Src, "a.txt");
        File.WriteAllText(f, "source bytes");
        return f;
    }

    private static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    [Fact]
    public void A_hard_link_to_an_input_is_the_input()
    {
        var file = SourceFile();
        var link = Path.Combine(_dir, "hard.iso");
        Run("ln", file, link);
        var e = Assert.Throws<ImapiException>(() => OutputTarget.Check(link, [file], force: true));
        Assert.Equal(ImapiError.InvalidInput, e.Code);
        Assert.Contains("it is the input", e.Message);
    }

    [Fact]
    public void An_output_reached_through_a_link_to_the_source_folder_is_inside_it()
    {
        SourceFile();
        var alias = Path.Combine(_dir, "alias");
        Directory.CreateSymbolicLink(alias, Src);
        var e = Assert.Throws<ImapiException>(() => OutputTarget.Check(Path.Combine(alias, "deep", "..", "x.iso"), [Src], force: false));
        Assert.Contains("inside the source folder", e.Message);
        Assert.False(File.Exists(Path.Combine(Src, "x.iso")));
    }

    [Fact]
    public void A_fifo_a_folder_and_a_missing_folder_are_refused_naming_the_rule()
    {
        var fifo = Path.Combine(_dir, "pipe");
        Run("mkfifo", fifo);
        Assert.Contains("a FIFO, not a regular file", Assert.Throws<ImapiException>(() => OutputTarget.Check(fifo, [], force: true)).Message);
        Directory.CreateDirectory(Path.Combine(_dir, "d"));
        Assert.Contains("a directory, not a regular file", Assert.Throws<ImapiException>(() => OutputTarget.Check(Path.Combine(_dir, "d"), [], force: true)).Message);
        Assert.Contains("is missing", Assert.Throws<ImapiException>(() => OutputTarget.Check(Path.Combine(_dir, "no", "x.iso"), [], force: true)).Message);
        Assert.Contains("empty", Assert.Throws<ImapiException>(() => OutputTarget.Check(" ", [], force: true)).Message);
    }

    [Fact]
    public void An_existing_file_needs_force_and_a_new_one_does_not()
    {
        var existing = Path.Combine(_dir, "old.iso");
        File.WriteAllText(existing, "old");
        var e = Assert.Throws<ImapiException>(() => OutputTarget.Check(existing, [], force: false));
        Assert.Equal(ImapiError.FileExists, e.Code);
        Assert.Contains("--force", e.Message);
        Assert.Equal(existing, OutputTarget.Check(existing, [], force: true));
        Assert.Equal(Path.Combine(_dir, "new.iso"), OutputTarget.Check(Path.Combine(_dir, "new.iso"), [], force: false));
    }

    [Fact]
    public void The_writer_never_renames_over_a_fifo_and_leaves_no_temporary_file()
    {
        SourceFile();
        var staging = new JolietStaging(MediaKind.Cd74);
        staging.AddData(Src, false);
        var image = staging.Build();
        var fifo = Path.Combine(_dir, "out.iso");
        Run("mkfifo", fifo);
        var e = Assert.Throws<ImapiException>(() => image.WriteTo(fifo));
        Assert.Contains("not a regular file", e.Message);
        Assert.Equal(FileKind.Fifo, FileIdentity.Of(fifo, followLinks: false).Kind);
        Assert.Equal(["out.iso", "src"], Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Without_replace_the_writer_keeps_a_file_that_appeared_meanwhile()
    {
        SourceFile();
        var staging = new JolietStaging(MediaKind.Cd74);
        staging.AddData(Src, false);
        var image = staging.Build();
        var output = Path.Combine(_dir, "out.iso");
        File.WriteAllText(output, "someone else's");
        var e = Assert.Throws<ImapiException>(() => image.WriteTo(output, replace: false));
        Assert.Equal(ImapiError.FileExists, e.Code);
        Assert.Equal("someone else's", File.ReadAllText(output));
        Assert.Equal(["out.iso", "src"], Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).Order());
        image.WriteTo(output, replace: true);
        Assert.Equal(image.SectorCount * 2048, new FileInfo(output).Length);
    }

    [Fact]
    public void Identity_tells_devices_links_and_files_apart()
    {
        var file = SourceFile();
        var link = Path.Combine(_dir, "soft");
        File.CreateSymbolicLink(link, file);
        Assert.Equal(FileKind.SymbolicLink, FileIdentity.Of(link, followLinks: false).Kind);
        Assert.True(FileIdentity.Of(link).SameFileAs(FileIdentity.Of(file)));
        Assert.Equal(file, FileIdentity.Resolve(link));
        Assert.Equal(Path.Combine(Src, "not", "yet"), FileIdentity.Resolve(Path.Combine(_dir, "src", "not", "yet")));
        if (File.Exists("/dev/null") || FileIdentity.Of("/dev/null").Kind != FileKind.Missing)
            Assert.Equal(FileKind.CharacterDevice, FileIdentity.Of("/dev/null").Kind);
        Assert.Equal(FileKind.Missing, FileIdentity.Of(Path.Combine(_dir, "nothing")).Kind);
    }
}
