using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Duplicator.Host.Tests.Commands;

/// <summary>
/// <c>master</c> and <c>audio</c> pointed at an output that must not be replaced, for real: the process
/// refuses before writing, exits 1 with an IMAPI_E line naming the path and the rule, and every source
/// byte, the device node and the folder are as they were.
/// </summary>
public sealed class OutputRefusalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-outref-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Src
    {
        get
        {
            var src = Path.Combine(_dir, "src");
            if (!Directory.Exists(src))
            {
                Directory.CreateDirectory(Path.Combine(src, "docs"));
                File.WriteAllText(Path.Combine(src, "README.txt"), "the source, not to be replaced");
                File.WriteAllBytes(Path.Combine(src, "docs", "data.bin"), RandomNumberGenerator.GetBytes(10_000));
            }
            return src;
        }
    }

    // Every file under the test folder with its SHA-256: what a refusal must leave exactly as it was.
    private Dictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories)
            .Where(f => !new FileInfo(f).Attributes.HasFlag(FileAttributes.ReparsePoint))
            .ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    private static void AssertRefused(CliRunner.Result r, string path, string rule)
    {
        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {r.StdErr}");
        Assert.Contains("IMAPI_E_", r.StdErr);
        Assert.Contains(path, r.StdErr);
        Assert.Contains(rule, r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
        Assert.Single(r.StdErr.Trim().Split('\n'));
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public void Master_refuses_a_source_file_as_its_output_and_leaves_it_unchanged()
    {
        var target = Path.Combine(Src, "README.txt");
        var before = Snapshot();
        var r = CliRunner.Run("master", Src, "-o", target, "--force");
        AssertRefused(r, target, "inside the source folder");
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void Master_refuses_a_new_file_inside_the_source_folder()
    {
        var target = Path.Combine(Src, "docs", "new.iso");
        var before = Snapshot();
        AssertRefused(CliRunner.Run("master", Src, "-o", target), target, "inside the source folder");
        Assert.False(File.Exists(target));
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void Master_refuses_a_symbolic_link_to_a_source_file()
    {
        var link = Path.Combine(_dir, "link.iso");
        File.CreateSymbolicLink(link, Path.Combine(Src, "README.txt"));
        var before = Snapshot();
        AssertRefused(CliRunner.Run("master", Src, "-o", link, "--force"), link, "a symbolic link, not a regular file");
        Assert.Equal(before, Snapshot());
        Assert.Equal(Path.Combine(Src, "README.txt"), new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void Master_refuses_dev_null_and_it_stays_a_character_device()
    {
        // The refusal comes before any rename, so it is the same as root (where the rename would succeed) and as a user.
        Assert.Equal(Duplicator.Mastering.Images.FileKind.CharacterDevice, Duplicator.Mastering.Images.FileIdentity.Of("/dev/null", followLinks: false).Kind);
        var src = Src;
        var before = Snapshot();
        AssertRefused(CliRunner.Run("master", src, "-o", "/dev/null", "--force"), "/dev/null", "a character device, not a regular file");
        Assert.Equal(Duplicator.Mastering.Images.FileKind.CharacterDevice, Duplicator.Mastering.Images.FileIdentity.Of("/dev/null", followLinks: false).Kind);
        Assert.Equal(before, Snapshot());
    }

    [Fact]
    public void Master_needs_force_to_replace_an_existing_image()
    {
        var output = Path.Combine(_dir, "out.iso");
        File.WriteAllText(output, "an older image");
        var r = CliRunner.Run("master", Src, "-o", output);
        AssertRefused(r, output, "exists; give --force to replace it");
        Assert.Contains("IMAPI_E_FILEEXISTS", r.StdErr);
        Assert.Equal("an older image", File.ReadAllText(output));
        var forced = CliRunner.Run("master", Src, "-o", output, "--force");
        Assert.True(forced.ExitCode == 0, forced.StdErr);
        Assert.Equal(0, new FileInfo(output).Length % 2048);
        Assert.True(new FileInfo(output).Length > 2048 * 16);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Master_with_an_empty_output_is_a_usage_error_of_one_line()
    {
        var r = CliRunner.Run("master", Src, "-o", "");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("duplicator: -o/--output: empty path; name the image file to write", r.StdErr.Trim());
    }

    private string Wav(string name)
    {
        var pcm = new byte[44100 * 4 * 4];
        new Random(7).NextBytes(pcm);
        var b = new byte[44 + pcm.Length];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(36 + pcm.Length));
        "WAVEfmt "u8.CopyTo(b.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(20), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(22), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), 44100);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), 44100 * 4);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(32), 4);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(34), 16);
        "data"u8.CopyTo(b.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(40), (uint)pcm.Length);
        pcm.CopyTo(b, 44);
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, b);
        return p;
    }

    private string Stash => Path.Combine(_dir, "stash");

    [Fact]
    public void Audio_refuses_the_wav_itself_as_its_output()
    {
        var wav = Wav("x.wav");
        var before = Snapshot();
        AssertRefused(CliRunner.Run("audio", wav, "-o", wav, "--force", "--stash", Stash), wav, "it is the input");
        Assert.Equal(before, Snapshot());
        Assert.False(File.Exists(Path.Combine(_dir, "x.bin")));
    }

    [Fact]
    public void Audio_refuses_a_bin_that_would_replace_an_input_and_a_link_to_the_wav()
    {
        var wav = Wav("t.bin"); // a WAV named .bin: the BIN of t.cue would replace it
        var before = Snapshot();
        AssertRefused(CliRunner.Run("audio", wav, "-o", Path.Combine(_dir, "t.cue"), "--force", "--stash", Stash), wav, "it is the input");
        var link = Path.Combine(_dir, "l.cue");
        File.CreateSymbolicLink(link, wav);
        AssertRefused(CliRunner.Run("audio", wav, "-o", link, "--force", "--stash", Stash), link, "it is the input");
        Assert.Equal(before, Snapshot());
        Assert.False(File.Exists(Path.Combine(_dir, "t.cue")));
    }

    [Fact]
    public void Audio_needs_force_for_an_existing_cue_and_a_cue_named_bin_is_a_usage_error()
    {
        var wav = Wav("a.wav");
        var cue = Path.Combine(_dir, "out.cue");
        File.WriteAllText(Path.Combine(_dir, "out.bin"), "older bin");
        var r = CliRunner.Run("audio", wav, "-o", cue, "--stash", Stash);
        AssertRefused(r, "out.bin", "exists; give --force");
        Assert.Equal("older bin", File.ReadAllText(Path.Combine(_dir, "out.bin")));
        Assert.False(File.Exists(cue));
        var forced = CliRunner.Run("audio", wav, "-o", cue, "--force", "--stash", Stash);
        Assert.True(forced.ExitCode == 0, forced.StdErr);
        Assert.Equal(44100 * 4 * 4, new FileInfo(Path.Combine(_dir, "out.bin")).Length);
        var same = CliRunner.Run("audio", wav, "-o", Path.Combine(_dir, "o.bin"), "--stash", Stash);
        Assert.Equal(2, same.ExitCode);
        Assert.Contains("would be its own BIN", same.StdErr);
    }
}
