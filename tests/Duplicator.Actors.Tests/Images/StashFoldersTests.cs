using Duplicator.Actors.Images;

namespace Duplicator.Actors.Tests.Images;

public sealed class StashFoldersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-stashfolders-").FullName;

    private string Root => Path.Combine(_dir, "stash");

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("...")]
    [InlineData("a/../..")]
    [InlineData("../../etc")]
    [InlineData("/")]
    [InlineData("\\..\\..")]
    [InlineData("x\0y")]
    public void Folder_of_any_id_is_one_new_element_directly_inside_the_stash(string id)
    {
        var name = StashFolders.FolderName(id);
        var folder = StashFolders.Folder(Root, id);

        Assert.Equal(Path.GetFullPath(Root), Path.GetDirectoryName(folder));
        Assert.Equal(name, Path.GetFileName(folder));
        Assert.DoesNotContain('/', name);
        Assert.DoesNotContain('\\', name);
        Assert.DoesNotContain('\0', name);
        Assert.False(name.StartsWith('.'), name);
        Assert.All(name, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"'{c}' in {name}"));
    }

    [Fact]
    public void Ids_differing_only_in_case_or_past_the_cut_get_different_folders_of_bounded_length()
    {
        var longA = new string('a', 120) + "1";
        var longB = new string('a', 120) + "2";
        var names = new[] { "Order-7", "order-7", "order_7", "order 7", "order/7", longA, longB, "..", "." }.Select(StashFolders.FolderName).ToArray();

        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(names, n => Assert.InRange(n.Length, 24, 65));
        Assert.Equal(StashFolders.FolderName("order-7"), StashFolders.FolderName("order-7")); // stable across runs
    }

    [Fact]
    public void Delete_removes_only_a_marked_folder_and_never_follows_a_link_out_of_it()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "precious")).FullName;
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep");
        var folder = StashFolders.Create(Root, "b1");
        File.WriteAllText(Path.Combine(folder, "image.iso"), "iso");
        Directory.CreateSymbolicLink(Path.Combine(folder, "link"), outside);
        var sibling = StashFolders.Create(Root, "b2");
        File.WriteAllText(Path.Combine(sibling, "image.iso"), "other batch");

        Assert.Null(StashFolders.Delete(Root, "b1"));

        Assert.False(Directory.Exists(folder));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "keep.txt")));
        Assert.Equal("other batch", File.ReadAllText(Path.Combine(sibling, "image.iso")));
        Assert.True(Directory.Exists(Root));
        Assert.Null(StashFolders.Delete(Root, "b1")); // absent: nothing to do
    }

    [Fact]
    public void Delete_leaves_a_folder_without_the_marker_or_with_another_batchs_marker_or_a_link_in_its_place()
    {
        var unmarked = Directory.CreateDirectory(StashFolders.Folder(Root, "b1")).FullName;
        File.WriteAllText(Path.Combine(unmarked, "mine.txt"), "not made by duplicator");
        var why = StashFolders.Delete(Root, "b1");
        Assert.Contains("marker", why);
        Assert.True(File.Exists(Path.Combine(unmarked, "mine.txt")));

        var other = StashFolders.Create(Root, "b2");
        File.WriteAllText(Path.Combine(other, StashFolders.MarkerName), "b3");
        Assert.Contains("another batch", StashFolders.Delete(Root, "b2"));
        Assert.True(Directory.Exists(other));

        var outside = Directory.CreateDirectory(Path.Combine(_dir, "precious")).FullName;
        File.WriteAllText(Path.Combine(outside, StashFolders.MarkerName), "b4");
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "keep");
        Directory.CreateSymbolicLink(StashFolders.Folder(Root, "b4"), outside);
        Assert.Contains("symbolic link", StashFolders.Delete(Root, "b4"));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "keep.txt")));
        Assert.Throws<IOException>(() => StashFolders.Create(Root, "b4"));
    }

    [Fact]
    public void Create_refuses_a_folder_another_batch_made()
    {
        var folder = StashFolders.Create(Root, "b1");
        File.WriteAllText(Path.Combine(folder, StashFolders.MarkerName), "someone else");
        var e = Assert.Throws<IOException>(() => StashFolders.Create(Root, "b1"));
        Assert.Contains("another batch", e.Message);
    }
}
