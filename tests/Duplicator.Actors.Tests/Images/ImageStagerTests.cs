using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Actors.Tests.Images;

/// <summary>Staging a batch into the stash, and bringing a stash back after a restart.</summary>
public sealed class ImageStagerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-stager-").FullName;
    private static readonly DateTimeOffset At = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    public void Dispose() => Directory.Delete(_dir, true);

    private BatchSpec Folder(string src) => new("s1", SourceKind.Folder, [src], 1, new BatchOptions(false, 0, 0, true, []), Volume: "V");

    private string Source()
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir, "src")).FullName;
        File.WriteAllText(Path.Combine(src, "a.txt"), "alpha");
        File.WriteAllBytes(Path.Combine(src, "b.bin"), new byte[70_000]);
        return src;
    }

    [Fact]
    public void Staging_the_same_unchanged_folder_twice_gives_the_same_content_hash()
    {
        var src = Source();
        var one = ImageStager.Stage(Folder(src), At, Path.Combine(_dir, "stash1"), default);
        var two = ImageStager.Stage(Folder(src), At, Path.Combine(_dir, "stash2"), default);
        Assert.Equal(one.ContentSha256, two.ContentSha256);
        Assert.Equal(one.SectorCount, two.SectorCount);
        Assert.Equal(2048, one.SectorSize);
    }

    [Fact]
    public void An_intact_stash_is_used_as_it_is()
    {
        var src = Source();
        var stash = Path.Combine(_dir, "stash");
        var staged = ImageStager.Stage(Folder(src), At, stash, default);
        var written = File.GetLastWriteTimeUtc(staged.StashPath);
        File.Delete(Path.Combine(src, "a.txt")); // the source no longer matters while the stash is intact

        var restored = ImageStager.Restore(Folder(src), At, stash, staged.StashPath, staged.ContentSha256, default);
        Assert.Equal(staged, restored with { Tracks = staged.Tracks });
        Assert.Equal(written, File.GetLastWriteTimeUtc(restored.StashPath));
    }

    [Fact]
    public void An_altered_stash_is_staged_again_from_the_unchanged_source()
    {
        var src = Source();
        var stash = Path.Combine(_dir, "stash");
        var staged = ImageStager.Stage(Folder(src), At, stash, default);
        using (var f = File.OpenWrite(staged.StashPath))
        {
            f.Position = 20 * 2048;
            f.WriteByte(0xFF); // bit rot
        }

        var restored = ImageStager.Restore(Folder(src), At, stash, staged.StashPath, staged.ContentSha256, default);
        Assert.Equal(staged.ContentSha256, restored.ContentSha256);
        Assert.Equal(staged.ContentSha256, ImageStager.Describe("s1", restored.StashPath, default).ContentSha256);
    }

    [Fact]
    public void A_missing_stash_whose_source_changed_fails_clearly()
    {
        var src = Source();
        var stash = Path.Combine(_dir, "stash");
        var staged = ImageStager.Stage(Folder(src), At, stash, default);
        File.Delete(staged.StashPath);
        File.AppendAllText(Path.Combine(src, "a.txt"), " and more");

        var e = Assert.Throws<ImapiException>(() => ImageStager.Restore(Folder(src), At, stash, staged.StashPath, staged.ContentSha256, default));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains("the source changed since it was staged", e.Message);
    }
}
