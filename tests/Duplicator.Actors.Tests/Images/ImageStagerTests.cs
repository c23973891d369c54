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

    private StagedImage Staged(string src, string stash) => ImageStager.Hash(ImageStager.Stage(Folder(src), At, stash, default), default);

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
        var one = Staged(src, Path.Combine(_dir, "stash1"));
        var two = Staged(src, Path.Combine(_dir, "stash2"));
        Assert.Equal(one.ContentSha256, two.ContentSha256);
        Assert.Equal(one.SectorCount, two.SectorCount);
        Assert.Equal(2048, one.SectorSize);
    }

    [Fact]
    public void Staging_leaves_the_hash_for_later_and_Hash_gives_what_a_verifying_drive_reads_back()
    {
        var src = Source();
        var staged = ImageStager.Stage(Folder(src), At, Path.Combine(_dir, "stash"), default);
        Assert.Null(staged.ContentSha256); // the first disc need not wait for a full read of the image
        var hashed = ImageStager.Hash(staged, default);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(staged.StashPath))), hashed.ContentSha256);
        Assert.Equal(staged with { ContentSha256 = hashed.ContentSha256 }, hashed);
    }

    [Fact]
    public void An_intact_stash_is_used_as_it_is()
    {
        var src = Source();
        var stash = Path.Combine(_dir, "stash");
        var staged = Staged(src, stash);
        var written = File.GetLastWriteTimeUtc(staged.StashPath);
        File.Delete(Path.Combine(src, "a.txt")); // the source no longer matters while the stash is intact

        var restored = ImageStager.Restore(Folder(src), At, stash, staged.StashPath, staged.ContentSha256!, default);
        Assert.Equal(staged, restored with { Tracks = staged.Tracks });
        Assert.Equal(written, File.GetLastWriteTimeUtc(restored.StashPath));
    }

    [Fact]
    public void An_altered_stash_is_staged_again_from_the_unchanged_source()
    {
        var src = Source();
        var stash = Path.Combine(_dir, "stash");
        var staged = Staged(src, stash);
        using (var f = File.OpenWrite(staged.StashPath))
        {
            f.Position = 20 * 2048;
            f.WriteByte(0xFF); // bit rot
        }

        var restored = ImageStager.Restore(Folder(src), At, stash, staged.StashPath, staged.ContentSha256!, default);
        Assert.Equal(staged.ContentSha256, restored.ContentSha256);
        Assert.Equal(staged.ContentSha256, ImageStager.Describe("s1", restored.StashPath, default).ContentSha256);
    }

    [Fact]
    public void A_missing_stash_whose_source_changed_fails_clearly()
    {
        var src = Source();
        var stash = Path.Combine(_dir, "stash");
        var staged = Staged(src, stash);
        File.Delete(staged.StashPath);
        File.AppendAllText(Path.Combine(src, "a.txt"), " and more");

        var e = Assert.Throws<ImapiException>(() => ImageStager.Restore(Folder(src), At, stash, staged.StashPath, staged.ContentSha256!, default));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains("the source changed since it was staged", e.Message);
    }

    [Fact]
    public void With_link_roots_a_link_out_of_them_fails_the_staging_and_nothing_is_stashed_without_them_it_is_followed()
    {
        var src = Source();
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
        var link = Path.Combine(src, "secret.txt");
        File.CreateSymbolicLink(link, Path.Combine(outside, "secret.txt"));
        var stash = Path.Combine(_dir, "stash");

        var e = Assert.Throws<ImapiException>(() => ImageStager.Stage(Folder(src), At, stash, default, linkRoots: [src]));
        Assert.Equal(ImapiError.SourceNotAllowed, e.Code);
        Assert.StartsWith($"{link}: symbolic link to {Path.Combine(outside, "secret.txt")}, outside the allowed roots", e.Message);
        Assert.False(File.Exists(ImageStager.StashFolder(stash, "s1") + "/image.iso"));

        // An image path that leads out of the roots (a link swapped in after submission) is refused too.
        var image = Path.Combine(src, "disc.iso");
        File.WriteAllBytes(Path.Combine(outside, "disc.iso"), new byte[2048 * 20]);
        File.CreateSymbolicLink(image, Path.Combine(outside, "disc.iso"));
        var spec = new BatchSpec("s2", SourceKind.Image, [image], 1, new BatchOptions(false, 0, 0, true, []));
        Assert.Equal(ImapiError.SourceNotAllowed, Assert.Throws<ImapiException>(() => ImageStager.Stage(spec, At, stash, default, linkRoots: [src])).Code);

        File.Delete(image);
        Assert.Equal(2048, ImageStager.Stage(Folder(src), At, stash, default).SectorSize); // no roots (duplicator master, in-process burn): followed
    }

    [Fact]
    public void An_audio_image_keeps_its_album_text_and_catalog_through_to_what_a_recorder_burns()
    {
        // A BIN/CUE as a copy job's master read leaves it: album CD-TEXT and the catalog number on the sheet.
        var bin = Path.Combine(_dir, "image.bin");
        File.WriteAllBytes(bin, new byte[2352 * 300]);
        var cue = Path.Combine(_dir, "image.cue");
        File.WriteAllText(cue, "CATALOG 4006381333931\nTITLE \"The Album\"\nPERFORMER \"The Band\"\nFILE \"image.bin\" BINARY\n  TRACK 01 AUDIO\n    TITLE \"One\"\n    INDEX 01 00:00:00\n");

        var staged = ImageStager.Describe("a1", cue, default);
        Mastering.Images.IDiscImage burned = new Duplicator.Actors.Recorders.FanOutImage(staged, _ => { }, CancellationToken.None);

        Assert.Equal(("The Album", "The Band", "4006381333931"), (staged.Title, staged.Performer, staged.Catalog));
        Assert.Equal(("The Album", "The Band", "4006381333931"), (burned.Title, burned.Performer, burned.Catalog));
        Assert.Equal("One", Assert.Single(burned.Tracks).Title);
    }
}
