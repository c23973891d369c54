using Duplicator.Mastering.Data;
using Duplicator.Mastering.Imapi;
using Duplicator.Mastering.Media;

namespace Duplicator.Mastering.Tests.Data;

/// <summary>JolietStaging.LinkRoots: links inside an added folder may lead only under the given roots, on both scans.</summary>
public sealed class JolietStagingLinkRootsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-linkroots-").FullName;
    private readonly string _src;
    private readonly string _outside;

    public JolietStagingLinkRootsTests()
    {
        _src = Directory.CreateDirectory(Path.Combine(_dir, "src", "sub")).Parent!.FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        File.WriteAllText(Path.Combine(_src, "a.txt"), "a");
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "secret");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_link_out_of_the_roots_is_refused_naming_it_by_both_scans_and_the_staging_is_unchanged()
    {
        var fileLink = Path.Combine(_src, "sub", "secret.txt");
        File.CreateSymbolicLink(fileLink, Path.Combine(_outside, "secret.txt"));
        var staging = new JolietStaging(MediaKind.Cd80) { LinkRoots = [_src] };
        var e = Assert.Throws<ImapiException>(() => staging.AddData(_src, overwrite: false));
        Assert.Equal(ImapiError.SourceNotAllowed, e.Code);
        Assert.Equal($"{fileLink}: symbolic link to {Path.Combine(_outside, "secret.txt")}, outside the allowed roots ({_src}); not followed", e.Message);
        Assert.Equal(0, staging.FileCount);

        var portable = Assert.Throws<ImapiException>(() => JolietStaging.ScanPortable(new DirectoryInfo(_src), [], () => { }, [_src]));
        Assert.Equal(e.Message, portable.Message);

        // a folder link, and a link through ".." that leaves the root, are refused the same way
        File.Delete(fileLink);
        var dirLink = Path.Combine(_src, "sub", "out");
        Directory.CreateSymbolicLink(dirLink, "../../outside");
        Assert.Equal(ImapiError.SourceNotAllowed, Assert.Throws<ImapiException>(() => JolietStaging.CheckSource(_src, [_src])).Code);
    }

    [Fact]
    public void Links_within_the_roots_are_followed_and_without_roots_every_link_is_followed()
    {
        File.CreateSymbolicLink(Path.Combine(_src, "sub", "again.txt"), Path.Combine(_src, "a.txt"));
        Assert.Equal(2, JolietStaging.CheckSource(_src, [_src]));
        File.CreateSymbolicLink(Path.Combine(_src, "secret.txt"), Path.Combine(_outside, "secret.txt"));
        Assert.Equal(3, JolietStaging.CheckSource(_src, [_src, _outside]));
        var master = new JolietStaging(MediaKind.Cd80); // LinkRoots null: duplicator master's behaviour
        master.AddData(_src, overwrite: false);
        Assert.Equal(3, master.FileCount);
    }

    [Fact]
    public void A_source_folder_that_itself_leads_out_of_the_roots_is_refused()
    {
        var link = Path.Combine(_dir, "src", "link-to-outside");
        Directory.CreateSymbolicLink(link, _outside);
        var e = Assert.Throws<ImapiException>(() => JolietStaging.CheckSource(link, [_src]));
        Assert.Equal(ImapiError.SourceNotAllowed, e.Code);
    }
}
